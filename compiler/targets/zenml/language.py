"""The ``pipelines/`` package of a language stack: LoRA fine-tuning per language model.

A plan whose models are language models (``plan.language_models``) gets this package instead
of the classic one: the static Python of ``templates/zenml-llm/pipelines/`` (synthetic chats,
the local stand-in base model, LoRA with peft, perplexity, the steps, the entry point and
``release.merged_model``), the plan readers, gates, progress events and training metrics
shared with the classic package (``templates/zenml/pipelines/``), and one fine-tuning module
per language model rendered from ``pipelines/training/__model__.py.j2``. The pipeline is
``train_<model>`` as in every stack, so the CI workflow, the cluster configurations and
``mlopsgen run`` drive it unchanged.
"""

from __future__ import annotations

from mlopsgen import __version__
from mlopsgen.plan.ir.data import ModelPlan
from mlopsgen.plan.ir.root import Plan
from mlopsgen.render.environment import PackageLoader, render_file_with
from mlopsgen.render.filters_markup import markdown_code, markdown_text
from mlopsgen.render.header import generated_header
from mlopsgen.targets.base import Rendered
from mlopsgen.targets.literals import FILTERS
from mlopsgen.targets.zenml.target import PURPOSES, _walk, purpose_of
from mlopsgen.targets.zenml.views import README_HEADING, module_stem, requirements

__all__ = [
    "LANGUAGE_TEMPLATE_DIR",
    "SHARED_FILES",
    "STEP_NAMES",
    "language_files",
    "language_readme",
    "render_language_pipelines",
]

LANGUAGE_TEMPLATE_DIR = "zenml-llm"
MODEL_TEMPLATE = "zenml-llm/pipelines/training/__model__.py.j2"
#: Files of the classic package a language stack uses as they are.
SHARED_FILES = (
    "pipelines/configs/local.yaml",
    "pipelines/events.py",
    "pipelines/gates.py",
    "pipelines/stack_plan.py",
    "pipelines/training_metrics.py",
)
#: The steps of a fine-tuning pipeline, in order (the cluster configurations size each).
STEP_NAMES = ("ingest", "prepare_base", "validate", "fine_tune", "evaluate", "register")


def language_files() -> dict[str, str]:
    """The static files of a language stack's package, keyed by their stack path."""
    root = PackageLoader().root
    classic = _walk(root / "zenml", "")
    files = {path: classic[path] for path in SHARED_FILES}
    files.update(_walk(root / LANGUAGE_TEMPLATE_DIR, ""))
    return dict(sorted(files.items()))


def _module_path(model: ModelPlan) -> str:
    return f"pipelines/training/{module_stem(model.name)}.py"


def language_readme(plan: Plan) -> str:
    """The README section: how to fine-tune, what a run registers, how to get the model out."""
    lines = [
        "Fine-tune every language model on ZenML's local default stack (CPU, no server, "
        "no network):",
        "",
        "```sh",
        "python -m pipelines.run --rows 300",
        "```",
        "",
        "Pipelines, one per model (`--pipeline NAME` runs one):",
        "",
    ]
    for model in plan.language_models:
        llm = model.llm
        rank = llm.fine_tuning_lora_rank if llm is not None else None
        context = llm.context_tokens if llm is not None else 0
        lines.append(
            f"- `train_{model.name}`: synthetic chats (the source's "
            f"{markdown_code(model.inputs[0].name if model.inputs else '?')} as the user's "
            f"turn, {markdown_code(model.target or '?')} as the answer), validated against the "
            f"{context}-token context, a LoRA adapter of rank {rank or 16} on every attention "
            "and MLP projection, perplexity on held-out chats before and after, registered "
            f"as a version of `{model.name}` with the adapter as its `adapter` artifact"
        )
    lines += [
        "",
        "The base model is the Hugging Face folder `MLOPSGEN_LLM_BASE_MODEL` names; without "
        "it, a tiny seeded stand-in (`pipelines/base_model.py`) is built once into "
        "`.mlopsgen/llm/base/<model>/`, with the plan's context as its positions. Nothing "
        "is downloaded: the Hugging Face libraries run offline.",
        "",
        "Exit codes: 0 every candidate promoted to production, 3 the run worked but a gate "
        "kept a candidate in staging, 4 the run failed (a data-validation report is printed). "
        "The outcome is in `.mlopsgen/last-run.json`.",
        "",
        "`pipelines.release.merged_model(model_name, out_dir)` writes the production "
        "version's base weights with its adapter merged in, and the tokenizer, as one model "
        "folder. The local orchestrator cannot schedule: `python -m pipelines.run --schedule` "
        f"prints the crontab lines of the plan's schedule ({markdown_code(plan.training.cron)}).",
    ]
    sources = ", ".join(
        f"{markdown_text(s.name)} ({markdown_code(s.uri)})" for s in plan.data.sources
    )
    lines += [
        "",
        f"Data: the runs make their chats, shaped like the declared source ({sources}), "
        "seeded and the same every run; the declared source itself is not read.",
    ]
    return "\n".join(lines) + "\n"


def render_language_pipelines(plan: Plan) -> Rendered:
    """The package's files with their purposes, the pins it needs and its README section."""
    files = language_files()
    models = [model for model in plan.language_models if model.trainable]
    for model in models:
        path = _module_path(model)
        files[path] = render_file_with(
            FILTERS,
            path,
            MODEL_TEMPLATE,
            model_name=model.name,
            pipeline_name=f"train_{model.name}",
        )
    purposes = {path: purpose_of(path, text) for path, text in files.items()}
    for model in models:
        purposes[_module_path(model)] = (
            f"fine-tuning pipeline train_{model.name} of language model {model.name}"
        )
    purposes.update({path: PURPOSES[path] for path in PURPOSES if path in files})
    header = generated_header("#", __version__, plan.system.spec_sha256)
    return Rendered(
        files={path: header + text for path, text in sorted(files.items())},
        purposes=purposes,
        requirements=requirements(plan),
        sections={README_HEADING: language_readme(plan)},
    )
