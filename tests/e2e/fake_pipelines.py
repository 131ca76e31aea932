"""A stand-in for a stack's ``pipelines/run.py`` that follows the stack contract exactly.

It lets the tests of ``mlopsgen run`` drive the whole path (build, environment, subprocess,
events, result, exit code) without ZenML: it appends the progress events ``MLOPSGEN_EVENTS``
asks for, writes ``.mlopsgen/last-run.json`` and exits 0, 3 or 4 as the real entry point
does. ``FAKE_OUTCOME`` picks the outcome (``promoted``, ``kept_out``, ``failed``, ``crash``:
exit 4 without a result). It records its arguments and the ZenML variables it saw in
``.mlopsgen/fake-call.json`` for the tests to check, and whether ZenML was importable.
"""

from __future__ import annotations

from pathlib import Path

RUN_PY = """
import argparse, json, os, sys
from pathlib import Path

parser = argparse.ArgumentParser()
parser.add_argument("--pipeline")
parser.add_argument("--rows", type=int)
args = parser.parse_args()
outcome = os.environ.get("FAKE_OUTCOME", "promoted")
state = Path(".mlopsgen")
state.mkdir(exist_ok=True)
call = {
    "argv": sys.argv[1:],
    "cwd": os.getcwd(),
    "python": sys.executable,
    "env": {k: v for k, v in os.environ.items() if k.startswith(("ZENML_", "BENTOML_"))},
}
(state / "fake-call.json").write_text(json.dumps(call))
events = os.environ.get("MLOPSGEN_EVENTS")

def emit(kind, name, status, pipeline):
    if events:
        with open(events, "a") as handle:
            handle.write(json.dumps(
                {"event": kind, "name": name, "status": status, "pipeline": pipeline}
            ) + "\\n")

pipeline = args.pipeline or "train_fraud_xgb"
emit("pipeline", pipeline, "started", pipeline)
for step in ("ingest", "validate", "train", "evaluate", "register"):
    emit("step", step, "started", pipeline)
    if outcome == "failed" and step == "validate":
        emit("step", step, "failed", pipeline)
        emit("pipeline", pipeline, "failed", pipeline)
        (state / "last-run.json").write_text(json.dumps(
            {"status": "failed", "error": "validation failed: amount_usd below 0", "models": []}
        ))
        print("validation failed: amount_usd below 0 in 3 rows", file=sys.stderr)
        sys.exit(4)
    if outcome == "crash" and step == "train":
        print("Traceback: something broke", file=sys.stderr)
        sys.exit(4)
    emit("step", step, "completed", pipeline)
emit("pipeline", pipeline, "completed", pipeline)
kept = outcome == "kept_out"
fpr = 0.034 if kept else 0.004
model = {
    "name": "fraud_xgb", "version": "3", "stage": "staging" if kept else "production",
    "promoted": not kept, "metrics": {"roc_auc": 0.97, "false_positive_rate": fpr},
    "gates": [{"metric": "false_positive_rate", "value": fpr, "min": None, "max": 0.01,
               "passed": not kept}],
    "oracle": {"roc_auc": 0.98},
}
(state / "last-run.json").write_text(json.dumps(
    {"status": outcome, "error": None, "models": [model]}
))
sys.exit(3 if kept else 0)
"""


def install_fake_pipelines(stack: Path) -> None:
    """Write the stand-in ``pipelines`` package into a built stack."""
    package = stack / "pipelines"
    package.mkdir(exist_ok=True)
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "run.py").write_text(RUN_PY, encoding="utf-8")
