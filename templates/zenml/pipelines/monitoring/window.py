"""The drift window: the request inputs the service logged over the plan's last window.

The prediction log (``services/prediction_log.py``) is a folder of hourly JSON-lines files,
``predictions-<YYYYMMDDTHH>-<pid>.jsonl``; the lines of the plan's ``sample_fraction`` of
answers carry the request's ``inputs``. The window is ``(end - window_seconds, end]``: only
the files of the hours it touches are opened, and only sampled lines inside it are kept, one
row each with its ``at`` and ``prediction_id`` beside the inputs.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["LOG_VARIABLE", "log_folder", "parse_end", "read_window"]

LOG_VARIABLE = "MLOPSGEN_PREDICTION_LOG"
_HOUR = "%Y%m%dT%H"


def log_folder(root: Path) -> Path:
    """Where the service writes its log: ``$MLOPSGEN_PREDICTION_LOG`` or the stack's default."""
    chosen = os.environ.get(LOG_VARIABLE)
    if chosen and chosen != "-":
        return Path(chosen)
    return root / ".mlopsgen" / "predictions"


def parse_end(text: str) -> datetime:
    """The window's end: an ISO time (UTC when it names no zone), or now when empty."""
    if not text:
        return datetime.now(UTC)
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _hour_of(path: Path) -> datetime | None:
    """The hour a log file covers, from its name; None for a file named otherwise."""
    parts = path.stem.split("-")
    try:
        return datetime.strptime(parts[1], _HOUR).replace(tzinfo=UTC)
    except (IndexError, ValueError):
        return None


def read_window(folder: Path, end: datetime, seconds: int) -> pd.DataFrame:
    """The sampled inputs logged in ``(end - seconds, end]``, oldest first."""
    start = end - timedelta(seconds=seconds)
    rows: list[dict[str, Any]] = []
    for path in sorted(folder.glob("predictions-*.jsonl")):
        hour = _hour_of(path)
        if hour is None or hour + timedelta(hours=1) <= start or hour > end:
            continue
        for text in path.read_text(encoding="utf-8").splitlines():
            line = json.loads(text)
            inputs = line.get("inputs")
            if not isinstance(inputs, dict):
                continue
            at = parse_end(str(line["at"]))
            if start < at <= end:
                rows.append({**inputs, "prediction_id": line["prediction_id"], "at": at})
    frame = pd.DataFrame(rows)
    if frame.empty:
        return pd.DataFrame({"prediction_id": pd.Series([], dtype=str)})
    return frame.sort_values(["at", "prediction_id"], kind="stable").reset_index(drop=True)
