"""Run the stack's pipelines: ``python -m pipelines.run [--pipeline NAME] [--rows N]``.

Run from the stack root. Pipelines: ``train_<model>`` for every trainable model (the
default: all of them), ``batch_<model>`` for batch scoring, and ``drift``, the drift and
new-labels check that retrains what the plan's triggers name (``pipelines/drift.py``; it runs
after the others named with it). A candidate that passes its gates while an
older version serves online becomes the candidate of a rollout, started here
(``python -m pipelines.rollout``: the plan's canary steps), not production at once.
Exit codes: 0 every model promoted or rolling out, 3 the run worked but a gate kept at least one candidate out, 4 the run failed
(a data problem prints its report, without a traceback). The outcome is written to
``.mlopsgen/last-run.json``; progress goes to ``$MLOPSGEN_EVENTS`` as JSON lines.

ZenML is configured before it is imported: analytics off, its configuration and local store
inside the stack (``.zenml/``), quiet logging. A user's own settings of these variables win.
"""

from __future__ import annotations

import argparse
import functools
import gc
import importlib
import json
import keyword
import os
import sqlite3
import sys
import traceback
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pipelines.stack_plan import StackPlan, load_plan, stack_root
from pipelines.training_metrics import write_training_metrics

__all__ = ["EXIT_FAILED", "EXIT_KEPT_OUT", "EXIT_PROMOTED", "main", "module_stem", "pipeline_names"]

EXIT_PROMOTED = 0
EXIT_KEPT_OUT = 3
EXIT_FAILED = 4
LAST_RUN = Path(".mlopsgen") / "last-run.json"
DRIFT = "drift"


def configure_environment(root: Path) -> None:
    """ZenML offline, quiet and local to the stack, unless the user set otherwise."""
    os.environ.setdefault("ZENML_ANALYTICS_OPT_IN", "false")
    os.environ.setdefault("ZENML_CONFIG_PATH", str(root / ".zenml"))
    os.environ.setdefault("ZENML_LOGGING_VERBOSITY", "WARN")
    os.environ.setdefault("ZENML_ENABLE_RICH_TRACEBACK", "false")
    os.environ.setdefault("BENTOML_DO_NOT_TRACK", "True")
    # Deprecations inside the libraries are theirs to fix; they would flood every run.
    for library in ("zenml", "pydantic", "feast", "pandera", "sklearn"):
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=rf"{library}(\.|$)")
    write_sqlite_ahead_of_the_disk()


def write_sqlite_ahead_of_the_disk() -> None:
    """Let the commits of a local ZenML store return without waiting for the disk.

    ZenML's local store is a SQLite database that a pipeline commits to hundreds of times,
    and in SQLite's default journal mode every commit waits for the disk two or three times
    (seconds per pipeline here). In write-ahead-log mode with ``synchronous=NORMAL``, the
    setting SQLite documents for it, a commit is an append to the log: a power cut may lose
    the last commits but never the database's consistency. Only SQLite connections made
    through SQLAlchemy are affected, so a stack that uses a ZenML server is not.
    """
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    if not event.contains(Engine, "connect", _sqlite_write_ahead):
        event.listen(Engine, "connect", _sqlite_write_ahead)


def _sqlite_write_ahead(connection: Any, _record: Any) -> None:
    if isinstance(connection, sqlite3.Connection):
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def use_stack_source_root(root: Path) -> None:
    """Make ZenML record code by its path from the stack root (``pipelines.steps...``).

    Without it ZenML takes the folder of the main module (``pipelines/`` under
    ``python -m pipelines.run``) and records sources that cannot be imported elsewhere.
    """
    from zenml.utils import source_utils

    source_utils.set_custom_source_root(str(root))


def look_up_installed_packages_once() -> None:
    """Make ZenML look the installed distributions up once per process, not per artifact.

    ZenML finds the package of every stored artifact's type with
    ``importlib.metadata.packages_distributions()``, which reads the metadata of every
    installed distribution (a DataFrame output costs a third of a second here), and records
    ``pip freeze``, a subprocess, twice for every pipeline it runs. What is installed does not
    change while this process runs the stack's pipelines: the first answer is kept.
    """
    import importlib.metadata

    from zenml.environment import Environment

    lookup = functools.cache(importlib.metadata.packages_distributions)
    importlib.metadata.packages_distributions = lookup
    freeze = functools.cache(Environment.get_python_packages)
    Environment.get_python_packages = staticmethod(freeze)  # type: ignore[method-assign]


