"""Spec models for data sources, their schemas and the feature store."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from mlopsgen.spec.models.base import SpecModel, invalid
from mlopsgen.spec.models.types import Duration, FieldName, Label, Name, Text

FieldKind = Literal[
    "string", "integer", "float", "bool", "category", "timestamp", "text", "image", "embedding"
]
FieldRole = Literal["id", "entity", "feature", "label", "timestamp", "partition", "payload"]


class FieldSpec(SpecModel):
    """One column of a source; its type drives validation, synthetic data and request schemas."""

    type: FieldKind
    """The column's type; ``category`` values become enums, ``image`` a tensor input."""
    role: FieldRole = "feature"
    """How the column is used: identifiers and entities are never model features."""
    description: Text | None = None
    nullable: bool = False
    min: float | None = None
    """Smallest valid value (numeric types); also bounds the synthetic data."""
    max: float | None = None
    """Largest valid value (numeric types)."""
    values: list[Label] | None = Field(default=None, min_length=1, max_length=500)
    """Allowed values of a ``category`` column, when the set is closed."""
    dim: int | None = Field(default=None, ge=1, le=65536)
    """Vector length of an ``embedding`` column."""
    width: int | None = Field(default=None, ge=1, le=16384)
    """Pixel width of an ``image`` column."""
    height: int | None = Field(default=None, ge=1, le=16384)
    """Pixel height of an ``image`` column."""
    channels: int | None = Field(default=None, ge=1, le=4)

    @model_validator(mode="after")
    def _consistent(self) -> FieldSpec:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise invalid(
                f"min ({self.min:g}) is greater than max ({self.max:g})",
                f"swap them: min: {self.max:g} and max: {self.min:g}",
                {"min": self.max, "max": self.min},
            )
        numeric = self.type in ("integer", "float")
        if (self.min is not None or self.max is not None) and not numeric:
            raise invalid(
                f"min/max apply to integer and float columns, not {self.type}",
                "remove min and max, or set `type: float` if the column is numeric",
            )
        if self.values is not None and self.type != "category":
            raise invalid(
                f"values apply to category columns, not {self.type}",
                "remove values, or set `type: category` if the column takes only these values",
            )
        if self.type == "embedding" and self.dim is None:
            raise invalid(
                "an embedding column needs its vector length: dim",
                "add `dim:` with the vector length, e.g. dim: 128",
            )
        if self.type == "image" and (self.width is None or self.height is None):
            raise invalid(
                "an image column needs width and height",
                "add `width:` and `height:` in pixels, e.g. width: 224, height: 224",
            )
        return self


class Source(SpecModel):
    """Where training and serving data comes from."""

    name: Name
    kind: Literal["stream", "table", "files"]
    """stream (Kafka, Kinesis, Pub/Sub), table (warehouse, parquet), files (object store)."""
    uri: Label
    format: Literal["parquet", "csv", "json", "avro", "jpeg", "png", "text"] | None = None
    event_time: FieldName | None = None
    """Timestamp column used for point-in-time joins and freshness."""
    label: FieldName | None = None
    """Column holding the ground truth, when the source carries it."""
    label_delay_days: float = Field(default=0, ge=0, le=365)
    """How long labels take to arrive (chargebacks: ~30 days); delays experiment read-outs."""
    label_rate: float | None = Field(default=None, gt=0, lt=1)
    """Share of rows whose bool label is true (fraud: well under 1 %); the synthetic source
    draws its labels at this base rate, 5 % when it is not declared."""
    rows_per_day: int | None = Field(default=None, ge=1, le=10**13)
    schema_: dict[FieldName, FieldSpec] = Field(alias="schema", min_length=1, max_length=2000)
    """Columns by name; they are the model inputs and the request schema."""

    model_config = SpecModel.model_config | {"populate_by_name": True}


class DataValidation(SpecModel):
    """Checks every training run applies before it trains."""

    max_null_fraction: float = Field(default=0.01, ge=0, le=1)
    freshness_max_minutes: float | None = Field(default=None, gt=0, le=525600)
    min_rows: int = Field(default=1000, ge=1, le=10**12)


class Data(SpecModel):
    """The system's data: sources with schemas, and what a valid batch looks like."""

    sources: list[Source] = Field(min_length=1, max_length=100)
    validation: DataValidation = DataValidation()


class Entity(SpecModel):
    """A thing features describe (user, merchant, item); its key joins features to requests."""

    name: Name
    key: FieldName
    cardinality: int = Field(ge=1, le=10**12)
    """How many distinct keys exist; sizes the online store."""
    description: Text | None = None


class FeatureDef(SpecModel):
    """One aggregated feature of a view."""

    name: Name
    agg: Literal["count", "count_distinct", "sum", "mean", "min", "max", "stddev", "last"]
    column: FieldName | None = None
    """Source column aggregated; omitted only for ``count``."""
    window: Duration
    """Aggregation window, e.g. 1h or 30d."""

    @model_validator(mode="after")
    def _column_needed(self) -> FeatureDef:
        if self.agg != "count" and self.column is None:
            raise invalid(
                f"aggregation {self.agg!r} needs the column it aggregates",
                "add `column:` naming a numeric column of the view's source, or use `agg: count`",
            )
        return self


class FeatureView(SpecModel):
    """A versioned group of features of one entity, shared by training and serving."""

    name: Name
    entity: Name
    source: Name
    ttl: Duration
    """How long a value stays valid in the online store."""
    compute: Literal["batch", "stream"] = "batch"
    """stream: updated from the event stream in near real time."""
    online: bool = True
    features: list[FeatureDef] = Field(min_length=1, max_length=500)


class FeatureStore(SpecModel):
    """Online and offline stores; the local stack substitutes SQLite and local files."""

    online_store: Literal["redis", "dynamodb", "bigtable", "sqlite"] = "redis"
    offline_store: Literal["parquet", "bigquery", "redshift", "snowflake"] = "parquet"
    entities: list[Entity] = Field(default_factory=list, max_length=100)
    views: list[FeatureView] = Field(default_factory=list, max_length=500)
