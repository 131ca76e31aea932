"""Plan JSON snapshots of the five reference specs, and how fast planning is.

Each snapshot is the exact ``plan_json`` output, stored as a ``.json`` file next to this
module (``__snapshots__/test_plan_snapshots/``) so a change to any decision shows up in review
as a readable JSON diff. After an intended change, refresh them with
``pytest tests/unit/test_plan_snapshots.py --snapshot-update``.
"""

from __future__ import annotations

import time

import pytest
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

from mlopsgen.plan import build_plan, plan_json
from tests.unit.plan_support import REFERENCE, loaded, plan


class PlanJsonSnapshot(SingleFileSnapshotExtension):
    """One text file per snapshot, holding the plan JSON as written."""

    _write_mode = WriteMode.TEXT
    file_extension = "json"


@pytest.fixture
def snapshot_json(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """The syrupy snapshot, stored as plain JSON files."""
    return snapshot.use_extension(PlanJsonSnapshot)


@pytest.mark.parametrize("stem", REFERENCE)
def test_plan_json_matches_snapshot(stem: str, snapshot_json: SnapshotAssertion) -> None:
    assert plan_json(plan(stem)) == snapshot_json


@pytest.mark.parametrize("stem", REFERENCE)
def test_planning_takes_well_under_a_second(stem: str) -> None:
    spec = loaded(stem)
    best = min(_timed(spec) for _ in range(3))
    assert best < 0.25, f"planning {stem} took {best:.3f} s"


def _timed(spec: object) -> float:
    start = time.perf_counter()
    build_plan(spec)  # type: ignore[arg-type]
    return time.perf_counter() - start
