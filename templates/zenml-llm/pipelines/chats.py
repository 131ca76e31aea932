"""Synthetic support chats shaped like the model's source: a question and its answer per row.

The source's prompt column (the model's first input) holds the user's turn and its target
column the assistant's. Rows are made from a small table of intents, each asked a few ways,
with an order number drawn from a seeded generator: the answer is a function of the
question, so a perfect model reaches a perplexity of 1 (the oracle). Every fifth row is held
out for evaluation. Same seed and row count, same rows.
"""

from __future__ import annotations

import random
from typing import Any

from pipelines.language_plan import LanguageModelSpec

__all__ = [
    "DEFAULT_ROWS",
    "HELD_OUT",
    "TRAIN",
    "DataProblem",
    "conversation",
    "make_chats",
    "split",
]

#: Rows made when the run does not say (``--rows``).
DEFAULT_ROWS = 300
SPLIT_COLUMN = "split"
TRAIN = "train"
HELD_OUT = "held_out"
#: One row in this many is held out for evaluation.
HOLD_OUT_EVERY = 5

#: Intent -> (ways to ask, the answer); ``{order}`` is the order number.
INTENTS: dict[str, tuple[tuple[str, ...], str]] = {
    "refund": (
        (
            "When do I get my refund for order {order}?",
            "Where is the refund for order {order}?",
            "Has the refund of order {order} been paid?",
        ),
        "Refunds for order {order} are issued within five working days.",
    ),
    "parcel": (
        (
            "Where is my parcel for order {order}?",
            "Order {order} has not arrived yet.",
            "Can you track order {order} for me?",
        ),
        "Order {order} is on its way and will arrive within two days.",
    ),
    "cancel": (
        (
            "Please cancel order {order}.",
            "I want to cancel order {order}.",
            "Can order {order} still be cancelled?",
        ),
        "Order {order} is cancelled and you will not be charged.",
    ),
    "address": (
        (
            "Can I change the address of order {order}?",
            "I moved, please update the address for order {order}.",
            "The address on order {order} is wrong.",
        ),
        "Send us the new address and we will update order {order} today.",
    ),
    "invoice": (
        (
            "I need an invoice for order {order}.",
            "Where can I download the invoice of order {order}?",
            "Please send me the invoice for order {order}.",
        ),
        "The invoice for order {order} is in your account under Orders.",
    ),
    "payment": (
        (
            "My payment for order {order} failed.",
            "Why was my card declined for order {order}?",
            "Payment of order {order} did not go through.",
        ),
        "Please try another card; order {order} is kept for you for two days.",
    ),
}

#: What the assistant is told before every chat (the service sends the same).
SYSTEM_PROMPT = "You answer customer questions."


class DataProblem(ValueError):
    """The chats cannot train the model: the report says which rows and why."""


def make_chats(model: LanguageModelSpec, rows: int = 0, seed: int = 0) -> list[dict[str, str]]:
    """``rows`` chats (:data:`DEFAULT_ROWS` when 0) as rows of the model's two columns plus
    ``split`` (``train`` or ``held_out``)."""
    count = rows if rows > 0 else DEFAULT_ROWS
    draw = random.Random(seed)
    intents = sorted(INTENTS)
    made = []
    for index in range(count):
        asks, answer = INTENTS[intents[draw.randrange(len(intents))]]
        order = str(draw.randrange(1000, 10000))
        made.append(
            {
                model.prompt_column: draw.choice(asks).format(order=order),
                model.answer_column: answer.format(order=order),
                SPLIT_COLUMN: HELD_OUT if index % HOLD_OUT_EVERY == HOLD_OUT_EVERY - 1 else TRAIN,
            }
        )
    return made


def split(
    model: LanguageModelSpec, chats: list[dict[str, str]], part: str
) -> list[tuple[str, str]]:
    """The (question, answer) pairs of one part (``train`` or ``held_out``)."""
    return [
        (row[model.prompt_column], row[model.answer_column])
        for row in chats
        if row[SPLIT_COLUMN] == part
    ]


def conversation(question: str, answer: str | None = None) -> list[dict[str, Any]]:
    """The chat messages of one row: system prompt, the user's question, the answer if any."""
    messages = [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": question},
    ]
    if answer is not None:
        messages.append({"role": "assistant", "content": answer})
    return messages
