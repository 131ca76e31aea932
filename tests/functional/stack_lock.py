"""Regenerate the stack lock from a working stack environment (run with that interpreter).

``python tests/functional/stack_lock.py > compiler/targets/core/stack-lock.txt``, run by the
interpreter of an environment where every stack runtime is installed and ``pip check`` is
clean, writes one pinned line per package that the stack runtimes need, each naming the
runtimes (the lock's roots) that pull it in. Only runtimes are locked: the tools the stack's
tests use (moto, ruff, pandas-stubs, kubernetes-validate) are pinned for the test tier in
``tests/functional/stack-test-requirements.txt``.
"""

from __future__ import annotations

import sys
from importlib.metadata import PackageNotFoundError, distribution

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

#: What a generated stack may ask for: the lock holds these and everything they depend on.
ROOTS = (
    "bentoml",
    "boto3",
    "fastapi",
    "feast",
    "langdetect",
    "lightgbm",
    "numpy",
    "pandas",
    "pandera",
    "peft",
    "pyarrow",
    "safetensors",
    "scikit-learn",
    "sqlalchemy",
    "statsforecast",
    "tokenizers",
    "torch",
    "transformers",
    "xgboost-cpu",
    "zenml[local]",
)
MARKERS = {"python_version": "3.11", "python_full_version": "3.11.7", "sys_platform": "linux"}
HEADER = """\
# The stack lock: every package the runtimes of a generated stack install, pinned, with the
# stack requirements (roots) that pull it in. Each stack's constraints.txt is the part of this
# lock its own requirements need. Regenerate: python tests/functional/stack_lock.py, run by
# the interpreter of an environment that holds every root (pip check clean).
# torch is pinned without its local label (+cpu): pip takes the CPU build where one is offered.
"""


def _requires(name: str, extras: frozenset[str]) -> list[Requirement]:
    found = []
    for text in distribution(name).requires or []:
        requirement = Requirement(text)
        marker = requirement.marker
        if marker is None or any(
            marker.evaluate({**MARKERS, "extra": extra}) for extra in (extras or {""})
        ):
            found.append(requirement)
    return found


def _closure(root: Requirement) -> set[str]:
    """Every package ``root`` installs, with the extras asked for along the way."""
    extras_of: dict[str, frozenset[str]] = {}
    todo = [root]
    while todo:
        requirement = todo.pop()
        key = canonicalize_name(requirement.name)
        extras = extras_of.get(key, frozenset()) | requirement.extras
        if key in extras_of and extras == extras_of[key]:
            continue
        extras_of[key] = frozenset(extras)
        try:
            todo.extend(_requires(requirement.name, frozenset(extras)))
        except PackageNotFoundError:
            sys.exit(f"{requirement.name} is not installed in this environment")
    return set(extras_of)


def main() -> None:
    """Print the lock."""
    roots_of: dict[str, set[str]] = {}
    for root_text in ROOTS:
        root = Requirement(root_text)
        for key in _closure(root):
            roots_of.setdefault(key, set()).add(canonicalize_name(root.name))
    lines = []
    for key in sorted(roots_of):
        version = distribution(key).version.split("+")[0]
        lines.append(f"{key}=={version}  # via {', '.join(sorted(roots_of[key]))}")
    sys.stdout.write(HEADER + "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
