"""Step ``validate``: every chat has a question and an answer that fit the plan's context.

A turn is refused when it is empty, when the chat's tokens (by the base model's tokenizer
and chat template) exceed the plan's context, or when the answer's exceed the plan's output
limit. The report names the first rows of each problem; the run then exits with code 4.
"""

from __future__ import annotations

from typing import Annotated

from zenml import step

from pipelines.chats import DataProblem, HELD_OUT, TRAIN, split
from pipelines.events import step_events
from pipelines.language_plan import language_model
from pipelines.lora import encode

#: Rows each problem names in the report.
SHOWN = 5


@step
def validate(
    chats: list[dict[str, str]], base_model: str, model_name: str
) -> Annotated[list[dict[str, str]], "valid_chats"]:
    """The chats, unchanged, once every check passes; raises :class:`DataProblem` otherwise."""
    with step_events("validate"):
        from transformers import AutoTokenizer

        model = language_model(model_name)
        tokenizer = AutoTokenizer.from_pretrained(base_model, local_files_only=True)
        problems: dict[str, list[int]] = {}
        for index, row in enumerate(chats):
            question, answer = row[model.prompt_column], row[model.answer_column]
            if not question.strip():
                problems.setdefault(f"empty {model.prompt_column}", []).append(index)
            if not answer.strip():
                problems.setdefault(f"empty {model.answer_column}", []).append(index)
            ids, labels = encode(tokenizer, question, answer)
            if len(ids) > model.context_tokens:
                problems.setdefault(
                    f"chat longer than the context ({model.context_tokens} tokens)", []
                ).append(index)
            if sum(label >= 0 for label in labels) > model.max_output_tokens:
                problems.setdefault(
                    f"{model.answer_column} longer than the output limit "
                    f"({model.max_output_tokens} tokens)",
                    [],
                ).append(index)
        for part in (TRAIN, HELD_OUT):
            if not split(model, chats, part):
                problems.setdefault(f"no {part} rows (run with more --rows)", []).append(-1)
        if problems:
            report = "; ".join(
                f"{what}: {len(rows)} rows (first: {[r for r in rows[:SHOWN] if r >= 0]})"
                for what, rows in sorted(problems.items())
            )
            raise DataProblem(f"{model_name}: {len(chats)} chats, {report}")
        return chats
