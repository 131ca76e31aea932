"""Constrained scalar types shared by the spec models.

Units live in field names (``latency_p95_ms``), so the types here only constrain shape:
names that later become Python, Terraform and Kubernetes identifiers, durations such as
``24h``, and cadences such as ``daily`` or a cron expression. Keeping them in one module lets
the JSON Schema carry the same patterns editors use for completion.
"""

from __future__ import annotations

import difflib
import re
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

#: snake_case names of models, views, features, metrics: they become Python identifiers.
Name = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=63),
    Field(description="snake_case: lowercase letters, digits and underscores, starting a letter"),
]

#: The system name: kebab-case, it names the output directory and cloud resources.
SystemName = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z][a-z0-9-]*[a-z0-9]$", max_length=40),
    Field(description="kebab-case: lowercase letters, digits and dashes, 2-40 characters"),
]

#: Column names of data sources: any identifier-like name, case kept.
FieldName = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", max_length=63),
    Field(description="a column name: letters, digits and underscores"),
]

#: Free text shown in docs and comments; bounded so hostile input stays small.
Text = Annotated[str, StringConstraints(min_length=1, max_length=2000)]

#: A short label such as a region, a URI or a channel target.
Label = Annotated[str, StringConstraints(min_length=1, max_length=300)]

_DURATION = re.compile(r"^([1-9][0-9]{0,5})(s|m|h|d|w)$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def duration_seconds(text: str) -> int:
    """Convert a duration such as ``24h`` to seconds.

    Args:
        text: a validated duration string.

    Returns:
        The duration in whole seconds.
    """
    match = _DURATION.match(text)
    if match is None:
        raise ValueError(f"not a duration: {text!r}")
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def _check_duration(text: str) -> str:
    duration_seconds(text)
    return text


#: A duration written with its unit: ``30s``, ``5m``, ``24h``, ``7d``, ``2w``.
Duration = Annotated[
    str,
    StringConstraints(pattern=_DURATION.pattern),
    AfterValidator(_check_duration),
    Field(description="a duration with its unit: 30s, 5m, 24h, 7d, 2w"),
]

CADENCE_WORDS = ("continuous", "hourly", "daily", "weekly")

_CRON_RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 7))
_CRON_FIELD = re.compile(r"^(\*|\d+(-\d+)?)(/\d+)?$")


def cron_problem(expression: str) -> str | None:
    """Explain why a five-field cron expression is invalid, or return None.

    Args:
        expression: the cron text, e.g. ``"0 3 * * *"``.

    Returns:
        A one-line reason, or None when the expression is valid.
    """
    fields = expression.split()
    if len(fields) != 5:
        return f"a cron expression has 5 fields (minute hour day month weekday), got {len(fields)}"
    names = ("minute", "hour", "day of month", "month", "day of week")
    for text, (low, high), name in zip(fields, _CRON_RANGES, names, strict=True):
        for part in text.split(","):
            if not _CRON_FIELD.match(part):
                return f"cron {name} field {text!r} is not a number, range, list or step"
            numbers = [int(n) for n in re.findall(r"\d+", part.split("/")[0])]
            if any(n < low or n > high for n in numbers):
                return f"cron {name} field {text!r} is outside {low}-{high}"
    return None


def _check_cadence(text: str) -> str:
    if text in CADENCE_WORDS:
        return text
    if " " not in text.strip():
        close = difflib.get_close_matches(text, CADENCE_WORDS, n=1)
        guess = f"; did you mean {close[0]!r}?" if close else ""
        raise ValueError(
            f"unknown cadence {text!r}: use {', '.join(CADENCE_WORDS)} or a cron expression{guess}"
        )
    problem = cron_problem(text)
    if problem is not None:
        raise ValueError(
            f"cadence must be one of {', '.join(CADENCE_WORDS)} or a cron expression: {problem}"
        )
    return text


#: How often something runs: a word or a five-field cron expression.
Cadence = Annotated[
    str,
    StringConstraints(min_length=1, max_length=100),
    AfterValidator(_check_cadence),
    Field(
        description="continuous | hourly | daily | weekly | a cron expression such as '0 3 * * *'"
    ),
]
