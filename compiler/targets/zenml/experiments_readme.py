"""The stack README's "Experiment read-out" section: how to analyse each planned experiment.

Only plans with experiments get the read-out package and this section. The text names each
experiment with its unit, metric and planned sample (from the Plan), the files the read-out
takes, and its exit codes, which ``pipelines/experiments/analysis.py`` defines.
"""

from __future__ import annotations

from mlopsgen.plan.ir.root import Plan
from mlopsgen.plan.ir.serving import ExperimentPlan
from mlopsgen.render.filters_markup import markdown_code, markdown_text

__all__ = ["EXPERIMENTS_HEADING", "experiments_section"]

EXPERIMENTS_HEADING = "Experiment read-out"

_FILES = """\
Inputs (JSON lines or parquet, by suffix):

- `--exposures`: the service's exposure lines, one per enrolled request: `experiment`,
  `variant`, `unit`, `prediction_id`, `at` (ISO-8601 UTC);
- `--outcomes`: one row per prediction: `prediction_id` and one column per metric (a rate
  metric is 0/1); every numeric column besides the experiment's metric is reported as a
  secondary metric;
- `--disagreements` (optional): the saturation sample, `experiment`, `prediction_id`, `unit`,
  `differs` (whether both arms' models decide differently on the request);
- `--covariates` (optional): `unit` and `pre_<metric>`, the unit's value before the
  experiment, which narrows the interval (CUPED).

Every variance is computed at the randomisation unit (per-unit sums and the delta method):
a unit's requests are not independent, and treating them as such overstates significance.
The report gives the absolute and relative lift with its interval at the plan's alpha, the
p-value, whether the planned sample was reached, the sample-ratio-mismatch check (chi-square
of units per arm against the planned split, blocking below p = 0.001), units seen in more
than one variant, and, with a disagreement sample, the disagreement rate, the lift on the
triggered requests beside the whole, and the sample and duration the measured rate implies
(n / rate² units per arm for the whole population).

Exit codes: 0 a valid read-out (verdict `win`, `loss`, `flat`, or `early` before the planned
sample), 2 an unusable input, 3 a sample-ratio mismatch blocks the read-out, 4 broken
assignment blocks it (more than 1 % of units in several variants, or unplanned variants).
`report.json` and `report.md` are written under `data/experiments/<name>/` (or `--out`)
unless the input is unusable."""


def _experiment_line(exp: ExperimentPlan) -> str:
    line = (
        f"- {markdown_code(exp.name)}: {markdown_text(exp.metric)} ({exp.metric_kind}) per "
        f"{markdown_code(exp.unit)}, {exp.sample_size_per_arm:,} units per arm, read out on "
        f"day {exp.readout_days:g}"
    )
    if exp.expected_disagreement is not None:
        line += (
            f"; the arms are expected to differ on {exp.expected_disagreement:.2%} of "
            f"requests, so that is {exp.triggered_sample_size_per_arm:,} units per arm "
            "divided by the rate squared, and the read-out warns when the measured rate "
            "is lower"
        )
    return line


def experiments_section(plan: Plan) -> str:
    """The section for a plan with experiments; empty when it has none."""
    experiments = plan.serving.experiments
    if not experiments:
        return ""
    lines = ["Read out an experiment from its logs:", "", "```sh"]
    lines += [
        f"python -m pipelines.experiments.analysis --experiment {exp.name} "
        "--exposures exposures.jsonl --outcomes outcomes.parquet"
        for exp in experiments
    ]
    lines += ["```", "", "Experiments:", ""]
    lines += [_experiment_line(exp) for exp in experiments]
    return "\n".join([*lines, "", _FILES]) + "\n"
