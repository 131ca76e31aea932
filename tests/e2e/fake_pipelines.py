"""A stand-in for a stack's interpreter running ``pipelines.run``, following the contract.

It lets the tests of ``mlopsgen run`` drive the whole path (build, environment, subprocess,
events, result, exit code) in seconds, without ZenML: :func:`fake_interpreter` writes an
executable that ``mlopsgen run --python`` accepts; asked for ``-m pipelines.run ARGS`` in the
stack directory, it runs the stand-in entry point below with the test's own Python instead of
the stack's generated one (which stays untouched, so the build never sees a hand edit). The
stand-in appends the progress events ``MLOPSGEN_EVENTS`` asks for, writes
``.mlopsgen/last-run.json`` and exits 0, 3 or 4 as the real entry point does.
``FAKE_OUTCOME`` picks the outcome (``promoted``, ``kept_out``, ``failed``, ``crash``: exit 4
without a result). It records its arguments, working directory and the ZenML and BentoML
variables it saw in ``.mlopsgen/fake-call.json`` for the tests to check.
"""

from __future__ import annotations

import shlex
import sys
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


def fake_interpreter(directory: Path) -> Path:
    """An executable standing in for the stack's ``python``; anything but the entry point fails."""
    directory.mkdir(parents=True, exist_ok=True)
    script = directory / "fake_run.py"
    script.write_text(RUN_PY, encoding="utf-8")
    wrapper = directory / "python"
    wrapper.write_text(
        "#!/bin/sh\n"
        '[ "$1" = -m ] && [ "$2" = pipelines.run ] || { echo "unexpected: $*" >&2; exit 97; }\n'
        "shift 2\n"
        f'exec {shlex.quote(sys.executable)} {shlex.quote(str(script))} "$@"\n',
        encoding="utf-8",
    )
    wrapper.chmod(0o755)
    return wrapper


def ensure_entry_point(stack: Path) -> None:
    """Give a stack whose targets generate no pipelines the entry point ``run`` looks for.

    ``mlopsgen run`` refuses a stack without ``pipelines/run.py``; the stand-in interpreter
    never executes it. A generated one is left alone (the build would see an edit).
    """
    entry = stack / "pipelines" / "run.py"
    if not entry.exists():
        entry.parent.mkdir(exist_ok=True)
        entry.write_text('raise SystemExit("run by the stand-in interpreter only")\n', "utf-8")


def stand_in_service(stack: Path) -> None:
    """Give a stack whose targets generate no service the files ``up`` looks for: the export
    entry point (the stand-in interpreter answers for it) and a bentofile naming the service.
    Generated ones are left alone (the build would see an edit)."""
    export = stack / "services" / "export.py"
    if not export.exists():
        export.parent.mkdir(exist_ok=True)
        export.write_text('raise SystemExit("run by the stand-in interpreter only")\n', "utf-8")
    if not list((stack / "services").glob("*/bentofile.yaml")):
        folder = stack / "services" / "fraud_detection"
        folder.mkdir(exist_ok=True)
        (folder / "bentofile.yaml").write_text(
            "service: services.fraud_detection.service:FraudDetection\n", "utf-8"
        )
