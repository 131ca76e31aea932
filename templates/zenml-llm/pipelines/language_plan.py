"""What the fine-tuning pipelines read off ``plan.json`` for one language model.

The plan's model row carries the columns (``inputs[0]`` is the user's turn, ``target`` the
assistant's), the gates, and under ``llm`` the context, the output limit and the fine-tuning
method and LoRA rank. Nothing of the spec is written into code: it is all read here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pipelines.stack_plan import GateSpec, StackPlan, load_plan

__all__ = ["LanguageModelSpec", "language_model"]

#: The rank the adapter takes when the plan fine-tunes without naming one (the spec default).
DEFAULT_LORA_RANK = 16


@dataclass(frozen=True)
class LanguageModelSpec:
    """A language model as the plan resolved it, for its fine-tuning pipeline."""

    name: str
    source: str
    prompt_column: str
    answer_column: str
    context_tokens: int
    max_output_tokens: int
    method: str
    lora_rank: int
    gates: tuple[GateSpec, ...]


def _row(plan: StackPlan, name: str) -> dict[str, Any]:
    for row in plan.raw["models"]:
        if row["name"] == name and row.get("llm"):
            found: dict[str, Any] = row
            return found
    raise KeyError(f"the plan has no language model {name!r}")


def language_model(name: str, plan: StackPlan | None = None) -> LanguageModelSpec:
    """The language model ``name`` of the plan (read from the stack's ``plan.json``)."""
    plan = plan if plan is not None else load_plan()
    row = _row(plan, name)
    model = plan.model(name)
    llm = row["llm"]
    if not model.inputs or model.target is None:
        raise KeyError(f"model {name!r} names no prompt input or no target column")
    return LanguageModelSpec(
        name=name,
        source=model.source,
        prompt_column=model.inputs[0].frame_column,
        answer_column=model.target,
        context_tokens=int(llm["context_tokens"]),
        max_output_tokens=int(llm["max_output_tokens"]),
        method=str(llm.get("fine_tuning_method") or "lora"),
        lora_rank=int(llm.get("fine_tuning_lora_rank") or DEFAULT_LORA_RANK),
        gates=model.gates,
    )
