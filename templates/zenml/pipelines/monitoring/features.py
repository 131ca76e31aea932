"""What a model's drift is measured on: its inputs as the service logs them.

The service logs a sample of each request's fields (``services/prediction_log.py``), so a
model is compared on its inputs read straight from a source column that the request carries:

* numbers (``float``, ``integer``) as they are;
* categories (``category``, ``bool``, ``string``) as labels, each its own bin;
* ``text`` through derived numbers (:data:`TEXT_FEATURES`: length in characters, tokens, the
  share of letters outside ASCII, the share of digits): a histogram of raw strings has one
  bin per message and says nothing;
* images are not logged (a request's pixels would swamp the log), so an image input is listed
  as not compared, with that reason.

Inputs the request does not carry (feature-view aggregates the service reads from the online
store, columns joined at training time) and identifiers (``id``/``entity`` fields: a new
customer is not drift) are listed as not compared too: the report says why for each.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipelines.monitoring.statistics import Floats
from pipelines.stack_plan import ModelSpec, SourceSpec, StackPlan

__all__ = ["NUMERIC_TYPES", "TEXT_FEATURES", "Compared", "compared_features", "derive"]

NUMERIC_TYPES = ("float", "integer")
_ID_ROLES = ("id", "entity")


def _characters(text: pd.Series) -> pd.Series:
    return text.str.len()


def _tokens(text: pd.Series) -> pd.Series:
    return text.map(lambda value: len(value.split()))


def _non_ascii_letters(text: pd.Series) -> pd.Series:
    letters = text.str.count(r"[^\W\d_]")
    return text.str.count(r"[^\W\d_a-zA-Z]") / letters.where(letters > 0)


def _digits(text: pd.Series) -> pd.Series:
    return text.str.count(r"\d") / text.str.len().where(text.str.len() > 0)


#: A text input's derived numbers: suffix -> function of the strings.
TEXT_FEATURES: dict[str, Callable[[pd.Series], pd.Series]] = {
    "characters": _characters,
    "tokens": _tokens,
    "non_ascii_letter_share": _non_ascii_letters,
    "digit_share": _digits,
}


@dataclass(frozen=True)
class Compared:
    """One feature a model's drift is scored on: its name, the logged column it comes from,
    and whether it is a number (a category otherwise)."""

    name: str
    column: str
    numeric: bool
    text: str | None = None


def compared_features(
    plan: StackPlan, model: ModelSpec, logged: Sequence[str]
) -> tuple[list[Compared], dict[str, str]]:
    """The features of ``model`` compared, and every input left out with the reason."""
    source = plan.source(model.source)
    compared: list[Compared] = []
    skipped: dict[str, str] = {}
    for item in model.inputs:
        column = item.column or item.name
        if item.kind != "column":
            skipped[item.name] = "read from the feature store, not part of the logged request"
        elif item.type == "image":
            skipped[item.name] = "images are not logged: no drift is measured on pixels"
        elif column not in logged:
            skipped[item.name] = "not a field of the request the service logs"
        elif _is_identifier(source, column):
            skipped[item.name] = "an identifier: new values are not drift"
        elif item.type == "text":
            compared += [
                Compared(f"{item.name}.{suffix}", column, numeric=True, text=suffix)
                for suffix in TEXT_FEATURES
            ]
        else:
            compared.append(Compared(item.name, column, numeric=item.type in NUMERIC_TYPES))
    return compared, skipped


def _is_identifier(source: SourceSpec, column: str) -> bool:
    try:
        return source.field(column).role in _ID_ROLES
    except KeyError:  # a request field the source does not declare
        return False


def derive(feature: Compared, frame: pd.DataFrame) -> Floats | list[str]:
    """The feature's values in ``frame``: finite numbers, or category labels as text."""
    if feature.column in frame.columns:
        values = frame[feature.column]
    else:
        values = pd.Series([], dtype=object)
    if feature.text is not None:
        values = TEXT_FEATURES[feature.text](values.dropna().astype(str))
    if feature.numeric:
        numbers: Floats = pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64)
        return numbers[np.isfinite(numbers)]
    return ["<null>" if pd.isna(v) else str(v) for v in values]
