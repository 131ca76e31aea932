"""Shared fixtures: paths of the repository and its reference specs."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SPECS = REPO / "specs"
REFERENCE_SPECS = sorted(SPECS.glob("*.yaml"))


@pytest.fixture(scope="session")
def repo() -> Path:
    """The repository root."""
    return REPO
