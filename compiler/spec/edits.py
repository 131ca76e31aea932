"""Apply the edits a diagnostic proposes (:class:`~mlopsgen.diagnostics.Edit`) to spec data.

Edits address the parsed YAML by the same paths diagnostics cite, so a hint's proposal can be
applied without a human: the tests apply every one and validate again, and an editor or a
future ``--fix`` can do the same. The input is never modified; a changed copy is returned.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from mlopsgen.diagnostics import Edit


def apply_edits(data: Any, edits: Iterable[Edit]) -> Any:
    """A deep copy of ``data`` with ``edits`` applied in order.

    ``set`` creates missing mappings on the way and appends when the index is one past the end
    of a list; ``delete`` removes a key or list item; ``rename`` keeps the key's value and its
    place among its siblings.

    Raises:
        KeyError: an edit addresses a key or item that is not there (a bug in the edit).
    """
    result = copy.deepcopy(data)
    for edit in edits:
        parent = result
        for part in edit.path[:-1]:
            parent = parent.setdefault(part, {}) if isinstance(parent, dict) else parent[part]
        last = edit.path[-1]
        if edit.op == "delete":
            del parent[last]
        elif edit.op == "rename":
            if last not in parent:
                raise KeyError(last)
            items = [(str(edit.value) if k == last else k, v) for k, v in parent.items()]
            parent.clear()
            parent.update(items)
        elif isinstance(parent, list) and last == len(parent):
            parent.append(copy.deepcopy(edit.value))
        else:
            parent[last] = copy.deepcopy(edit.value)
    return result
