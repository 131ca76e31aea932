"""The BentoML target of a language stack: an OpenAI-compatible service over one engine.

A plan whose models are language models (``plan.language_models``) gets this ``services/``
package instead of the classic one. The runtime modules are static Python copied from
``templates/bentoml-llm/services/`` (engines, OpenAI's protocol, metrics, the configuration
rule, export, samples and the load test); the plan's engine settings and request limits reach
the stack as data, ``services/settings.py``, every value through the ``py`` literal filter; the
folder ``services/__service__/`` is rendered once as ``services/<pkg>/`` (``<pkg>`` the plan's
service name as a Python identifier, as for the classic service) with its ``service.py`` and a
``bentofile.yaml`` dumped from data.
"""

from __future__ import annotations

from mlopsgen import __version__
from mlopsgen.plan.ir.data import ModelPlan
from mlopsgen.plan.ir.llm import LlmPlan
from mlopsgen.plan.ir.root import Plan
from mlopsgen.render.environment import PackageLoader, render_file_with
from mlopsgen.render.filters_markup import markdown_code
from mlopsgen.render.header import generated_header
from mlopsgen.targets.base import Rendered
from mlopsgen.targets.bentoml.views import FILTERS, README_HEADING, REQUIREMENTS, service_names
from mlopsgen.targets.core.views import requirements as stack_requirements
from mlopsgen.targets.dumps import yaml_dump
from mlopsgen.targets.zenml.target import _walk, purpose_of

__all__ = [
    "DTYPES",
    "QUANTIZATIONS",
    "SETTINGS_PATH",
    "TEMPLATE_DIR",
    "engine_settings",
    "render_language_service",
    "served_model",
]

TEMPLATE_DIR = "bentoml-llm"
#: The template folder rendered once per service, as ``services/<pkg>/``.
SERVICE_DIR = "services/__service__/"
#: The plan's settings as data, read by every runtime module.
SETTINGS_PATH = "services/settings.py"
#: vLLM's ``dtype`` of each planned dtype.
DTYPES = {"fp16": "float16", "bf16": "bfloat16", "fp32": "float32"}
#: vLLM 0.33's ``quantization`` of each planned weight format. int8 (W8A16) is vLLM's online
#: per-channel weight-only int8, which quantizes the merged float folder at load; int4 (groups
#: of 128) is GPTQ, which needs a GPTQ checkpoint of the model.
QUANTIZATIONS: dict[str, str | None] = {
    "none": None,
    "int8": "int8_per_channel_weight_only",
    "int4": "gptq",
}
#: Packages a language service leaves out of its Bento: ZenML runs fine-tuning only.
NOT_SERVED = ("zenml",)


def served_model(plan: Plan) -> ModelPlan:
    """The language model the service serves: the served one (a language stack serves one)."""
    language = plan.language_models
    served = [m for m in language if m.name in plan.serving.models]
    return (served or list(language))[0]


def _llm(model: ModelPlan) -> LlmPlan:
    if model.llm is None:  # pragma: no cover - served_model picks language models only
        raise ValueError(f"model {model.name!r} has no llm plan")
    return model.llm


def engine_settings(plan: Plan) -> dict[str, object]:
    """What ``services/settings.py`` holds, by template variable (plain data)."""
    model = served_model(plan)
    llm = _llm(model)
    replica = plan.serving.replica
    resources: dict[str, object] = {
        "cpu": f"{replica.cpu:g}",
        "memory": f"{replica.memory_gib:g}Gi",
    }
    if replica.gpu > 0:
        resources["gpu"] = replica.gpu
        if replica.gpu_class:
            resources["gpu_type"] = replica.gpu_class
    return {
        "service_name": plan.serving.service_name,
        "model": model.name,
        "language_models": tuple(m.name for m in plan.language_models),
        "engine": llm.engine,
        "max_num_seqs": llm.max_num_seqs,
        "context_tokens": llm.context_tokens,
        "max_output_tokens": llm.max_output_tokens,
        "gpu_memory_utilization": llm.gpu_memory_utilisation,
        "tensor_parallel_size": llm.tensor_parallel,
        "dtype": DTYPES[llm.dtype],
        "quantization": QUANTIZATIONS[llm.quantization],
        "streaming": llm.streaming,
        "resources": resources,
        "workers": replica.workers,
        "timeout_s": replica.timeout_ms / 1000.0,
        "description": plan.system.description or "",
    }


#: The language service is a FastAPI app mounted in BentoML (OpenAI's routes, its own error
#: format and streaming), so the stack and its Bento install FastAPI themselves.
LANGUAGE_REQUIREMENTS = REQUIREMENTS | {"fastapi==0.141.1"}


def bentofile(plan: Plan) -> dict[str, object]:
    """``bentofile.yaml``: the service, its modules and the stored language models."""
    pins = set(stack_requirements(plan)) | LANGUAGE_REQUIREMENTS
    return {
        "service": service_names(plan).import_path,
        "labels": {"generator": "mlopsgen", "spec_sha256": plan.system.spec_sha256},
        "include": ["services/**/*.py", "plan.json"],
        "exclude": ["**/__pycache__", "data/**"],
        "python": {
            "packages": [pin for pin in sorted(pins) if not pin.startswith(NOT_SERVED)],
            "lock_packages": False,
        },
        "models": [f"{m.name}:latest" for m in plan.language_models],
    }


