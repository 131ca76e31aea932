"""Each stack's monitoring files pass Prometheus's and Alertmanager's own checks.

``promtool check rules`` parses the alert rules; ``promtool test rules`` runs the generated
cases (each alert fires on its synthetic breach and stays silent below it); ``amtool
check-config`` loads the routing. Reference stacks and stacks of other shapes are
checked, and a rule whose threshold is moved must make its cases fail, so the cases test the
rules and not themselves. Debian's ``prometheus`` and ``prometheus-alertmanager`` packages
provide the tools (``.ci/run`` installs them); without them these tests are skipped.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO, SPECS
from tests.e2e.stack_part import write_stack_part

PROMTOOL = shutil.which("promtool")
AMTOOL = shutil.which("amtool")
MONITORING = "monitoring/"
STACKS = [
    *(SPECS / f"{stem}.yaml" for stem in ("fraud-detection", "recommendation", "computer-vision",
                                          "nlp", "time-series-forecasting")),
    REPO / "tests" / "data" / "corpus" / "shop-recs.yaml",
    # on-premises, an experiment of two regressors, a cache, webhook pages and e-mail tickets
    REPO / "tests" / "data" / "stacks" / "parcel-eta.yaml",
    # a language model: burn rates on the engine's failures, token objectives, answer length
    SPECS / "llm" / "support-assistant.yaml",
]  # fmt: skip

pytestmark = pytest.mark.skipif(
    PROMTOOL is None or AMTOOL is None,
    reason="promtool and amtool (Debian prometheus, prometheus-alertmanager) are not on PATH",
)


def _monitoring(spec: Path, folder: Path) -> Path:
    return write_stack_part(spec, folder, MONITORING)


def _run(*command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)


@pytest.mark.parametrize("spec", STACKS, ids=lambda p: p.stem)
def test_rules_cases_and_routing_pass_the_tools(spec: Path, tmp_path: Path) -> None:
    assert PROMTOOL is not None and AMTOOL is not None
    folder = _monitoring(spec, tmp_path)
    checked = _run(PROMTOOL, "check", "rules", "prometheus/alerts.yml", cwd=folder)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    count = len(
        yaml.safe_load((folder / "prometheus/alerts.yml").read_text())["groups"][0]["rules"]
    )
    assert count >= 6 and f"SUCCESS: {count} rules found" in checked.stdout
    tested = _run(PROMTOOL, "test", "rules", "prometheus/alerts_test.yml", cwd=folder)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    routed = _run(AMTOOL, "check-config", "alertmanager/alertmanager.yml", cwd=folder)
    assert routed.returncode == 0, routed.stdout + routed.stderr


@pytest.mark.parametrize(
    ("stem", "alert"),
    [
        ("fraud-detection", "ErrorBudgetBurn1h"),
        ("fraud-detection", "LatencyAboveObjective"),
        ("fraud-detection", "RequestsShed"),
        ("fraud-detection", "TrafficAbovePlan"),
        ("recommendation", "CacheHitRatioBelowPlan"),
    ],
)
def test_a_rule_with_a_moved_threshold_fails_its_cases(
    stem: str, alert: str, tmp_path: Path
) -> None:
    assert PROMTOOL is not None
    folder = _monitoring(SPECS / f"{stem}.yaml", tmp_path)
    rules_path = folder / "prometheus" / "alerts.yml"
    rules = yaml.safe_load(rules_path.read_text(encoding="utf-8"))
    rule = next(r for r in rules["groups"][0]["rules"] if r["alert"] == alert)
    if " < " in rule["expr"]:  # fires below: a quarter of the threshold misses the breach
        head, _, threshold = rule["expr"].rpartition("< ")
        rule["expr"] = f"{head}< {float(threshold) / 4:.10f}"
    else:  # four times the threshold: the firing case (at twice it) no longer fires
        head, _, threshold = rule["expr"].rpartition("> ")
        rule["expr"] = f"{head}> {float(threshold) * 4:.10f}"
    rules_path.write_text(yaml.safe_dump(rules), encoding="utf-8")
    tested = _run(PROMTOOL, "test", "rules", "prometheus/alerts_test.yml", cwd=folder)
    assert tested.returncode != 0
    assert alert in tested.stdout + tested.stderr
