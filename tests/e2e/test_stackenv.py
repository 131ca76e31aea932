"""Stack environments are built once per set of pins, atomically, and reused untouched.

The pins here are a tiny package built into a wheel by the test, installed with pip offline
(no index, the wheel's folder as the only source), so the caching logic runs for real in
seconds; the full stack environment goes through the same code in the functional tier.
"""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from mlopsgen.stackenv import EnvBuildError, EnvPins, ensure_env
from mlopsgen.stackenv.cache import MARKER

pytestmark = pytest.mark.slow

PROBE = "mlopsgen-probe==1.0"


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding one wheel: a module and a console script."""
    root = tmp_path_factory.mktemp("probe")
    source = root / "src"
    source.mkdir()
    (source / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n'
        '[project]\nname = "mlopsgen-probe"\nversion = "1.0"\n'
        '[project.scripts]\nmlopsgen-probe = "mlopsgen_probe:main"\n'
        '[tool.setuptools]\npy-modules = ["mlopsgen_probe"]\n',
        encoding="utf-8",
    )
    (source / "mlopsgen_probe.py").write_text(
        "import sys\n\ndef main():\n    print('probe in', sys.prefix)\n", encoding="utf-8"
    )
    out = root / "wheels"
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"]
    subprocess.run([*command, "-w", str(out), str(source)], check=True, capture_output=True)
    return out


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch, wheels: Path) -> Path:
    """pip sees no index and no configuration: only the probe's wheel can be installed."""
    monkeypatch.setenv("PIP_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(wheels))
    return wheels


def _pins(*requirements: str) -> EnvPins:
    return EnvPins.of(requirements, [PROBE])


def test_an_environment_is_built_once_then_reused_untouched(offline: Path, tmp_path: Path) -> None:
    pins = _pins(PROBE)
    first = ensure_env(pins, root=tmp_path)
    assert first.built and first.root == tmp_path / pins.digest()
    marker = first.root / MARKER
    recorded = json.loads(marker.read_text(encoding="utf-8"))
    assert recorded["requirements"] == [PROBE] and recorded["digest"] == pins.digest()
    stamp = marker.stat().st_mtime_ns
    second = ensure_env(pins, root=tmp_path)
    assert not second.built and second.python == first.python
    assert marker.stat().st_mtime_ns == stamp
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_dir()) == [pins.digest()]
    # Built elsewhere and renamed: the console script still finds its interpreter.
    script = subprocess.run(
        [str(first.root / "bin" / "mlopsgen-probe")], capture_output=True, text=True, check=True
    )
    assert script.stdout.strip() == f"probe in {first.root}"


def test_other_pins_get_another_environment(offline: Path, tmp_path: Path) -> None:
    bare = ensure_env(EnvPins.of([], [PROBE]), root=tmp_path)
    probe = ensure_env(_pins(PROBE), root=tmp_path)
    assert bare.root != probe.root and bare.built and probe.built
    imported = [str(bare.python), "-c", "import mlopsgen_probe"]
    assert subprocess.run(imported, capture_output=True, check=False).returncode != 0


def test_a_killed_build_leaves_nothing_a_later_run_would_use(offline: Path, tmp_path: Path) -> None:
    pins = _pins(PROBE)
    leftover = tmp_path / f".build-{pins.digest()}-99999"
    (leftover / "bin").mkdir(parents=True)
    unfinished = tmp_path / pins.digest()  # no marker: not written by a finished build
    (unfinished / "bin").mkdir(parents=True)
    result = ensure_env(pins, root=tmp_path)
    assert result.built and not leftover.exists()
    assert (result.root / MARKER).is_file()


def test_two_processes_asking_at_once_build_it_once(offline: Path, tmp_path: Path) -> None:
    pins = _pins(PROBE)
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda _: ensure_env(pins, root=tmp_path), range(2)))
    assert sorted(r.built for r in results) == [False, True]
    assert results[0].python == results[1].python


def test_a_failed_build_names_the_package_and_caches_nothing(offline: Path, tmp_path: Path) -> None:
    pins = EnvPins.of([PROBE, "mlopsgen-absent==2.0"], [])
    with pytest.raises(EnvBuildError, match=r"could not install .*: mlopsgen-absent==2\.0"):
        ensure_env(pins, root=tmp_path)
    assert not (tmp_path / pins.digest()).exists()
    assert not list(tmp_path.glob(".build-*"))
    assert "mlopsgen-absent" in (tmp_path / f"{pins.digest()}.log").read_text(encoding="utf-8")
