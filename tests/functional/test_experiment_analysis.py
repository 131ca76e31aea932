"""The experiment read-out of the fraud stack, run for real on synthetic logs clustered by user.

The test builds the fraud-detection stack (its plan has the experiment ``lgbm_heavier``: fraud
loss per user, 90/10 split, alpha 0.05, direction decrease) and runs
``pipelines.experiments`` in the stack's interpreter on logs generated there by
``experiment_logs.py``: users with a random per-user level and several requests each, so a
user's requests are correlated as real users' are. A known effect must be found with an
interval covering it; without an effect, wins must be no more frequent than alpha allows
over many seeds; the same data read as independent requests must look more certain than it
is; a broken split must block the read-out; a treatment that agrees with control on 98 % of
requests must be reported as saturated; a correlated pre-period covariate must narrow the
interval.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from mlopsgen.build import build_stack
from tests.conftest import SPECS
from tests.functional.stack_env import run_in_stack, run_json, stack_python

pytestmark = pytest.mark.slow

GENERATOR = Path(__file__).with_name("experiment_logs.py").read_text(encoding="utf-8")
EXPERIMENT = "lgbm_heavier"
ALPHA = 0.05
SEEDS = 200
#: Three binomial standard deviations over SEEDS read-outs.
TOLERANCE = 3 * math.sqrt(ALPHA * (1 - ALPHA) / SEEDS)
PLANNED_SAMPLE = 3924440
PLANNED_SPLIT = {"control": 90.0, "treatment": 10.0}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    stack_python()
    root = tmp_path_factory.mktemp("experiments") / "fraud"
    build_stack(SPECS / "fraud-detection.yaml", root)
    plan = json.loads((root / "plan.json").read_text(encoding="utf-8"))
    exp = plan["serving"]["experiments"][0]
    assert exp["name"] == EXPERIMENT and exp["alpha"] == ALPHA
    assert exp["sample_size_per_arm"] == PLANNED_SAMPLE
    assert {v["name"]: v["split_percent"] for v in exp["variants"]} == PLANNED_SPLIT
    return root


def _in_stack(stack: Path, body: str) -> Any:
    """Run the log generator and ``body`` in the stack; ``body`` prints one JSON line."""
    prelude = (
        "import json\n"
        "from pipelines.stack_plan import load_plan\n"
        "from pipelines.experiments.design import experiment_design\n"
        "from pipelines.experiments.readout import analyse\n"
        f"DESIGN = experiment_design(load_plan(), {EXPERIMENT!r})\n"
    )
    return run_json(stack, GENERATOR + "\n" + prelude + body)


def _write_logs(stack: Path, folder: Path, call: str) -> None:
    """Write the logs ``clustered_logs(call)`` makes as JSON lines and parquet files."""
    body = (
        f"logs = clustered_logs({call})\n"
        f"out = __import__('pathlib').Path({str(folder)!r})\n"
        "out.mkdir(parents=True, exist_ok=True)\n"
        "logs.exposures.to_json(out / 'exposures.jsonl', orient='records', lines=True)\n"
        "logs.outcomes.to_parquet(out / 'outcomes.parquet')\n"
        "logs.covariates.to_parquet(out / 'covariates.parquet')\n"
        "logs.disagreements.to_json(out / 'disagreements.jsonl', orient='records', lines=True)\n"
        "print(json.dumps(len(logs.exposures)))\n"
    )
    assert _in_stack(stack, body) > 0


def _read_out(
    stack: Path, folder: Path, *extra: str, plan: Path | None = None
) -> tuple[int, dict[str, Any]]:
    """Run the command line on ``folder``'s logs: its exit code and ``report.json``."""
    args = [
        "-m",
        "pipelines.experiments.analysis",
        "--experiment",
        EXPERIMENT,
        "--exposures",
        str(folder / "exposures.jsonl"),
        "--outcomes",
        str(folder / "outcomes.parquet"),
        "--out",
        str(folder / "report"),
        *extra,
    ]
    if plan is not None:
        args += ["--plan", str(plan)]
    done = run_in_stack(stack, args, check=False)
    assert done.returncode in (0, 3, 4), done.stderr[-4000:]
    report = json.loads((folder / "report" / "report.json").read_text(encoding="utf-8"))
    assert (
        (folder / "report" / "report.md")
        .read_text(encoding="utf-8")
        .startswith(f"# Experiment {EXPERIMENT}: {report['verdict']}")
    )
    return done.returncode, report


