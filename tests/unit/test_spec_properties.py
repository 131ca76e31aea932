"""Property tests: whatever the input, loading yields a spec or well-formed diagnostics.

Random YAML documents, random text and bytes, and random mutations of the reference specs
(keys deleted or renamed, values replaced or retyped, list items duplicated, lines duplicated
or deleted) must only ever produce a LoadedSpec, a SpecError whose diagnostics all have a code,
a message and a real position, or a UsageError — never any other exception.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any

import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from mlopsgen.diagnostics import Diagnostic, SpecError, UsageError, format_diagnostic
from mlopsgen.spec.loader import LoadedSpec, load_spec_bytes, load_spec_text
from mlopsgen.spec.shape import allowed_keys
from tests.conftest import REFERENCE_SPECS

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CODE = re.compile(r"^[EW][1-6]\d\d$")
TEXTS = {p.name: p.read_text(encoding="utf-8") for p in REFERENCE_SPECS}
DATA = {name: yaml.safe_load(text) for name, text in TEXTS.items()}
SPEC_KEYS = sorted({*allowed_keys(()), *allowed_keys(("slo",)), *allowed_keys(("models", 0))})

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
    | st.sampled_from(["", "yes", "no", "1e3", "0x1F", "~", "null", "24h", "daily", "aws"])
)
keys = st.sampled_from(SPEC_KEYS) | st.text(min_size=1, max_size=12)
documents = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=5),
    max_leaves=25,
)


def check_diagnostic(diagnostic: Diagnostic, source: str | None) -> None:
    assert CODE.match(diagnostic.code), diagnostic
    assert diagnostic.message.strip(), diagnostic
    if diagnostic.span is not None:
        assert diagnostic.span.line >= 1 and diagnostic.span.column >= 1, diagnostic
    assert format_diagnostic(diagnostic, source)


def outcome(load: Callable[[], LoadedSpec]) -> str:
    """Run a load; assert every outcome is well-formed and say which one it was."""
    try:
        loaded = load()
    except SpecError as exc:
        assert exc.diagnostics and any(d.is_error for d in exc.diagnostics)
        for diagnostic in exc.diagnostics:
            span_file = diagnostic.span.file if diagnostic.span else ""
            check_diagnostic(diagnostic, exc.sources.get(span_file))
        return "rejected"
    except UsageError as exc:
        assert str(exc)
        return "usage"
    assert isinstance(loaded, LoadedSpec)
    for warning in loaded.warnings:
        assert not warning.is_error
        check_diagnostic(warning, loaded.source_map.text)
    return "loaded"


@SETTINGS
@given(documents)
def test_random_yaml_documents(document: Any) -> None:
    text = yaml.safe_dump(document, allow_unicode=True)
    event(outcome(lambda: load_spec_text(text, "random.yaml")))


@SETTINGS
@given(st.text(max_size=300))
def test_random_text(text: str) -> None:
    event(outcome(lambda: load_spec_text(text, "random.yaml")))


@SETTINGS
@given(st.binary(max_size=300))
def test_random_bytes(raw: bytes) -> None:
    event(outcome(lambda: load_spec_bytes(raw, "random.yaml")))


def paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path into a document, containers and leaves alike (the root excluded)."""
    found: list[tuple[Any, ...]] = []
    if isinstance(node, dict):
        items: list[tuple[Any, Any]] = list(node.items())
    elif isinstance(node, list):
        items = list(enumerate(node))
    else:
        return found
    for key, child in items:
        found.append((*prefix, key))
        found.extend(paths(child, (*prefix, key)))
    return found


def retyped(value: Any) -> Any:
    """The same information in another YAML type: the usual hand-editing slip."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return {str(i): v for i, v in enumerate(value)}
    return list(value.values()) if isinstance(value, dict) else 0


def mutate(document: Any, path: tuple[Any, ...], how: str, new: Any, name: str) -> None:
    """Apply one mutation in place at ``path``."""
    parent = document
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    if how == "delete":
        del parent[last]
    elif how == "replace":
        parent[last] = copy.deepcopy(new)
    elif how == "retype":
        parent[last] = retyped(parent[last])
    elif how == "rename" and isinstance(parent, dict):
        parent[name] = parent.pop(last)
    elif how == "duplicate" and isinstance(parent, list):
        parent.insert(last, copy.deepcopy(parent[last]))
    else:
        parent[last] = copy.deepcopy(new)  # the edit does not fit this container: replace


@SETTINGS
@given(
    name=st.sampled_from(sorted(DATA)),
    data=st.data(),
    how=st.sampled_from(["delete", "rename", "replace", "retype", "duplicate"]),
    new=documents,
    new_key=keys,
)
def test_mutated_reference_specs(
    name: str, data: st.DataObject, how: str, new: Any, new_key: str
) -> None:
    document = copy.deepcopy(DATA[name])
    for _ in range(data.draw(st.integers(min_value=1, max_value=3), label="mutations")):
        candidates = paths(document)
        if not candidates:
            break
        path = data.draw(st.sampled_from(candidates), label="path")
        mutate(document, path, how, new, new_key)
    text = yaml.safe_dump(document, allow_unicode=True, sort_keys=False)
    event(outcome(lambda: load_spec_text(text, name)))


@SETTINGS
@given(
    name=st.sampled_from(sorted(TEXTS)),
    data=st.data(),
    how=st.sampled_from(["duplicate", "delete", "tab", "truncate", "insert"]),
    insert=st.text(max_size=12),
)
def test_text_edits_of_reference_specs(
    name: str, data: st.DataObject, how: str, insert: str
) -> None:
    lines = TEXTS[name].splitlines(keepends=True)
    index = data.draw(st.integers(min_value=0, max_value=len(lines) - 1), label="line")
    if how == "duplicate":
        lines.insert(index, lines[index])
    elif how == "delete":
        del lines[index]
    elif how == "tab":
        lines[index] = "\t" + lines[index]
    elif how == "truncate":
        lines = lines[:index]
    else:
        column = data.draw(st.integers(min_value=0, max_value=len(lines[index])), label="column")
        lines[index] = lines[index][:column] + insert + lines[index][column:]
    text = "".join(lines)
    event(outcome(lambda: load_spec_text(text, name)))


def test_reference_specs_load() -> None:
    assert {outcome(lambda t=t, n=n: load_spec_text(t, n)) for n, t in TEXTS.items()} == {"loaded"}
