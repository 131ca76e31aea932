"""The frame the models' families read, from validated request rows and their view features.

Request fields arrive as JSON values; the families read them as training saw them: images as
``.npy`` bytes (``services.images``; the vision family decodes those bytes, whatever size),
timestamps as UTC datetimes, and each view feature as its ``<view>__<feature>`` column,
read once per batch from the online store.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from services import images
from services.features import OnlineFeatures
from services.serving_plan import ServingConfig

__all__ = ["request_frame"]


def _image_bytes(value: Any) -> Any:
    return images.decode(value) if isinstance(value, str) else value


def request_frame(
    config: ServingConfig, rows: Sequence[Mapping[str, Any]], features: OnlineFeatures
) -> pd.DataFrame:
    """One frame row per request row: request fields as training saw them, view features."""
    names = [f.name for f in config.request_fields]
    frame = pd.DataFrame.from_records([dict(r) for r in rows], columns=names)
    for field in config.request_fields:
        if field.type == "image":
            frame[field.name] = pd.Series(
                [_image_bytes(v) for v in frame[field.name]], index=frame.index, dtype=object
            )
        elif field.type == "timestamp":
            frame[field.name] = pd.to_datetime(frame[field.name], utc=True)
    for column, values in features.read(rows).items():
        frame[column] = pd.Series(values, index=frame.index, dtype=object)
    return frame
