# Hand computations are written in mathematical notation (×, −, ρ, Σ) on purpose.
# ruff: noqa: RUF003
"""Planning diagnostics: each W5xx/E5xx fires on the spec edit that causes it, and says why.

Variants are reference specs with a few edits, loaded through the real loader (checks
included), so every case here is a spec a user could write.
"""

from __future__ import annotations

import dataclasses

import pytest
import yaml

from mlopsgen.diagnostics import Level, SpecError
from mlopsgen.plan import build_plan
from mlopsgen.spec.loader import LoadedSpec, load_spec_text
from mlopsgen.spec.models.serving import Effect
from tests.conftest import REPO
from tests.unit.plan_support import (
    FRAUD,
    NLP,
    RECOMMENDATION,
    TIME_SERIES,
    VISION,
    codes,
    loaded,
    result,
    variant,
)

CPU_VISION = (("models", 0, "gpu", "serving"), 0)


def test_low_utilisation_names_the_fixes() -> None:
    # ResNet-class model on CPU with int8: 45 ms ÷ 1.5 = 30 ms, + 1 ms server = 31 ms
    # a batch of two takes 30 + 4 × 1000 / 60 = 96.7 ms, more than half the 90 ms window,
    # so requests are served one by one and the whole 31 ms queues:
    # ρ = 1 − 2.9957 × 31 / 100 = 0.0713 < 0.3 → W501, still plannable
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
    assert not outcome.plan.serving.batching.enabled
    assert cap.latency_slo_met
    assert cap.latency_total_ms <= 100


def test_unmet_slo_is_an_error_when_a_fix_exists() -> None:
    # p95 50 ms: ρ = 1 − 2.9957 × 31 / 49 = −0.90 → no replica count helps → E502
    # with a GPU the same model would fit: 1 + 5 / 4 / 1.8 = 1.69 ms on an H100 with int8
    outcome = variant(VISION, [CPU_VISION, (("slo", "latency_p95_ms"), 50)])
    assert codes(outcome) == ["E502"]  # and no cost warning from a fleet sized at ρ = 0.05
    assert not outcome.ok
    error = outcome.diagnostics[0]
    assert error.hint is not None and "serve image_classifier on a GPU" in error.hint
    # the minimum p95 at ρ = 0.3, served one by one: 2.9957 × 31 / 0.7 = 132.7 → 133 ms
    assert "relax latency_p95_ms to at least 133" in error.hint
    # replicas are sized for throughput at the cap: no count of them fixes the latency
    cap = outcome.plan.serving.capacity
    assert cap is not None and cap.utilisation == 0.7 and not cap.latency_slo_met


def test_p95_below_one_request_says_so_and_never_asks_for_a_set_calibration() -> None:
    # measured 80 ms per request against a 50 ms p95: 1 + 80 = 81 ms ≥ 50
    edits = [
        CPU_VISION,
        (("slo", "latency_p95_ms"), 50),
        (("models", 0, "calibration"), {"service_time_ms": 80}),
    ]
    outcome = variant(VISION, edits)
    assert codes(outcome) == ["E502"]
    error = outcome.diagnostics[0]
    assert "the p95 of 50 ms is below the time one request takes: 81 ms" in error.message
    assert error.hint is not None and "calibration" not in error.hint


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


def test_regional_sla_warning_at_99_99() -> None:
    outcome = variant(RECOMMENDATION, [(("slo", "availability"), 99.99)])
    assert codes(outcome) == ["W503"]
    assert outcome.plan.availability.zones == 3
    warning = outcome.diagnostics[0]
    assert "target 99.99 %" in warning.message
    assert "set slo.availability to 99.95" in (warning.hint or "")


def test_target_above_the_regional_sla_is_an_error_with_the_reachable_target() -> None:
    with pytest.raises(SpecError) as caught:
        variant(RECOMMENDATION, [(("slo", "availability"), 99.995)])
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.code == "E329"
    assert "99.995 %" in diagnostic.message
    assert "can reach in us-central1 is 99.99 %" in (diagnostic.hint or "")


def test_experiment_that_cannot_read_out_in_time() -> None:
    # 7 days of traffic + 30 days of chargeback delay = 37 > 30
    edit = (("serving", "experiments", 0, "max_duration_days"), 30)
    outcome = variant(FRAUD, [edit])
    assert codes(outcome) == ["W503", "W504"]
    assert not outcome.plan.serving.experiments[0].fits
    message = next(d for d in outcome.diagnostics if d.code == "W504").message
    assert "37 days" in message and "30 label delay" in message


