"""Resolved data sources and schemas, and the byte sizes that cost and capacity need.

Every column keeps what synthetic data, validation and request schemas need (type, role,
bounds, category values, tensor shapes). Sizes are planning estimates: stored bytes per row
(columnar formats compress ~3x; images are already compressed JPEG/PNG at ~10:1 of the raw
tensor) and JSON bytes per request field (images travel base64-encoded, 4/3 of their size).
"""

from __future__ import annotations

import math

from mlopsgen.plan.ir.data import DataPlan, FieldPlan, SourcePlan, ValidationPlan
from mlopsgen.spec.models.data import FieldSpec
from mlopsgen.spec.models.root import Spec

_STORED_BYTES = {
    "string": 24,
    "integer": 8,
    "float": 8,
    "bool": 1,
    "category": 4,
    "timestamp": 8,
    "text": 400,
}
_JSON_BYTES = {
    "string": 40,
    "integer": 12,
    "float": 16,
    "bool": 6,
    "category": 16,
    "timestamp": 30,
    "text": 500,
}
IMAGE_COMPRESSION = 10
COLUMNAR_RATIO = 0.3
HTTP_OVERHEAD_BYTES = 300
RESPONSE_BYTES = 300


def _image_bytes(spec_field: FieldSpec) -> int:
    pixels = (spec_field.width or 1) * (spec_field.height or 1) * (spec_field.channels or 3)
    return math.ceil(pixels / IMAGE_COMPRESSION)


def stored_bytes(spec_field: FieldSpec) -> int:
    """Bytes one value takes at rest."""
    if spec_field.type == "image":
        return _image_bytes(spec_field)
    if spec_field.type == "embedding":
        return 4 * (spec_field.dim or 1)
    return _STORED_BYTES[spec_field.type]


def json_bytes(spec_field: FieldSpec) -> int:
    """Bytes one value takes in a JSON request."""
    if spec_field.type == "image":
        return math.ceil(_image_bytes(spec_field) * 4 / 3)
    if spec_field.type == "embedding":
        return 10 * (spec_field.dim or 1)
    return _JSON_BYTES[spec_field.type]


def field_plan(name: str, spec_field: FieldSpec) -> FieldPlan:
    """The plan form of one column."""
    return FieldPlan(
        name=name,
        type=spec_field.type,
        role=spec_field.role,
        nullable=spec_field.nullable,
        description=spec_field.description,
        min=spec_field.min,
        max=spec_field.max,
        values=tuple(spec_field.values) if spec_field.values else None,
        dim=spec_field.dim,
        width=spec_field.width,
        height=spec_field.height,
        channels=spec_field.channels,
    )


def plan_data(spec: Spec) -> DataPlan:
    """Sources with full schemas in spec order, and the validation thresholds."""
    sources = tuple(
        SourcePlan(
            name=s.name,
            kind=s.kind,
            uri=s.uri,
            format=s.format,
            event_time=s.event_time,
            label=s.label,
            label_delay_days=s.label_delay_days,
            label_rate=s.label_rate,
            rows_per_day=s.rows_per_day,
            row_bytes=sum(stored_bytes(f) for f in s.schema_.values()),
            fields=tuple(field_plan(n, f) for n, f in sorted(s.schema_.items())),
        )
        for s in spec.data.sources
    )
    v = spec.data.validation
    return DataPlan(
        sources=sources,
        validation=ValidationPlan(
            max_null_fraction=v.max_null_fraction,
            freshness_max_minutes=v.freshness_max_minutes,
            min_rows=v.min_rows,
        ),
    )


def stored_gb(spec: Spec) -> float:
    """Object storage for the training window of every source, in GB."""
    total = 0.0
    retention = spec.training.lookback_days
    for source in spec.data.sources:
        if not source.rows_per_day:
            continue
        row = sum(stored_bytes(f) for f in source.schema_.values())
        has_image = any(f.type == "image" for f in source.schema_.values())
        ratio = 1.0 if has_image else COLUMNAR_RATIO
        total += source.rows_per_day * retention * row * ratio / 1e9
    return total


def request_fields(spec: Spec) -> list[tuple[str, FieldSpec]]:
    """Request fields with their column specs: the stated list or the served raw inputs."""
    names = spec.serving.request_fields
    if names is None:
        served = set(spec.serving.models)
        names = []
        for model in spec.models:
            if model.name in served:
                names += [i for i in model.inputs if "." not in i and i not in names]
    out = []
    for name in names:
        owner = next((s for s in spec.data.sources if name in s.schema_), None)
        if owner is not None:
            out.append((name, owner.schema_[name]))
    return out


def request_bytes(spec: Spec) -> int:
    """Bytes of one request and its response on the wire, headers included."""
    body = sum(json_bytes(f) for _, f in request_fields(spec))
    return HTTP_OVERHEAD_BYTES + body + RESPONSE_BYTES
