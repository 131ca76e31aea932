"""The operations target: alert rules from the Plan, their promtool cases, Alertmanager routing."""

from __future__ import annotations

import ast
import json
import re
from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from hypothesis import given

from mlopsgen.plan.builder import build_plan
from mlopsgen.plan.ir.ops import AlertRoute
from mlopsgen.plan.ir.root import Plan
from mlopsgen.spec.loader import load_spec_bytes
from mlopsgen.targets.ops.alert_tests import LATENCY_BUCKETS, alert_tests, minutes
from mlopsgen.targets.ops.alertmanager import (
    SECRETS_DIR,
    alertmanager_config,
    secret_file,
    webhook_url,
)
from mlopsgen.targets.ops.alerts import COST_TOLERANCE, alert_rules, alerts
from mlopsgen.targets.ops.dashboard import dashboard, panel_queries
from mlopsgen.targets.ops.target import (
    ALERT_TESTS,
    ALERTMANAGER,
    ALERTS,
    OpsTarget,
    dashboard_path,
)
from tests.conftest import REPO
from tests.unit.hostile_strings import hostile_text
from tests.unit.plan_support import FRAUD, NLP, RECOMMENDATION, REFERENCE, VISION, plan

TARGET = OpsTarget()
METRICS = REPO / "templates" / "bentoml" / "services" / "metrics.py"
BATCH_ONLY = REPO / "tests" / "data" / "corpus" / "store-demand.yaml"


def _rules(p: Plan) -> list[dict[str, object]]:
    rules: list[dict[str, object]] = alert_rules(p)["groups"][0]["rules"]
    return rules


def test_fraud_gets_the_plans_burn_rate_latency_and_shed_alerts() -> None:
    p = plan(FRAUD)
    rules = {r["alert"]: r for r in _rules(p)}
    assert [r["alert"] for r in _rules(p)] == [
        "ErrorBudgetBurn1h",
        "ErrorBudgetBurn6h",
        "ErrorBudgetBurn3d",
        "LatencyAboveObjective",
        "RequestsShed",
        "TrafficAbovePlan",
        "ServiceTimeAboveCalibration",
        "ModelQualityAboveBound",
        "TrainingStale",
        "TrainingStale",
        "TrainingStale",
        "FeatureStale",
        "FeatureStale",
        "DriftAboveWarn",
        "DriftAboveAlert",
    ]
    # the spec's PSI bands, per model, on the score the drift check writes; tickets both
    assert rules["DriftAboveWarn"]["expr"] == (
        'max by (model) (mlopsgen_drift_max_score{method="psi"}) > 0.1'
    )
    assert rules["DriftAboveAlert"]["expr"] == (
        'max by (model) (mlopsgen_drift_max_score{method="psi"}) > 0.25'
    )
    assert rules["DriftAboveAlert"]["labels"] == {
        "severity": "ticket",
        "service": "fraud-detection",
    }
    assert rules["DriftAboveAlert"]["annotations"]["spec"] == "monitoring.drift.alert"  # type: ignore[index]
    # the spec's false-positive bound of fraud_xgb, on the metric outcome ingestion writes
    quality = rules["ModelQualityAboveBound"]
    assert quality["expr"] == (
        'max(mlopsgen_model_quality{model="fraud_xgb",metric="false_positive_rate"}) > 0.01'
    )
    assert quality["labels"] == {
        "severity": "ticket",
        "service": "fraud-detection",
        "model": "fraud_xgb",
        "metric": "false_positive_rate",
    }
    assert quality["annotations"]["spec"] == "monitoring.quality[0]"  # type: ignore[index]
    # 99.99 %: 14.4 * 0.0001 over 1 h and 5 m pages; 1 * 0.0001 over 3 d and 6 h is a ticket
    fast = rules["ErrorBudgetBurn1h"]
    assert "[1h]" in str(fast["expr"]) and "[5m]" in str(fast["expr"])
    assert str(fast["expr"]).count("> 0.00144") == 2
    assert fast["labels"] == {"severity": "page", "service": "fraud-detection"}
    slow = rules["ErrorBudgetBurn3d"]
    assert str(slow["expr"]).count("> 0.0001") == 2
    assert slow["labels"] == {"severity": "ticket", "service": "fraud-detection"}
    # the p95 of 50 ms, for 5 minutes; a shed ratio above 0.1 % for 10 minutes
    latency = rules["LatencyAboveObjective"]
    assert str(latency["expr"]).startswith("histogram_quantile(0.95, ")
    assert str(latency["expr"]).endswith("> 0.05")
    assert latency["for"] == "5m"
    assert rules["RequestsShed"]["for"] == "10m"
    assert str(rules["RequestsShed"]["expr"]).endswith("> 0.001")


