"""How numbers and counts read, in every layer: one wording for all that mlopsgen prints.

The planner writes numbers into ``computed`` strings with :func:`fmt` and stores values passed
through :func:`clean`; the targets print the same figures in READMEs and tables; the CLI,
validation and the writer count errors, models and files. All use these helpers, so a figure
reads the same wherever it appears (``1 replica``, ``3 replicas``, ``0.7004``, never
``1 replicas``, ``model(s)`` or ``7.004e-01``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

__all__ = ["SINGULAR", "clean", "count", "fmt", "lines", "noun"]


def clean(value: float, digits: int = 6) -> float:
    """Round a float to ``digits`` significant digits so stored values carry no float noise."""
    if value == 0 or not math.isfinite(value):
        return value
    magnitude = math.floor(math.log10(abs(value)))
    return round(value, max(digits - 1 - magnitude, 0))


def fmt(value: float | int | None, digits: int = 4) -> str:
    """Print a number for a ``computed`` string: 4 significant digits, plain notation.

    Integers (and floats that are whole numbers) print in full, so ``100000`` stays
    ``100000`` rather than ``1e+05``; other values print without an exponent and without
    trailing zeros (``0.7004``, ``89.29``, ``0.0001``).
    """
    if value is None:
        return "none"
    if isinstance(value, bool):
        return str(value).lower()
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    magnitude = math.floor(math.log10(abs(value)))
    decimals = max(digits - 1 - magnitude, 0)
    text = f"{value:.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


#: Count nouns a plan prints after a number, by their plural. Units that are measures
#: (``ms``, ``GB``, ``USD/month``) read the same for one and for many and are not listed.
SINGULAR = {
    "clusters": "cluster",
    "days": "day",
    "entries": "entry",
    "errors": "error",
    "files": "file",
    "gateways": "gateway",
    "models": "model",
    "nodes": "node",
    "pods": "pod",
    "replicas": "replica",
    "requests": "request",
    "runs": "run",
    "shards": "shard",
    "units": "unit",
    "warnings": "warning",
    "waves": "wave",
    "workers": "worker",
    "zones": "zone",
}
_LEADING_WORD = re.compile(r"[a-z]+")


def noun(count: float, plural: str) -> str:
    """``plural`` (a unit such as ``nodes (max)`` or ``runs/30d``) as it reads after ``count``.

    Only the leading count noun changes, and only for exactly one: ``1 node (max)``,
    ``1 run/30d``, but ``0 nodes`` and ``1.5 replicas``.
    """
    match = _LEADING_WORD.match(plural)
    if count != 1 or match is None or match.group() not in SINGULAR:
        return plural
    return SINGULAR[match.group()] + plural[match.end() :]


def count(number: float, plural: str) -> str:
    """A number with its count noun agreeing: ``1 replica``, ``3 replicas``."""
    return f"{fmt(number)} {noun(number, plural)}"


def lines(text: str | Sequence[str]) -> str:
    """Several formulas or computations of one decision, one per line.

    A decision that derives two figures (a window and its concurrency, a stated value and
    the derived one) records each on its own line, so a table cell or an ``--explain``
    block shows them apart rather than run together.
    """
    return text if isinstance(text, str) else "\n".join(text)
