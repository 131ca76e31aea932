"""Command line of the experiment read-out: files in, ``report.json`` and ``report.md`` out.

``python -m pipelines.experiments.analysis --experiment NAME --exposures PATH --outcomes PATH
[--disagreements PATH] [--covariates PATH] [--out DIR]``. Exit codes: 0 a valid read-out
(whatever its verdict), 2 an input the read-out cannot use, 3 a sample-ratio mismatch blocks
it, 4 broken assignment (units in several variants, or unplanned variants) blocks it. The
report is written in every case but 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from pipelines.experiments.design import experiment_design, metric_directions
from pipelines.experiments.logs import (
    LogError,
    read_covariates,
    read_disagreements,
    read_exposures,
    read_outcomes,
)
from pipelines.experiments.readout import EXIT_INPUT, Readout, analyse
from pipelines.experiments.report import as_json, as_markdown
from pipelines.stack_plan import load_plan, stack_root

__all__ = ["main", "read_out"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m pipelines.experiments.analysis",
        description="Read out an A/B experiment of the plan from its logs.",
    )
    parser.add_argument("--experiment", required=True, help="the plan's experiment name")
    parser.add_argument("--exposures", type=Path, required=True, help="exposure log")
    parser.add_argument("--outcomes", type=Path, required=True, help="outcome per prediction")
    parser.add_argument("--disagreements", type=Path, help="saturation sample")
    parser.add_argument("--covariates", type=Path, help="pre_<metric> per unit (CUPED)")
    parser.add_argument("--out", type=Path, help="report directory (data/experiments/NAME)")
    parser.add_argument("--plan", type=Path, help="directory holding plan.json (the stack)")
    return parser


def read_out(args: argparse.Namespace) -> Readout:
    """Load the plan's experiment and the files ``args`` name, and analyse them.

    Raises:
        LogError: an input file is unusable, or the plan has no such experiment.
    """
    plan = load_plan(args.plan)
    try:
        design = experiment_design(plan, args.experiment)
    except KeyError as exc:
        raise LogError(str(exc.args[0])) from exc
    outcomes = read_outcomes(args.outcomes, design.metric)
    covariates = None
    if args.covariates is not None:
        covariates = {design.metric: read_covariates(args.covariates, design.metric)}
    disagreements = None
    if args.disagreements is not None:
        disagreements = read_disagreements(args.disagreements, design.name)
    return analyse(
        design,
        read_exposures(args.exposures, design.name),
        outcomes,
        directions=metric_directions(plan),
        disagreements=disagreements,
        covariates=covariates,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the read-out, write both reports, print the verdict; return the exit code."""
    args = _parser().parse_args(argv)
    try:
        readout = read_out(args)
    except LogError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    root = args.plan if args.plan is not None else stack_root()
    out = args.out if args.out is not None else root / "data" / "experiments" / args.experiment
    out.mkdir(parents=True, exist_ok=True)
    report = as_json(readout)
    (out / "report.json").write_text(
        json.dumps(report, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    (out / "report.md").write_text(as_markdown(readout), encoding="utf-8")
    print(f"experiment {args.experiment}: {readout.verdict} ({out / 'report.md'})")
    for reason in readout.reasons:
        print(f"  {reason}")
    return readout.exit_code


if __name__ == "__main__":
    sys.exit(main())
