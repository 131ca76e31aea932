"""What the language-model service runs with: the plan's settings, the model folder, the engine.

The plan's values are data in :mod:`services.settings` (rendered from ``plan.json``). A few
``MLOPSGEN_LLM_*`` variables change them for a local run, never the planned file:

``MLOPSGEN_LLM_MODEL_DIR``       serve this Hugging Face folder (``config.json``, weights,
                                 tokenizer) instead of the BentoML model ``<model>:latest``
                                 that ``python -m services.export`` stores
``MLOPSGEN_LLM_ADAPTER_DIR``     a LoRA adapter folder, merged into the model at load
``MLOPSGEN_LLM_ENGINE``          ``cpu`` or ``vllm``: forces the engine (see below)
``MLOPSGEN_LLM_MAX_TOKENS``      the most tokens one request may generate (plan: max output)
``MLOPSGEN_LLM_MAX_MODEL_LEN``   prompt + generated tokens (plan: the context length)
``MLOPSGEN_LLM_MAX_NUM_SEQS``    sequences decoded at once per worker (plan: max_num_seqs)

The engine: vLLM when the plan's engine is vLLM, ``vllm`` is importable and a CUDA GPU is
visible; transformers on CPU otherwise (a laptop, CI, a GPU-less node). ``MLOPSGEN_LLM_ENGINE``
overrides the rule either way.

The model's own positions (``max_position_embeddings`` in ``config.json``) cap the context:
a local stand-in for the base model is smaller than the planned one, so the service then
serves the model's length and says so once at start; the output limit stays below the context.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from services import settings

__all__ = ["ConfigError", "ServiceConfig", "choose_engine", "model_folder"]

PREFIX = "MLOPSGEN_LLM_"
WORKERS_VARIABLE = "MLOPSGEN_SERVICE_WORKERS"
TIMEOUT_VARIABLE = "MLOPSGEN_SERVICE_TIMEOUT_S"
ENGINES = ("cpu", "vllm")


class ConfigError(ValueError):
    """A setting is missing or out of range; the message names the variable or the fix."""


def _int(env: dict[str, str], name: str, default: int) -> int:
    text = env.get(PREFIX + name)
    if text is None or text == "":
        return default
    try:
        return int(text)
    except ValueError:
        raise ConfigError(f"{PREFIX}{name}={text!r} is not an integer") from None


def _gpu_visible() -> bool:
    """Whether torch sees a CUDA device (torch is the CPU engine's dependency too)."""
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


def choose_engine(env: dict[str, str]) -> str:
    """``cpu`` or ``vllm``: the variable's choice, else vLLM only where it can run."""
    forced = env.get(PREFIX + "ENGINE")
    if forced:
        if forced not in ENGINES:
            raise ConfigError(f"{PREFIX}ENGINE={forced!r}: expected cpu or vllm")
        return forced
    if (
        settings.ENGINE == "vllm"
        and importlib.util.find_spec("vllm") is not None
        and _gpu_visible()
    ):
        return "vllm"
    return "cpu"


def model_folder(env: dict[str, str]) -> Path:
    """``MLOPSGEN_LLM_MODEL_DIR``, else the folder of the BentoML model ``<model>:latest``."""
    given = env.get(PREFIX + "MODEL_DIR")
    if given:
        return Path(given)
    import bentoml
    from bentoml.exceptions import NotFound

    try:
        return Path(bentoml.models.get(f"{settings.MODEL}:latest").path)
    except NotFound:
        raise ConfigError(
            f"the BentoML model {settings.MODEL!r} is not in the store: run "
            f"`python -m services.export` after fine-tuning, or set {PREFIX}MODEL_DIR to a "
            "saved model folder"
        ) from None


@dataclass(frozen=True)
class ServiceConfig:
    """The service's settings, checked against the model's own ``config.json``."""

    model_dir: Path
    model_name: str
    adapter_dir: Path | None = None
    engine: str = "cpu"
    max_tokens: int = 64
    max_model_len: int = 256
    max_num_seqs: int = 4
    gpu_memory_utilization: float = 0.9
    tensor_parallel_size: int = 1
    dtype: str = "auto"
    quantization: str | None = None
    notes: tuple[str, ...] = ()

    @classmethod
    def load(cls, environ: dict[str, str] | None = None) -> ServiceConfig:
        """The plan's settings with the ``MLOPSGEN_LLM_*`` overrides (see the module)."""
        env = dict(os.environ if environ is None else environ)
        model_dir = model_folder(env)
        config_file = model_dir / "config.json"
        if not config_file.is_file():
            raise ConfigError(f"{model_dir}: no config.json there (not a saved model folder)")
        model_config: dict[str, Any] = json.loads(config_file.read_text("utf-8"))
        positions = int(model_config.get("max_position_embeddings", settings.CONTEXT_TOKENS))
        adapter = env.get(PREFIX + "ADAPTER_DIR") or None
        if adapter and not (Path(adapter) / "adapter_config.json").is_file():
            raise ConfigError(f"{PREFIX}ADAPTER_DIR={adapter}: no adapter_config.json there")
        notes: list[str] = []
        planned_len = min(settings.CONTEXT_TOKENS, positions)
        if planned_len < settings.CONTEXT_TOKENS:
            notes.append(
                f"the model at {model_dir} has {positions} positions, fewer than the plan's "
                f"context of {settings.CONTEXT_TOKENS} tokens: serving {positions}"
            )
        max_model_len = _int(env, "MAX_MODEL_LEN", planned_len)
        if not 1 < max_model_len <= positions:
            raise ConfigError(
                f"{PREFIX}MAX_MODEL_LEN={max_model_len}: the model has {positions} positions"
            )
        max_tokens = _int(env, "MAX_TOKENS", min(settings.MAX_OUTPUT_TOKENS, max_model_len - 1))
        if not 1 <= max_tokens < max_model_len:
            raise ConfigError(
                f"{PREFIX}MAX_TOKENS={max_tokens}: must be at least 1 and below the "
                f"max model length {max_model_len}"
            )
        max_num_seqs = _int(env, "MAX_NUM_SEQS", settings.MAX_NUM_SEQS)
        if max_num_seqs < 1:
            raise ConfigError(f"{PREFIX}MAX_NUM_SEQS={max_num_seqs}: must be at least 1")
        return cls(
            model_dir=model_dir,
            model_name=settings.MODEL,
            adapter_dir=Path(adapter) if adapter else None,
            engine=choose_engine(env),
            max_tokens=max_tokens,
            max_model_len=max_model_len,
            max_num_seqs=max_num_seqs,
            gpu_memory_utilization=settings.GPU_MEMORY_UTILIZATION,
            tensor_parallel_size=settings.TENSOR_PARALLEL_SIZE,
            dtype=settings.DTYPE,
            quantization=settings.QUANTIZATION,
            notes=tuple(notes),
        )

    def announce(self) -> None:
        """One line on standard error: the engine, the limits and any note."""
        print(
            f"serving {self.model_name!r} from {self.model_dir} with the {self.engine} engine: "
            f"max_tokens {self.max_tokens}, max_model_len {self.max_model_len}, "
            f"max_num_seqs {self.max_num_seqs}",
            file=sys.stderr,
        )
        for note in self.notes:
            print(f"note: {note}", file=sys.stderr)


def resources() -> dict[str, Any]:
    """BentoML's ``resources`` of one replica, as planned."""
    out: dict[str, Any] = dict(settings.RESOURCES)
    return out


def workers() -> int:
    """Worker processes per replica: the plan's, or ``MLOPSGEN_SERVICE_WORKERS``."""
    text = os.environ.get(WORKERS_VARIABLE)
    if not text:
        return settings.WORKERS
    value = int(text)
    if value < 1:
        raise ConfigError(f"{WORKERS_VARIABLE} must be at least 1, not {value}")
    return value


def timeout_s() -> float:
    """Request timeout in seconds: the plan's, or ``MLOPSGEN_SERVICE_TIMEOUT_S``."""
    text = os.environ.get(TIMEOUT_VARIABLE)
    return float(text) if text else settings.TIMEOUT_S