def readme_section(plan: Plan) -> str:
    """How to export, serve and call the language service."""
    names = service_names(plan)
    model = served_model(plan)
    llm = _llm(model)
    name = markdown_code(model.name)
    lines = [
        f"After fine-tuning, merge {name}'s production version into one Hugging Face folder "
        "and store it in BentoML's model store (exit code 3 names a model that has none), "
        "then serve from the stack root:",
        "",
        "```sh",
        "python -m services.export",
        f"bentoml serve {names.import_path} --host 127.0.0.1 --port 3000",
        "```",
        "",
        "The service speaks OpenAI's API: `POST /v1/chat/completions` and "
        "`POST /v1/completions` (`stream: true` for Server-Sent Events), `GET /v1/models`; "
        "`/livez`, `/readyz` and `/metrics` (`mlopsgen_llm_*` token and latency series) are "
        "served too. A request over the limits is a 400 in OpenAI's error format naming the "
        f"field: `max_tokens` above {llm.max_output_tokens}, or prompt and output past the "
        f"{llm.context_tokens}-token context.",
        "",
        "```sh",
        "curl -s http://127.0.0.1:3000/v1/chat/completions -H 'content-type: application/json' \\",
        f'  -d \'{{"model": "{model.name}", "messages": [{{"role": "user", "content": "Hi"}}]}}\'',
        "```",
        "",
        f"The engine is vLLM (the plan's {markdown_code(llm.engine)}) when `vllm` is "
        "importable and a CUDA GPU is visible, else transformers on CPU; "
        "`MLOPSGEN_LLM_ENGINE=cpu|vllm` forces it. `MLOPSGEN_LLM_MODEL_DIR` serves a saved "
        "model folder instead of the store, `MLOPSGEN_LLM_MAX_TOKENS`, "
        "`MLOPSGEN_LLM_MAX_MODEL_LEN` and `MLOPSGEN_LLM_MAX_NUM_SEQS` change the limits for a "
        "local run. vLLM is not in the stack's environment (its pins conflict with BentoML's); "
        "a GPU image installs it beside the service.",
        "",
        "While it serves, `make loadtest` (`python -m services.loadtest --url URL "
        "[--concurrency N] [--requests N] [--strict] [--json]`) sends streamed chat "
        f"completions from {_load_test_clients(plan)} and reports p50 and p95 of the time to "
        "first token, the time per output token and the time to the last token, requests "
        "and tokens per second and the errors, with the p95s beside the token objectives"
        f"{_objectives(llm)}. On the CPU engine with a local stand-in model the comparison "
        "is informational; on the planned GPUs it is the check (`--strict` fails above an "
        "objective).",
        "",
        "Build a Bento from the stack root (keep `BENTOML_HOME` outside the stack):",
        "",
        "```sh",
        f"bentoml build -f services/{names.package}/bentofile.yaml .",
        "```",
    ]
    return "\n".join(lines) + "\n"


def _load_test_clients(plan: Plan) -> str:
    """Who sends the load test's requests by default, as the README says it."""
    hpa = plan.serving.hpa
    running = hpa.target_running_sequences if hpa is not None else None
    if running is None:
        return "concurrent clients"
    return (
        f"{running} concurrent clients by default (the plan's running sequences per replica; "
        "a few on the CPU engine)"
    )


def _objectives(llm: LlmPlan) -> str:
    """`` (time to first token 1500 ms, ...)``: the token objectives there are, if any."""
    parts = [
        f"{name} {value:g} ms"
        for name, value in (
            ("time to first token", llm.slo_ttft_p95_ms),
            ("time per output token", llm.slo_tpot_p95_ms),
        )
        if value is not None
    ]
    return f" ({', '.join(parts)})" if parts else ""


def render_language_service(plan: Plan) -> Rendered:
    """The language stack's ``services/`` package, its settings and its bentofile."""
    names = service_names(plan)
    package = f"services/{names.package}/"
    root = PackageLoader().root / TEMPLATE_DIR
    files = {
        path.replace(SERVICE_DIR, package, 1): text
        for path, text in sorted(_walk(root, "").items())
    }
    files[SETTINGS_PATH] = render_file_with(
        FILTERS, SETTINGS_PATH, f"{TEMPLATE_DIR}/services/settings.py.j2", **engine_settings(plan)
    )
    service_path = f"{package}service.py"
    files[service_path] = render_file_with(
        FILTERS,
        service_path,
        f"{TEMPLATE_DIR}/{SERVICE_DIR}service.py.j2",
        package=names.package,
        class_name=names.class_name,
    )
    purposes = {path: purpose_of(path, text) for path, text in files.items()}
    bentofile_path = f"{package}bentofile.yaml"
    files[bentofile_path] = yaml_dump(bentofile(plan))
    purposes[bentofile_path] = (
        "what `bentoml build` packs: the language service, its settings and the stored model"
    )
    header = generated_header("#", __version__, plan.system.spec_sha256)
    return Rendered(
        files={path: header + text for path, text in sorted(files.items())},
        purposes=purposes,
        requirements=LANGUAGE_REQUIREMENTS,
        sections={README_HEADING: readme_section(plan)},
    )
