"""The release of a fine-tuned language model: base weights and LoRA adapter, merged.

``merged_model("assistant", out_dir)`` writes the Hugging Face folder of the ZenML version at
a stage (``production`` by default): the base model the version was trained on (its
``base_model`` metadata) with the version's ``adapter`` artifact merged into its weights
(``PeftModel.from_pretrained(...).merge_and_unload()``), and the base's tokenizer; a version
fine-tuned in full holds the whole model in that artifact, which is copied as it is. A service
then loads it like any model folder, with no peft at serving time. Offline: nothing is
downloaded. The stack's local stand-in base is rebuilt when its folder is gone (it is seeded,
so the weights are the same).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

# Set before transformers / huggingface_hub are imported anywhere in the process.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

from pipelines.models import model_version

__all__ = ["merged_model"]


def _version_at(model_name: str, stage: str) -> Any:
    """The model version at ``stage``, or LookupError saying there is none."""
    from zenml.client import Client

    model_version(model_name, stage)  # configures ZenML for this stack
    try:
        return Client().get_model_version(model_name, stage)
    except KeyError as error:
        raise LookupError(
            f"model {model_name!r} has no version at stage {stage!r}: run "
            f"`python -m pipelines.run --pipeline train_{model_name}` until a version passes "
            "its gates"
        ) from error


def _base_folder(model_name: str, recorded: str) -> Path:
    """The base model's folder the version recorded; the stand-in is rebuilt when missing."""
    from pipelines.steps.prepare_base import base_folder, stand_in_folder

    folder = Path(recorded)
    if (folder / "config.json").is_file():
        return folder
    if folder == stand_in_folder(model_name):
        return base_folder(model_name)
    raise FileNotFoundError(f"the base model of {model_name!r} is not at {folder}")


def merged_model(model_name: str, out_dir: Path, stage: str = "production") -> dict[str, str]:
    """Write the merged model folder of ``model_name``'s version at ``stage`` into ``out_dir``.

    Returns ``{"version", "base", "stage", "adapter_rank"}`` (the version's number, the base
    model's folder, the stage, the adapter's LoRA rank). Raises LookupError when no version
    is at ``stage``.
    """
    version = _version_at(model_name, stage)
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    recorded = version.run_metadata.get("base_model")
    if not recorded:
        raise LookupError(f"version {version.number} of {model_name!r} records no base model")
    base = _base_folder(model_name, str(recorded))
    tuned = version.get_artifact("adapter").load()
    if (Path(tuned) / "adapter_config.json").is_file():
        model = AutoModelForCausalLM.from_pretrained(str(base), local_files_only=True)
        merged = PeftModel.from_pretrained(model, str(tuned)).merge_and_unload()
    else:  # a full fine-tune: the artifact is the whole model
        merged = AutoModelForCausalLM.from_pretrained(str(tuned), local_files_only=True)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    merged.save_pretrained(str(out))
    AutoTokenizer.from_pretrained(str(base), local_files_only=True).save_pretrained(str(out))
    lora = version.run_metadata.get("lora") or {}
    return {
        "version": str(version.number),
        "base": str(base),
        "stage": stage,
        "adapter_rank": str(lora.get("rank", "")),
    }
