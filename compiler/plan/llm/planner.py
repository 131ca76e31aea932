# Formulas and reasons are written in mathematical notation (×, −, ⌈⌉, ⌊⌋) on purpose.
# ruff: noqa: RUF001, RUF003
"""Plan a language model's serving: memory → sequences → speed → GPUs → class → cost.

Each step is a recorded decision with its formula, the numbers it used and the spec lines
they came from (see :mod:`mlopsgen.plan.llm.model` for the rules and their sources). The
GPU count here is before zone redundancy: the serving capacity spreads the groups over the
plan's zones like any replicas, so the two stay one rule.
"""

from __future__ import annotations

import math

from mlopsgen.diagnostics import set_value
from mlopsgen.plan import instances, prices
from mlopsgen.plan.ir.llm import LlmOptionPlan, LlmPlan
from mlopsgen.plan.llm import model
from mlopsgen.plan.llm.hardware import GPU_SOURCES, GPU_TABLE_DATE, GPUS
from mlopsgen.plan.llm.model import Slo, Workload
from mlopsgen.plan.llm.options import Option, choose
from mlopsgen.plan.record import Recorder, clean, fmt
from mlopsgen.spec.families import FAMILIES, FAMILY_SOURCES, FAMILY_TABLE_DATE
from mlopsgen.spec.models.llm import Llm
from mlopsgen.spec.models.ml import ModelSpec
from mlopsgen.spec.models.root import Spec
from mlopsgen.spec.source_map import SpecPath

LLM_TASKS = frozenset({"text_generation", "embedding"})
MAX_OUTPUT_FACTOR = 2
"""A request may ask for up to twice the planned p95 output: memory and time per sequence are
planned at the p95, so this bounds how long one request holds a sequence slot."""
FULL_FINE_TUNE_BYTES_PER_PARAMETER = 16
"""Mixed-precision Adam: 2 (weights) + 2 (gradients) + 12 (fp32 master weights and moments)."""
LORA_TRAINABLE_SHARE = 0.01
"""LoRA adapters at rank 16 on the attention projections: about 1 % of the parameters."""


def workload(spec: Spec, model_spec: ModelSpec, llm: Llm, peak_rps: float) -> Workload:
    """The model's facts (from its family or its architecture) and its traffic."""
    output = llm.output_tokens
    if llm.family is not None:
        family = FAMILIES[llm.family]
        parameters = model_spec.parameter_count or family.parameters
        layers, heads = family.layers, family.attention_heads
        kv_heads, head_dim = family.kv_heads, family.head_dim
    else:
        arch = llm.architecture
        if arch is None or model_spec.parameter_count is None:
            raise ValueError("a validated llm block names a family or an architecture")
        parameters = model_spec.parameter_count
        layers, heads, kv_heads, head_dim = (
            arch.layers,
            arch.attention_heads,
            arch.kv_heads,
            arch.head_dim,
        )
    return Workload(
        parameters=parameters,
        layers=layers,
        kv_heads=kv_heads,
        attention_heads=heads,
        head_dim=head_dim,
        quantization=llm.quantization,
        context_tokens=llm.context_length,
        prompt_p50=llm.prompt_tokens.p50,
        prompt_p95=llm.prompt_tokens.p95,
        output_p50=output.p50 if output else 0,
        output_p95=output.p95 if output else 0,
        peak_rps=peak_rps,
        generative=model_spec.task == "text_generation",
    )


def objectives(spec: Spec, llm: Llm) -> Slo:
    """TTFT and TPOT from the llm block; the end-to-end p95 from the system's SLO."""
    return Slo(
        ttft_p95_ms=llm.slo.time_to_first_token_p95_ms,
        tpot_p95_ms=llm.slo.time_per_output_token_p95_ms,
        e2e_p95_ms=spec.slo.latency_p95_ms,
    )


