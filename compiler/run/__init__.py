"""``mlopsgen run``: train a stack's models in the stack's own environment, from the spec.

The compiler never imports ZenML, BentoML or Feast. Running a stack means: build it if it is
stale (:mod:`mlopsgen.build`), get its environment (:mod:`mlopsgen.stackenv`), and start the
stack's own entry point, ``python -m pipelines.run``, as a subprocess in the stack directory.
The subprocess reports progress as JSON lines (:mod:`.events`) and its outcome in
``.mlopsgen/last-run.json`` (:mod:`.result`); :mod:`.runner` ties them together for the CLI,
which prints.
"""

from mlopsgen.run.events import Event, EventReader
from mlopsgen.run.result import EXIT_FAILED, EXIT_KEPT_OUT, EXIT_PROMOTED, ModelResult, RunResult
from mlopsgen.run.runner import RunError, RunOptions, RunOutcome, run_stack

__all__ = [
    "EXIT_FAILED",
    "EXIT_KEPT_OUT",
    "EXIT_PROMOTED",
    "Event",
    "EventReader",
    "ModelResult",
    "RunError",
    "RunOptions",
    "RunOutcome",
    "RunResult",
    "run_stack",
]
