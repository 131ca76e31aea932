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
    columns: dict[str, Any] = {}
    for field in config.request_fields:
        values = [row.get(field.name) for row in rows]
        if field.type == "image":
            columns[field.name] = pd.Series([_image_bytes(v) for v in values], dtype=object)
        elif field.type == "timestamp":
            columns[field.name] = pd.to_datetime(pd.Series(values, dtype=object), utc=True)
        else:
            columns[field.name] = values
    for column, values in features.read(rows).items():
        columns[column] = pd.Series(values, dtype=object)
    # one construction: inserting columns one by one costs a block copy each, per request
    return pd.DataFrame(columns, index=pd.RangeIndex(len(rows)))
