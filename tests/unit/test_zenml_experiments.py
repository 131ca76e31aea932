"""The experiment read-out: which stacks get ``pipelines/experiments/``, and its README section."""

from __future__ import annotations

import ast

from mlopsgen.targets.zenml.experiments_readme import EXPERIMENTS_HEADING, experiments_section
from mlopsgen.targets.zenml.target import EXPERIMENTS_DIR, ZenMLTarget, static_files
from tests.unit.plan_support import FRAUD, NLP, RECOMMENDATION, plan, variant

MODULES = (
    "analysis",
    "assignment",
    "design",
    "estimates",
    "logs",
    "readout",
    "report",
    "saturation",
)


def test_a_plan_with_experiments_gets_every_read_out_module() -> None:
    rendered = ZenMLTarget().render(plan(FRAUD))
    for module in ("__init__", *MODULES):
        path = f"{EXPERIMENTS_DIR}{module}.py"
        assert path in rendered.files, path
        assert rendered.purposes[path].strip()
    templates = [p for p in static_files() if p.startswith(EXPERIMENTS_DIR)]
    assert sorted(templates) == sorted(p for p in rendered.files if p.startswith(EXPERIMENTS_DIR))


def test_a_plan_without_experiments_gets_neither_package_nor_section() -> None:
    assert not plan(NLP).serving.experiments
    rendered = ZenMLTarget().render(plan(NLP))
    assert not [p for p in rendered.files if p.startswith(EXPERIMENTS_DIR)]
    assert EXPERIMENTS_HEADING not in rendered.sections
    assert experiments_section(plan(NLP)) == ""


def test_removing_the_experiments_of_a_spec_removes_the_read_out() -> None:
    outcome = variant(FRAUD, [(("serving", "experiments"), [])])
    assert outcome.plan is not None
    rendered = ZenMLTarget().render(outcome.plan)
    assert not [p for p in rendered.files if p.startswith(EXPERIMENTS_DIR)]
    assert EXPERIMENTS_HEADING not in rendered.sections


def test_the_section_runs_each_experiment_and_states_its_planned_sample() -> None:
    for stem in (FRAUD, RECOMMENDATION):
        current = plan(stem)
        section = ZenMLTarget().render(current).sections[EXPERIMENTS_HEADING]
        for exp in current.serving.experiments:
            assert f"python -m pipelines.experiments.analysis --experiment {exp.name} " in section
            assert f"{exp.sample_size_per_arm:,} units per arm" in section
            assert f"per `{exp.unit}`" in section


def test_the_section_states_the_exit_codes_the_command_line_returns() -> None:
    files = static_files()
    source = files[f"{EXPERIMENTS_DIR}readout.py"]
    codes = {
        node.targets[0].id: ast.literal_eval(node.value)
        for node in ast.parse(source).body
        if isinstance(node, ast.Assign)
        and isinstance(node.targets[0], ast.Name)
        and node.targets[0].id.startswith("EXIT_")
    }
    assert codes == {"EXIT_VALID": 0, "EXIT_INPUT": 2, "EXIT_SRM": 3, "EXIT_ASSIGNMENT": 4}
    section = experiments_section(plan(FRAUD))
    assert "Exit codes: 0 a valid read-out" in section
    assert "2 an unusable input, 3 a sample-ratio mismatch" in section
    assert "4 broken\nassignment" in section


def test_the_section_states_an_expected_disagreement_and_the_undiluted_sample() -> None:
    outcome = variant(FRAUD, [(("serving", "experiments", 0, "expected_disagreement_percent"), 2)])
    assert outcome.plan is not None
    section = experiments_section(outcome.plan)
    assert "9,811,100,000 units per arm" in section
    assert "expected to differ on 2.00% of requests" in section
    assert "3,924,440 units per arm divided by the rate squared" in section
    assert "expected to differ" not in experiments_section(plan(FRAUD))
