"""The stdlib parts of the stack's ``services.loadtest``: loopback only, bounded, its report.

The test against a running service is in ``tests/functional/test_bentoml_up.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.unit.stack_modules import REFERENCE_PLANS, load_service_module, read_plan

loadtest = load_service_module("loadtest")


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:3000", "http://127.0.0.2:80/", "http://[::1]:3000", "https://localhost:1"],
)
def test_loopback_urls_are_accepted(url: str) -> None:
    assert loadtest.loopback_url(url) == url.rstrip("/")


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.1:3000",
        "http://example.com",
        "http://0.0.0.0:3000",
        "http://[2001:db8::1]:80",
        "ftp://127.0.0.1",
        "127.0.0.1:3000",
        "http://localhost.example.com",
    ],
)
def test_other_hosts_are_refused(url: str) -> None:
    with pytest.raises(ValueError):
        loadtest.loopback_url(url)


def test_the_command_line_refuses_a_remote_url_with_exit_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        loadtest.main(["--url", "http://192.0.2.7:3000"], root=Path("/nonexistent"))
    assert exit_info.value.code == 2
    assert "not a loopback address" in capsys.readouterr().err


def test_limits_default_to_the_plans_rate_for_ten_seconds() -> None:
    bounds = loadtest.limits(None, None, None, 100.0)
    assert bounds == loadtest.Limits(rate=100.0, duration_s=10.0, requests=1000)


def test_a_request_count_alone_sets_the_duration() -> None:
    bounds = loadtest.limits(50.0, None, 25, 1000.0)
    assert bounds == loadtest.Limits(rate=50.0, duration_s=0.5, requests=25)


def test_the_first_bound_reached_wins() -> None:
    assert loadtest.limits(10.0, 2.0, 1000, None).requests == 20
    assert loadtest.limits(10.0, 100.0, 5, None).requests == 5


def test_limits_never_exceed_the_caps() -> None:
    bounds = loadtest.limits(1e9, 1e9, 10**9, None)
    assert bounds.duration_s == loadtest.MAX_DURATION_S
    assert bounds.requests == loadtest.MAX_REQUESTS


def test_no_rate_means_nothing_to_test() -> None:
    assert loadtest.limits(None, 5.0, 10, None) is None


@pytest.mark.parametrize(("rate", "duration", "requests"), [(0.0, None, None), (1.0, -1.0, None),
                                                              (1.0, None, 0)])  # fmt: skip
def test_limits_refuse_non_positive_values(
    rate: float, duration: float | None, requests: int | None
) -> None:
    with pytest.raises(ValueError, match="must be positive"):
        loadtest.limits(rate, duration, requests, None)


@pytest.mark.parametrize("plan_path", REFERENCE_PLANS, ids=lambda p: p.parent.name)
def test_a_reference_plan_gives_its_per_replica_rate_and_objective(plan_path: Path) -> None:
    plan = read_plan(plan_path)
    rate, slo = loadtest.plan_targets(plan)
    assert rate == plan["serving"]["capacity"]["per_replica_rps"]
    assert slo == plan["serving"]["latency_p95_ms"]


def test_a_batch_only_plan_has_no_rate() -> None:
    plan = {"serving": {"mode": "batch", "realtime": False, "capacity": None,
                        "latency_p95_ms": None}}  # fmt: skip
    assert loadtest.plan_targets(plan) == (None, None)


def test_percentiles_are_measured_values_by_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert loadtest.percentile(values, 50) == 50.0
    assert loadtest.percentile(values, 95) == 95.0
    assert loadtest.percentile(values, 99) == 99.0
    assert loadtest.percentile(values, 100) == 100.0
    assert loadtest.percentile([7.0], 95) == 7.0
    assert loadtest.percentile([3.0, 1.0, 2.0], 50) == 2.0
    assert loadtest.percentile([], 95) is None
    with pytest.raises(ValueError):
        loadtest.percentile(values, 0)


def _report(outcomes: list[tuple[str, float]], slo: float | None) -> object:
    bounds = loadtest.Limits(rate=10.0, duration_s=1.0, requests=10)
    results = [loadtest.Result(o, s) for o, s in outcomes]
    return loadtest.summarise("http://127.0.0.1:1", bounds, results, 0, 2.0, slo)


def test_a_report_counts_outcomes_and_passes_within_the_objective() -> None:
    report = _report([("ok", 0.010)] * 18 + [("shed", 0.001)] * 2, 50.0)
    assert (report.sent, report.ok, report.shed, report.error) == (20, 18, 2, 0)
    assert report.p95_ms == pytest.approx(10.0)
    assert report.achieved_rps == pytest.approx(10.0)
    assert report.slo_met is True and report.passed
    data = json.loads(report.to_json())
    assert data["passed"] is True and data["slo_p95_ms"] == 50.0 and data["shed"] == 2
    assert "p95 10.0 ms is within the objective 50.0 ms" in report.text()


def test_a_report_fails_above_the_objective_or_on_an_error() -> None:
    slow = _report([("ok", 0.2)] * 10, 100.0)
    assert slow.slo_met is False and not slow.passed and "ABOVE" in slow.text()
    erring = _report([("ok", 0.01)] * 9 + [("error", 0.01)], 100.0)
    assert erring.slo_met is True and not erring.passed and "FAILED" in erring.text()
    nothing = _report([("shed", 0.01)] * 3, 100.0)
    assert nothing.p95_ms is None and not nothing.passed


def test_without_an_objective_only_errors_fail() -> None:
    report = _report([("ok", 5.0)] * 4, None)
    assert report.slo_met is None and report.passed
