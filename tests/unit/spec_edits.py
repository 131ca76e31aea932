"""Spec variants for the check tests: the minimal spec with a few edits applied to its data.

Edits are (path, value) pairs on the parsed YAML; a path may reach past the end of a list
(the value is appended) or into a missing mapping (it is created), and ``DELETE`` removes a
key. Loading the dumped result returns every diagnostic, errors and warnings alike.
"""

from __future__ import annotations

import copy
from typing import Any

import yaml

from mlopsgen.diagnostics import Diagnostic, SpecError
from mlopsgen.spec.loader import load_spec_text
from tests.conftest import REPO

MINIMAL = (REPO / "tests" / "data" / "minimal.yaml").read_text(encoding="utf-8")
BASE: dict[str, Any] = yaml.safe_load(MINIMAL)
DELETE = object()

BACKUP = {
    "name": "backup",
    "task": "binary_classification",
    "framework": "sklearn",
    "target": "is_bad",
    "inputs": ["amount"],
}
LANG_ID = {"name": "lang", "task": "language_identification", "framework": "langdetect"}
ANOMALY = {"name": "odd", "task": "anomaly_detection", "framework": "sklearn", "inputs": ["amount"]}
MERCHANTS = {
    "name": "merchants",
    "kind": "table",
    "uri": "s3://merchants/",
    "schema": {"merchant_id": {"type": "string", "role": "entity"}},
}
DECISION = {
    "ensemble": {"scorer": 0.5, "backup": 0.5},
    "thresholds": {"decline": 0.9},
    "rules": [{"name": "big", "when": "amount > 5000", "action": "review"}],
}
EXPERIMENT = {
    "name": "trial",
    "unit": "user_id",
    "metric": "approval_rate",
    "baseline_rate": 0.3,
    "minimum_detectable_effect": {"relative": 0.05},
    "variants": {"control": {"model": "scorer"}, "treatment": {"model": "backup"}},
    "split": {"control": 50, "treatment": 50},
}
TWO_MODELS = [(("models", 1), BACKUP), (("serving", "models"), ["scorer", "backup"])]
WITH_DECISION = [
    *TWO_MODELS,
    (("serving", "request_fields"), ["user_id", "amount", "country"]),
    (("serving", "decision"), DECISION),
]
WITH_EXPERIMENT = [*TWO_MODELS, (("serving", "experiments"), [EXPERIMENT])]
M0 = ("models", 0)
V0 = ("features", "views", 0)
EX = ("serving", "experiments", 0)
DEC = ("serving", "decision")
INFRA = "infrastructure"

Edit = tuple[tuple[str | int, ...], Any]


def apply(edits: list[Edit]) -> dict[str, Any]:
    """A deep copy of the minimal spec's data with ``edits`` applied (paths may be new)."""
    data = copy.deepcopy(BASE)
    for path, value in edits:
        node: Any = data
        for part in path[:-1]:
            node = node.setdefault(part, {}) if isinstance(node, dict) else node[part]
        last = path[-1]
        if value is DELETE:
            del node[last]
        elif isinstance(node, list) and last == len(node):
            node.append(copy.deepcopy(value))
        else:
            node[last] = copy.deepcopy(value)
    return data


def diagnostics_of(text: str) -> list[Diagnostic]:
    """Every diagnostic of loading ``text``: the error's list, or the loaded spec's warnings."""
    try:
        return load_spec_text(text, "t.yaml").warnings
    except SpecError as exc:
        return exc.diagnostics


def codes(edits: list[Edit]) -> set[str]:
    return {d.code for d in diagnostics_of(yaml.safe_dump(apply(edits), sort_keys=False))}
