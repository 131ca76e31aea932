"""Each stack's workflows pass actionlint and zizmor with no finding.

actionlint checks the workflow syntax, expressions, contexts and (with shellcheck on PATH)
every ``run:`` script; zizmor, offline, audits security: unpinned actions, excessive
permissions, template injection, credentials kept by checkouts. zizmor reports at low
severity and above as the regular persona sees them; any finding fails, so a needed
exception must be suppressed inline in the generator with its reason. Both tools come from
the dev extras; without them these tests are skipped.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, SPECS
from tests.e2e.stack_part import write_stack_part

BIN = Path(sys.executable).parent
ACTIONLINT = shutil.which("actionlint", path=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
ZIZMOR = shutil.which("zizmor", path=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
WORKFLOWS = ".github/workflows/"
STACKS = [
    *(SPECS / f"{stem}.yaml" for stem in ("fraud-detection", "recommendation", "computer-vision",
                                          "nlp", "time-series-forecasting")),
    *(REPO / "tests" / "data" / "corpus" / f"{stem}.yaml" for stem in ("store-demand",
                                                                        "listing-photos")),
]  # fmt: skip


def _workflows(spec: Path, folder: Path) -> Path:
    root = write_stack_part(spec, folder, WORKFLOWS)
    assert sorted(p.name for p in root.iterdir())[0] == "ci.yml"
    return root


@pytest.mark.skipif(ACTIONLINT is None, reason="actionlint (dev extras) is not installed")
@pytest.mark.parametrize("spec", STACKS, ids=lambda p: p.stem)
def test_actionlint_finds_nothing(spec: Path, tmp_path: Path) -> None:
    root = _workflows(spec, tmp_path)
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    files = sorted(str(p) for p in root.glob("*.yml"))
    done = subprocess.run(
        [str(ACTIONLINT), "-no-color", *files], capture_output=True, text=True, env=env
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.skipif(ZIZMOR is None, reason="zizmor (dev extras) is not installed")
@pytest.mark.parametrize("spec", STACKS, ids=lambda p: p.stem)
def test_zizmor_finds_nothing(spec: Path, tmp_path: Path) -> None:
    root = _workflows(spec, tmp_path)
    done = subprocess.run(
        [str(ZIZMOR), "--offline", "--persona", "regular", "--min-severity", "low",
         "--no-progress", "--color", "never", "--format", "plain", str(root)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "No findings to report" in done.stdout + done.stderr


@pytest.mark.skipif(ZIZMOR is None, reason="zizmor (dev extras) is not installed")
def test_zizmor_flags_a_title_interpolated_into_a_script(tmp_path: Path) -> None:
    root = _workflows(SPECS / "fraud-detection.yaml", tmp_path)
    ci = root / "ci.yml"
    text = ci.read_text(encoding="utf-8")
    assert 'make train ROWS="${ROWS}"' in text
    unsafe = 'make train ROWS="${{ github.event.pull_request.title }}"'
    ci.write_text(text.replace('make train ROWS="${ROWS}"', unsafe), encoding="utf-8")
    done = subprocess.run(
        [str(ZIZMOR), "--offline", "--no-progress", "--color", "never", str(root)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode != 0
    assert "template-injection" in done.stdout
