"""What a rollout step is judged on: the canary's rows and errors, and its live quality.

Rows and errors are the service's ``mlopsgen_rollout_rows_total`` counter for the model's
canary arm and the candidate's version (:mod:`services.canary`; an earlier rollout of the
same model counts under its own version), read from one of two places:

* ``PROMETHEUS_URL`` set (a cluster): Prometheus's query API sums ``increase(...)`` over the
  step's duration across every replica, as the burn-rate alerts do;
* otherwise the service's own ``/metrics`` page (``--service-url``, a local run): the counters
  are cumulative since the service started, so the step's rows are the difference from the
  reading taken when the step began (kept in the rollout state); a counter below that reading
  means the service restarted, and the reading counts from zero.

Quality is measured by the same code as outcome ingestion (:func:`pipelines.outcomes.measure`)
on the labelled outcomes of the candidate's own predictions (rows of the outcome table whose
``model_versions`` name the candidate), since the rollout began. The table is
``data/outcomes/outcomes.parquet``, or where ``MLOPSGEN_OUTCOMES_URI`` says (the offline
store's ``outcomes/outcomes.parquet`` for the cluster's CronJob, which has no ``data/``):
:func:`pipelines.outcomes.read_outcome_table`.
"""

from __future__ import annotations

import json
import math
import os
import re
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from pipelines.outcomes import label_column, measure, outcomes_location, read_outcome_table
from pipelines.rollout.policy import QualityBound
from pipelines.rollout.state import Rollout

__all__ = [
    "Counters",
    "OutcomesUnreadable",
    "Quality",
    "canary_quality",
    "read_counters",
    "step_counters",
]

COUNTER = "mlopsgen_rollout_rows_total"
_SAMPLE = re.compile(r"^(?P<name>[a-zA-Z_:][\w:]*)(?:\{(?P<labels>[^}]*)\})?\s+(?P<value>\S+)")
_LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


class OutcomesUnreadable(RuntimeError):
    """The outcome table exists but cannot be read (the message says where and why)."""


@dataclass(frozen=True)
class Counters:
    """The canary's rows and failed rows (cumulative, or over a step)."""

    rows: float
    errors: float

    @property
    def error_ratio(self) -> float:
        """Failed rows over rows (NaN without rows)."""
        return self.errors / self.rows if self.rows else math.nan

    def to_json(self) -> dict[str, float]:
        """The counters as kept in the rollout state."""
        return {"rows": self.rows, "errors": self.errors}


def _from_metrics_page(text: str, model: str, version: str) -> Counters:
    rows = errors = 0.0
    for line in text.splitlines():
        found = _SAMPLE.match(line)
        if found is None or found.group("name") != COUNTER:
            continue
        labels = dict(_LABEL.findall(found.group("labels") or ""))
        wanted = {"model": model, "version": version, "arm": "canary"}
        if any(labels.get(k) != v for k, v in wanted.items()):
            continue
        value = float(found.group("value"))
        rows += value
        if labels.get("outcome") == "error":
            errors += value
    return Counters(rows, errors)


def read_counters(model: str, version: str, service_url: str) -> Counters | None:
    """The canary's cumulative counters on the service's ``/metrics`` page (None: the service
    does not answer)."""
    try:
        with urllib.request.urlopen(f"{service_url.rstrip('/')}/metrics") as response:
            text = response.read().decode("utf-8")
    except OSError:
        return None
    return _from_metrics_page(text, model, version)


def _prometheus(url: str, query: str) -> float:
    address = f"{url.rstrip('/')}/api/v1/query?{urllib.parse.urlencode({'query': query})}"
    with urllib.request.urlopen(address) as response:
        data = json.loads(response.read())
    results = data["data"]["result"]
    return sum(float(r["value"][1]) for r in results)


def step_counters(
    rollout: Rollout, service_url: str, seconds: float
) -> tuple[Counters, Counters | None]:
    """The canary's counters over the step, and the cumulative reading to keep for the next
    step (None from Prometheus, which needs none). See the module docstring."""
    prometheus = os.environ.get("PROMETHEUS_URL")
    if prometheus:
        labels = f'model="{rollout.model}",version="{rollout.candidate}",arm="canary"'
        selector = f"{COUNTER}{{{labels}}}"
        window = f"{max(1, int(seconds))}s"
        rows = _prometheus(prometheus, f"sum(increase({selector}[{window}]))")
        failed = selector.replace('arm="canary"', 'arm="canary",outcome="error"')
        errors = _prometheus(prometheus, f"sum(increase({failed}[{window}]))")
        return Counters(rows, errors), None
    now = read_counters(rollout.model, rollout.candidate, service_url) or Counters(0.0, 0.0)
    before = Counters(rollout.counters.get("rows", 0.0), rollout.counters.get("errors", 0.0))
    if now.rows < before.rows or now.errors < before.errors:
        before = Counters(0.0, 0.0)  # the service restarted: its counters began again
    return Counters(now.rows - before.rows, now.errors - before.errors), now


@dataclass(frozen=True)
class Quality:
    """A live quality monitor measured on the candidate's labelled predictions."""

    metric: str
    value: float
    rows: int
    bound: QualityBound

    @property
    def breached(self) -> bool:
        """Whether the measured value lies outside the monitor's bounds."""
        return not math.isnan(self.value) and self.bound.breached(self.value)


def _candidate_rows(table: pd.DataFrame, rollout: Rollout, since: str) -> pd.DataFrame:
    """The outcomes of predictions the candidate made since the rollout began."""
    if table.empty or "model_versions" not in table.columns:
        return table.iloc[0:0]
    versions = table["model_versions"].map(
        lambda text: json.loads(text).get(rollout.model) if isinstance(text, str) else None
    )
    at = pd.to_datetime(table["at"], utc=True)
    return table[(versions == rollout.candidate) & (at >= pd.Timestamp(since))]


def canary_quality(
    root: Path, plan: Mapping[str, Any], rollout: Rollout, bounds: tuple[QualityBound, ...]
) -> list[Quality]:
    """Each live monitor of the model, measured on the candidate's labelled predictions."""
    try:
        table = read_outcome_table(root)
    except (OSError, ValueError) as err:  # unreachable, forbidden, or not a parquet file
        where = outcomes_location(root)
        raise OutcomesUnreadable(f"the outcome table {where} cannot be read: {err}") from err
    label = label_column(plan)
    since = str(rollout.history[0].get("at", rollout.step_started)) if rollout.history else ""
    rows = _candidate_rows(table, rollout, since or rollout.step_started)
    if label in rows.columns:
        rows = rows[rows[label].notna()]
    tasks = {m["name"]: m["task"] for m in plan["models"]}
    out = []
    for bound in bounds:
        value = math.nan
        if not rows.empty and label in rows.columns:
            value = measure(rows, label, rollout.model, str(tasks.get(rollout.model)), bound.metric)
        out.append(Quality(bound.metric, value, len(rows), bound))
    return out
