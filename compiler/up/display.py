"""How ``up`` reads on the terminal: the sample predictions and the latency beside the Plan.

These functions build rich tables and lines; the CLI prints them (it is the only module that
prints).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich.table import Table

from mlopsgen.up.chat import TokenLatency
from mlopsgen.up.probe import Latency
from mlopsgen.up.stack import ServingSummary

__all__ = [
    "ANSWER_KEYS",
    "answers_table",
    "cell",
    "chat_serving_line",
    "latency_table",
    "loadtest_line",
    "predictions_table",
    "serving_line",
    "token_latency_table",
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
    """Three significant figures, without an exponent (20,000 ms, not 2e+04 ms)."""
    if value is None:
        return "-"
    return f"{value:,.0f} ms" if value >= 100 else f"{value:.3g} ms"


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


def _question(body: Mapping[str, Any]) -> str:
    """The last user message of a chat completion request."""
    messages = body.get("messages") or []
    users = [
        m.get("content") for m in messages if isinstance(m, Mapping) and m.get("role") == "user"
    ]
    return str(users[-1]) if users else "-"


def answers_table(bodies: Sequence[Mapping[str, Any]], answers: Sequence[str]) -> Table:
    """The sample questions and what the language service answered."""
    table = Table(title="sample answers", title_justify="left")
    for column in ("#", "question", "answer"):
        table.add_column(column, overflow="fold")
    for index, (body, answer) in enumerate(zip(bodies, answers, strict=False)):
        table.add_row(str(index + 1), cell(_question(body)), cell(answer))
    return table


def _against(measured: float | None, objective: float | None) -> str:
    if objective is None:
        return "no objective"
    if measured is None:
        return f"{_ms(objective)}"
    verdict = "within" if measured <= objective else "above"
    return f"{_ms(objective)} ({verdict} the objective)"


def token_latency_table(latency: TokenLatency, serving: ServingSummary) -> Table:
    """Measured token timing beside the spec's objectives and what the Plan expects on its GPUs.

    The engine here is the CPU one on the local stand-in model, so the measurement says the
    service streams and keeps time; the Plan's column is what the planned GPUs are sized for.
    """
    table = Table(
        title=f"streamed answers, {latency.count} sequential (client and server on this machine)",
        title_justify="left",
    )
    for column in ("measure", "measured", "objective", "plan on its GPUs"):
        table.add_column(column)
    table.add_row("time to first token p50", _ms(latency.first_token_p50_ms), "", "")
    table.add_row(
        "time to first token p95",
        _ms(latency.first_token_p95_ms),
        _against(latency.first_token_p95_ms, serving.first_token_p95_ms),
        _ms(serving.planned_first_token_p95_ms),
    )
    table.add_row(
        "time per output token p95",
        _ms(latency.per_token_p95_ms),
        _against(latency.per_token_p95_ms, serving.per_token_p95_ms),
        _ms(serving.planned_per_token_p95_ms),
    )
    table.add_row(
        "time to last token p95",
        _ms(latency.total_p95_ms),
        _against(latency.total_p95_ms, serving.latency_p95_ms),
        "",
    )
    replicas = "-" if serving.replicas is None else str(serving.replicas)
    table.add_row("replicas", "1 (local)", "", replicas)
    return table


def chat_serving_line(url: str, import_path: str) -> str:
    """What is being served where, for a language service."""
    return (
        f"serving {import_path} at {url} (POST /v1/chat/completions, /v1/completions, "
        "GET /v1/models, /metrics)"
    )