def _provider(spec: Spec) -> str:
    """The cloud whose nodes price the options; the local stack is priced as on AWS."""
    cloud = spec.infrastructure.cloud
    return cloud if cloud != "local" else "aws"


def _fixed_class(spec: Spec, llm: Llm) -> str | None:
    return llm.gpu.serving or spec.infrastructure.gpu_class


def plan_llm(
    spec: Spec, rec: Recorder, index: int, model_spec: ModelSpec, peak_rps: float
) -> LlmPlan | None:
    """The model's LLM plan, every figure recorded; None (with an error) when nothing serves."""
    llm = model_spec.llm
    if llm is None:
        return None
    base: SpecPath = ("models", index)
    w = workload(spec, model_spec, llm, peak_rps)
    slo = objectives(spec, llm)
    provider = _provider(spec)
    region = prices.region_prices(provider, spec.infrastructure.region)
    chosen, compared = choose(w, slo, llm.dtype, provider, region, _fixed_class(spec, llm))
    name = f"models.{model_spec.name}.llm"
    _record_memory(rec, name, base, w)
    if chosen.rejected is not None or chosen.timing is None or chosen.node is None:
        _refuse(spec, rec, base, model_spec, w, compared)
        return None
    _record_choice(spec, rec, name, base, w, chosen, compared)
    _record_speed(rec, name, base, w, slo, chosen)
    tuning = _fine_tuning(rec, name, base, w, llm, chosen.gpu.name, provider)
    timing = chosen.timing
    return LlmPlan(
        generative=w.generative,
        parameters=w.parameters,
        layers=w.layers,
        attention_heads=w.attention_heads,
        kv_heads=w.kv_heads,
        head_dim=w.head_dim,
        dtype=llm.dtype,
        quantization=llm.quantization,
        engine=llm.engine,
        streaming=llm.streaming,
        context_tokens=w.context_tokens,
        prompt_tokens_p50=w.prompt_p50,
        prompt_tokens_p95=w.prompt_p95,
        output_tokens_p50=w.output_p50,
        output_tokens_p95=w.output_p95,
        weights_gib=clean(model.weights_bytes(w) / model.GIB, 4),
        kv_bytes_per_token=round(model.kv_bytes_per_token(w)),
        kv_gib_per_sequence=clean(
            model.kv_bytes_per_token(w) * model.sequence_tokens(w) / model.GIB, 4
        ),
        gpu_class=chosen.gpu.name,
        gpu_memory_gib=chosen.gpu.memory_gib,
        gpu_memory_utilisation=model.GPU_MEMORY_UTILISATION,
        tensor_parallel=chosen.tp,
        sequences_per_group=chosen.memory_sequences,
        max_num_seqs=chosen.batch,
        ttft_p95_ms=clean(timing.ttft_p95 * 1000),
        tpot_p95_ms=clean(timing.tpot_p95 * 1000),
        slo_ttft_p95_ms=slo.ttft_p95_ms,
        slo_tpot_p95_ms=slo.tpot_p95_ms,
        e2e_p95_ms=clean(timing.e2e_p95 * 1000),
        e2e_mean_ms=clean(timing.e2e_mean * 1000),
        peak_rps=clean(peak_rps),
        concurrent_sequences=clean(chosen.concurrent),
        groups_needed=chosen.groups,
        gpus_needed=chosen.gpus,
        instance_type=chosen.node.name,
        usd_per_group_hour=_money(chosen.usd_per_group_hour),
        usd_per_thousand_requests=_money(chosen.usd_per_thousand_requests(w)),
        usd_per_million_tokens=_money(chosen.usd_per_million_tokens(w)),
        options=tuple(_option_plan(o, w) for o in compared),
        fine_tuning_method=llm.fine_tuning.method if llm.fine_tuning else None,
        fine_tuning_gpu_class=tuning[0] if tuning else None,
        fine_tuning_gpus=tuning[1] if tuning else None,
        fine_tuning_lora_rank=llm.fine_tuning.lora_rank
        if llm.fine_tuning and llm.fine_tuning.method == "lora"
        else None,
        max_output_tokens=max(1, min(w.context_tokens - 1, MAX_OUTPUT_FACTOR * w.output_p95))
        if w.generative
        else 0,
    )


