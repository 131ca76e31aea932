"""The stack README's architecture diagram draws the request path as it runs."""

from __future__ import annotations

import itertools

from mlopsgen.plan import Plan, build_plan
from mlopsgen.spec.loader import load_spec
from mlopsgen.targets.core.views import Diagram, diagram
from tests.conftest import SPECS


def _plan(name: str) -> Plan:
    return build_plan(load_spec(SPECS / f"{name}.yaml")).plan


def _ids(graph: Diagram) -> dict[str, str]:
    """Stage label -> node id."""
    return {node.label.split(" (")[0]: node.id for node in graph.nodes}


def _arrows(graph: Diagram) -> set[tuple[str, str]]:
    return {(edge.source, edge.target) for edge in graph.edges}


def test_combined_models_fan_out_from_one_step_and_back_in() -> None:
    graph = diagram(_plan("fraud-detection"))
    ids = _ids(graph)
    arrows = _arrows(graph)
    members = [ids[f"model:{name}"] for name in ("fraud_xgb", "fraud_lgbm", "txn_anomaly")]
    for member in members:
        assert (ids["features"], member) in arrows
        assert (member, ids["rules"]) in arrows
    assert not {(a, b) for a in members for b in members} & arrows
    assert (ids["features"], ids["rules"]) not in arrows


def test_every_stage_is_reached_once_per_step_and_the_path_ends_at_monitoring() -> None:
    graph = diagram(_plan("fraud-detection"))
    arrows = _arrows(graph)
    ids = _ids(graph)
    assert (ids["rules"], "monitoring") in arrows
    stage_targets = [e.target for e in graph.edges if e.target.startswith("stage")]
    assert sorted(set(stage_targets)) == sorted(n.id for n in graph.nodes if n.id[:5] == "stage")


def test_a_path_without_a_decision_engine_stays_a_chain() -> None:
    plan = _plan("recommendation")
    graph = diagram(plan)
    chain = ["lb", *(f"stage{i}" for i in range(len(plan.serving.stages))), "monitoring"]
    for source, target in itertools.pairwise(chain):
        assert (source, target) in _arrows(graph)