def _small_plan(stack: Path, folder: Path, sample: int) -> Path:
    """A copy of the stack's plan whose experiment needs only ``sample`` units per arm."""
    plan = json.loads((stack / "plan.json").read_text(encoding="utf-8"))
    plan["serving"]["experiments"][0]["sample_size_per_arm"] = sample
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "plan.json").write_text(json.dumps(plan), encoding="utf-8")
    return folder


def _primary(report: dict[str, Any]) -> dict[str, Any]:
    metric = next(m for m in report["metrics"] if m["primary"])
    assert metric["metric"] == "fraud_loss_usd" and metric["direction"] == "decrease"
    comparison: dict[str, Any] = metric["comparisons"][0]
    assert comparison["treatment"] == "treatment"
    return comparison


def test_a_known_effect_is_found_with_an_interval_covering_it(stack: Path, tmp_path: Path) -> None:
    _write_logs(stack, tmp_path, "7, users=12000, effect=-0.8")
    plan = _small_plan(stack, tmp_path / "plan", 1000)
    code, report = _read_out(stack, tmp_path, plan=plan)
    assert code == 0
    assert report["verdict"] == "win", report["reasons"]
    assert report["sample_size_reached"] is True
    assert report["sample_ratio"]["mismatch"] is False
    whole = _primary(report)["whole"]
    assert whole["method"] == "delta method on ΣS/ΣN"
    low, high = whole["absolute_ci"]
    assert low < -0.8 < high < 0
    assert whole["p_value"] < ALPHA
    low, high = whole["relative_ci"]
    assert low < -0.8 / whole["control"]["value"] < high
    assert report["window"][0].startswith("2026-11-0")


def test_the_planned_sample_not_reached_reads_early_not_win(stack: Path, tmp_path: Path) -> None:
    _write_logs(stack, tmp_path, "7, users=12000, effect=-0.8")
    code, report = _read_out(stack, tmp_path)
    assert code == 0
    assert report["verdict"] == "early"
    assert report["sample_size_reached"] is False
    assert _primary(report)["outcome"] == "win"


def test_no_effect_gives_no_more_false_wins_than_alpha_over_many_seeds(stack: Path) -> None:
    body = f"""
wins = significant = naive = covered = 0
for seed in range({SEEDS}):
    logs = clustered_logs(1000 + seed, users=1500)
    lift = analyse(DESIGN, logs.exposures, logs.outcomes).metrics[0].comparisons[0].lift
    significant += lift.p_value < {ALPHA}
    wins += lift.p_value < {ALPHA} and lift.absolute < 0
    low, high = lift.absolute_ci
    covered += low <= 0 <= high
    low, high = lift.request_level_ci
    naive += not low <= 0 <= high
print(json.dumps([wins, significant, covered, naive]))
"""
    wins, significant, covered, naive = _in_stack(stack, body)
    assert wins / SEEDS <= ALPHA / 2 + TOLERANCE
    assert significant / SEEDS <= ALPHA + TOLERANCE
    assert covered / SEEDS >= 1 - ALPHA - TOLERANCE
    # The same data with requests taken as independent: far more "significant" results.
    assert naive / SEEDS > 3 * ALPHA


def test_the_unit_level_interval_is_wider_than_one_treating_requests_as_independent(
    stack: Path,
) -> None:
    body = """
from scipy import stats
DESIGN_ARMS = ("control", "treatment")
logs = clustered_logs(11, users=6000)
rows = logs.exposures.merge(logs.outcomes, on="prediction_id")
lift = analyse(DESIGN, logs.exposures, logs.outcomes).metrics[0].comparisons[0].lift
values = {arm: rows.loc[rows["variant"] == arm, "fraud_loss_usd"] for arm in DESIGN_ARMS}
naive = stats.ttest_ind(values["treatment"], values["control"], equal_var=False)
low, high = naive.confidence_interval(0.95)
print(json.dumps({
    "unit": list(lift.absolute_ci), "naive": [float(low), float(high)],
    "reported_naive": list(lift.request_level_ci), "design_effect": lift.design_effect,
}))
"""
    out = _in_stack(stack, body)
    unit = out["unit"][1] - out["unit"][0]
    naive = out["naive"][1] - out["naive"][0]
    assert unit > 1.5 * naive
    assert out["design_effect"] > 2
    assert out["reported_naive"] == pytest.approx(out["naive"], rel=1e-3)


