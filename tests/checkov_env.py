"""checkov in its own virtualenv, built once per pin by the environment cache stacks use.

checkov's pins conflict with ZenML's (``packaging``), so it never joins the dev environment:
``tests/tools/checkov.txt`` pins it, and :func:`mlopsgen.stackenv.ensure_env` builds the
virtualenv once per pin under the cache root (CI builds the same one): under a lock, in a
temporary folder renamed into place, so a killed build is never reused.
"""

from __future__ import annotations

from pathlib import Path

from mlopsgen.stackenv import EnvPins, ensure_env
from tests.conftest import REPO

REQUIREMENTS = REPO / "tests" / "tools" / "checkov.txt"
ALLOW_LIST = REPO / "tests" / "tools" / "checkov-skips.txt"


def checkov_executable() -> Path:
    """The checkov entry point, building its virtualenv first if needed."""
    pins = EnvPins.of(REQUIREMENTS.read_text(encoding="utf-8").splitlines(), ())
    return ensure_env(pins).python.parent / "checkov"


def allowed_skips() -> dict[str, str]:
    """The reviewed allow-list: check ID -> why skipping it is acceptable."""
    allowed = {}
    for line in ALLOW_LIST.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            check, _, reason = line.partition(" ")
            allowed[check] = reason.strip()
    return allowed