def _money(value: float | None) -> float | None:
    return None if value is None else clean(value, 4)


def _option_plan(option: Option, w: Workload) -> LlmOptionPlan:
    return LlmOptionPlan(
        gpu_class=option.gpu.name,
        tensor_parallel=option.tp,
        instance_type=option.node.name if option.node else None,
        gpus=option.gpus,
        usd_per_million_tokens=_money(option.usd_per_million_tokens(w)),
        rejected=option.rejected,
    )


def _record_memory(rec: Recorder, name: str, base: SpecPath, w: Workload) -> None:
    llm: SpecPath = (*base, "llm")
    weights = model.weights_bytes(w) / model.GIB
    per_token = model.kv_bytes_per_token(w)
    rec.add(
        f"{name}.weights_gib",
        clean(weights, 4),
        unit="GiB",
        formula="parameters × bytes per parameter (fp16/bf16 2, int8 1, int4 0.53)",
        computed=f"{w.parameters:,} × {model.BYTES_PER_PARAMETER[w.quantization]:g} B "
        f"= {fmt(weights)} GiB",
        inputs={"parameters": w.parameters, "quantization": w.quantization},
        sources=[(*base, "parameter_count"), (*llm, "quantization"), (*llm, "family")],
        reason="every GPU of a tensor-parallel group holds its share of the weights; "
        f"family facts from {FAMILY_SOURCES} ({FAMILY_TABLE_DATE})",
    )
    if not w.generative:
        return
    tokens = model.sequence_tokens(w)
    rec.add(
        f"{name}.kv_gib_per_sequence",
        clean(per_token * tokens / model.GIB, 4),
        unit="GiB",
        formula=[
            "KV per token = 2 × layers × KV heads × head dim × 2 B",
            "KV per sequence = KV per token × (prompt p95 + output p95)",
        ],
        computed=[
            f"2 × {w.layers} × {w.kv_heads} × {w.head_dim} × 2 B = {per_token / 2**10:g} KiB",
            f"{per_token / 2**10:g} KiB × ({w.prompt_p95} + {w.output_p95}) = "
            f"{fmt(per_token * tokens / model.GIB)} GiB",
        ],
        inputs={
            "layers": w.layers,
            "kv_heads": w.kv_heads,
            "head_dim": w.head_dim,
            "prompt_p95": w.prompt_p95,
            "output_p95": w.output_p95,
        },
        sources=[(*llm, "prompt_tokens"), (*llm, "output_tokens"), (*llm, "family")],
        reason="a sequence is planned at its p95 length so a batch of long ones still fits "
        "without the engine pre-empting",
    )


