"""Synthetic image sources: a picture per row whose class a network can learn, and its label.

Why small pictures: a stack must train on a laptop CPU in seconds, so the source draws each
image at a side of at most :data:`SYNTHETIC_SIDE` pixels whatever size the schema declares
(a 224 px image is 49 times the pixels for no more signal). The model reads any size: the
vision family resizes every image to its own input side, so real full-size images and these
go through the same path.

How an image travels in a parquet frame: one binary cell per image holding the uint8
``H x W x C`` array in NumPy's ``.npy`` format (a self-describing header, then the raw
pixels): lossless, no image codec to install, and the shape travels with the pixels.
:func:`pipelines.families.vision_data.to_tensor` reads it back (as well as raw arrays).

Labels: each row's true class is drawn first and its image rendered from it (the class
decides the pattern, see ``families/vision_data.py``); the recorded label is that class
except for :data:`LABEL_NOISE` of the rows, relabelled at random as annotators sometimes do.
The true class is the oracle (``_oracle__<label>``): the best any model could answer.
"""

from __future__ import annotations

import io
from datetime import datetime

import numpy as np
import pandas as pd

from pipelines.families.vision import images
from pipelines.stack_plan import FieldSpec, SourceSpec, StackPlan
from pipelines.synthetic import (
    ORACLE_PREFIX,
    column_values,
    event_times,
    history_days,
    source_entity_keys,
)

__all__ = ["LABEL_NOISE", "SYNTHETIC_SIDE", "decode", "encode", "generate"]

#: Largest side, in pixels, of a synthetic image (the declared size when that is smaller).
SYNTHETIC_SIDE = 32
#: Share of rows whose recorded label is a random other class (annotation mistakes).
LABEL_NOISE = 0.02
#: Classes of an image label that declares no category values.
DEFAULT_CLASSES = ("a", "b", "c")


def encode(pixels: np.ndarray) -> bytes:
    """One image as ``.npy`` bytes (uint8, H x W x C): what a parquet cell holds."""
    buffer = io.BytesIO()
    np.save(buffer, np.ascontiguousarray(pixels, dtype=np.uint8), allow_pickle=False)
    return buffer.getvalue()


def decode(cell: bytes) -> np.ndarray:
    """The uint8 H x W x C array of an :func:`encode`-d cell."""
    return np.asarray(np.load(io.BytesIO(cell), allow_pickle=False))


def _image_field(source: SourceSpec) -> FieldSpec | None:
    return next((f for f in source.fields if f.type == "image"), None)


def _classes(field: FieldSpec | None) -> np.ndarray:
    values = field.values if field is not None and field.values else DEFAULT_CLASSES
    return np.array(values)


def _side(declared: int | None) -> int:
    return max(8, min(int(declared or SYNTHETIC_SIDE), SYNTHETIC_SIDE))


def _labels(
    classes: np.ndarray, rows: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """(recorded, true) labels: fairly balanced classes, a few recorded wrongly."""
    weights = rng.dirichlet(np.full(len(classes), 8.0))
    truth = rng.choice(len(classes), size=rows, p=weights)
    recorded = truth.copy()
    wrong = rng.random(rows) < LABEL_NOISE
    if len(classes) > 1:
        shift = rng.integers(1, len(classes), size=rows)
        recorded = np.where(wrong, (truth + shift) % len(classes), truth)
    return classes[recorded], classes[truth]


def generate(
    plan: StackPlan, source: SourceSpec, rows: int, rng: np.random.Generator, end: datetime
) -> pd.DataFrame:
    """``rows`` images of ``source`` with their labels, sorted by event time ending at ``end``."""
    days = history_days(source)
    keys = source_entity_keys(plan, source, rows, rng)
    first_key = next(iter(keys.values()), np.arange(rows))
    label_field = next((f for f in source.fields if f.name == source.label), None)
    recorded, truth = _labels(_classes(label_field), rows, rng)
    image = _image_field(source)
    data: dict[str, object] = {}
    for field in source.fields:
        if field.name == source.event_time or field.type == "timestamp":
            data[field.name] = event_times(rows, days, end, first_key, rng)
        elif image is not None and field.name == image.name:
            height, width = _side(field.height), _side(field.width)
            pixels = images(list(truth), height, width, int(field.channels or 3), rng)
            data[field.name] = [encode(p) for p in pixels]
        elif field.name == source.label:
            data[field.name] = pd.Categorical(recorded, categories=_classes(label_field))
        else:
            data[field.name] = column_values(field, rows, keys, rng)
    frame = pd.DataFrame(data)
    if source.label is not None:
        frame[ORACLE_PREFIX + source.label] = truth
    if source.event_time is not None:
        frame = frame.sort_values(source.event_time, kind="stable").reset_index(drop=True)
    return frame
