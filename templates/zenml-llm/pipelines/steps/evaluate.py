"""Step ``evaluate``: perplexity on the held-out chats before and after, and the gates.

``perplexity`` is the fine-tuned model's (base + adapter, or the fully fine-tuned weights) on
the held-out answers,
``perplexity_base`` the base model's on the same tokens. The oracle is 1: each synthetic
answer is a function of its question, so a perfect model is certain of every token.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from zenml import step

from pipelines.chats import HELD_OUT, split
from pipelines.events import step_events
from pipelines.gates import check_gates
from pipelines.language_plan import language_model
from pipelines.lora import load_base, load_tuned, perplexity


@step
def evaluate(
    chats: list[dict[str, str]],
    base_model: str,
    adapter: Path,
    losses: list[float],
    model_name: str,
) -> Annotated[dict[str, Any], "evaluation"]:
    """``{"metrics", "gates", "oracle", "holdout_rows"}`` for model ``model_name``."""
    with step_events("evaluate"):
        model = language_model(model_name)
        held_out = split(model, chats, HELD_OUT)
        base, tokenizer = load_base(base_model)
        before = perplexity(base, tokenizer, held_out)
        tuned = load_tuned(base, adapter)
        metrics = {
            "perplexity": perplexity(tuned, tokenizer, held_out),
            "perplexity_base": before,
            "loss_first": losses[0],
            "loss_last": losses[-1],
        }
        return {
            "metrics": metrics,
            "gates": check_gates(model.gates, metrics),
            "oracle": {"perplexity": 1.0},
            "holdout_rows": len(held_out),
        }
