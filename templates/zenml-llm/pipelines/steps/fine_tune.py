"""Step ``fine_tune``: a LoRA adapter of the plan's rank (or every weight, with the plan's
``full`` method), trained on the training chats.

The fine-tuned folder is the model version's ``adapter`` artifact, stored by ZenML's path
materializer: the adapter (``adapter_config.json`` + ``adapter_model.safetensors``), the base
weights staying where ``prepare_base`` found them; or, for a full fine-tune, the whole model
with its tokenizer. The version's ``fine_tuning`` metadata says which.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any

from zenml import ArtifactConfig, log_metadata, step
from zenml.enums import ArtifactType

from pipelines.chats import TRAIN, split
from pipelines.events import step_events
from pipelines.language_plan import language_model
from pipelines.lora import (
    BATCH_SIZE,
    FULL_LEARNING_RATE,
    LEARNING_RATE,
    STEPS,
    TARGET_MODULES,
    fine_tune_full,
)
from pipelines.lora import fine_tune as train_adapter


@step
def fine_tune(
    chats: list[dict[str, str]], base_model: str, model_name: str
) -> tuple[
    Annotated[Path, ArtifactConfig(name="adapter", artifact_type=ArtifactType.MODEL)],
    Annotated[list[float], "losses"],
]:
    """Train on the ``train`` rows; return the fine-tuned folder and every step's loss."""
    with step_events("fine_tune"):
        model = language_model(model_name)
        tuned = Path(tempfile.mkdtemp(prefix=f"{model_name}-{model.method}-"))
        rows = split(model, chats, TRAIN)
        if model.method == "full":
            losses = fine_tune_full(base_model, tuned, rows)
            settings: dict[str, Any] = {
                "method": "full",
                "steps": STEPS,
                "batch_size": BATCH_SIZE,
                "learning_rate": FULL_LEARNING_RATE,
            }
        else:
            losses = train_adapter(base_model, tuned, rows, rank=model.lora_rank)
            settings = {
                "method": "lora",
                "rank": model.lora_rank,
                "alpha": 2 * model.lora_rank,
                "target_modules": list(TARGET_MODULES),
                "steps": STEPS,
                "batch_size": BATCH_SIZE,
                "learning_rate": LEARNING_RATE,
            }
        metadata: dict[str, Any] = {
            "fine_tuning": settings,
            "loss_first": losses[0],
            "loss_last": losses[-1],
        }
        if model.method != "full":
            metadata["lora"] = settings
        log_metadata(metadata=metadata, infer_model=True)
        return tuned, losses