def module_stem(model: str) -> str:
    """The module holding a model's pipelines: its name, ``_`` added after a Python keyword."""
    return f"{model}_" if keyword.iskeyword(model) else model


def pipeline_names(plan: StackPlan) -> dict[str, tuple[str, str]]:
    """Every pipeline of the stack: name -> (module, model)."""
    names = {
        f"train_{m.name}": (f"pipelines.training.{module_stem(m.name)}", m.name)
        for m in plan.models
    }
    if plan.batch is not None:
        for model in plan.models:
            if model.trainable and model.served:
                module = f"pipelines.batch.{module_stem(model.name)}"
                names[f"batch_{model.name}"] = (module, model.name)
    names[DRIFT] = ("pipelines.monitoring.pipeline", "")
    return names


def _arguments(argv: Sequence[str] | None, plan: StackPlan) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m pipelines.run", description=__doc__)
    parser.add_argument("--pipeline", action="append", choices=sorted(pipeline_names(plan)))
    parser.add_argument("--rows", type=int, default=0, help="rows of the synthetic source")
    parser.add_argument("--config", type=Path, help="ZenML run configuration (YAML)")
    parser.add_argument(
        "--data",
        choices=("auto", "synthetic", "declared"),
        default="auto",
        help="read the declared sources, generate them, or read those on this machine (auto)",
    )
    parser.add_argument("--schedule", action="store_true", help="schedule instead of running")
    return parser.parse_args(argv)


