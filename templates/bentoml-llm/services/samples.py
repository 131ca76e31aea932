"""Sample chat-completion request bodies made of synthetic support questions.

``python -m services.samples [--count N] [--seed S]`` prints N bodies for
``POST /v1/chat/completions``, one JSON object a line: the system's description as the system
message, a question drawn (seeded: the same seed gives the same bodies) from templates over
orders, payments, deliveries and accounts, greedy decoding and a short ``max_tokens``.
``--rows-per-body`` and ``--train-rows`` are accepted for the classic services' callers and
change nothing: a chat body holds one conversation.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Sequence
from typing import Any

from services import settings

__all__ = ["QUESTIONS", "SAMPLE_MAX_TOKENS", "bodies", "main"]

#: Tokens a sample asks for: enough to see an answer, short enough for a quick check.
SAMPLE_MAX_TOKENS = min(16, settings.MAX_OUTPUT_TOKENS)

QUESTIONS = (
    "Where is my order {order}? It was due {day}.",
    "I was charged twice for order {order}. Can you refund one payment?",
    "How do I change the delivery address of order {order}?",
    "My parcel arrived damaged on {day}. What should I do?",
    "Can I return {item} I bought last week?",
    "How long does a refund take after I send {item} back?",
    "I cannot log in to my account since {day}. Can you help?",
    "Do you deliver to {city}, and how long does it take?",
    "Why was my card declined when I paid for {item}?",
    "Can I cancel order {order} before it ships?",
)
ITEMS = ("the blue jacket", "a pair of shoes", "the coffee grinder", "two books", "a lamp")
DAYS = ("on Monday", "yesterday", "last Friday", "two days ago", "this morning")
CITIES = ("Lisbon", "Osaka", "Toronto", "Nairobi", "Oslo")


def _question(rng: random.Random) -> str:
    template = rng.choice(QUESTIONS)
    return template.format(
        order=f"#{rng.randrange(10_000, 99_999)}",
        day=rng.choice(DAYS),
        item=rng.choice(ITEMS),
        city=rng.choice(CITIES),
    )


def bodies(count: int, seed: int = 0) -> list[dict[str, Any]]:
    """``count`` chat-completion bodies, the same for the same seed."""
    rng = random.Random(seed)
    system = settings.SYSTEM_DESCRIPTION or "You answer customer support questions."
    return [
        {
            "model": settings.MODEL,
            "messages": [
                {"role": "system", "content": system},
                {"role": "user", "content": _question(rng)},
            ],
            "max_tokens": SAMPLE_MAX_TOKENS,
            "temperature": 0,
        }
        for _ in range(count)
    ]


def main(argv: Sequence[str] | None = None) -> int:
    """Print the bodies, one JSON object a line."""
    parser = argparse.ArgumentParser(prog="python -m services.samples", description=__doc__)
    parser.add_argument("--count", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rows-per-body", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--train-rows", type=int, default=None, help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.count < 0:
        parser.error("--count must not be negative")
    for body in bodies(options.count, options.seed):
        sys.stdout.write(json.dumps(body) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
