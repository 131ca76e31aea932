"""checkov in its own virtualenv, built once per pin in the user's cache directory.

checkov's pins conflict with ZenML's (``packaging``), so it never joins the dev environment:
``tests/tools/checkov.txt`` pins it, and the virtualenv lives in
``$XDG_CACHE_HOME/mlopsgen/checkov-<hash of that file>`` (CI builds the same one). A changed pin
gets a new folder; a half-built one is rebuilt, since the stamp is written last.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO

REQUIREMENTS = REPO / "tests" / "tools" / "checkov.txt"
ALLOW_LIST = REPO / "tests" / "tools" / "checkov-skips.txt"


def _cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "mlopsgen"


def checkov_executable() -> Path:
    """The checkov entry point, building its virtualenv first if needed."""
    digest = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()[:16]
    venv = _cache_root() / f"checkov-{digest}"
    stamp = venv / ".installed"
    if not stamp.exists():
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
        subprocess.run([*pip, "-r", str(REQUIREMENTS)], check=True)
        stamp.touch()
    return venv / "bin" / "checkov"


def allowed_skips() -> dict[str, str]:
    """The reviewed allow-list: check ID -> why skipping it is acceptable."""
    allowed = {}
    for line in ALLOW_LIST.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            check, _, reason = line.partition(" ")
            allowed[check] = reason.strip()
    return allowed
