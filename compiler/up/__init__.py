"""``mlopsgen up``: train a stack, start its service on this machine and check it answers.

Like :mod:`mlopsgen.run`, nothing here imports what the stack runs on. The stack is built
and trained by :func:`mlopsgen.run.run_stack`; the models are exported and served by the
stack's own interpreter as subprocesses (``python -m services.export``, ``bentoml serve``);
the sample requests come from the stack's ``python -m services.samples``; the compiler only
talks HTTP to the server on the loopback interface (:mod:`.probe`) and keeps the server's
process group in hand so it always stops (:mod:`.server`). :mod:`.stack` reads what the
Plan says about serving, :mod:`.steps` ties the steps together, :mod:`.display` builds the
renderables the CLI prints.
"""

from mlopsgen.up.probe import Client, Latency, ProbeError, measure, percentile
from mlopsgen.up.server import ServeError, Server, check_port, free_port
from mlopsgen.up.stack import ServingSummary, UpError, service_import_path
from mlopsgen.up.steps import (
    UpOptions,
    batch_pipelines,
    export_models,
    sample_bodies,
)

__all__ = [
    "Client",
    "Latency",
    "ProbeError",
    "ServeError",
    "Server",
    "ServingSummary",
    "UpError",
    "UpOptions",
    "batch_pipelines",
    "check_port",
    "export_models",
    "free_port",
    "measure",
    "percentile",
    "sample_bodies",
    "service_import_path",
]
