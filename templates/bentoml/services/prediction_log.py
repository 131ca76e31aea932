"""The prediction log: one JSON line per answer, read back by outcome ingestion and drift.

Every answer is logged with its ``prediction_id`` (also in the response, so a caller can send
the outcome back by it), its time, the model versions that answered, the request's id and
entity fields, the experiment arm, the models a rollout's candidate answered for
(``canary``), and what was answered. Labels and business outcomes that
arrive later (``python -m pipelines.outcomes``) are joined to these lines. A share of the
lines, the plan's ``monitoring.drift.sample_fraction``, also carries the request's inputs,
which the drift pipeline compares with the training data; the share is chosen by the id, so
a replayed log samples the same lines. An experiment's saturation sample also carries
``differs`` (whether the other arm would have answered differently) and ``other_variant``.

Where: ``MLOPSGEN_PREDICTION_LOG`` names a folder (default ``.mlopsgen/predictions`` in the
stack root). Each worker appends to its own hourly file, ``predictions-<YYYYMMDDTHH>-<pid>.jsonl``,
so workers never interleave lines and a finished hour can be shipped and deleted. ``-`` sends
the lines to the service log instead, for a cluster's log collector.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from pipelines.monitoring.window import LOG_VARIABLE
from pipelines.monitoring.window import log_folder as read_folder
from services.serving_plan import ServingConfig, service_root

if TYPE_CHECKING:  # the arms module samples by this module's rule: no import at run time
    from services.arms import Arm
__all__ = ["LOG_VARIABLE", "PredictionLog", "log_folder", "sampled"]

#: A child of BentoML's logger, where the lines go when the folder is ``-``.
LOGGER = logging.getLogger("bentoml.mlopsgen.predictions")
_ID_ROLES = ("id", "entity")


def log_folder(root: Path | None = None) -> Path | None:
    """The folder of the prediction log, or None when the lines go to the service log."""
    if os.environ.get(LOG_VARIABLE) == "-":
        return None
    return read_folder(root or service_root())


def sampled(prediction_id: str, fraction: float) -> bool:
    """Whether ``prediction_id`` (hex) falls in a ``fraction`` of predictions, by its first
    32 bits: the drift sample's lines carry the request's inputs, the saturation sample's
    are scored again as the other arm (:meth:`services.arms.Arms.compared`)."""
    if fraction >= 1.0:
        return True
    return int(prediction_id[:8], 16) < fraction * 0x1_0000_0000


class PredictionLog:
    """Appends the answers of one worker (see the module docstring); thread-safe."""

    def __init__(self, config: ServingConfig, folder: Path | None) -> None:
        self.service = config.service_name
        self.keys = tuple(f.name for f in config.request_fields if f.role in _ID_ROLES)
        self.inputs = tuple(f.name for f in config.request_fields if f.type != "image")
        self.fraction = config.drift_sample_fraction
        self.folder = folder
        self._lock = threading.Lock()
        self._hour = ""
        self._file: IO[str] | None = None

    @classmethod
    def from_config(cls, config: ServingConfig) -> PredictionLog:
        """The log of this worker, in the folder the environment names."""
        return cls(config, log_folder())

    def record(
        self, row: Mapping[str, Any], answer: Mapping[str, Any], arm: Arm | None, at: str
    ) -> dict[str, Any]:
        """The line of one answer, as data."""
        line: dict[str, Any] = {
            "event": "prediction",
            "prediction_id": answer["prediction_id"],
            "at": at,
            "service": self.service,
            "model_versions": answer.get("model_versions", {}),
            "keys": {name: row.get(name) for name in self.keys},
            "prediction": answer.get("prediction"),
            "decision": answer.get("decision"),
            "scores": answer.get("scores", {}),
            "cached": bool(answer.get("cached")),
        }
        if answer.get("canary"):
            line["canary"] = list(answer["canary"])
        if arm is not None:
            line.update(experiment=arm.experiment, variant=arm.variant, unit=arm.unit)
            if "differs" in answer:
                line.update(differs=bool(answer["differs"]), other_variant=answer["other_variant"])
        if sampled(str(answer["prediction_id"]), self.fraction):
            line["inputs"] = {name: row.get(name) for name in self.inputs}
        return line

    def write(
        self,
        rows: Sequence[Mapping[str, Any]],
        answers: Sequence[Mapping[str, Any]],
        arms: Sequence[Arm | None],
        moment: datetime,
    ) -> None:
        """Append one line per answer, all stamped ``moment`` (UTC)."""
        at = moment.isoformat(timespec="milliseconds")
        text = "".join(
            json.dumps(self.record(row, answer, arm, at), sort_keys=True, default=str) + "\n"
            for row, answer, arm in zip(rows, answers, arms, strict=True)
        )
        if self.folder is None:
            LOGGER.info("%s", text.rstrip("\n"))
            return
        with self._lock:
            handle = self._handle(moment.strftime("%Y%m%dT%H"))
            handle.write(text)
            handle.flush()

    def _handle(self, hour: str) -> IO[str]:
        if self._file is None or hour != self._hour:
            if self._file is not None:
                self._file.close()
            assert self.folder is not None
            self.folder.mkdir(parents=True, exist_ok=True)
            path = self.folder / f"predictions-{hour}-{os.getpid()}.jsonl"
            self._file = path.open("a", encoding="utf-8")
            self._hour = hour
        return self._file
