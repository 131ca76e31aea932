"""Copy each language model's production version into the BentoML model store.

``python -m services.export`` (in the stack root, after fine-tuning): for every language model
of the stack, :func:`pipelines.release.merged_model` writes the production version as one
Hugging Face folder (the base model with its fine-tuned adapter merged in: ``config.json``,
weights, tokenizer), which is saved as the BentoML model ``<model name>`` with
``bentoml.models.create``; the ZenML version and the base model go in its labels. The service
then loads ``<model name>:latest`` from the store, never from ZenML. Exit codes: 0 every model
exported, 3 a model has no production version (nothing is exported then: a service must not
start with a mix of fresh and stale models).
"""

from __future__ import annotations

import argparse
import gc
import shutil
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from services import settings

__all__ = ["EXIT_NO_PRODUCTION", "Exported", "export_models", "main"]

EXIT_NO_PRODUCTION = 3
PRODUCTION = "production"


@dataclass(frozen=True)
class Exported:
    """One model written to the store: its ZenML version, base model and BentoML tag."""

    model: str
    version: str
    base: str
    tag: str


def _label(value: str) -> str:
    """A BentoML label value: at most 63 characters of ``[A-Za-z0-9._-]``."""
    kept = "".join(c if c.isalnum() or c in "._-" else "-" for c in value).strip("-._")
    return kept[:63].rstrip("-._") or "unknown"


def _save(model: str, folder: Path, release: dict[str, str]) -> str:
    """Store ``folder`` as the BentoML model ``model``; its tag."""
    import bentoml

    labels = {
        "service": _label(settings.SERVICE_NAME),
        "stage": PRODUCTION,
        "zenml_version": _label(release["version"]),
        "base": _label(release["base"]),
    }
    metadata = {key: str(value) for key, value in sorted(release.items())}
    with bentoml.models.create(name=model, labels=labels, metadata=metadata) as saved:
        shutil.copytree(folder, saved.path, dirs_exist_ok=True)
    return str(saved.tag)


def export_models(models: Sequence[str] = settings.LANGUAGE_MODELS) -> list[Exported]:
    """Merge and save every model's production version; what was saved.

    Raises:
        LookupError: a model has no production version (checked for every model before
            anything is stored).
    """
    from pipelines.release import merged_model

    done: list[Exported] = []
    with tempfile.TemporaryDirectory(prefix="mlopsgen-export-") as work:
        merged: list[tuple[str, Path, dict[str, str]]] = []
        for model in models:
            folder = Path(work) / model
            release = merged_model(model, folder, PRODUCTION)
            merged.append((model, folder, release))
        for model, folder, release in merged:
            tag = _save(model, folder, release)
            done.append(Exported(model, release["version"], release["base"], tag))
    return done


def main(argv: Sequence[str] | None = None) -> int:
    """Export the production models; print one line per model."""
    parser = argparse.ArgumentParser(prog="python -m services.export", description=__doc__)
    parser.parse_args(argv)
    try:
        exported = export_models()
    except LookupError as err:
        print(f"export failed: {err}", file=sys.stderr)
        return EXIT_NO_PRODUCTION
    for item in exported:
        print(
            f"{item.model}: zenml version {item.version} (base {item.base}) -> "
            f"bentoml model {item.tag}"
        )
    return 0


if __name__ == "__main__":
    code = main()
    # ZenML and torch leave many objects behind, which the interpreter's exit would walk in
    # one garbage collection after another; frozen, their memory goes with the process.
    gc.freeze()
    sys.exit(code)