@pytest.mark.parametrize("stem", REFERENCE)
def test_every_alert_selects_the_service_job_and_names_its_runbook_and_source(stem: str) -> None:
    p = plan(stem)
    job = f'job="{p.serving.service_name}"'
    for rule in _rules(p):
        annotations = rule["annotations"]
        assert isinstance(annotations, dict)
        if str(annotations["spec"]).startswith("monitoring.quality["):
            # written by outcome ingestion, not scraped from the service
            assert str(rule["expr"]).startswith("max(mlopsgen_model_quality{")
            continue
        if rule["alert"] == "TrainingStale":
            # written by the training run, not scraped from the service
            assert "mlopsgen_model_promoted_timestamp_seconds{" in str(rule["expr"])
            continue
        if rule["alert"] == "FeatureStale":
            # written by materialisation and the stream consumer
            assert "mlopsgen_feature_newest_event_timestamp_seconds{" in str(rule["expr"])
            continue
        if str(annotations["spec"]).startswith("monitoring.drift."):
            # written by the drift check, per model
            assert str(rule["expr"]).startswith("max by (model) (mlopsgen_drift_max_score{")
            assert annotations["runbook"] == "README.md#input-drift"
            continue
        assert job in str(rule["expr"])
        assert isinstance(annotations, dict)
        assert str(annotations["runbook"]).startswith("README.md#")
        assert annotations["spec"] in (
            "slo.availability",
            "slo.latency_p95_ms",
            "slo.throughput",
            "serving",
            "serving.models",
            "serving.cache.hit_ratio",
        )


@pytest.mark.parametrize(
    ("stem", "alerted"),
    [
        (FRAUD, ["ModelQualityAboveBound"]),
        ("computer-vision", ["ModelQualityBelowBound"]),
        # by language: measured per slice at evaluation only
        ("nlp", []),
        # NDCG of slates and a forecast horizon's MAPE need more than one answer and a label
        ("recommendation", []),
        ("time-series-forecasting", []),
    ],
)
def test_quality_monitors_measured_live_get_an_alert(stem: str, alerted: list[str]) -> None:
    names = [r["alert"] for r in _rules(plan(stem)) if str(r["alert"]).startswith("ModelQ")]
    assert names == alerted


def test_each_trainable_model_gets_a_staleness_ticket_at_its_planned_age() -> None:
    stale = [r for r in _rules(plan(FRAUD)) if r["alert"] == "TrainingStale"]
    assert [str(r["expr"]) for r in stale] == [
        'time() - max(mlopsgen_model_promoted_timestamp_seconds{model="fraud_xgb"}) > 21600',
        'time() - max(mlopsgen_model_promoted_timestamp_seconds{model="fraud_lgbm"}) > 21600',
        'time() - max(mlopsgen_model_promoted_timestamp_seconds{model="txn_anomaly"}) > 180000',
    ]
    labels = [r["labels"] for r in stale]
    assert [label["model"] for label in labels] == ["fraud_xgb", "fraud_lgbm", "txn_anomaly"]  # type: ignore[index]
    assert all(label["severity"] == "ticket" for label in labels)  # type: ignore[index]


