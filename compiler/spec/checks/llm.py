"""Checks of language models: the llm block, token lengths, context and the serving path.

A language model is sized from its ``llm:`` block, so the block must be there (and only
there), its lengths must fit its context and its context the model; a GPU class it names must
be one the cloud offers and agree with the infrastructure's. A language model is served on a
path of its own: the engine batches sequences continuously, which an ensemble, a routing
detector or the classic models' adaptive batching cannot share.
"""

from __future__ import annotations

from mlopsgen.diagnostics import delete_key, set_value
from mlopsgen.spec.checks.context import CheckContext, listing
from mlopsgen.spec.checks.infra import GPU_CLASSES
from mlopsgen.spec.families import FAMILIES
from mlopsgen.spec.models.llm import Llm
from mlopsgen.spec.models.ml import ModelSpec
from mlopsgen.spec.source_map import SpecPath

LANGUAGE_TASKS = ("text_generation", "embedding")


def check_language_models(ctx: CheckContext) -> None:
    """E335 to E341 over every model, the serving path, the token throughput, the stack kind."""
    for m, model in enumerate(ctx.spec.models):
        base: SpecPath = ("models", m)
        if not _block_matches_task(ctx, base, model) or model.llm is None:
            continue
        llm = model.llm
        path: SpecPath = (*base, "llm")
        _check_facts(ctx, base, model, llm)
        _check_lengths(ctx, path, model, llm)
        _check_gpu(ctx, path, llm)
    _check_path(ctx)
    _check_alone(ctx)


def _block_matches_task(ctx: CheckContext, base: SpecPath, model: ModelSpec) -> bool:
    """E335: a language task has an llm block; any other task has none."""
    language = model.task in LANGUAGE_TASKS
    if language and model.llm is None:
        ctx.error(
            "E335",
            f"model {model.name!r} ({model.task}) has no llm block: its GPUs are sized from it",
            (*base, "task"),
            "add llm: {family: llama-3.1-8b, context_length: 4096, prompt_tokens: {p50: 500, "
            "p95: 1500}, output_tokens: {p50: 200, p95: 400}} with your model's figures",
        )
        return False
    if not language and model.llm is not None:
        ctx.error(
            "E335",
            f"model {model.name!r} ({model.task}) is not a language model but has an llm block",
            (*base, "llm"),
            "remove the llm block, or set task: text_generation or embedding",
            key=True,
            fix=[delete_key((*base, "llm"))],
        )
        return False
    return True


def _check_facts(ctx: CheckContext, base: SpecPath, model: ModelSpec, llm: Llm) -> None:
    """E336: an architecture needs a parameter count; a family must suit the task."""
    if llm.architecture is not None and model.parameter_count is None:
        ctx.error(
            "E336",
            f"model {model.name!r} states an architecture but no parameter_count",
            (*base, "llm", "architecture"),
            "add parameter_count: with the model card's figure (e.g. 7000000000)",
            key=True,
        )
    if llm.family is None:
        return
    generative = FAMILIES[llm.family].generative
    if generative != (model.task == "text_generation"):
        kind = "a generative" if generative else "an embedding"
        wanted = [n for n, f in FAMILIES.items() if f.generative != generative]
        ctx.error(
            "E336",
            f"family {llm.family!r} is {kind} model, but model {model.name!r} is {model.task}",
            (*base, "llm", "family"),
            f"choose one of {listing(wanted)}, or set task: "
            + ("text_generation" if generative else "embedding"),
        )