def _record_choice(
    spec: Spec,
    rec: Recorder,
    name: str,
    base: SpecPath,
    w: Workload,
    chosen: Option,
    compared: tuple[Option, ...],
) -> None:
    provider = _provider(spec)
    llm: SpecPath = (*base, "llm")
    rows = []
    for o in compared:
        if o.rejected:
            rows.append(f"{o.gpu.name}: rejected ({o.rejected})")
        else:
            per_m = o.usd_per_million_tokens(w) or 0.0
            rows.append(
                f"{o.gpu.name} ×{o.tp} on {o.node.name if o.node else '-'}: {o.gpus} GPUs, "
                f"${per_m:.4g} per million tokens"
            )
    usable = model.usable_bytes(chosen.gpu, chosen.tp) / model.GIB
    rec.add(
        f"{name}.gpu_class",
        chosen.gpu.name,
        formula="cheapest per million tokens among the classes that meet the token SLOs "
        "(each at the tensor-parallel degree that needs the fewest GPUs)",
        computed=rows,
        inputs={"provider": provider, "peak_rps": clean(w.peak_rps)},
        sources=[(*llm, "gpu"), ("infrastructure", "gpu_class"), ("slo", "throughput")],
        reason=f"GPU facts: {GPU_SOURCES} ({GPU_TABLE_DATE}); prices: {prices.PRICE_SOURCE}"
        + ("; the local stack is priced as on AWS" if spec.infrastructure.cloud == "local" else ""),
    )
    rec.add(
        f"{name}.tensor_parallel",
        chosen.tp,
        formula=[
            "fits: weights + KV of one full-context sequence ≤ t × (memory × "
            f"{model.GPU_MEMORY_UTILISATION} − {model.ACTIVATION_RESERVE_GIB} GiB)",
            "t ∈ {1, 2, 4, 8} dividing the attention heads, fewest GPUs in total",
        ],
        computed=f"t = {chosen.tp}: {fmt(usable)} GiB usable on {chosen.tp} × "
        f"{chosen.gpu.name} ({chosen.gpu.memory_gib:g} GiB each)",
        inputs={"context_tokens": w.context_tokens, "attention_heads": w.attention_heads},
        sources=[(*llm, "context_length"), (*llm, "family"), (*llm, "architecture")],
        reason="the engine refuses to start unless one sequence of the full context fits "
        "beside the weights; a larger group holds more sequences per weight read",
    )
    rec.add(
        f"{name}.sequences_per_group",
        chosen.memory_sequences,
        formula="⌊(t × (memory × utilisation − reserve) − weights) / KV per sequence⌋, "
        f"at most max_num_seqs {model.MAX_NUM_SEQS}",
        computed=f"⌊({fmt(usable)} GiB − {fmt(model.weights_bytes(w) / model.GIB)} GiB) / "
        f"{fmt(model.kv_bytes_per_token(w) * model.sequence_tokens(w) / model.GIB)} GiB⌋ "
        f"= {chosen.memory_sequences}",
        inputs={"gpu_memory_gib": chosen.gpu.memory_gib, "tensor_parallel": chosen.tp},
        sources=[(*llm, "prompt_tokens"), (*llm, "output_tokens")],
        reason="the KV cache, not compute, bounds how many requests a GPU serves at once",
    )