def test_each_online_view_gets_a_staleness_ticket_at_its_declared_freshness() -> None:
    stale = [r for r in _rules(plan(FRAUD)) if r["alert"] == "FeatureStale"]
    name = "mlopsgen_feature_newest_event_timestamp_seconds"
    assert [str(r["expr"]) for r in stale] == [
        f'time() - max({name}{{view="user_velocity"}}) > 300',
        f'time() - max({name}{{view="merchant_risk"}}) > 86700',
    ]


def test_errors_are_5xx_and_sheds_never_4xx() -> None:
    fast = _rules(plan(FRAUD))[0]
    assert 'outcome=~"error|shed"' in str(fast["expr"])
    assert "invalid" not in str(fast["expr"])


@pytest.mark.parametrize("stem", REFERENCE)
def test_each_alert_has_a_firing_and_a_silent_case(stem: str) -> None:
    p = plan(stem)
    tests = alert_tests(p)
    assert tests["rule_files"] == ["alerts.yml"]
    names = [a.name for a in alerts(p)]
    cases = {(c["alert_rule_test"][0]["alertname"], bool(c["alert_rule_test"][0]["exp_alerts"]))
             for c in tests["tests"]}  # fmt: skip
    assert cases == {(n, fires) for n in names for fires in (True, False)}


def test_a_firing_case_waits_past_the_longest_window_and_the_for() -> None:
    p = plan(FRAUD)
    by_name = {c["name"]: c for c in alert_tests(p)["tests"]}
    slow = by_name["ErrorBudgetBurn3d fires"]
    assert minutes(slow["alert_rule_test"][0]["eval_time"]) >= 3 * 1440
    latency = by_name["LatencyAboveObjective fires"]
    assert minutes(latency["alert_rule_test"][0]["eval_time"]) >= 5 + 5


def test_the_latency_buckets_are_the_services() -> None:
    tree = ast.parse(METRICS.read_text(encoding="utf-8"))
    found = next(
        ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "LATENCY_BUCKETS" for t in node.targets)
    )
    assert tuple(found) == LATENCY_BUCKETS
    assert LATENCY_BUCKETS[-1] > 600  # above the longest p95 a spec may state


def test_routing_sends_pages_and_tickets_to_the_specs_channels() -> None:
    config = alertmanager_config(plan(NLP))
    routes = {r["matchers"][0]: r["receiver"] for r in config["route"]["routes"]}
    assert routes == {'severity="page"': "nlp-page", 'severity="ticket"': "nlp-ticket"}
    receivers = {r["name"]: r for r in config["receivers"]}
    assert receivers["nlp-page"]["opsgenie_configs"][0]["api_key_file"] == (
        f"{SECRETS_DIR}/opsgenie-nlp-oncall"
    )
    assert receivers["nlp-ticket"]["slack_configs"][0]["channel"] == "#nlp-platform"
    assert "global" not in config  # no e-mail channel, no SMTP relay


def test_email_needs_a_relay_and_a_missing_severity_falls_back() -> None:
    vision = plan(VISION)
    config = alertmanager_config(vision)
    assert config["global"]["smtp_smarthost"]
    only_pages = replace(
        vision,
        monitoring=replace(
            vision.monitoring,
            routes=(AlertRoute(severity="page", channel="pagerduty", target="x"),),
        ),
    )
    config = alertmanager_config(only_pages)
    receivers = [r["name"] for r in config["receivers"]]
    assert receivers == ["computer-vision-page"]
    assert {r["receiver"] for r in config["route"]["routes"]} == {"computer-vision-page"}
    nothing = replace(vision, monitoring=replace(vision.monitoring, routes=()))
    assert alertmanager_config(nothing)["receivers"] == [{"name": "computer-vision-none"}]


