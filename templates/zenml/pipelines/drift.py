"""The drift check: ``python -m pipelines.drift [--window-end ISO] [--no-retrain] [--rows N]``.

Run from the stack root, by hand or every ``training.trigger_check_cron`` (also reachable as
``python -m pipelines.run --pipeline drift``). The ZenML pipeline ``drift``
(``pipelines/monitoring/pipeline.py``) reads the request
inputs the service sampled into its prediction log over the plan's last drift window, scores
each trainable model's inputs against the rows its production version was trained on (the
spec's method and bands, see ``pipelines/monitoring/``), counts the labels that arrived since
each model's last training, keeps the report as the ``drift_report`` artifact and writes
``.mlopsgen/metrics/drift.prom``. Then, unless ``--no-retrain``, the models the plan's
triggers name are retrained through :func:`pipelines.triggers.retrain`: the gates decide what
is promoted. The report is also written to ``.mlopsgen/last-drift.json``.

Exit codes: 0 nothing to retrain, or retrained and promoted; 3 retrained but a gate kept a
candidate out; 4 the check or the retraining failed.
"""

from __future__ import annotations

import argparse
import json
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pipelines.run import EXIT_FAILED, EXIT_PROMOTED, configure_environment, use_stack_source_root
from pipelines.stack_plan import stack_root

__all__ = ["LAST_DRIFT", "check", "main"]

LAST_DRIFT = Path(".mlopsgen") / "last-drift.json"


def _print(report: dict[str, Any]) -> None:
    for entry in report["models"]:
        score = entry["max_score"]
        shown = f"{score:.4g} on {entry['max_feature']}" if score is not None else "no score"
        print(
            f"{entry['model']}: {entry['verdict']} ({entry['method']} {shown}, "
            f"{entry['rows']} rows, {entry['sample_rows']} needed)"
        )
    for model, reasons in report["retrain"].items():
        for reason in reasons:
            print(f"{model}: retrain, {reason}")


def _write(root: Path, report: dict[str, Any]) -> None:
    path = root / LAST_DRIFT
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def check(window_end: str = "", retrain: bool = True, rows: int = 0) -> int:
    """Run the drift pipeline, then retrain what it names; the exit code (see above)."""
    root = stack_root()
    configure_environment(root)
    use_stack_source_root(root)
    # imported once ZenML is configured for this stack
    from pipelines.monitoring.pipeline import PIPELINE, PIPELINE_NAME

    try:
        run = PIPELINE(window_end=window_end)
        if run is None:
            raise RuntimeError("the orchestrator returned no run to read the report from")
        report: dict[str, Any] = run.steps["drift_decision"].outputs["drift_report"][0].load()
    except Exception as error:  # noqa: BLE001 - reported, the exit code says it failed
        traceback.print_exc()
        print(f"pipeline {PIPELINE_NAME} failed: {error}", file=sys.stderr)
        return EXIT_FAILED
    _print(report)
    code = EXIT_PROMOTED
    models = sorted(report["retrain"])
    if retrain and models:
        from pipelines.triggers import retrain as start_retraining

        reason = "; ".join(f"{m}: {r}" for m in models for r in report["retrain"][m])
        code = start_retraining(reason, models, rows=rows)
    report["retraining"] = {"models": models if retrain else [], "exit_code": code}
    _write(root, report)
    return code


def main(argv: Sequence[str] | None = None) -> int:
    """The command line (see the module docstring)."""
    parser = argparse.ArgumentParser(prog="python -m pipelines.drift", description=__doc__)
    parser.add_argument("--window-end", default="", help="ISO time the window ends (now)")
    parser.add_argument("--no-retrain", action="store_true", help="report, never retrain")
    parser.add_argument("--rows", type=int, default=0, help="rows of a synthetic retraining")
    args = parser.parse_args(argv)
    return check(args.window_end, retrain=not args.no_retrain, rows=args.rows)


if __name__ == "__main__":
    sys.exit(main())