def test_a_broken_split_is_a_sample_ratio_mismatch_that_blocks_the_read_out(
    stack: Path, tmp_path: Path
) -> None:
    _write_logs(stack, tmp_path / "broken", "3, users=20000, split=(0.85, 0.15), effect=-0.8")
    plan = _small_plan(stack, tmp_path / "plan", 1000)
    code, report = _read_out(stack, tmp_path / "broken", plan=plan)
    assert code == 3
    assert report["verdict"] == "blocked" and report["exit_code"] == 3
    assert report["sample_ratio"]["mismatch"] is True
    assert report["sample_ratio"]["p_value"] < 0.001
    assert report["sample_ratio"]["expected"]["treatment"] == pytest.approx(2000)
    # The estimates are still shown, for diagnosis.
    assert _primary(report)["whole"] is not None
    _write_logs(stack, tmp_path / "healthy", "3, users=20000, effect=-0.8")
    code, report = _read_out(stack, tmp_path / "healthy", plan=plan)
    assert code == 0 and report["sample_ratio"]["mismatch"] is False


def test_units_exposed_in_two_variants_are_reported_left_out_and_block(
    stack: Path, tmp_path: Path
) -> None:
    body = f"""
import pandas as pd
logs = clustered_logs(5, users=4000)
crossed = logs.exposures[logs.exposures["variant"] == "control"].drop_duplicates("unit").head(80)
moved = crossed.assign(variant="treatment", prediction_id=crossed["prediction_id"] + "x")
out = __import__("pathlib").Path({str(tmp_path)!r})
pd.concat([logs.exposures, moved]).to_json(out / "exposures.jsonl", orient="records", lines=True)
logs.outcomes.to_parquet(out / "outcomes.parquet")
print(json.dumps(sorted(crossed["unit"])))
"""
    crossed = _in_stack(stack, body)
    code, report = _read_out(stack, tmp_path)
    assert code == 4
    assert report["verdict"] == "blocked"
    assert report["assignment"]["crossed_units"] == len(crossed) == 80
    assert set(report["assignment"]["crossed_examples"]) <= set(crossed)
    assert (
        report["units_with_outcome"]["control"] + report["units_with_outcome"]["treatment"]
        == report["assignment"]["units"] - 80
    )


def test_a_treatment_agreeing_on_98_percent_of_requests_is_reported_saturated(
    stack: Path, tmp_path: Path
) -> None:
    _write_logs(stack, tmp_path, "13, users=20000, effect=1.5, disagree=0.02")
    code, report = _read_out(
        stack, tmp_path, "--disagreements", str(tmp_path / "disagreements.jsonl")
    )
    assert code == 0
    saturation = report["saturation"]
    assert saturation["saturated"] is True
    rate = saturation["rate"]
    low, high = saturation["rate_ci"]
    assert low < 0.02 < high < 0.1
    assert saturation["whole"]["units_per_arm"] == math.ceil(PLANNED_SAMPLE / rate**2)
    assert saturation["triggered"]["units_per_arm"] == math.ceil(PLANNED_SAMPLE / rate)
    assert saturation["whole"]["reachable"] is False
    assert any(w.startswith("saturated") for w in saturation["warnings"])
    assert any(w.startswith("unreachable: the whole") for w in saturation["warnings"])
    comparison = _primary(report)
    triggered = comparison["triggered"]
    low, high = triggered["absolute_ci"]
    assert 0 < low < 1.5 < high
    assert triggered["treatment"]["requests"] < 0.05 * comparison["whole"]["treatment"]["requests"]
    _write_logs(stack, tmp_path / "half", "13, users=4000, effect=1.5, disagree=0.5")
    folder = tmp_path / "half"
    _, report = _read_out(stack, folder, "--disagreements", str(folder / "disagreements.jsonl"))
    assert report["saturation"]["saturated"] is False


