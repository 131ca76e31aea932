"""The root spec model: one YAML document describing an ML system.

The models mirror the YAML exactly (field names are the keys users write, units in the names)
and validate shape only. Import :class:`Spec` from here; the sub-models live in
``data_models``, ``ml_models`` and ``serving_models`` to keep each module small.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from mlopsgen.spec.models.base import SpecModel, invalid
from mlopsgen.spec.models.data import Data, FeatureStore
from mlopsgen.spec.models.llm import GpuClass
from mlopsgen.spec.models.ml import ModelSpec, Training
from mlopsgen.spec.models.serving import Serving
from mlopsgen.spec.models.types import Duration, FieldName, Label, Name, SystemName, Text

SPEC_VERSION = 1


class System(SpecModel):
    """Who and what: the name is the output directory and the prefix of cloud resources."""

    name: SystemName
    description: Text
    owner: Label
    """Team or address that owns the system and receives tickets."""


class Throughput(SpecModel):
    """Load: a peak rate, a daily volume, or both."""

    peak_rps: float | None = Field(default=None, gt=0, le=10**8)
    requests_per_day: float | None = Field(default=None, gt=0, le=10**13)
    peak_to_average: float = Field(default=3.0, ge=1, le=100)
    """Peak rate over the daily average, used when only requests_per_day is given."""
    peak_output_tokens_per_second: float | None = Field(default=None, gt=0, le=10**9)
    """Generated tokens per second at peak (a text_generation system): the peak rate is this
    over the median output tokens per request."""

    @model_validator(mode="after")
    def _one_rate(self) -> Throughput:
        rates = (self.peak_rps, self.requests_per_day, self.peak_output_tokens_per_second)
        if all(rate is None for rate in rates):
            raise invalid(
                "give peak_rps, requests_per_day, or both",
                "add `peak_rps:` (requests per second at peak) or `requests_per_day:`",
            )
        if self.peak_output_tokens_per_second is not None and self.peak_rps is not None:
            raise invalid(
                "give peak_rps or peak_output_tokens_per_second, not both",
                "keep the one the team measures; the plan derives the other",
            )
        return self


class Slo(SpecModel):
    """Service level objectives that the plan must honour."""

    latency_p95_ms: float | None = Field(default=None, gt=0, le=600000)
    """95th-percentile latency of the real-time API."""
    availability: float = Field(ge=90, le=99.999)
    """Percent of successful requests over 30 days (99.9, 99.99)."""
    throughput: Throughput


class BusinessMetric(SpecModel):
    """A business metric that experiments are judged by."""

    name: Name
    direction: Literal["increase", "decrease"]
    unit: Label | None = None
    description: Text | None = None


class Guardrail(SpecModel):
    """A bound that must hold for promotion and is alerted on live."""

    metric: Name
    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _one_bound(self) -> Guardrail:
        if (self.min is None) == (self.max is None):
            raise invalid(
                "a guardrail sets exactly one of min or max",
                "keep `min:` for a floor or `max:` for a ceiling, not both or neither",
            )
        return self


class Business(SpecModel):
    """What the business measures, apart from model metrics."""

    metrics: list[BusinessMetric] = Field(default_factory=list, max_length=50)
    guardrails: list[Guardrail] = Field(default_factory=list, max_length=50)


class Drift(SpecModel):
    """Drift detection on model inputs; bands default to PSI's 0.1 / 0.25."""

    method: Literal["psi", "ks", "wasserstein", "jensen_shannon"] = "psi"
    warn: float = Field(default=0.1, gt=0, le=10)
    alert: float = Field(default=0.25, gt=0, le=10)
    window: Duration = "1d"

    @model_validator(mode="after")
    def _bands(self) -> Drift:
        if self.warn >= self.alert:
            raise invalid(
                f"warn ({self.warn:g}) must be below alert ({self.alert:g})",
                f"swap them: warn: {self.alert:g} and alert: {self.warn:g}"
                if self.warn > self.alert
                else "lower warn or raise alert; PSI's usual bands are warn 0.1, alert 0.25",
                {"warn": self.alert, "alert": self.warn} if self.warn > self.alert else None,
            )
        return self


class QualityCheck(SpecModel):
    """A live model-quality bound, optionally per slice (accuracy per language)."""

    model: Name
    metric: Name
    min: float | None = None
    max: float | None = None
    by: FieldName | None = None
    window: Duration = "1d"

    @model_validator(mode="after")
    def _one_bound(self) -> QualityCheck:
        if (self.min is None) == (self.max is None):
            raise invalid(
                "a quality check sets exactly one of min or max",
                "keep `min:` for a floor or `max:` for a ceiling, not both or neither",
            )
        return self


class AlertChannel(SpecModel):
    """Where alerts go, by severity."""

    channel: Literal["pagerduty", "slack", "email", "opsgenie", "webhook"]
    severity: Literal["page", "ticket"]
    target: Label | None = None


class Monitoring(SpecModel):
    """Drift, quality and alerting."""

    drift: Drift = Drift()
    quality: list[QualityCheck] = Field(default_factory=list, max_length=100)
    alerts: list[AlertChannel] = Field(default_factory=list, max_length=20)
    dashboards: bool = True


class Infrastructure(SpecModel):
    """Where the stack runs; ``local`` means the laptop defaults only."""

    cloud: Literal["aws", "gcp", "local"] = "local"
    region: Label | None = None
    zones: int | None = Field(default=None, ge=1, le=6)
    """At least this many zones; the plan raises it when availability needs more."""
    gpu_class: GpuClass | None = None
    budget_usd_month: float | None = Field(default=None, gt=0, le=10**9)
    kubernetes_version: Label = "1.31"


class Spec(SpecModel):
    """An ML system: requirements in, a stack out."""

    spec_version: Literal[1]
    system: System
    slo: Slo
    business: Business = Business()
    data: Data
    features: FeatureStore = FeatureStore()
    models: list[ModelSpec] = Field(min_length=1, max_length=1000)
    training: Training = Training()
    serving: Serving
    monitoring: Monitoring = Monitoring()
    infrastructure: Infrastructure = Infrastructure()


__all__ = ["SPEC_VERSION", "FieldName", "Spec"]
