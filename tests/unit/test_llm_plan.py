"""The support-assistant spec plans its language model with every figure explained.

It validates, the plan sizes its GPUs from memory, KV cache and token throughput (not from
the request rate alone), carries the engine settings the service will run with, spreads the
engine groups over the zones like any replicas, and prices the tokens. ``build`` says plainly
that this version renders no stack for it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from mlopsgen.build import compile_stack
from mlopsgen.cli import app
from mlopsgen.diagnostics import SpecError
from mlopsgen.plan import build_plan
from mlopsgen.plan.ir.root import Plan
from mlopsgen.plan.llm.model import OCCUPANCY
from mlopsgen.spec.edits import apply_edits
from mlopsgen.spec.loader import load_spec, load_spec_text
from tests.conftest import REPO

SPEC = REPO / "specs" / "llm" / "support-assistant.yaml"
FIGURES = (
    "weights_gib",
    "kv_gib_per_sequence",
    "gpu_class",
    "tensor_parallel",
    "sequences_per_group",
    "max_num_seqs",
    "gpus_needed",
    "usd_per_million_tokens",
    "fine_tuning_gpus",
)


def _plan() -> Plan:
    result = build_plan(load_spec(SPEC))
    assert result.ok, [d.message for d in result.diagnostics]
    return result.plan


def test_every_llm_figure_is_a_recorded_decision_citing_the_spec() -> None:
    decisions = {d.name: d for d in _plan().decisions}
    for figure in FIGURES:
        decision = decisions[f"models.assistant.llm.{figure}"]
        assert decision.formula and decision.computed and decision.sources, figure


def test_gpus_come_from_kv_memory_and_the_groups_fill_the_zones() -> None:
    plan = _plan()
    llm = plan.models[0].llm
    assert llm is not None
    assert llm.max_num_seqs <= llm.sequences_per_group
    assert llm.groups_needed * llm.max_num_seqs * OCCUPANCY >= llm.concurrent_sequences
    assert llm.e2e_p95_ms <= 20000 and llm.tpot_p95_ms <= 100 and llm.ttft_p95_ms <= 1500
    capacity = plan.serving.capacity
    assert capacity is not None
    assert capacity.replicas_needed == llm.groups_needed
    assert capacity.replicas >= llm.groups_needed
    assert plan.serving.replica.gpu == llm.tensor_parallel
    assert plan.infrastructure.gpu_class == llm.gpu_class
    chosen = [o for o in llm.options if o.gpu_class == llm.gpu_class]
    cheaper = [
        o
        for o in llm.options
        if o.rejected is None
        and o.usd_per_million_tokens is not None
        and llm.usd_per_million_tokens is not None
        and o.usd_per_million_tokens < llm.usd_per_million_tokens
    ]
    assert chosen and not cheaper


def test_a_named_class_is_the_one_planned() -> None:
    text = SPEC.read_text().replace(
        "      engine: vllm\n", "      engine: vllm\n      gpu: {serving: a10g}\n"
    )
    path = Path(SPEC.parent / "named.tmp.yaml")
    try:
        path.write_text(text)
        plan = build_plan(load_spec(path)).plan
    finally:
        path.unlink()
    llm = plan.models[0].llm
    assert llm is not None and llm.gpu_class == "a10g"
    assert 18 <= llm.gpus_needed <= 36


def test_plan_json_carries_the_engine_settings() -> None:
    result = CliRunner().invoke(app, ["plan", str(SPEC), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    llm = data["models"][0]["llm"]
    for key in ("tensor_parallel", "max_num_seqs", "gpu_memory_utilisation", "context_tokens"):
        assert llm[key], key


def test_build_renders_the_language_stack(tmp_path: Path) -> None:
    compiled = compile_stack(SPEC, tmp_path / "stack")
    assert "pipelines/training/assistant.py" in compiled.tree


def test_weights_that_fit_no_gpu_are_refused_and_the_hint_fixes_it() -> None:
    """70B in fp16 on T4s: E508 names the quantisation that fits; applying it plans."""
    path = REPO / "tests" / "data" / "llm" / "llm-weights-fit-nothing.yaml"
    result = build_plan(load_spec(path))
    (refusal,) = [d for d in result.diagnostics if d.is_error]
    assert refusal.code == "E508" and refusal.span is not None and refusal.hint
    fixed = apply_edits(yaml.safe_load(path.read_text()), refusal.fix)
    after = build_plan(load_spec_text(yaml.safe_dump(fixed), path.name))
    assert not [d for d in after.diagnostics if d.is_error]


def test_an_embedding_model_is_planned_but_its_stack_is_refused(tmp_path: Path) -> None:
    """A language stack serves chat completions; an embedding model would get the wrong API,
    so ``build`` refuses it with a positioned E510 and writes nothing, while ``plan`` sizes it."""
    data = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    model = data["models"][0]
    model.update(name="embedder", task="embedding")
    model.pop("gates")
    model["llm"] = {"family": "bge-large-en-v1.5", "context_length": 512,
                    "prompt_tokens": {"p50": 100, "p95": 200}}  # fmt: skip
    data["serving"]["models"] = ["embedder"]
    data["slo"]["latency_p95_ms"] = 200
    spec = tmp_path / "embedder.yaml"
    spec.write_text(yaml.safe_dump(data), encoding="utf-8")
    assert build_plan(load_spec(spec)).plan.model("embedder").llm is not None
    with pytest.raises(SpecError) as refused:
        compile_stack(spec, tmp_path / "stack")
    (diagnostic,) = refused.value.diagnostics
    assert diagnostic.code == "E510" and "text_generation models only" in diagnostic.message
    assert diagnostic.span.line == next(
        i for i, line in enumerate(spec.read_text().splitlines(), 1) if "task: embedding" in line
    )
    assert not (tmp_path / "stack").exists()


def test_a_fine_tune_that_outgrows_one_node_is_refused_and_lora_fits() -> None:
    """Full fine-tuning of a 70B model at 16 B a parameter needs 31 A100s, more than the 8 a
    GCP node holds, and the fine-tuning step is one pod: E511 at the method, whose hint
    (LoRA, 2 GPUs) plans."""
    path = REPO / "tests" / "data" / "llm" / "llm-full-fine-tune-outgrows-a-node.yaml"
    outcome = build_plan(load_spec(path))
    refusal = next(d for d in outcome.diagnostics if d.code == "E511")
    assert "needs 31 \N{MULTIPLICATION SIGN} a100, more than one gcp node holds (8)" in (
        refusal.message
    )
    assert refusal.hint == "set method: lora (2 \N{MULTIPLICATION SIGN} a100)"
    fixed_data = apply_edits(yaml.safe_load(path.read_text(encoding="utf-8")), refusal.fix)
    fixed = build_plan(load_spec_text(yaml.safe_dump(fixed_data), path.name))
    assert "E511" not in [d.code for d in fixed.diagnostics]
    assert fixed.plan.model("drafter").llm.fine_tuning_gpus == 2
