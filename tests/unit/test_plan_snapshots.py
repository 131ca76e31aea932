"""Plan JSON snapshots of the five reference specs.

Each snapshot is the exact ``plan_json`` output, stored as a ``.json`` file next to this
module (``__snapshots__/test_plan_snapshots/``) so a change to any decision shows up in review
as a readable JSON diff. After an intended change, refresh them with
``pytest tests/unit/test_plan_snapshots.py --snapshot-update``.
"""

from __future__ import annotations

import pytest
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

from mlopsgen.plan import plan_json
from tests.unit.plan_support import REFERENCE, plan


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
