"""Where retraining triggers (drift, new labels) start a run.

A trigger (a drift monitor, a label-arrival job, a webhook) calls :func:`retrain` with the
reason and the models concerned; it runs their training pipelines exactly as a scheduled
run would and returns the same exit code, so every promotion still goes through the gates.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from pipelines.run import main

__all__ = ["retrain"]


def retrain(reason: str, models: Sequence[str] = (), rows: int = 0) -> int:
    """Retrain ``models`` (every trainable model when empty) because of ``reason``."""
    print(f"retraining: {reason}", file=sys.stderr)
    argv: list[str] = []
    for model in models:
        argv += ["--pipeline", f"train_{model}"]
    if rows:
        argv += ["--rows", str(rows)]
    return main(argv)
