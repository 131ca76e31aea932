"""Step ``prepare_base``: the base model's folder, named by the environment or built here.

``MLOPSGEN_LLM_BASE_MODEL`` names a Hugging Face model folder (weights, config, tokenizer)
on this machine. Without it, the tiny stand-in of :mod:`pipelines.base_model` is built once
into ``.mlopsgen/llm/base/<model>/`` with the plan's context as its positions, and reused.
Nothing is downloaded.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

from zenml import log_metadata, step

from pipelines.base_model import save_tiny_model
from pipelines.events import step_events
from pipelines.language_plan import language_model
from pipelines.stack_plan import stack_root

__all__ = ["BASE_MODEL_VARIABLE", "base_folder", "prepare_base"]

BASE_MODEL_VARIABLE = "MLOPSGEN_LLM_BASE_MODEL"


def stand_in_folder(model_name: str) -> Path:
    """Where the stand-in of ``model_name`` is built."""
    return stack_root() / ".mlopsgen" / "llm" / "base" / model_name


def base_folder(model_name: str) -> Path:
    """The base model's folder: the variable's, else the stand-in (built when missing)."""
    named = os.environ.get(BASE_MODEL_VARIABLE)
    if named:
        folder = Path(named).resolve()
        if not (folder / "config.json").is_file():
            raise FileNotFoundError(
                f"{BASE_MODEL_VARIABLE}={named} is not a model folder (no config.json)"
            )
        return folder
    folder = stand_in_folder(model_name)
    if not (folder / "config.json").is_file():
        save_tiny_model(folder, max_position_embeddings=language_model(model_name).context_tokens)
    return folder


@step
def prepare_base(model_name: str) -> Annotated[str, "base_model"]:
    """The path of the base model's folder (its weights stay there, not in the artifact store)."""
    with step_events("prepare_base"):
        folder = base_folder(model_name)
        stand_in = folder == stand_in_folder(model_name)
        log_metadata(
            metadata={"base_model": str(folder), "stand_in": stand_in},
            infer_model=True,
        )
        return str(folder)
