"""What a target is: a name and ``render(plan) -> Rendered``.

A target turns the Plan into files for one tool (the core project files today; ZenML, BentoML,
Terraform and operations next). It reads only the Plan (``mlopsgen.plan.ir``), the rendering
helpers (``mlopsgen.render``) and the rule language (``mlopsgen.expr``), never the spec: what
a target needs from the spec, the Plan carries. The registry runs every target, refuses two
targets claiming one path, merges the dependency pins they ask for and has the stack README
rendered last from every file's purpose, so the README lists exactly the files that exist.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from mlopsgen.plan.ir.root import Plan

__all__ = ["Rendered", "Target"]


@dataclass(frozen=True)
class Rendered:
    """A target's output, in memory.

    Attributes:
        files: text of each file, keyed by relative POSIX path in the stack.
        purposes: one line per file saying what it is for; the stack README lists them.
        requirements: pinned Python requirements the stack needs for these files
            (``name==version``); the registry merges them into the stack's pyproject.
        sections: Markdown sections for the stack README, keyed by their heading (without
            the ``##``); the README shows them after its own, in target order. A target
            explains there how to use what it generated (commands, prerequisites).
    """

    files: Mapping[str, str]
    purposes: Mapping[str, str]
    requirements: frozenset[str] = field(default_factory=frozenset)
    sections: Mapping[str, str] = field(default_factory=dict)


class Target(Protocol):
    """One generator of stack files; see the module docstring for what it may read."""

    @property
    def name(self) -> str:
        """Short name, used in errors and as the folder of its templates."""
        ...

    def render(self, plan: Plan) -> Rendered:
        """Every file this target produces for ``plan``.

        Raises:
            RenderError: a file cannot be rendered (naming the file).
        """
        ...
