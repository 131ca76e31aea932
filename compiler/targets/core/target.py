"""The core target: what every stack has whatever its models.

``render`` produces ``plan.json`` (the resolved plan) and the ``Makefile``; ``render_index``
runs after every target and produces the stack-wide files that describe all of them: the
``README.md`` (what was generated and why, listing every file with its purpose), the
``pyproject.toml`` (with the pins every target asked for, merged by the registry) and
``constraints.txt`` (the part of the stack lock those pins install, see :mod:`.lock`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from mlopsgen import __version__
from mlopsgen.plan.ir.root import Plan
from mlopsgen.plan.report import plan_json
from mlopsgen.render.environment import render_file
from mlopsgen.render.header import generated_header
from mlopsgen.targets.base import Rendered
from mlopsgen.targets.core.lock import constraints_for
from mlopsgen.targets.core.views import (
    FILE_PURPOSES,
    REQUIRES_PYTHON,
    cost_summary,
    decision_rows,
    deploy_summary,
    diagram,
    install_note,
    key_figures,
    local_profile,
    requirements,
)

__all__ = ["CoreTarget", "render_index"]

CONSTRAINTS_PREAMBLE = (
    "# Exact versions of every package the requirements in pyproject.toml install, from the",
    "# stack lock mlopsgen ships. `make install` and `mlopsgen run` install with",
    "# `pip install -c constraints.txt`; each line names the requirements that pull it in.",
)
INDEX_FILES = ("README.md", "constraints.txt", "pyproject.toml")


def _header(plan: Plan, prefix: str, suffix: str = "") -> str:
    return generated_header(
        prefix, __version__, plan.system.spec_sha256, comment_suffix=suffix
    ).rstrip("\n")


#: What running the stack writes into it (environments, state, data, stores): never committed.
GITIGNORE = """\
# What running the stack writes here: its virtualenv, ZenML's and mlopsgen's state (the
# BentoML store included), the synthetic and feature data, and Python's caches.
.venv/
.zenml/
.mlopsgen/
data/
__pycache__/
*.egg-info/
"""


@dataclass(frozen=True)
class CoreTarget:
    """``plan.json`` and the ``Makefile``; the index files come from :func:`render_index`."""

    name: str = "core"

    def render(self, plan: Plan) -> Rendered:
        """The plan as JSON and the stack's Makefile.

        The requirements are those of the pipelines, services and feature store the stack
        will hold; they move to the targets that generate those files as each one arrives.
        """
        files = {
            "plan.json": plan_json(plan),
            "Makefile": render_file(
                "Makefile",
                "core/Makefile.j2",
                header=_header(plan, "#"),
                plan=plan,
                spec_file=plan.system.spec_file,
                install_note=install_note(plan),
            ),
            ".gitignore": _header(plan, "#") + "\n" + GITIGNORE,
        }
        purposes = {path: FILE_PURPOSES[path] for path in files}
        return Rendered(files, purposes, frozenset(requirements(plan)))


def render_index(
    plan: Plan,
    purposes: Mapping[str, str],
    pins: Sequence[str],
    sections: Mapping[str, str] | None = None,
) -> Rendered:
    """README.md, pyproject.toml, constraints.txt: from every target's purposes, pins, sections.

    Args:
        plan: the plan being rendered.
        purposes: one line per file every target produced, keyed by path.
        pins: the stack's requirements, already merged across targets.
        sections: Markdown README sections from the targets, keyed by heading, in order.
    """
    own = {path: FILE_PURPOSES[path] for path in INDEX_FILES}
    listed = {**purposes, **own}
    files = [{"path": path, "purpose": listed[path]} for path in sorted(listed)]
    pyproject = render_file(
        "pyproject.toml",
        "core/pyproject.toml.j2",
        header=_header(plan, "#"),
        plan=plan,
        project_name=f"{plan.system.name}-stack",
        requirements=list(pins),
        requires_python=REQUIRES_PYTHON,
    )
    constraints = constraints_for(pins)
    constraints_text = "\n".join(
        [
            _header(plan, "#"),
            *CONSTRAINTS_PREAMBLE,
            *(f"{entry.pin}  # via {', '.join(sorted(entry.roots))}" for entry in constraints),
        ]
    )
    readme = render_file(
        "README.md",
        "core/README.md.j2",
        header=_header(plan, "<!--", "-->"),
        plan=plan,
        version=__version__,
        files=files,
        diagram=diagram(plan),
        figures=key_figures(plan),
        decisions=decision_rows(plan),
        local_profile=local_profile(plan),
        install_note=install_note(plan, len(constraints)),
        requires_python=REQUIRES_PYTHON,
        deploy_summary=deploy_summary(plan),
        cost_summary=cost_summary(plan),
        sections=[{"heading": h, "body": b.strip("\n")} for h, b in (sections or {}).items()],
        explain_command=f"mlopsgen plan {plan.system.spec_file} --explain NAME",
        run_command=f"mlopsgen run {plan.system.spec_file}",
    )
    index = {
        "pyproject.toml": pyproject,
        "README.md": readme,
        "constraints.txt": constraints_text + "\n",
    }
    return Rendered(index, own)
