# Hand computations are written in mathematical notation (×, −, ρ, Σ) on purpose.
# ruff: noqa: RUF001, RUF003
"""The plan as a table, as one decision's derivation, and as deterministic JSON."""

from __future__ import annotations

import dataclasses
import io
import json

import pytest
from rich.console import Console

from mlopsgen.plan import PLAN_VERSION, Plan, build_plan, explain, plan_json, plan_table
from mlopsgen.spec.source_map import dotted, parse_dotted
from tests.unit.plan_support import FRAUD, REFERENCE, loaded, plan


def _render(table: object) -> str:
    console = Console(file=io.StringIO(), width=250, color_system=None)
    console.print(table)
    output = console.file
    assert isinstance(output, io.StringIO)
    return output.getvalue()


def test_table_has_one_row_per_decision_with_sources() -> None:
    fraud = plan(FRAUD)
    table = plan_table(fraud, loaded(FRAUD).source_map.locate, 250)
    assert [c.header for c in table.columns] == [
        "decision",
        "value",
        "formula, numbers filled in",
        "source",
    ]
    assert table.row_count == len(fraud.decisions)
    text = _render(table)
    assert "serving.replicas_needed" in text
    assert "ceil(100000 / (1422 × 0.7)) = 101" in text
    assert "specs/fraud-detection.yaml:11" in text and "slo.latency_p95_ms" not in text
    bare = _render(plan_table(fraud))
    assert "slo.latency_p95_ms" in bare and "fraud-detection.yaml:11" not in bare


def test_explain_one_decision() -> None:
    text = explain(
        plan(FRAUD), "availability.error_budget_minutes", loaded(FRAUD).source_map.locate
    )
    assert text.splitlines() == [
        "availability.error_budget_minutes = 4.32 min/30d",
        "  formula:  (1 − SLO) × 30 d × 1440 min/d",
        "  computed: (1 − 0.9999) × 43200 = 4.32",
        "  inputs:   slo_percent = 99.99",
        "  sources:  specs/fraud-detection.yaml:12 slo.availability",
        "  reason:   the minutes of failure a 30-day window may spend; burn-rate alerts watch it",
    ]


def test_explain_a_prefix_and_unknown_names() -> None:
    text = explain(plan(FRAUD), "serving.hpa")
    assert text.count("\n\n") == 3  # four HPA decisions
    with pytest.raises(KeyError, match=r"did you mean serving\.replicas"):
        explain(plan(FRAUD), "serving.replicaz")
    with pytest.raises(KeyError, match="no decision named 'nothing'"):
        explain(plan(FRAUD), "nothing")


def test_decisions_are_sorted_unique_and_sourced() -> None:
    for stem in REFERENCE:
        names = [d.name for d in plan(stem).decisions]
        assert names == sorted(names), stem
        assert len(names) == len(set(names)), stem
        for decision in plan(stem).decisions:
            assert decision.sources, decision.name
            locate = loaded(stem).source_map.locate
            assert all(locate(s).startswith(f"specs/{stem}.yaml:") for s in decision.sources)
            assert all(parse_dotted(s) and dotted(parse_dotted(s)) == s for s in decision.sources)
            assert decision.reason and decision.formula and decision.computed


def test_json_is_deterministic_sorted_and_reloadable() -> None:
    first = plan_json(build_plan(loaded(FRAUD)).plan)
    second = plan_json(build_plan(loaded(FRAUD)).plan)
    assert first == second
    assert first.endswith("}\n")
    data = json.loads(first)
    assert data["plan_version"] == PLAN_VERSION == 1
    assert list(data) == sorted(data)
    assert Plan.from_data(json.loads(first)) == plan(FRAUD)


def test_plan_is_frozen_and_closed() -> None:
    fraud = plan(FRAUD)
    assert fraud.serving.hpa is not None
    with pytest.raises(dataclasses.FrozenInstanceError):
        fraud.serving.hpa.min_replicas = 1  # type: ignore[misc]
    data = json.loads(plan_json(fraud))
    data["serving"]["unexpected"] = 1
    with pytest.raises(ValueError, match="unexpected"):
        Plan.from_data(data)
    data = json.loads(plan_json(fraud))
    data["serving"]["replica"]["workers"] = "four"
    with pytest.raises(ValueError, match="workers"):
        Plan.from_data(data)
    del data["serving"]["replica"]
    with pytest.raises(ValueError, match="replica"):
        Plan.from_data(data)


def test_lookup_helpers() -> None:
    fraud = plan(FRAUD)
    assert fraud.decision("serving.replicas").value == 156
    assert fraud.model("fraud_xgb").framework == "xgboost"
    with pytest.raises(KeyError, match=r"did you mean serving\.replicas"):
        fraud.decision("serving.replicaz")
    with pytest.raises(KeyError):
        fraud.model("nope")
