"""Shared helpers for the planner tests: reference plans and edited variants of them.

This module holds no tests. Specs are read from ``specs/`` but labelled with their relative
path (``specs/fraud-detection.yaml``), so ``file:line`` sources and snapshots do not depend
on where the repository is checked out. Variants apply ``(path, value)`` edits to the parsed
YAML and load the result through the real loader, checks included.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Iterable
from typing import Any

import yaml

from mlopsgen.plan import Plan, PlanResult, build_plan
from mlopsgen.spec.loader import LoadedSpec, load_spec_bytes, load_spec_text
from tests.conftest import REPO

FRAUD = "fraud-detection"
RECOMMENDATION = "recommendation"
VISION = "computer-vision"
NLP = "nlp"
TIME_SERIES = "time-series-forecasting"
REFERENCE = (FRAUD, RECOMMENDATION, VISION, NLP, TIME_SERIES)

Edit = tuple[tuple[str | int, ...], Any]


def label(stem: str) -> str:
    """The relative path a reference spec is labelled with."""
    return f"specs/{stem}.yaml"


@functools.cache
def loaded(stem: str) -> LoadedSpec:
    """A reference spec, loaded once per test session."""
    raw = (REPO / label(stem)).read_bytes()
    return load_spec_bytes(raw, label(stem))


@functools.cache
def result(stem: str) -> PlanResult:
    """The planning result of a reference spec, computed once per test session."""
    return build_plan(loaded(stem))


def plan(stem: str) -> Plan:
    """The plan of a reference spec."""
    return result(stem).plan


def _apply(data: Any, path: tuple[str | int, ...], value: Any) -> None:
    """Set ``value`` at ``path``, creating missing mappings on the way."""
    *head, last = path
    node = data
    for key in head:
        node = node.setdefault(key, {}) if isinstance(node, dict) else node[key]
    node[last] = value


def variant(stem: str, edits: Iterable[Edit]) -> PlanResult:
    """Plan a reference spec after applying edits to its parsed YAML."""
    data = copy.deepcopy(yaml.safe_load((REPO / label(stem)).read_text(encoding="utf-8")))
    for path, value in edits:
        _apply(data, path, value)
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    return build_plan(load_spec_text(text, label(stem)))


def codes(outcome: PlanResult) -> list[str]:
    """The diagnostic codes of a planning result, in order."""
    return [d.code for d in outcome.diagnostics]