def _record_speed(
    rec: Recorder, name: str, base: SpecPath, w: Workload, slo: Slo, chosen: Option
) -> None:
    llm: SpecPath = (*base, "llm")
    timing = chosen.timing
    if timing is None:
        return
    bound = ", ".join(
        f"{label} ≤ {value:g} ms"
        for label, value in (
            ("TTFT p95", slo.ttft_p95_ms),
            ("TPOT p95", slo.tpot_p95_ms),
            ("end-to-end p95", slo.e2e_p95_ms),
        )
        if value is not None
    )
    rec.add(
        f"{name}.max_num_seqs",
        chosen.batch,
        formula=[
            "step = (weights + batch × KV per token × live tokens) / (t × bandwidth × "
            f"{model.BANDWIDTH_EFFICIENCY}) + 2 × parameters × batch × (1 + prompt p50 / "
            f"output p50) / (t × FLOPS × {model.COMPUTE_EFFICIENCY})",
            "the largest batch memory holds whose TTFT, TPOT and end-to-end p95 meet the SLO",
        ],
        computed=[
            f"batch {chosen.batch} of {chosen.memory_sequences} in memory"
            + (f" ({bound})" if bound else " (no token SLO stated)"),
            f"TPOT p95 {fmt(timing.tpot_p95 * 1000)} ms, TTFT p95 "
            f"{fmt(timing.ttft_p95 * 1000)} ms, end-to-end p95 {fmt(timing.e2e_p95 * 1000)} ms",
        ],
        inputs={
            "bandwidth_gb_s": chosen.gpu.bandwidth_gb_s,
            "dense_tflops": chosen.gpu.dense_tflops_16bit,
        },
        sources=[(*llm, "slo"), ("slo", "latency_p95_ms"), (*llm, "prompt_tokens")],
        reason="decode is memory-bound: each step reads the weights once for the whole batch, "
        "so the batch buys throughput until its KV reads slow every sequence past the SLO",
    )
    rec.add(
        f"{name}.gpus_needed",
        chosen.gpus,
        formula=[
            "concurrent sequences = peak rps × mean end-to-end time (Little's law)",
            f"groups = ⌈concurrent / (batch × {model.OCCUPANCY})⌉; GPUs = groups × t",
        ],
        computed=[
            f"{fmt(w.peak_rps)} rps × {fmt(timing.e2e_mean)} s = {fmt(chosen.concurrent)}",
            f"⌈{fmt(chosen.concurrent)} / ({chosen.batch} × {model.OCCUPANCY})⌉ = "
            f"{chosen.groups} groups × {chosen.tp} = {chosen.gpus} GPUs",
        ],
        inputs={"peak_rps": clean(w.peak_rps), "output_p50": w.output_p50},
        sources=[("slo", "throughput"), (*llm, "output_tokens")],
        reason="before zone redundancy: the serving capacity spreads the groups over zones "
        "so the plan survives the loss of one",
    )
    per_m = chosen.usd_per_million_tokens(w)
    per_k = chosen.usd_per_thousand_requests(w)
    rec.add(
        f"{name}.usd_per_million_tokens",
        _money(per_m),
        unit="USD",
        formula="groups × $/group-hour / (peak rps × tokens per request × 3600) × 10⁶",
        computed=[
            f"{chosen.groups} × ${fmt(chosen.usd_per_group_hour or 0)}/h on "
            f"{chosen.node.name if chosen.node else '-'} = ${fmt(per_m or 0)} per million "
            f"tokens, ${fmt(per_k or 0)} per 1,000 requests"
        ],
        inputs={"groups": chosen.groups},
        sources=[("slo", "throughput"), ("infrastructure", "region")],
        reason="at peak load with the planned batch; quieter hours cost more per token "
        "because GPUs serving under a latency SLO never scale to zero",
    )


def _tuning_bytes(w: Workload, method: str) -> tuple[float, str]:
    """GPU memory a fine-tune by ``method`` holds, and the rule that says so."""
    if method == "full":
        rule = f"parameters × {FULL_FINE_TUNE_BYTES_PER_PARAMETER} B (mixed-precision Adam)"
        return float(w.parameters * FULL_FINE_TUNE_BYTES_PER_PARAMETER), rule
    trainable = w.parameters * LORA_TRAINABLE_SHARE
    rule = (
        f"weights + {LORA_TRAINABLE_SHARE:.0%} trainable × "
        f"{FULL_FINE_TUNE_BYTES_PER_PARAMETER} B (LoRA)"
    )
    return model.weights_bytes(w) + trainable * FULL_FINE_TUNE_BYTES_PER_PARAMETER, rule