def _write_outcome(root: Path, status: str, error: str | None, models: list[Any]) -> None:
    path = root / LAST_RUN
    path.parent.mkdir(parents=True, exist_ok=True)
    outcome = {"status": status, "error": error, "models": models}
    path.write_text(json.dumps(outcome, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def _data_problem(name: str, error: BaseException) -> str | None:
    """The report of a data problem that failed pipeline ``name``, if that is what failed.

    Steps may run in another process (or pod), so the exception is read back from the failed
    step's record in ZenML, where its traceback ends with ``DataProblem: <report>``.
    """
    from pipelines.checks import DataProblem

    if isinstance(error, DataProblem):
        return str(error)
    from zenml.client import Client

    try:
        run = Client().get_pipeline(name).last_run
    except (KeyError, RuntimeError):  # no pipeline or no run was created: not a data problem
        return None
    for step in run.steps.values():
        info = step.exception_info
        marker = "DataProblem: "
        if info is not None and marker in info.traceback:
            return info.traceback.rsplit(marker, 1)[1].strip()
        if info is not None:
            print(f"step {step.name} failed:\n{info.traceback}", file=sys.stderr)
    return None


def run_pipeline(name: str, module: str, args: argparse.Namespace) -> dict[str, Any] | None:
    """Run one pipeline; return its model's summary row (training pipelines only)."""
    from pipelines.events import emit

    pipeline = importlib.import_module(module).PIPELINE
    if args.config is not None:
        pipeline = pipeline.with_options(config_path=str(args.config))
    emit("pipeline", name, "started", name)
    try:
        run = pipeline(rows=args.rows, data=args.data)
    except BaseException:
        emit("pipeline", name, "failed", name)
        raise
    emit("pipeline", name, "completed", name)
    if run is None or "register" not in run.steps:
        return None
    summary: dict[str, Any] = run.steps["register"].outputs["summary"][0].load()
    return summary


def _verdict(plan: StackPlan, summary: dict[str, Any]) -> str:
    """What became of a registered candidate; starts its rollout when it is pending."""
    if not summary["promoted"]:
        return "kept in staging"
    if summary.get("rollout") != "pending":
        return "promoted to production"
    from datetime import UTC, datetime

    from pipelines.rollout.controller import Refused, start

    try:
        rollout = start(plan, stack_root(), summary["name"], summary["version"], datetime.now(UTC))
    except Refused as err:
        return f"passed its gates, in staging; its rollout did not start ({err})"
    return (
        f"passed its gates: rolling out at {rollout.percent:g}% of units against production "
        f"version {rollout.baseline} (`python -m pipelines.rollout step` advances it)"
    )


def _cron(plan: StackPlan, name: str) -> str:
    """The schedule of pipeline ``name``: the batch cron, the trigger check's (drift), or its
    model's retraining cron."""
    if name.startswith("batch_") and plan.batch is not None:
        return plan.batch.cron
    if name == DRIFT:
        return str(plan.raw["training"].get("trigger_check_cron") or plan.cron)
    return plan.model_cron(pipeline_names(plan)[name][1])


def schedule(plan: StackPlan, names: Sequence[str], root: Path, args: argparse.Namespace) -> int:
    """Schedule the pipelines by the plan's cron; on a stack that cannot, print crontab lines."""
    from zenml.client import Client

    orchestrator = Client().active_stack.orchestrator
    table = pipeline_names(plan)
    if orchestrator.flavor in ("local", "local_docker"):
        print(
            f"# the {orchestrator.flavor} orchestrator cannot schedule; crontab ({plan.timezone}):"
        )
        for name in names:
            command = f"cd {root} && {sys.executable} -m pipelines.run --pipeline {name}"
            if args.config is not None:
                command += f" --config {args.config}"
            print(f"{_cron(plan, name)} {command}")
        return EXIT_PROMOTED
    from zenml.config.schedule import Schedule

    for name in names:
        if name == DRIFT:
            # retraining starts from the check's process, which a ZenML schedule does not run
            print(
                f"# {DRIFT} acts on its report outside the pipeline: run it from cron or a "
                f"Kubernetes CronJob ({plan.timezone}):\n{_cron(plan, name)} cd {root} && "
                f"{sys.executable} -m pipelines.drift"
            )
            continue
        pipeline = importlib.import_module(table[name][0]).PIPELINE
        if args.config is not None:
            pipeline = pipeline.with_options(config_path=str(args.config))
        scheduled = pipeline.with_options(schedule=Schedule(cron_expression=_cron(plan, name)))
        scheduled(rows=args.rows, data=args.data)
        print(f"scheduled {name}: {_cron(plan, name)} ({plan.timezone})")
    return EXIT_PROMOTED


def main(argv: Sequence[str] | None = None) -> int:
    """Run the chosen pipelines and return the exit code (see the module docstring)."""
    root = stack_root()
    configure_environment(root)
    plan = load_plan(root)
    args = _arguments(argv, plan)
    table = pipeline_names(plan)
    names = args.pipeline or [f"train_{m.name}" for m in plan.models if m.trainable]
    use_stack_source_root(root)
    look_up_installed_packages_once()
    if args.schedule:
        return schedule(plan, args.pipeline or sorted(table), root, args)
    models: list[dict[str, Any]] = []
    for name in names:
        if name == DRIFT:
            continue
        try:
            summary = run_pipeline(name, table[name][0], args)
        except Exception as error:  # noqa: BLE001 - reported below, as data or as a bug
            report = _data_problem(name, error)
            message = f"pipeline {name} failed: {report or error}"
            if report is None:
                traceback.print_exc()
            print(message, file=sys.stderr)
            _write_outcome(root, "failed", message, models)
            write_training_metrics(plan, root)
            return EXIT_FAILED
        if summary is not None:
            models.append(summary)
            print(f"{summary['name']} version {summary['version']}: {_verdict(plan, summary)}")
    kept_out = any(not m["promoted"] for m in models)
    if len(names) > names.count(DRIFT):
        _write_outcome(root, "kept_out" if kept_out else "promoted", None, models)
        write_training_metrics(plan, root)
    code = EXIT_KEPT_OUT if kept_out else EXIT_PROMOTED
    if DRIFT in names:
        from pipelines.drift import check

        code = max(code, check(rows=args.rows))
    return code


if __name__ == "__main__":
    code = main()
    # ZenML, Feast and the models leave hundreds of thousands of objects behind, which the
    # interpreter's exit would walk in one garbage collection after another (seconds here).
    # Frozen, they are out of the collector's reach; their memory goes with the process.
    gc.freeze()
    sys.exit(code)