def _check_lengths(ctx: CheckContext, path: SpecPath, model: ModelSpec, llm: Llm) -> None:
    """E337: token lengths fit the context; the context fits the model; E338: outputs."""
    output = llm.output_tokens
    if model.task == "text_generation" and output is None:
        ctx.error(
            "E338",
            f"model {model.name!r} generates text but states no output_tokens",
            (*path, "prompt_tokens"),
            "add output_tokens: {p50: ..., p95: ...}: generated tokens per request",
            key=True,
        )
    if model.task == "embedding" and output is not None:
        ctx.error(
            "E338",
            f"model {model.name!r} is an embedding model: it generates no output tokens",
            (*path, "output_tokens"),
            "remove output_tokens",
            key=True,
            fix=[delete_key((*path, "output_tokens"))],
        )
    longest = llm.prompt_tokens.p95 + (output.p95 if output else 0)
    if llm.context_length < longest:
        ctx.error(
            "E337",
            f"context_length {llm.context_length} is shorter than a p95 request "
            f"({llm.prompt_tokens.p95} prompt + {output.p95 if output else 0} output tokens)",
            (*path, "context_length"),
            f"set context_length: {longest} or more",
            fix=[set_value((*path, "context_length"), longest)],
        )
    limit = (
        FAMILIES[llm.family].max_context_tokens
        if llm.family is not None
        else (llm.architecture.max_context_tokens if llm.architecture else None)
    )
    if limit is not None and llm.context_length > limit:
        ctx.error(
            "E337",
            f"context_length {llm.context_length} is longer than the model's {limit}-token context",
            (*path, "context_length"),
            f"set context_length: {limit} or less",
            fix=[set_value((*path, "context_length"), limit)],
        )


def _check_gpu(ctx: CheckContext, path: SpecPath, llm: Llm) -> None:
    """E339: a named serving class is offered by the cloud and agrees with the infrastructure."""
    infra = ctx.spec.infrastructure
    named = llm.gpu.serving
    if named is None:
        return
    offered = GPU_CLASSES[infra.cloud]
    if infra.cloud != "local" and named not in offered:
        ctx.error(
            "E339",
            f"gpu serving class {named!r} is not offered on cloud {infra.cloud!r}",
            (*path, "gpu", "serving"),
            f"{infra.cloud} offers {listing(offered)}; or remove it and let the plan choose",
        )
    elif infra.gpu_class is not None and infra.gpu_class != named:
        ctx.error(
            "E339",
            f"the model is served on {named} but infrastructure.gpu_class is "
            f"{infra.gpu_class}: a stack's serving pool has one class",
            (*path, "gpu", "serving"),
            f"set infrastructure.gpu_class: {named}, or remove one of the two",
            fix=[set_value(("infrastructure", "gpu_class"), named)],
        )


def _check_alone(ctx: CheckContext) -> None:
    """E341: a stack of language models holds no classic model.

    A language model's stack is of its own kind (a fine-tuning pipeline on a base model, an
    engine service, GPU pools sized from tokens); the classic models' pipelines, feature store
    and adaptive batching belong to another stack, so the two are specified apart.
    """
    language = [m.name for m in ctx.spec.models if m.llm is not None]
    if not language:
        return
    for m, model in enumerate(ctx.spec.models):
        if model.llm is None and model.task not in LANGUAGE_TASKS:
            ctx.error(
                "E341",
                f"model {model.name!r} ({model.task}) shares a spec with language model "
                f"{language[0]!r}",
                ("models", m, "name"),
                f"move {model.name!r} into a spec of its own: a language model's stack "
                "(fine-tuning, an engine service, GPU pools) holds language models only",
            )


def _check_path(ctx: CheckContext) -> None:
    """E340: a language model is served alone; a token rate needs a served generator."""
    serving = ctx.spec.serving
    by_name = {m.name: m for m in ctx.spec.models}
    language = [n for n in serving.models if n in by_name and by_name[n].llm is not None]
    if language and (len(serving.models) > 1 or serving.decision or serving.routing):
        ctx.error(
            "E340",
            f"language model {language[0]!r} shares the serving path with other models",
            ("serving", "models"),
            f"serve {language[0]!r} alone (serving.models: [{language[0]}], no decision or "
            "routing); plan the other models in a spec of their own",
            fix=[set_value(("serving", "models"), [language[0]])],
        )
    tokens = ctx.spec.slo.throughput.peak_output_tokens_per_second
    generators = [n for n in language if by_name[n].task == "text_generation"]
    if tokens is not None and not generators:
        ctx.error(
            "E340",
            "peak_output_tokens_per_second needs a served text_generation model to turn "
            "tokens into requests",
            ("slo", "throughput", "peak_output_tokens_per_second"),
            "give peak_rps instead",
            key=True,
        )