def test_a_webhook_posts_to_its_target_with_the_mounted_token() -> None:
    def url(target: str) -> str:
        return webhook_url(AlertRoute(severity="page", channel="webhook", target=target))

    assert url("ops-bridge") == "http://ops-bridge/"
    assert url("Ops Bridge!") == "http://ops-bridge/"
    assert url("https://hooks.example.com/alerts?team=eta") == (
        "https://hooks.example.com/alerts?team=eta"
    )
    route = AlertRoute(severity="page", channel="webhook", target="ops-bridge")
    p = plan(FRAUD)
    config = alertmanager_config(replace(p, monitoring=replace(p.monitoring, routes=(route,))))
    (hook,) = config["receivers"][0]["webhook_configs"]
    assert hook["http_config"]["authorization"]["credentials_file"] == secret_file(route)
    assert "url_file" not in hook  # Alertmanager 0.25 reads a webhook's URL only inline


@given(hostile_text)
def test_a_webhook_target_always_gives_an_http_url_with_a_dns_host(target: str) -> None:
    url = webhook_url(AlertRoute(severity="page", channel="webhook", target=target))
    if not url.startswith(("http://", "https://")) or " " in url:
        raise AssertionError(url)
    if url != target:
        host = url.removeprefix("http://").removesuffix("/")
        assert re.fullmatch(r"[a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?", host), url


@given(hostile_text)
def test_a_channel_target_never_leaves_the_secrets_folder(target: str) -> None:
    path = secret_file(AlertRoute(severity="page", channel="webhook", target=target))
    name = path.removeprefix(f"{SECRETS_DIR}/")
    assert "/" not in name and name not in ("", ".", "..")


@pytest.mark.parametrize("stem", REFERENCE)
def test_the_files_are_yaml_with_the_header_and_no_credential(stem: str) -> None:
    rendered = TARGET.render(plan(stem))
    board = dashboard_path(plan(stem))
    assert set(rendered.files) == {ALERTS, ALERT_TESTS, ALERTMANAGER, board}
    for path, text in rendered.files.items():
        if path != board:
            assert text.startswith("# Generated by mlopsgen"), path
        assert yaml.safe_load(text), path
    routing = rendered.files[ALERTMANAGER]
    assert "routing_key:" not in routing and "api_key:" not in routing
    assert set(rendered.sections) == {"Monitoring", "Runbook"}
    for anchor in {a.runbook for a in alerts(plan(stem))}:
        assert f'<a id="{anchor}"></a>' in rendered.sections["Runbook"]


def test_a_batch_only_stack_has_no_serving_alerts() -> None:
    outcome = build_plan(load_spec_bytes(BATCH_ONLY.read_bytes(), "store-demand.yaml"))
    rendered = TARGET.render(outcome.plan)
    assert rendered.files == {}
    assert alerts(outcome.plan) == []


def test_the_rules_are_a_function_of_the_plan() -> None:
    p = plan(FRAUD)
    assert alert_rules(p) == alert_rules(plan(FRAUD))
    assert Path(ALERTS).parent == Path(ALERT_TESTS).parent


def test_the_plans_own_assumptions_are_watched() -> None:
    # fraud plans for a 100,000 requests/s peak; recommendation also for a 35 % cache hit ratio
    traffic = {r["alert"]: r for r in _rules(plan(FRAUD))}["TrafficAbovePlan"]
    assert str(traffic["expr"]).endswith("> 100000")
    assert traffic["labels"] == {"severity": "ticket", "service": "fraud-detection"}
    cache = {r["alert"]: r for r in _rules(plan(RECOMMENDATION))}["CacheHitRatioBelowPlan"]
    assert str(cache["expr"]).endswith("< 0.35")
    assert 'result="hit"' in str(cache["expr"]) and cache["for"] == "30m"
    assert "CacheHitRatioBelowPlan" not in {r["alert"] for r in _rules(plan(FRAUD))}


