"""The operations target: alert rules and their ``promtool`` tests, routing, the dashboard.

Every file is data dumped from the Plan (``alerts``, ``alert_tests``, ``alertmanager``,
``dashboard``, the last only where the spec keeps ``monitoring.dashboards`` on);
the README gets the commands that check them and a runbook entry per kind of alert.
"""

from __future__ import annotations

from dataclasses import dataclass

from mlopsgen import __version__
from mlopsgen.plan.ir.root import Plan
from mlopsgen.render.header import generated_header
from mlopsgen.targets.base import Rendered
from mlopsgen.targets.dumps import json_dump, yaml_dump
from mlopsgen.targets.ops.alert_tests import alert_tests
from mlopsgen.targets.ops.alertmanager import alertmanager_config
from mlopsgen.targets.ops.alerts import alert_rules
from mlopsgen.targets.ops.dashboard import dashboard
from mlopsgen.targets.ops.readme import (
    MONITORING_HEADING,
    RUNBOOK_HEADING,
    monitoring_section,
    runbook_section,
)

__all__ = ["ALERTMANAGER", "ALERTS", "ALERT_TESTS", "OpsTarget", "dashboard_path"]

ALERTS = "monitoring/prometheus/alerts.yml"
ALERT_TESTS = "monitoring/prometheus/alerts_test.yml"
ALERTMANAGER = "monitoring/alertmanager/alertmanager.yml"


def dashboard_path(plan: Plan) -> str:
    """``monitoring/grafana/<service>.json``."""
    return f"monitoring/grafana/{plan.serving.service_name}.json"


@dataclass(frozen=True)
class OpsTarget:
    """``monitoring/``: what watches the running service and whom it wakes."""

    name: str = "ops"

    def render(self, plan: Plan) -> Rendered:
        """The alert rules, their tests and the routing, each with the generated header."""
        if not plan.serving.realtime:
            return Rendered(files={}, purposes={})
        header = generated_header("#", __version__, plan.system.spec_sha256)
        files = {
            ALERTS: header + yaml_dump(alert_rules(plan)),
            ALERT_TESTS: header + yaml_dump(alert_tests(plan)),
            ALERTMANAGER: header + yaml_dump(alertmanager_config(plan)),
        }
        board = dashboard_path(plan)
        if plan.monitoring.dashboards:
            # JSON has no comments: the dashboard's description and provenance keys say it
            files[board] = json_dump(dashboard(plan))
        language = bool(plan.language_models)
        purposes = {
            board: "Grafana dashboard: token latencies against the SLOs, outcomes, tokens/s"
            if language
            else "Grafana dashboard: latency against the SLO, outcomes, budget burn, batches",
            ALERTS: "Prometheus alert rules: error-budget burn, token latencies against the SLOs"
            if language
            else "Prometheus alert rules: error-budget burn, latency against the SLO, sheds",
            ALERT_TESTS: "promtool cases: each alert fires on a breach and stays silent below",
            ALERTMANAGER: "Alertmanager routing: pages and tickets to the spec's channels",
        }
        return Rendered(
            files=files,
            purposes={path: purposes[path] for path in files},
            sections={
                MONITORING_HEADING: monitoring_section(plan),
                RUNBOOK_HEADING: runbook_section(plan),
            },
        )
