"""How ``up`` reads on the terminal: the sample predictions and the latency beside the Plan.

These functions build rich tables and lines; the CLI prints them (it is the only module that
prints).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich.table import Table

from mlopsgen.up.probe import Latency
from mlopsgen.up.stack import ServingSummary

__all__ = [
    "ANSWER_KEYS",
    "cell",
    "latency_table",
    "loadtest_line",
    "predictions_table",
    "serving_line",
]

#: Keys of a prediction shown, in this order, when any row has them (the contract's names).
ANSWER_KEYS = ("prediction", "decision", "rules_fired", "variant", "model", "cached")
#: Widest a cell gets: a forecast or an entity list can be long.
CELL_WIDTH = 48
#: Request fields shown beside each prediction, to tell the rows apart.
SHOWN_FIELDS = 2


def cell(value: Any) -> str:
    """One value as a short table cell."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list | tuple):
        text = ", ".join(cell(v) for v in value) or "-"
    elif isinstance(value, Mapping):
        text = ", ".join(f"{k}: {cell(v)}" for k, v in value.items()) or "-"
    else:
        text = str(value)
    return text if len(text) <= CELL_WIDTH else text[: CELL_WIDTH - 1] + "\N{HORIZONTAL ELLIPSIS}"


def predictions_table(
    rows: Sequence[Mapping[str, Any]],
    answers: Sequence[Any],
    id_fields: Sequence[str],
    limit: int = 5,
) -> Table:
    """The first ``limit`` rows: their identifying fields and what the service answered."""
    shown = [f for f in id_fields if any(f in row for row in rows)][:SHOWN_FIELDS]
    mappings = [a if isinstance(a, Mapping) else {"prediction": a} for a in answers[:limit]]
    # A key every answer leaves empty (no rules, no experiment) says nothing: no column.
    keys = [k for k in ANSWER_KEYS if any(a.get(k) is not None for a in mappings)]
    table = Table(title="sample predictions", title_justify="left")
    for column in ("#", *shown, *keys):
        table.add_column(column, overflow="fold")
    for index, (row, answer) in enumerate(zip(rows, mappings, strict=False)):
        table.add_row(
            str(index + 1), *(cell(row.get(f)) for f in shown), *(cell(answer.get(k)) for k in keys)
        )
    return table


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.3g} ms"


def latency_table(latency: Latency, serving: ServingSummary) -> Table:
    """Measured p50/p95 beside the Plan's objective, replicas and per-replica rate."""
    met = latency.meets(serving.latency_p95_ms)
    verdict = {True: "within the objective", False: "above the objective", None: "no objective"}
    table = Table(
        title=f"latency over {latency.count} sequential requests (client and server on this "
        "machine)",
        title_justify="left",
    )
    for column in ("measure", "measured", "plan"):
        table.add_column(column)
    table.add_row("p50", _ms(latency.p50_ms), "")
    table.add_row("p95", _ms(latency.p95_ms), f"{_ms(serving.latency_p95_ms)} ({verdict[met]})")
    replicas = "-" if serving.replicas is None else str(serving.replicas)
    rate = "-" if serving.per_replica_rps is None else f"{serving.per_replica_rps:,.0f} rps"
    table.add_row("replicas", "1 (local)", replicas)
    table.add_row("rate per replica", "", rate)
    return table


def serving_line(url: str, import_path: str) -> str:
    """What is being served where."""
    return f"serving {import_path} at {url} (POST /predict, /metrics)"


def loadtest_line(python: str, stack: str, url: str) -> str:
    """How to load-test the running service at the Plan's per-replica rate."""
    return f"load test: cd {stack} && {python} -m services.loadtest --url {url}"
