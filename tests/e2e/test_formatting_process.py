"""ruff formatting in a fresh interpreter: the user's ruff set-up and a missing ruff."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from mlopsgen.render.formatting import format_python


def test_user_ruff_configuration_cannot_change_the_output(tmp_path: Path) -> None:
    """A ruff.toml above the temporary directory and RUFF_* variables are ignored."""
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    (tmp_path / "ruff.toml").write_text(
        'line-length = 20\n[format]\nquote-style = "single"\n', encoding="utf-8"
    )
    (tmpdir / "ruff.toml").write_text((tmp_path / "ruff.toml").read_text(), encoding="utf-8")
    script = (
        "import sys\n"
        "from mlopsgen.render.formatting import format_python\n"
        "sys.stdout.write(format_python(sys.stdin.read(), 'm.py'))\n"
    )
    source = "values = {'alpha': 1, 'beta': 2, 'gamma': 3}\n"
    env = {"TMPDIR": str(tmpdir), "RUFF_LINE_LENGTH": "20", "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-c", script],
        input=source,
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=True,
    )
    assert result.stdout == format_python(source, "m.py")
    assert result.stdout == 'values = {"alpha": 1, "beta": 2, "gamma": 3}\n'


def test_missing_ruff_is_a_hard_error() -> None:
    """With the ruff package unimportable, formatting fails loudly instead of skipping."""
    script = (
        "import sys\n"
        "sys.modules['ruff'] = None\n"
        "from mlopsgen.render.formatting import RuffNotFoundError, format_python\n"
        "try:\n"
        "    format_python('x = 1\\n', 'm.py')\n"
        "except RuffNotFoundError as exc:\n"
        "    print('refused:', exc)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert result.stdout.startswith("refused: the 'ruff' package is not installed")
