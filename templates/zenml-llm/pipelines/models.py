"""Load a language model's version back from ZenML's Model Control Plane, outside any pipeline.

``model_version("assistant")`` is the ZenML model version at a stage (``production`` by
default) or number; ``adapter_folder`` is the local copy of its LoRA adapter. ZenML is
configured for this stack first, so this works from any entry point (a service export, a
notebook, ``python -c``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipelines.run import configure_environment, use_stack_source_root
from pipelines.stack_plan import stack_root

__all__ = ["adapter_folder", "model_version"]


def model_version(name: str, version: str = "production") -> Any:
    """The ZenML model version ``version`` (a stage or a number) of model ``name``."""
    root = stack_root()
    configure_environment(root)
    use_stack_source_root(root)
    from zenml import Model

    return Model(name=name, version=version)


def adapter_folder(name: str, version: str = "production") -> Path:
    """A local folder holding the ``adapter`` artifact of that version (copied from the store)."""
    folder: Path = model_version(name, version).get_artifact("adapter").load()
    return folder
