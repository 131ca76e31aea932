"""Run the stack's fine-tuning pipelines: ``python -m pipelines.run [--pipeline NAME] [--rows N]``.

Run from the stack root. Pipelines: ``train_<model>`` for every language model (the default:
all of them). Each makes its synthetic chats (``--rows`` of them), fine-tunes a LoRA adapter
on the base model (``MLOPSGEN_LLM_BASE_MODEL``, else the local stand-in), evaluates it and
registers it in ZenML's Model Control Plane. Exit codes: 0 every model promoted to
production, 3 the run worked but a gate kept at least one candidate out, 4 the run failed (a
data problem prints its report, without a traceback). The outcome is written to
``.mlopsgen/last-run.json``; progress goes to ``$MLOPSGEN_EVENTS`` as JSON lines.

ZenML and the Hugging Face libraries are configured before they are imported: analytics
off, offline, ZenML's configuration and local store inside the stack (``.zenml/``), quiet
logging. A user's own settings of these variables win.
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
#: Offline always: nothing is fetched from a model hub, whatever the user's settings.
OFFLINE = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}


def configure_environment(root: Path) -> None:
    """ZenML local to the stack and quiet, the Hugging Face libraries offline."""
    os.environ.update(OFFLINE)
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("ZENML_ANALYTICS_OPT_IN", "false")
    os.environ.setdefault("ZENML_CONFIG_PATH", str(root / ".zenml"))
    os.environ.setdefault("ZENML_LOGGING_VERBOSITY", "WARN")
    os.environ.setdefault("ZENML_ENABLE_RICH_TRACEBACK", "false")
    os.environ.setdefault("BENTOML_DO_NOT_TRACK", "True")
    # Deprecations inside the libraries are theirs to fix; they would flood every run.
    for library in ("zenml", "pydantic", "transformers", "peft", "torch"):
        for category in (DeprecationWarning, FutureWarning):
            warnings.filterwarnings("ignore", category=category, module=rf"{library}(\.|$)")
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
    """Make ZenML record code by its path from the stack root (``pipelines.steps...``)."""
    from zenml.utils import source_utils

    source_utils.set_custom_source_root(str(root))


def look_up_installed_packages_once() -> None:
    """Make ZenML look the installed distributions up once per process, not per artifact."""
    import importlib.metadata

    from zenml.environment import Environment

    lookup = functools.cache(importlib.metadata.packages_distributions)
    importlib.metadata.packages_distributions = lookup
    freeze = functools.cache(Environment.get_python_packages)
    Environment.get_python_packages = staticmethod(freeze)  # type: ignore[method-assign]


def module_stem(model: str) -> str:
    """The module holding a model's pipeline: its name, ``_`` added after a Python keyword."""
    return f"{model}_" if keyword.iskeyword(model) else model


def pipeline_names(plan: StackPlan) -> dict[str, tuple[str, str]]:
    """Every pipeline of the stack: name -> (module, model)."""
    return {
        f"train_{m.name}": (f"pipelines.training.{module_stem(m.name)}", m.name)
        for m in plan.models
        if m.trainable
    }


def _arguments(argv: Sequence[str] | None, plan: StackPlan) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m pipelines.run", description=__doc__)
    parser.add_argument("--pipeline", action="append", choices=sorted(pipeline_names(plan)))
    parser.add_argument("--rows", type=int, default=0, help="synthetic chats per model")
    parser.add_argument("--config", type=Path, help="ZenML run configuration (YAML)")
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
    from pipelines.chats import DataProblem

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


def _pipeline(module: str, args: argparse.Namespace) -> Any:
    pipeline = importlib.import_module(module).PIPELINE
    if args.config is not None:
        pipeline = pipeline.with_options(config_path=str(args.config))
    return pipeline


def run_pipeline(name: str, module: str, args: argparse.Namespace) -> dict[str, Any] | None:
    """Run one pipeline; return its model's summary row."""
    from pipelines.events import emit

    pipeline = _pipeline(module, args)
    emit("pipeline", name, "started", name)
    try:
        run = pipeline(rows=args.rows)
    except BaseException:
        emit("pipeline", name, "failed", name)
        raise
    emit("pipeline", name, "completed", name)
    if run is None or "register" not in run.steps:
        return None
    summary: dict[str, Any] = run.steps["register"].outputs["summary"][0].load()
    return summary


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
            print(f"{plan.model_cron(table[name][1])} {command}")
        return EXIT_PROMOTED
    from zenml.config.schedule import Schedule

    for name in names:
        cron = plan.model_cron(table[name][1])
        pipeline = _pipeline(table[name][0], args)
        pipeline.with_options(schedule=Schedule(cron_expression=cron))(rows=args.rows)
        print(f"scheduled {name}: {cron} ({plan.timezone})")
    return EXIT_PROMOTED


def main(argv: Sequence[str] | None = None) -> int:
    """Run the chosen pipelines and return the exit code (see the module docstring)."""
    root = stack_root()
    configure_environment(root)
    plan = load_plan(root)
    args = _arguments(argv, plan)
    table = pipeline_names(plan)
    names = args.pipeline or sorted(table)
    use_stack_source_root(root)
    look_up_installed_packages_once()
    if args.schedule:
        return schedule(plan, names, root, args)
    models: list[dict[str, Any]] = []
    for name in names:
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
            verdict = "promoted to production" if summary["promoted"] else "kept in staging"
            print(f"{summary['name']} version {summary['version']}: {verdict}")
    kept_out = any(not m["promoted"] for m in models)
    _write_outcome(root, "kept_out" if kept_out else "promoted", None, models)
    write_training_metrics(plan, root)
    return EXIT_KEPT_OUT if kept_out else EXIT_PROMOTED


if __name__ == "__main__":
    code = main()
    # ZenML and torch leave many objects behind, which the interpreter's exit would walk in
    # one garbage collection after another; frozen, they are out of the collector's reach.
    gc.freeze()
    sys.exit(code)
