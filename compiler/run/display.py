"""How a run reads on the terminal: progress lines, the models' table, the closing line.

These functions build text and rich renderables; the CLI prints them (it is the only module
that prints).
"""

from __future__ import annotations

from pathlib import Path

from rich.table import Table

from mlopsgen.run.events import Event
from mlopsgen.run.result import GateResult, ModelResult, RunResult

__all__ = ["event_line", "log_tail", "outcome_line", "results_table", "running_line"]

MARKS = {"completed": "\N{CHECK MARK}", "failed": "\N{BALLOT X}"}


def running_line(event: Event) -> str:
    """What the spinner says while a pipeline or step runs."""
    if event.kind == "pipeline":
        return f"{event.pipeline}: starting"
    return f"{event.pipeline} \N{RIGHTWARDS ARROW} {event.name}"


def event_line(event: Event) -> str | None:
    """A line for an event worth keeping on screen (an end), or None (a start)."""
    mark = MARKS.get(event.status)
    if mark is None:
        return None
    if event.kind == "pipeline":
        return f"{mark} pipeline {event.pipeline} {event.status}"
    return f"  {mark} {event.pipeline} \N{RIGHTWARDS ARROW} {event.name}"


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


def _gate(gate: GateResult) -> str:
    bounds = []
    if gate.min is not None:
        bounds.append(f"\N{GREATER-THAN OR EQUAL TO} {_number(gate.min)}")
    if gate.max is not None:
        bounds.append(f"\N{LESS-THAN OR EQUAL TO} {_number(gate.max)}")
    mark = MARKS["completed" if gate.passed else "failed"]
    line = f"{mark} {gate.metric} {_number(gate.value)} {' and '.join(bounds)}".rstrip()
    return f"{line}: {gate.reason}" if gate.reason else line


def _promoted(model: ModelResult) -> str:
    return "promoted" if model.promoted else "kept out"


def results_table(result: RunResult) -> Table:
    """One row per model: version, stage, promotion, metrics and gates."""
    table = Table(title=f"run {result.status.replace('_', ' ')}", title_justify="left")
    for column in ("model", "version", "stage", "gate", "metrics", "gates"):
        table.add_column(column, overflow="fold")
    for model in result.models:
        metrics = ", ".join(f"{k} {_number(v)}" for k, v in model.metrics.items())
        gates = "\n".join(_gate(g) for g in model.gates) or "-"
        table.add_row(
            model.name, model.version, model.stage, _promoted(model), metrics or "-", gates
        )
    return table


def outcome_line(result: RunResult) -> str:
    """The closing line: what the exit code means, in words."""
    if result.status == "failed":
        return f"run failed: {result.error or 'see the log'}"
    kept = [m.name for m in result.models if not m.promoted]
    if kept:
        return f"a gate kept {', '.join(kept)} out of production (exit code 3)"
    return "every model promoted to production"


def log_tail(log: Path, lines: int = 30) -> str:
    """The end of the run's log, for a failure report."""
    try:
        text = log.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.rstrip("\n").splitlines()[-lines:])
