"""A language stack's deployment and monitoring follow its engine, not a classic service.

The HPA holds the running sequences per pod at the plan's scaling utilisation of the engine's
batch (its CPU says nothing of a GPU-bound engine), with the adapter rule that exposes them;
each pod asks for the plan's tensor-parallel GPUs; nothing rolls out by step. The alerts read
the engine's own metrics and hold the token objectives of the spec (promtool runs their
cases in the e2e tier); the dashboard's panels read only those metrics. The fine-tuning job is
sized from tokens on the plan's fine-tuning GPUs, which the training pool offers.
"""

from __future__ import annotations

import math
import re

import pytest
import yaml

from mlopsgen.plan import build_plan
from mlopsgen.plan.ir.root import Plan
from mlopsgen.plan.llm.fine_tuning import FLOPS_PER_TOKEN, TRAINING_UTILISATION
from mlopsgen.plan.llm.hardware import GPUS
from mlopsgen.spec.loader import load_spec
from mlopsgen.targets.kubernetes.target import KubernetesTarget
from mlopsgen.targets.ops.dashboard import dashboard, panel_queries
from mlopsgen.targets.ops.target import ALERTS, OpsTarget
from tests.conftest import REPO

SPEC = REPO / "specs" / "llm" / "support-assistant.yaml"
LLM_METRICS = {
    "mlopsgen_llm_requests_total",
    "mlopsgen_llm_time_to_first_token_seconds_bucket",
    "mlopsgen_llm_time_per_output_token_seconds_bucket",
    "mlopsgen_llm_request_seconds_bucket",
    "mlopsgen_llm_generated_tokens_total",
    "mlopsgen_llm_finished_total",
    "mlopsgen_model_promoted_timestamp_seconds",
}


@pytest.fixture(scope="module")
def plan() -> Plan:
    return build_plan(load_spec(SPEC)).plan


def _objects(plan: Plan) -> dict[str, dict]:
    rendered = KubernetesTarget().render(plan)
    return {
        path: yaml.safe_load(text)
        for path, text in rendered.files.items()
        if path.endswith(".yaml")
    }


def test_the_engine_scales_on_running_sequences_with_the_adapter_rule(plan: Plan) -> None:
    objects = _objects(plan)
    hpa = objects["deploy/base/support-assistant/hpa.yaml"]
    (metric,) = hpa["spec"]["metrics"]
    llm = plan.model("assistant").llm
    assert llm is not None and plan.serving.capacity is not None
    expected = max(1, math.floor(plan.serving.capacity.scaling_utilisation * llm.max_num_seqs))
    assert metric == {
        "type": "Pods",
        "pods": {
            "metric": {"name": "mlopsgen_llm_requests_running"},
            "target": {"type": "AverageValue", "averageValue": str(expected)},
        },
    }
    assert plan.decision("serving.hpa.target_running_sequences").value == expected
    (rule,) = objects["deploy/monitoring/prometheus-adapter-rules.yaml"]["rules"]["custom"]
    assert rule["name"]["as"] == "mlopsgen_llm_requests_running"


def test_each_pod_asks_for_one_engine_and_nothing_rolls_out(plan: Plan) -> None:
    objects = _objects(plan)
    assert not [p for p in objects if "rollout" in p]
    llm = plan.model("assistant").llm
    assert llm is not None
    container = objects["deploy/base/support-assistant/deployment.yaml"]["spec"]["template"][
        "spec"
    ]["containers"][0]
    assert container["resources"]["limits"]["nvidia.com/gpu"] == llm.tensor_parallel
    assert "MLOPSGEN_ROLLOUT_STATE" not in {e["name"] for e in container.get("env", [])}


def test_alerts_read_the_engine_metrics_and_hold_the_token_objectives(plan: Plan) -> None:
    rendered = OpsTarget().render(plan)
    rules = yaml.safe_load(rendered.files[ALERTS])["groups"][0]["rules"]
    names = [r["alert"] for r in rules]
    assert names[:3] == ["ErrorBudgetBurn1h", "ErrorBudgetBurn6h", "ErrorBudgetBurn3d"]
    for name in ("TimeToFirstTokenAboveObjective", "TimePerOutputTokenAboveObjective",
                 "LatencyAboveObjective", "AnswersLongerThanPlan", "TrainingStale"):  # fmt: skip
        assert name in names
    assert not [n for n in names if n.startswith(("Drift", "Feature", "RequestsShed"))]
    by_name = {r["alert"]: r for r in rules}
    assert by_name["TimeToFirstTokenAboveObjective"]["expr"].endswith("> 1.5")
    assert by_name["TimePerOutputTokenAboveObjective"]["expr"].endswith("> 0.1")
    assert 'outcome="error"' in by_name["ErrorBudgetBurn1h"]["expr"]
    used = {m for r in rules for m in re.findall(r"mlopsgen_[a-z_]+", r["expr"])}
    assert used <= LLM_METRICS
    queries = panel_queries(dashboard(plan))
    assert {m for q in queries for m in re.findall(r"mlopsgen_[a-z_]+", q)} <= LLM_METRICS


def test_the_fine_tuning_job_is_sized_from_tokens_on_its_gpus(plan: Plan) -> None:
    llm = plan.model("assistant").llm
    assert llm is not None and llm.fine_tuning_gpu_class is not None
    job = next(t for t in plan.training.models if t.name == "assistant")
    gpu = GPUS[llm.fine_tuning_gpu_class]
    tokens = job.rows_per_shard * (llm.prompt_tokens_p50 + llm.output_tokens_p50)
    hours = (
        FLOPS_PER_TOKEN["lora"] * llm.parameters * tokens
        / ((llm.fine_tuning_gpus or 1) * gpu.dense_tflops_16bit * 1e12 * TRAINING_UTILISATION)
        / 3600
    )  # fmt: skip
    assert job.gpu == llm.fine_tuning_gpus
    assert job.hours_per_shard == pytest.approx(hours + 10 / 60, rel=1e-3)
    pools = {p.role: p for p in plan.compute.pools}
    assert pools["gpu-training"].gpu_class == llm.fine_tuning_gpu_class
    assert pools["gpu-training"].min_nodes == 0
