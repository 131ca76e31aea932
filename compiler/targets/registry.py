"""Render a whole stack: every target's files, in memory, keyed by relative POSIX path.

The registry runs the targets in a fixed order and is the one place that combines them: it
refuses two targets claiming one path (no file is silently written twice), merges the
dependency pins each target asks for (refusing two different pins of one package), and has
the core target render the stack's index files last, from every target's file purposes and
the merged pins. A target that fails raises :class:`RenderError` naming it and the file;
nothing is written, since the writer runs only after every target has succeeded.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from mlopsgen.plan.ir.root import Plan
from mlopsgen.render.errors import RenderError
from mlopsgen.targets.base import Rendered, Target
from mlopsgen.targets.bentoml.target import BentoMLTarget
from mlopsgen.targets.cicd.target import CicdTarget
from mlopsgen.targets.core.target import CoreTarget, render_index
from mlopsgen.targets.feast.target import FeastTarget
from mlopsgen.targets.kubernetes.target import KubernetesTarget
from mlopsgen.targets.ops.target import OpsTarget
from mlopsgen.targets.terraform.target import TerraformTarget
from mlopsgen.targets.zenml.cluster import ClusterTarget
from mlopsgen.targets.zenml.target import ZenMLTarget

__all__ = ["INDEX_TARGET", "TARGETS", "Index", "merge_requirements", "render_stack"]

#: Every target, in the order they run. A new target is one more entry here.
TARGETS: tuple[Target, ...] = (
    CoreTarget(),
    ZenMLTarget(),
    ClusterTarget(),
    FeastTarget(),
    TerraformTarget(),
    KubernetesTarget(),
    BentoMLTarget(),
    CicdTarget(),
    OpsTarget(),
)

#: Renders the files that describe the whole stack, from every target's purposes, pins and
#: README sections.
Index = Callable[[Plan, Mapping[str, str], Sequence[str], Mapping[str, str]], Rendered]
INDEX_TARGET = "core"

_PACKAGE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


@dataclass
class _Stack:
    files: dict[str, str] = field(default_factory=dict)
    purposes: dict[str, str] = field(default_factory=dict)
    owner: dict[str, str] = field(default_factory=dict)
    pins: dict[str, frozenset[str]] = field(default_factory=dict)
    sections: dict[str, str] = field(default_factory=dict)

    def add(self, target: str, rendered: Rendered) -> None:
        for path in sorted(set(rendered.files) ^ set(rendered.purposes)):
            reason = "has no purpose" if path in rendered.files else "has a purpose but no text"
            raise RenderError(f"the file {reason}", target=target, path=path)
        for path in sorted(rendered.files):
            if path in self.files:
                raise RenderError(
                    f"targets {self.owner[path]!r} and {target!r} both produce {path}",
                    target=target,
                    path=path,
                    whole=True,
                )
            self.files[path] = rendered.files[path]
            self.purposes[path] = rendered.purposes[path]
            self.owner[path] = target
        self.pins[target] = self.pins.get(target, frozenset()) | rendered.requirements
        for heading, body in rendered.sections.items():
            if heading in self.sections:
                raise RenderError(
                    f"two targets write the README section {heading!r}", target=target, whole=True
                )
            self.sections[heading] = body


def render_stack(
    plan: Plan, targets: Sequence[Target] = TARGETS, index: Index = render_index
) -> dict[str, str]:
    """Every file of the stack, sorted by path.

    Args:
        plan: the plan to render.
        targets: the targets to run, in order; :data:`TARGETS` unless a caller adds its own.
        index: renders the stack-wide files (README, pyproject) after every target.

    Raises:
        RenderError: a target failed, two targets produce one path, or two pin one package
            differently.
    """
    stack = _Stack()
    for target in targets:
        stack.add(target.name, _run(target.name, target.render, plan))
    requirements = merge_requirements(stack.pins)
    purposes = dict(stack.purposes)
    sections = dict(stack.sections)
    stack.add(INDEX_TARGET, _run(INDEX_TARGET, index, plan, purposes, requirements, sections))
    return dict(sorted(stack.files.items()))


def _run(target: str, render: Callable[..., Rendered], *args: object) -> Rendered:
    """Call one target, turning whatever it raises into a RenderError that names it."""
    try:
        return render(*args)
    except RenderError as exc:
        raise exc.in_target(target) from exc
    except Exception as exc:  # a bug in a target: reported with its name, not as a traceback
        raise RenderError(f"{type(exc).__name__}: {exc}", target=target) from exc


def merge_requirements(by_target: Mapping[str, Iterable[str]]) -> list[str]:
    """The stack's pinned requirements: every target's pins, each package pinned once.

    Raises:
        RenderError: two targets pin one package to different versions or extras.
    """
    chosen: dict[str, tuple[str, str]] = {}
    for target in sorted(by_target):
        for pin in sorted(by_target[target]):
            match = _PACKAGE_NAME.match(pin)
            if match is None:
                raise RenderError(f"malformed requirement {pin!r}", target=target)
            name = re.sub(r"[-_.]+", "-", match.group(0)).lower()
            previous = chosen.setdefault(name, (pin, target))
            if previous[0] != pin:
                raise RenderError(
                    f"targets {previous[1]!r} and {target!r} pin {name} differently: "
                    f"{previous[0]} and {pin}",
                    target=target,
                    whole=True,
                )
    return sorted(pin for pin, _ in chosen.values())