def test_stated_batch_window_longer_than_the_budget() -> None:
    # the derived window is 90 ms; 95 ms leaves 5 ms for the 1 ms server stage in front of
    # the batched call: ρ = 1 − 2.9957 × 1 / 5 = 0.4009
    outcome = variant(RECOMMENDATION, [(("serving", "batching", "max_latency_ms"), 95)])
    assert codes(outcome) == ["W505"]
    assert outcome.plan.serving.batching.max_latency_ms == 95
    cap = outcome.plan.serving.capacity
    assert cap is not None and cap.utilisation == pytest.approx(0.4009, abs=1e-4)
    # 5 ms is shorter than the batched call of one row (7.5 ms): every request would be shed
    outcome = variant(RECOMMENDATION, [(("serving", "batching", "max_latency_ms"), 5)])
    assert codes(outcome) == ["E502"]
    message = outcome.diagnostics[0].message
    assert "shorter than one batched call of a single row (7.5 ms)" in message
    # 200 ms passes the p95 itself: nothing is left for one request
    outcome = variant(RECOMMENDATION, [(("serving", "batching", "max_latency_ms"), 200)])
    assert codes(outcome) == ["E502", "W505"]
    assert "leaves -100 ms of the 100 ms p95" in outcome.diagnostics[0].message


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
    assert codes(outcome) == ["W523", "W508"]
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
    exp = fraud.spec.serving.experiments[0].model_copy(
        update={
            "baseline_rate": 0.5,
            "baseline_mean": None,
            "baseline_stddev": None,
            "minimum_detectable_effect": Effect(relative=10),
        }
    )
    serving = fraud.spec.serving.model_copy(update={"experiments": [exp]})
    bad = LoadedSpec(fraud.spec.model_copy(update={"serving": serving}), fraud.source_map, "0")
    assert "E505" in codes(build_plan(bad))


def test_reference_specs_plan_without_errors() -> None:
    for stem in (FRAUD, RECOMMENDATION, VISION, NLP, TIME_SERIES):
        outcome = build_plan(loaded(stem))
        assert outcome.ok, stem


def test_calibration_outside_the_measured_table_is_an_assumption() -> None:
    # cpu/sklearn/text/medium is scaled from the measured small entry: 4 ms, 1500 rps
    outcome = result(NLP)
    assert codes(outcome) == ["W523"]
    warning = outcome.diagnostics[0]
    assert "sentiment_multilingual" in warning.message and "assumptions" in warning.message
    assert outcome.plan.model("sentiment_multilingual").calibration.assumed
    decision = outcome.plan.decision("models.sentiment_multilingual.service_time_ms")
    assert decision.reason.startswith("an assumption")
    # measured entries raise nothing
    assert not outcome.plan.model("sentiment").calibration.assumed


def test_generative_scale_model_is_refused_unless_measured() -> None:
    # a 7-billion-parameter network is far beyond the 60M-parameter CNN class the image
    # rows stand for: the plan refuses to size it from the table (E506)
    count = (("models", 0, "parameter_count"), 7_000_000_000)
    outcome = variant(VISION, [count])
    assert "E506" in codes(outcome)
    error = next(d for d in outcome.diagnostics if d.code == "E506")
    assert "7000000000 parameters" in error.message
    assert error.hint is not None and "calibration:" in error.hint
    # with measured figures the plan sizes it from them
    measured = (("models", 0, "calibration"), {"service_time_ms": 40, "per_replica_rps": 50})
    assert "E506" not in codes(variant(VISION, [count, measured]))


def test_a_target_below_the_regional_sla_that_the_path_misses_names_more_zones() -> None:
    """99.5 % in one zone (stated: left to itself the plan takes two) with one replica composes
    to 98.79 %: the region could promise more, so the warning says the path falls short (not
    the region) and that zones lift it; with the hint's two zones the warning is gone."""
    path = REPO / "tests" / "data" / "stacks" / "claims-triage.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["infrastructure"]["zones"] = 1
    outcome = build_plan(load_spec_text(yaml.safe_dump(data), path.name))
    assert codes(outcome) == ["W503"]
    warning = outcome.diagnostics[0]
    assert "is above what the serving path composes to (98.79 %)" in warning.message
    assert "regional SLA" not in warning.message
    assert warning.hint is not None and "more zones (infrastructure.zones)" in warning.hint
    data["infrastructure"]["zones"] = 2
    again = build_plan(load_spec_text(yaml.safe_dump(data), path.name))
    assert codes(again) == []
