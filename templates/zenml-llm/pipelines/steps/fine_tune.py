"""Step ``fine_tune``: a LoRA adapter of the plan's rank, trained on the training chats.

The adapter folder (``adapter_config.json`` + ``adapter_model.safetensors``) is the model
version's ``adapter`` artifact, stored by ZenML's path materializer; the base weights stay
where ``prepare_base`` found them.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

from zenml import ArtifactConfig, log_metadata, step
from zenml.enums import ArtifactType

from pipelines.chats import TRAIN, split
from pipelines.events import step_events
from pipelines.language_plan import language_model
from pipelines.lora import BATCH_SIZE, LEARNING_RATE, STEPS, TARGET_MODULES
from pipelines.lora import fine_tune as train_adapter


@step
def fine_tune(
    chats: list[dict[str, str]], base_model: str, model_name: str
) -> tuple[
    Annotated[Path, ArtifactConfig(name="adapter", artifact_type=ArtifactType.MODEL)],
    Annotated[list[float], "losses"],
]:
    """Train the adapter on the ``train`` rows; return its folder and every step's loss."""
    with step_events("fine_tune"):
        model = language_model(model_name)
        adapter = Path(tempfile.mkdtemp(prefix=f"{model_name}-adapter-"))
        losses = train_adapter(
            base_model, adapter, split(model, chats, TRAIN), rank=model.lora_rank
        )
        log_metadata(
            metadata={
                "lora": {
                    "rank": model.lora_rank,
                    "alpha": 2 * model.lora_rank,
                    "target_modules": list(TARGET_MODULES),
                    "steps": STEPS,
                    "batch_size": BATCH_SIZE,
                    "learning_rate": LEARNING_RATE,
                },
                "loss_first": losses[0],
                "loss_last": losses[-1],
            },
            infer_model=True,
        )
        return adapter, losses