def test_a_correlated_pre_period_covariate_narrows_the_interval(
    stack: Path, tmp_path: Path
) -> None:
    _write_logs(stack, tmp_path, "17, users=12000, effect=-0.8")
    _, plain = _read_out(stack, tmp_path)
    _, adjusted = _read_out(stack, tmp_path, "--covariates", str(tmp_path / "covariates.parquet"))
    before, after = _primary(plain)["whole"], _primary(adjusted)["whole"]
    assert after["method"] == "delta method on ΣS/ΣN with CUPED"
    assert after["variance_reduction"] > 0.3
    width = after["absolute_ci"][1] - after["absolute_ci"][0]
    assert width < 0.85 * (before["absolute_ci"][1] - before["absolute_ci"][0])
    assert after["absolute_ci"][0] < -0.8 < after["absolute_ci"][1]


def test_a_rate_with_one_trial_per_unit_takes_the_two_proportion_test(stack: Path) -> None:
    body = """
import dataclasses
rate = dataclasses.replace(DESIGN, metric_kind="rate", direction="increase")
single = clustered_logs(21, users=8000, split=(0.5, 0.5), base=0.3, effect=0.05,
                        user_sd=0.1, mean_requests=1.0, rate=True)
several = clustered_logs(21, users=8000, split=(0.5, 0.5), base=0.3, effect=0.05,
                         user_sd=0.1, mean_requests=6.0, rate=True)
rows = single.exposures.merge(single.outcomes, on="prediction_id")
counts = {arm: [int(rows.loc[rows["variant"] == arm, "fraud_loss_usd"].sum()),
                int((rows["variant"] == arm).sum())] for arm in ("control", "treatment")}
out = {}
for name, logs in (("single", single), ("several", several)):
    readout = analyse(rate, logs.exposures, logs.outcomes)
    lift = readout.metrics[0].comparisons[0]
    out[name] = {"method": lift.lift.method, "ci": list(lift.lift.absolute_ci),
                 "p": lift.lift.p_value, "outcome": lift.outcome}
out["counts"] = counts
print(json.dumps(out))
"""
    out = _in_stack(stack, body)
    (x_c, n_c), (x_t, n_t) = out["counts"]["control"], out["counts"]["treatment"]
    p_c, p_t = x_c / n_c, x_t / n_t
    se = math.sqrt(p_c * (1 - p_c) / n_c + p_t * (1 - p_t) / n_t)
    pooled = (x_c + x_t) / (n_c + n_t)
    z = (p_t - p_c) / math.sqrt(pooled * (1 - pooled) * (1 / n_c + 1 / n_t))
    single = out["single"]
    assert single["method"] == "two-proportion z-test"
    assert single["ci"] == pytest.approx([p_t - p_c - 1.959964 * se, p_t - p_c + 1.959964 * se])
    assert single["p"] == pytest.approx(math.erfc(abs(z) / math.sqrt(2)), rel=1e-6)
    assert single["ci"][0] < 0.05 < single["ci"][1]
    assert single["outcome"] == "win"
    several = out["several"]
    assert several["method"] == "delta method on ΣS/ΣN"
    assert several["ci"][0] < 0.05 < several["ci"][1]


def test_a_plan_expecting_more_disagreement_than_measured_is_warned_about(
    stack: Path, tmp_path: Path
) -> None:
    plan = json.loads((stack / "plan.json").read_text(encoding="utf-8"))
    exp = plan["serving"]["experiments"][0]
    # As the Plan sizes a spec stating expected_disagreement_percent: 20.
    exp.update(expected_disagreement=0.2, sample_size_per_arm=98111000)
    (tmp_path / "plan").mkdir()
    (tmp_path / "plan" / "plan.json").write_text(json.dumps(plan), encoding="utf-8")
    _write_logs(stack, tmp_path, "19, users=8000, disagree=0.02")
    _, report = _read_out(
        stack,
        tmp_path,
        "--disagreements",
        str(tmp_path / "disagreements.jsonl"),
        plan=tmp_path / "plan",
    )
    saturation = report["saturation"]
    assert saturation["expected"] == 0.2
    # The undiluted sample is the plan's triggered one, not its whole-population one.
    assert saturation["triggered"]["units_per_arm"] == math.ceil(
        PLANNED_SAMPLE / saturation["rate"]
    )
    assert any("less often than planned" in w for w in saturation["warnings"])
