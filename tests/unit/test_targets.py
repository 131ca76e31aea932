"""The seam between the build and its targets: one interface, combined in one place.

A target written here, in the test, reaches the output, the manifest, the stack README and the
stack's pinned requirements without any other module knowing about it; two targets claiming
one path, a failing target and conflicting pins are clear errors and leave the disk alone.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

from mlopsgen.build import build_stack, compile_stack
from mlopsgen.expr import to_source
from mlopsgen.output.manifest import MANIFEST_NAME
from mlopsgen.plan.ir.root import Plan
from mlopsgen.render.environment import render_file
from mlopsgen.render.errors import RenderError
from mlopsgen.render.filters import markdown_text
from mlopsgen.targets.base import Rendered
from mlopsgen.targets.bentoml.rules import to_python
from mlopsgen.targets.registry import TARGETS, merge_requirements
from tests.conftest import SPECS

SPEC = SPECS / "fraud-detection.yaml"


@dataclass(frozen=True)
class Greeting:
    """A tiny target: one Markdown file naming the system, and one pin."""

    name: str = "greeting"
    path: str = "docs/hello.md"
    pin: str = "rich==15.0.0"

    heading: str = "Greeting"

    def render(self, plan: Plan) -> Rendered:
        text = f"# Hello from {markdown_text(plan.system.name)}\n"
        section = {self.heading: f"Read `{self.path}` first."}
        return Rendered(
            {self.path: text}, {self.path: "a greeting"}, frozenset({self.pin}), section
        )


@dataclass(frozen=True)
class Broken:
    """A target whose template is given too little context."""

    name: str = "broken"

    def render(self, plan: Plan) -> Rendered:
        text = render_file("Makefile.extra", "core/Makefile.j2", plan=plan)
        return Rendered({"Makefile.extra": text}, {"Makefile.extra": "never rendered"})


@dataclass(frozen=True)
class Crashing:
    """A target with a bug: it looks up a model the plan does not have."""

    name: str = "crashing"

    def render(self, plan: Plan) -> Rendered:
        plan.model("no-such-model")
        return Rendered({}, {})


def _disk(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_a_new_target_reaches_output_manifest_readme_and_pins(tmp_path: Path) -> None:
    out = tmp_path / "out"
    build_stack(SPEC, out, targets=(*TARGETS, Greeting()))
    assert (out / "docs/hello.md").read_text() == "# Hello from fraud-detection\n"
    manifest = json.loads((out / MANIFEST_NAME).read_text())
    assert "docs/hello.md" in manifest["files"]
    readme = (out / "README.md").read_text()
    assert "docs/hello.md" in readme and "a greeting" in readme
    pyproject = tomllib.loads((out / "pyproject.toml").read_text())
    assert "rich==15.0.0" in pyproject["project"]["dependencies"]
    assert "rich==15.0.0  # via " in (out / "constraints.txt").read_text()
    assert readme.endswith("\n\n## Greeting\n\nRead `docs/hello.md` first.\n")


def test_two_targets_writing_one_readme_section_is_an_error(tmp_path: Path) -> None:
    second = Greeting(name="second", path="docs/other.md")
    with pytest.raises(RenderError) as caught:
        compile_stack(SPEC, tmp_path / "out", targets=(*TARGETS, Greeting(), second))
    assert str(caught.value) == "two targets write the README section 'Greeting'"


def test_without_the_new_target_its_file_and_readme_line_are_gone(tmp_path: Path) -> None:
    tree = compile_stack(SPEC, tmp_path / "out").tree
    assert "docs/hello.md" not in tree and "a greeting" not in tree["README.md"]


@pytest.mark.parametrize("path", ["Makefile", "README.md", "pyproject.toml"])
def test_two_targets_writing_one_path_is_an_error(path: str, tmp_path: Path) -> None:
    with pytest.raises(RenderError) as caught:
        compile_stack(SPEC, tmp_path / "out", targets=(*TARGETS, Greeting(path=path)))
    assert str(caught.value) in (
        f"targets 'core' and 'greeting' both produce {path}",
        f"targets 'greeting' and 'core' both produce {path}",
    )
    assert caught.value.path == path


def test_a_failing_target_is_named_with_its_file_and_nothing_is_written(tmp_path: Path) -> None:
    out = tmp_path / "out"
    build_stack(SPEC, out)
    before = _disk(out)
    with pytest.raises(RenderError) as caught:
        build_stack(SPEC, out, targets=(*TARGETS, Broken()))
    assert caught.value.target == "broken" and caught.value.path == "Makefile.extra"
    assert "target 'broken' cannot render Makefile.extra: UndefinedError" in str(caught.value)
    assert _disk(out) == before
    fresh = tmp_path / "fresh"
    with pytest.raises(RenderError):
        build_stack(SPEC, fresh, targets=(Broken(), *TARGETS))
    assert not fresh.exists()


def test_a_target_bug_becomes_a_render_error_naming_the_target(tmp_path: Path) -> None:
    with pytest.raises(RenderError, match="target 'crashing' failed: KeyError"):
        compile_stack(SPEC, tmp_path / "out", targets=(*TARGETS, Crashing()))


def test_two_targets_pinning_one_package_differently_is_an_error(tmp_path: Path) -> None:
    targets = (*TARGETS, Greeting(pin="zenml[local]==0.1"))
    with pytest.raises(RenderError, match=r"pin zenml differently: zenml\[local\]==0\.98\.0 and"):
        compile_stack(SPEC, tmp_path / "out", targets=targets)


def test_merged_pins_are_sorted_and_each_package_once() -> None:
    merged = merge_requirements(
        {"a": {"zenml[local]==0.98.0", "feast==0.67.0"}, "b": {"feast==0.67.0", "Rich==14.0"}}
    )
    assert merged == ["Rich==14.0", "feast==0.67.0", "zenml[local]==0.98.0"]
    with pytest.raises(RenderError, match="pin rich differently"):
        merge_requirements({"a": {"rich==14.0"}, "b": {"Rich==13.0"}})


def test_a_file_without_a_purpose_is_an_error(tmp_path: Path) -> None:
    @dataclass(frozen=True)
    class Silent:
        name: str = "silent"

        def render(self, plan: Plan) -> Rendered:
            return Rendered({"notes.txt": "x\n"}, {})

    with pytest.raises(
        RenderError, match=r"target .silent. cannot render notes\.txt: .*no purpose"
    ):
        compile_stack(SPEC, tmp_path / "out", targets=(*TARGETS, Silent()))


def test_the_plan_carries_rules_as_trees_a_target_emits(tmp_path: Path) -> None:
    engine = compile_stack(SPEC, tmp_path / "out").plan.serving.decision
    assert engine is not None and engine.rules
    for rule in engine.rules:
        assert to_source(rule.expr) == rule.canonical
        compile(to_python(rule.expr, lambda name: f"row[{name!r}]"), rule.name, "eval")


def test_a_target_renders_with_its_own_filters_and_errors_name_the_file() -> None:
    from mlopsgen.render import environment
    from mlopsgen.targets.literals import FILTERS as PYTHON_FILTERS

    env = environment._environment_with(tuple(sorted(PYTHON_FILTERS.items())))
    assert env.from_string("x = {{ s | py }}").render(s='a"\nb') == "x = 'a\"\\nb'"
    with pytest.raises(RenderError) as caught:
        environment.render_file_with(PYTHON_FILTERS, "x.py", "no/such/template.j2")
    assert caught.value.path == "x.py"