def _service_metrics() -> set[str]:
    """The metric names ``services/metrics.py`` registers, with a histogram's series."""
    names = set(re.findall(r'name="(mlopsgen_[a-z_]+)"', METRICS.read_text(encoding="utf-8")))
    histograms = {"mlopsgen_request_latency_seconds", "mlopsgen_batch_size"}
    assert histograms <= names
    return names | {f"{h}_{s}" for h in histograms for s in ("bucket", "sum", "count")}


@pytest.mark.parametrize("stem", REFERENCE)
def test_every_dashboard_query_reads_a_metric_the_service_exports(stem: str) -> None:
    p = plan(stem)
    board = dashboard(p)
    exported = _service_metrics()
    for query in panel_queries(board):
        assert f'job="{p.serving.service_name}"' in query
        used = set(re.findall(r"\b(mlopsgen_[a-z_]+)\{", query))
        assert used and used <= exported, query
    ids = [panel["id"] for panel in board["panels"]]
    assert ids == list(range(1, len(ids) + 1))
    places = {(panel["gridPos"]["x"], panel["gridPos"]["y"]) for panel in board["panels"]}
    assert len(places) == len(ids)  # no two panels on one spot


def test_the_dashboard_draws_the_plans_numbers() -> None:
    p = plan(RECOMMENDATION)
    panels = {panel["title"]: panel for panel in dashboard(p)["panels"]}

    def line(title: str) -> float:
        steps = panels[title]["fieldConfig"]["defaults"]["thresholds"]["steps"]
        value: float = steps[-1]["value"]
        return value

    assert line("Latency against the objective") == pytest.approx(0.1)  # p95 of 100 ms
    assert line("Cache hit ratio against the plan") == 0.35
    assert line("Rows per model call") == 8
    assert "Experiment exposures by variant" in panels
    assert "Cache hit ratio against the plan" not in {
        panel["title"] for panel in dashboard(plan(FRAUD))["panels"]
    }


def test_no_dashboard_when_the_spec_turns_them_off() -> None:
    p = plan(FRAUD)
    off = replace(p, monitoring=replace(p.monitoring, dashboards=False))
    assert dashboard_path(p) in TARGET.render(p).files
    assert dashboard_path(off) not in TARGET.render(off).files
    board = json.loads(TARGET.render(p).files[dashboard_path(p)])
    assert board["templating"]["list"][0]["type"] == "datasource"


def test_a_drift_alert_fires_per_model_at_twice_its_band_and_not_at_half() -> None:
    cases = {c["name"]: c for c in alert_tests(plan(FRAUD))["tests"]}
    fires = cases["DriftAboveAlert fires"]
    series = fires["input_series"]
    assert [s["series"] for s in series] == [
        'mlopsgen_drift_max_score{model="any_model",method="psi"}'
    ]
    assert series[0]["values"].startswith("0.5x")  # twice the alert band of 0.25
    expected = fires["alert_rule_test"][0]["exp_alerts"][0]["exp_labels"]
    assert expected == {"severity": "ticket", "service": "fraud-detection", "model": "any_model"}
    silent = cases["DriftAboveAlert stays silent"]
    assert silent["input_series"][0]["values"].startswith("0.125x")
    assert silent["alert_rule_test"][0]["exp_alerts"] == []


def test_a_row_costing_more_than_the_calibration_opens_a_ticket() -> None:
    """The bound is the calibrated path's worker time per row (workers / per-replica rps),
    with the stated tolerance; the expression divides scoring time by rows scored."""
    p = plan(FRAUD)
    capacity = p.serving.capacity
    assert capacity is not None
    rule = {r["alert"]: r for r in _rules(p)}["ServiceTimeAboveCalibration"]
    expected = p.serving.replica.workers / capacity.per_replica_rps * COST_TOLERANCE
    expr = str(rule["expr"])
    assert "mlopsgen_scoring_seconds_sum" in expr and "mlopsgen_scored_rows_total" in expr
    assert float(expr.rsplit("> ", 1)[1]) == pytest.approx(expected, rel=1e-6)
    assert rule["labels"]["severity"] == "ticket" and rule["for"] == "30m"
