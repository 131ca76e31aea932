# Hand computations are written in mathematical notation (×, −, ρ, Σ) on purpose.
# ruff: noqa: RUF003
"""Planning diagnostics: each W5xx/E5xx fires on the spec edit that causes it, and says why.

Variants are reference specs with a few edits, loaded through the real loader (checks
included), so every case here is a spec a user could write.
"""

from __future__ import annotations

import dataclasses

import pytest

from mlopsgen.diagnostics import Level
from mlopsgen.plan import build_plan
from mlopsgen.spec.loader import LoadedSpec
from tests.unit.plan_support import (
    FRAUD,
    NLP,
    RECOMMENDATION,
    TIME_SERIES,
    VISION,
    codes,
    loaded,
    variant,
)

CPU_VISION = (("models", 0, "gpu", "serving"), 0)


def test_low_utilisation_names_the_fixes() -> None:
    # ResNet-class model on CPU with int8: 45 ms ÷ 1.5 = 30 ms, + 1 ms server = 31 ms
    # ρ = 1 − 2.9957 × 31 / 100 = 0.071 < 0.3 → W501, still plannable
    outcome = variant(VISION, [CPU_VISION, (("slo", "latency_p95_ms"), 100)])
    assert codes(outcome) == ["W501"]
    found = outcome.diagnostics[0]
    assert found.level is Level.WARNING
    assert "slowest: model:image_classifier, 30 ms" in found.message
    assert found.hint is not None
    assert "serve image_classifier on a GPU (gpu.serving: 1)" in found.hint
    assert "use a smaller image_classifier (size: small)" in found.hint
    assert "quantize" not in found.hint  # already int8
    cap = outcome.plan.serving.capacity
    assert cap is not None
    assert cap.utilisation == pytest.approx(0.07132, abs=1e-5)


def test_unmet_slo_is_an_error_when_a_fix_exists() -> None:
    # p95 50 ms: ρ = 1 − 2.9957 × 31 / 50 = −0.86 → no replica count helps → E502
    # with a GPU the same model would fit: 1 + 5 / 4 / 1.8 = 1.69 ms on an H100 with int8
    outcome = variant(VISION, [CPU_VISION, (("slo", "latency_p95_ms"), 50)])
    assert codes(outcome) == ["E502"]
    assert not outcome.ok
    # the plan stays finite: the utilisation floor keeps replicas computable
    cap = outcome.plan.serving.capacity
    assert cap is not None and cap.utilisation == 0.05


def test_impossible_slo_says_so() -> None:
    # p95 3 ms: even the best case 1.69 ms gives ρ = 1 − 2.9957 × 1.694 / 3 < 0 → E501
    outcome = variant(VISION, [CPU_VISION, (("slo", "latency_p95_ms"), 3)])
    assert codes(outcome) == ["E501"]
    assert "even with GPUs, int8 and small models" in outcome.diagnostics[0].message


def test_over_budget() -> None:
    # the fraud stack costs about $12,000 a month; a $5,000 budget is exceeded
    outcome = variant(FRAUD, [(("infrastructure", "budget_usd_month"), 5000)])
    assert "W502" in codes(outcome)
    assert outcome.plan.cost.over_budget
    warning = next(d for d in outcome.diagnostics if d.code == "W502")
    assert "largest: serving_nodes" in warning.message


def test_regional_sla_warning_on_99_995() -> None:
    outcome = variant(RECOMMENDATION, [(("slo", "availability"), 99.995)])
    assert codes(outcome) == ["W503"]
    assert outcome.plan.availability.zones == 3


def test_experiment_that_cannot_read_out_in_time() -> None:
    # 7 days of traffic + 30 days of chargeback delay = 37 > 30
    edit = (("serving", "experiments", 0, "max_duration_days"), 30)
    outcome = variant(FRAUD, [edit])
    assert codes(outcome) == ["W503", "W504"]
    assert not outcome.plan.serving.experiments[0].fits
    message = next(d for d in outcome.diagnostics if d.code == "W504").message
    assert "37 days" in message and "30 label delay" in message


def test_stated_batch_window_longer_than_the_budget() -> None:
    # 200 ms window > 100 − 3 = 97 ms left after the unbatched stages
    outcome = variant(RECOMMENDATION, [(("serving", "batching", "max_latency_ms"), 200)])
    assert codes(outcome) == ["W505"]
    assert outcome.plan.serving.batching.max_latency_ms == 200


def test_view_that_expires_before_it_refreshes() -> None:
    # TTL 1 d → refresh every 6 h; with 1 day of source lag values reach 30 h > 24 h
    outcome = variant(TIME_SERIES, [(("features", "views", 0, "ttl"), "1d")])
    assert codes(outcome) == ["W506"]


def test_no_page_channel() -> None:
    alerts = [{"channel": "slack", "severity": "ticket", "target": "#recsys"}]
    outcome = variant(RECOMMENDATION, [(("monitoring", "alerts"), alerts)])
    assert codes(outcome) == ["W507"]


def test_gpu_class_the_cloud_lacks() -> None:
    # The loader rejects a10g on GCP; a spec built in code falls back to GCP's L4 with W508.
    base = loaded(NLP)
    infra = base.spec.infrastructure.model_copy(update={"gpu_class": "a10g"})
    spec = base.spec.model_copy(update={"infrastructure": infra})
    outcome = build_plan(dataclasses.replace(base, spec=spec))
    assert codes(outcome) == ["W508"]
    assert outcome.plan.infrastructure.gpu_class == "l4"


def test_more_zones_than_the_region_has() -> None:
    outcome = variant(FRAUD, [(("infrastructure", "zones"), 4)])
    assert "E503" in codes(outcome)
    assert outcome.plan.availability.zones == 4


def test_defensive_errors_for_specs_built_without_checks() -> None:
    # The loader's checks reject these first (E307, E315); a spec built in code can still
    # reach the planner, which reports instead of crashing.
    base = loaded(TIME_SERIES)
    spec = base.spec
    model = spec.models[0].model_copy(update={"partition_by": "price_usd"})
    unpartitionable = spec.model_copy(update={"models": [model, *spec.models[1:]]})
    edited = dataclasses.replace(base, spec=unpartitionable)
    assert "E504" in codes(build_plan(edited))
    fraud = loaded(FRAUD)
    exp = fraud.spec.serving.experiments[0].model_copy(update={"minimum_detectable_effect": 1000})
    serving = fraud.spec.serving.model_copy(update={"experiments": [exp]})
    bad = LoadedSpec(fraud.spec.model_copy(update={"serving": serving}), fraud.source_map, "0")
    assert "E505" in codes(build_plan(bad))


def test_reference_specs_plan_without_errors() -> None:
    for stem in (FRAUD, RECOMMENDATION, VISION, NLP, TIME_SERIES):
        outcome = build_plan(loaded(stem))
        assert outcome.ok, stem
