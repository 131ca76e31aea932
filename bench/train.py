"""Training benchmark: `mlopsgen run` on the fraud stack against plain Python training.

ZenML's orchestration (its store, step caching, artifact materialisation, the Model Control
Plane) has a cost; this measures it. In one run, on the same machine at the same moment:

* **A** — ``mlopsgen run specs/fraud-detection.yaml --rows N`` as a whole process: the stack
  is up to date and its environment cached, so this is ZenML running every training
  pipeline (ingest, validate, features, leakage check, train, evaluate, register).
* **B** — a plain script in the same environment that trains the same models on the same data
  without ZenML: it reads the synthetic sources and feature tables run A wrote
  (``data/sources/``, ``data/features/``), joins the view features as of each row's event time
  with pandas, drops rows whose label has not arrived, holds out the latest fifth of the
  rows, and calls the stack's own families
  (``fit``, ``evaluate``), which are plain Python.

Each is repeated (median reported, A and B alternated so drift hits both) and the ratio A/B
is ZenML's overhead. Results go to ``bench/results/train.json``. The stack environment is
``$MLOPSGEN_STACK_PYTHON`` when set, else the one ``mlopsgen run`` caches.

Run with ``.venv/bin/python bench/train.py [--rows N] [--repeats K]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results" / "train.json"
SPEC = REPO / "specs" / "fraud-detection.yaml"
MLOPSGEN = str(Path(sys.executable).parent / "mlopsgen")

#: Plain Python, run by the stack's interpreter in the stack directory: no ZenML imported.
PLAIN = """
import importlib, json, sys, time
from pathlib import Path
import pandas as pd
from pipelines.stack_plan import load_plan

FAMILIES = {"binary_classification": "tabular", "multiclass_classification": "tabular",
            "regression": "tabular", "anomaly_detection": "anomaly"}
plan = json.loads(Path("plan.json").read_text())
typed = load_plan()
entities = {e["name"]: e for e in plan["features"]["entities"]}
views = {v["name"]: v for v in plan["features"]["views"]}
sources = {s["name"]: s for s in plan["data"]["sources"]}
metrics = {}
for model in plan["models"]:
    if not model["trainable"]:
        continue
    source = sources[model["source"]]
    time_column = source["event_time"]
    frame = pd.read_parquet(Path("data/sources") / f"{source['name']}.parquet")
    frame[time_column] = pd.to_datetime(frame[time_column], utc=True)
    frame = frame.sort_values(time_column).reset_index(drop=True)
    for view_name in sorted({i["view"] for i in model["inputs"] if i["kind"] == "feature"}):
        view = views[view_name]
        key = entities[view["entity"]]["key"]
        table = pd.read_parquet(Path("data/features") / f"{view_name}.parquet")
        table["event_timestamp"] = pd.to_datetime(table["event_timestamp"], utc=True)
        table = table.sort_values("event_timestamp")
        wanted = [f["name"] for f in view["features"]]
        table = table[[key, "event_timestamp", *wanted]].rename(
            columns={f: f"{view_name}__{f}" for f in wanted}
        )
        frame = pd.merge_asof(
            frame, table, left_on=time_column, right_on="event_timestamp", by=key,
            direction="backward",
        ).drop(columns="event_timestamp")
    if model["target"]:  # rows whose labels have not arrived yet train nothing
        frame = frame[frame[model["target"]].notna()].reset_index(drop=True)
    cut = int(len(frame) * 0.8)
    family = importlib.import_module(f"pipelines.families.{FAMILIES[model['task']]}")
    spec = typed.model(model["name"])
    fitted = family.fit(spec, frame.iloc[:cut], 0)
    metrics[model["name"]] = family.evaluate(spec, fitted, frame.iloc[cut:])
print(json.dumps({"zenml_imported": "zenml" in sys.modules, "metrics": metrics}))
"""


MEASURES = (
    "A: mlopsgen run (ZenML local orchestrator: validation, Feast point-in-time join, "
    "leakage check, training, evaluation, Model Control Plane registration, artifacts); "
    "B: the same families fitted on the same data with a pandas as-of join, no validation, "
    "leakage check, Feast or ZenML. The ratio is what the orchestrated, checked run costs "
    "over bare training."
)


def _stack_python(stack: Path) -> str:
    given = os.environ.get("MLOPSGEN_STACK_PYTHON")
    if given:
        return given
    sys.path.insert(0, str(REPO))
    from mlopsgen.stackenv import ensure_env, read_stack_pins

    return str(ensure_env(read_stack_pins(stack)).python)


def _timed(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode not in (0, 3):  # 3: a gate kept a model out, the run still trained
        raise SystemExit(f"{args[:3]} exited {done.returncode}:\\n{done.stderr[-3000:]}")
    return seconds, done.stdout


def main() -> None:
    """Time A and B alternately and write the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=3)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mlopsgen-bench-train-") as scratch:
        stack = Path(scratch) / "fraud"
        subprocess.run([MLOPSGEN, "build", str(SPEC), "--out", str(stack)], check=True,
                       capture_output=True)  # fmt: skip
        python = _stack_python(stack)
        env = {**os.environ, "MLOPSGEN_STACK_PYTHON": python}
        run = [MLOPSGEN, "run", str(SPEC), "--out", str(stack), "--rows", str(options.rows)]
        _timed(run, REPO, env)  # warm-up: ZenML's store, the data and feature tables exist
        (stack / "bench_plain.py").write_text(PLAIN, encoding="utf-8")
        plain = [python, "bench_plain.py"]
        _, warm = _timed(plain, stack, env)
        orchestrated, direct = [], []
        for _ in range(options.repeats):
            orchestrated.append(_timed(run, REPO, env)[0])
            seconds, output = _timed(plain, stack, env)
            direct.append(seconds)
        report = json.loads(output.splitlines()[-1])
        zenml_seconds, plain_seconds = statistics.median(orchestrated), statistics.median(direct)
        results = {
            "measures": MEASURES,
            "spec": SPEC.name,
            "rows": options.rows,
            "repeats": options.repeats,
            "mlopsgen_run_seconds": round(zenml_seconds, 2),
            "plain_script_seconds": round(plain_seconds, 2),
            "overhead_ratio": round(zenml_seconds / plain_seconds, 2),
            "mlopsgen_run_samples": [round(s, 2) for s in orchestrated],
            "plain_script_samples": [round(s, 2) for s in direct],
            "plain_script_imported_zenml": report["zenml_imported"],
            "plain_script_metrics": report["metrics"],
            "first_plain_output": json.loads(warm.splitlines()[-1])["metrics"],
        }
    RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(json.dumps(results, indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