def _fine_tuning(
    rec: Recorder,
    name: str,
    base: SpecPath,
    w: Workload,
    llm: Llm,
    serving_class: str,
    provider: str,
) -> tuple[str, int] | None:
    """GPUs a fine-tuning job needs: weights (+ optimiser state) over usable memory, on the
    spec's fine-tuning class or else the serving one; E511 when they outgrow one node, since
    the fine-tuning step runs as one pod."""
    tuning = llm.fine_tuning
    if tuning is None:
        return None
    gpu = GPUS[llm.gpu.fine_tuning or serving_class]
    needed, rule = _tuning_bytes(w, tuning.method)
    usable = model.usable_bytes(gpu, 1)
    gpus = max(1, math.ceil(needed / usable))
    rec.add(
        f"{name}.fine_tuning_gpus",
        gpus,
        formula=f"⌈({rule}) / usable memory per GPU⌉",
        computed=f"⌈{fmt(needed / model.GIB)} GiB / {fmt(usable / model.GIB)} GiB⌉ = {gpus} × "
        f"{gpu.name}",
        inputs={"method": tuning.method, "gpu_class": gpu.name},
        sources=[(*base, "llm", "fine_tuning"), (*base, "llm", "gpu")],
        reason="fine-tuning holds the optimiser state of what it trains beside the weights",
    )
    nodes = instances.GPU_INSTANCES[provider][instances.gpu_class_for(provider, gpu.name)]
    per_node = max(node.gpus for node in nodes)
    if gpus > per_node:
        lora_gpus = max(1, math.ceil(_tuning_bytes(w, "lora")[0] / usable))
        method: SpecPath = (*base, "llm", "fine_tuning", "method")
        fits_lora = tuning.method == "full" and lora_gpus <= per_node
        rec.fail(
            "E511",
            f"{tuning.method} fine-tuning of {name.split('.')[1]} needs {gpus} × {gpu.name}, "
            f"more than one {provider} node holds ({per_node}): the fine-tuning step runs as "
            "one pod",
            method,
            hint=f"set method: lora ({lora_gpus} × {gpu.name})"
            if fits_lora
            else "fine-tune on a GPU class with more memory (llm.gpu.fine_tuning), or a "
            "smaller or quantized model",
            fix=[set_value(method, "lora")] if fits_lora else [],
        )
        return None
    return gpu.name, gpus


def _refuse(
    spec: Spec,
    rec: Recorder,
    base: SpecPath,
    model_spec: ModelSpec,
    w: Workload,
    compared: tuple[Option, ...],
) -> None:
    """E508 when no class holds the weights; E509 when some hold them but miss the SLOs."""
    llm: SpecPath = (*base, "llm")
    reasons = "; ".join(f"{o.gpu.name}: {o.rejected}" for o in compared)
    memory_only = all("fit" in (o.rejected or "") or "bf16" in (o.rejected or "") for o in compared)
    if memory_only:
        smaller = [
            q
            for q in ("int8", "int4")
            if model.BYTES_PER_PARAMETER[q] < model.BYTES_PER_PARAMETER[w.quantization]
            and any(
                model.fits(_with(w, q), GPUS[o.gpu.name], t)
                for o in compared
                for t in model.TP_DEGREES
                if "bf16" not in (o.rejected or "")
            )
        ]
        if smaller:
            hint = f"quantise the weights: set quantization: {smaller[0]}"
            fix = [set_value((*llm, "quantization"), smaller[0])]
        else:
            hint = (
                "no offered node holds these weights even at int4 across 8 GPUs: serve a "
                "smaller model, or shorten context_length"
            )
            fix = []
        rec.fail(
            "E508",
            f"model {model_spec.name}: {fmt(model.weights_bytes(w) / model.GIB)} GiB of "
            f"weights plus one {w.context_tokens}-token sequence fit no GPU group ({reasons})",
            (*llm, "quantization"),
            hint=hint,
            fix=fix,
        )
        return
    rec.fail(
        "E509",
        f"model {model_spec.name}: no GPU class meets the token SLOs even one sequence at a "
        f"time ({reasons})",
        (*llm, "slo"),
        hint="relax the slowest-met objective (time_per_output_token_p95_ms, "
        "time_to_first_token_p95_ms or slo.latency_p95_ms), shorten output_tokens, or use "
        "a faster class (h100) or quantization: int4",
    )


def _with(w: Workload, quantization: str) -> Workload:
    return Workload(**{**w.__dict__, "quantization": quantization})


def plan_language_models(spec: Spec, rec: Recorder, peak_rps: float) -> dict[str, LlmPlan]:
    """The LLM plan of every language model in the spec that could be planned, by name."""
    plans = {}
    for index, model_spec in enumerate(spec.models):
        if model_spec.task not in LLM_TASKS or model_spec.llm is None:
            continue
        planned = plan_llm(spec, rec, index, model_spec, peak_rps)
        if planned is not None:
            plans[model_spec.name] = planned
    return plans
