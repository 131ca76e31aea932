"""Synthetic support messages: real sentences per language, a sentiment and their entities.

A column-wise generator would write random strings as text, which no language detector can
read and no sentiment model can learn from. This module writes each row's text with
:func:`pipelines.families.text.sentences` in the row's language, so the sentiment label is
carried by the opinion phrase and the entity label is read off the names the message mentions.

Which languages: those of the partition column's declared values that the lexicon has real
word lists for. Declared languages without word lists are **not generated** (a made-up
language would teach the router nothing true); their shards train nothing, the text family
reports how many planned languages had no data, and at serving time their messages go to the
fallback model. When none of the declared values has word lists (or there is no language
column), every declared value gets the lexicon's stable pseudo-language instead, so a spec of
any shape still trains. A small share of rows (under the validation null bound) has no
declared language, as when a client does not send one: those are routed by detection.

Labels: the sentiment label flips to another class for :data:`LABEL_NOISE` of the rows
(annotators disagree), so the oracle, the label before the flip, scores below 1; the entity
label is the exact ``TYPE:name`` list. Both are kept in ``_oracle__<target>`` columns.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd

from pipelines.families.lexicon import LANGUAGES
from pipelines.families.text import SENTIMENTS, entities, sentences
from pipelines.stack_plan import FieldSpec, SourceSpec, StackPlan
from pipelines.synthetic import (
    ORACLE_PREFIX,
    column_values,
    event_times,
    history_days,
    source_entity_keys,
)

__all__ = ["LABEL_NOISE", "LANGUAGE_NULLS", "generate", "languages_written"]

#: Share of rows whose sentiment label is flipped to another class.
LABEL_NOISE = 0.02
#: Share of rows with no declared language (kept below the validation null bound).
LANGUAGE_NULLS = 0.02
TEXT_TASKS = ("sentiment_analysis", "entity_recognition", "language_identification")
Rng = np.random.Generator


def _language_field(plan: StackPlan, source: SourceSpec) -> FieldSpec | None:
    """The column holding each row's language: the text models' partition, else ``language``."""
    named = {
        m.partition.column
        for m in plan.models
        if m.source == source.name and m.task in TEXT_TASKS and m.partition is not None
    }
    named.add("language")
    return next(
        (f for f in source.fields if f.name in named and f.type in ("category", "string")), None
    )


def languages_written(column: FieldSpec | None) -> list[str]:
    """The declared languages messages are written in (see the module docstring)."""
    declared = list(column.values or ()) if column is not None else []
    real = [code for code in declared if code in LANGUAGES]
    return real or declared or ["en"]


def _classes(column: FieldSpec | None) -> tuple[list[object], list[str]]:
    """The label's classes and the mood each is written with (first negative, last positive)."""
    if column is not None and column.type == "bool":
        return [False, True], ["negative", "positive"]
    values = list(column.values or ()) if column is not None else []
    if not values:
        return list(SENTIMENTS), list(SENTIMENTS)
    if set(values) <= set(SENTIMENTS):
        return list(values), list(values)
    if len(values) == 2:
        return list(values), ["negative", "positive"]
    moods = ["negative", *["neutral"] * (len(values) - 2), "positive"]
    return list(values), moods


def _target(plan: StackPlan, source: SourceSpec, task: str) -> FieldSpec | None:
    names = [m.target for m in plan.models if m.source == source.name and m.task == task]
    return next((f for f in source.fields if f.name in names), None)


def _flip(classes: list[object], clean: np.ndarray, rng: Rng) -> np.ndarray:
    """``clean`` class indices with :data:`LABEL_NOISE` of them moved to another class."""
    flipped = clean.copy()
    if len(classes) < 2:
        return flipped
    at = rng.random(len(clean)) < LABEL_NOISE
    shift = rng.integers(1, len(classes), size=int(at.sum()))
    flipped[at] = (clean[at] + shift) % len(classes)
    return flipped


def generate(
    plan: StackPlan, source: SourceSpec, rows: int, rng: Rng, end: datetime
) -> pd.DataFrame:
    """``rows`` messages of ``source`` ending at ``end``, with labels and their oracle."""
    days = history_days(source)
    keys = source_entity_keys(plan, source, rows, rng)
    first_key = next(iter(keys.values()), np.arange(rows))
    language_field = _language_field(plan, source)
    written = languages_written(language_field)
    language = rng.choice(np.array(written), size=rows)
    sentiment_field = _target(plan, source, "sentiment_analysis")
    classes, moods = _classes(sentiment_field)
    clean = rng.integers(0, len(classes), size=rows)
    texts = np.empty(rows, dtype=object)
    for code in written:
        for mood_index, mood in enumerate(moods):
            at = np.flatnonzero((language == code) & (clean == mood_index))
            texts[at] = sentences(code, mood, len(at), rng)
    data: dict[str, object] = {}
    for column in source.fields:
        if column.name == source.event_time or column.type == "timestamp":
            data[column.name] = event_times(rows, days, end, first_key, rng)
        elif column.type == "text":
            data[column.name] = texts
        elif language_field is not None and column.name == language_field.name:
            declared = pd.Series(language, dtype="string")
            if column.nullable:
                declared = declared.mask(rng.random(rows) < LANGUAGE_NULLS)
            values = column.values or tuple(written)
            data[column.name] = (
                pd.Categorical(declared, categories=values)
                if column.type == "category"
                else declared.astype(object)
            )
        else:
            data[column.name] = column_values(column, rows, keys, rng)
    frame = pd.DataFrame(data)
    if sentiment_field is not None:
        labels = np.array(classes, dtype=object)
        noisy = labels[_flip(classes, clean, rng)]
        frame[sentiment_field.name] = _typed(sentiment_field, noisy)
        frame[ORACLE_PREFIX + sentiment_field.name] = _typed(sentiment_field, labels[clean])
    entity_field = _target(plan, source, "entity_recognition")
    if entity_field is not None:
        found = [entities(str(text)) for text in texts]
        frame[entity_field.name] = found
        frame[ORACLE_PREFIX + entity_field.name] = found
    if source.event_time is not None:
        frame = frame.sort_values(source.event_time, kind="stable").reset_index(drop=True)
    return frame


def _typed(column: FieldSpec, values: np.ndarray) -> pd.Series:
    if column.type == "bool":
        return pd.Series(values.astype(bool))
    if column.type == "category" and column.values:
        return pd.Series(pd.Categorical(values, categories=column.values))
    return pd.Series(values.astype(str))
