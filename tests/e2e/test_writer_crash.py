"""A build killed with SIGKILL at any moment leaves the previous output, or the new one, whole.

A writer runs in a subprocess over a tree of thousands of files and is killed either at the
named pause points of :mod:`mlopsgen.output.swap` (``MLOPSGEN_WRITER_PAUSE``) or after random
delays.
After each kill, the output directory must hold exactly the previous complete output or, once
the swap has happened, exactly the new one; then the next build must succeed and leave no
staging or set-aside directory behind. Both swap strategies are exercised.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mlopsgen.output.swap import current_output
from mlopsgen.output.writer import write_tree
from tests.conftest import REPO
from tests.unit.writer_helpers import SPEC, expected, leftovers, make_tree, snapshot

pytestmark = pytest.mark.slow

SIZE = 2000
CHILD = (
    "import sys\n"
    "from pathlib import Path\n"
    "from mlopsgen.output.writer import write_tree\n"
    "from tests.unit.writer_helpers import SPEC, make_tree\n"
    "write_tree(make_tree(int(sys.argv[1]), int(sys.argv[2])), Path(sys.argv[3]), "
    "spec_sha256=SPEC)\n"
)
BEFORE_SWAP = ["locked", "staging", "staged"]
AFTER_SWAP = ["swapped", "cleaning"]


def start_writer(
    generation: int, out: Path, *, swap: str, pause: str = ""
) -> subprocess.Popen[bytes]:
    env = {**os.environ, "MLOPSGEN_WRITER_PAUSE": pause, "MLOPSGEN_WRITER_SWAP": swap}
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, str(generation), str(SIZE), str(out)],
        cwd=REPO,
        env=env,
        stderr=subprocess.PIPE,
    )


def wait_for_pause(proc: subprocess.Popen[bytes], point: str) -> None:
    """Read the writer's stderr until it reports ``point``; its exit (EOF) is a failure.

    No timer: the child either pauses or exits, and both end the read.
    """
    assert proc.stderr is not None
    seen = b""
    for line in iter(proc.stderr.readline, b""):
        seen += line
        if line.strip() == f"paused:{point}".encode():
            return
    proc.kill()
    raise AssertionError(f"writer never reached {point!r}; stderr: {seen.decode()}")


def kill(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    if proc.stderr is not None:
        proc.stderr.close()


def output_state(out: Path, previous: dict[str, str] | None, new: dict[str, str]) -> str:
    """Which complete output the disk shows: "previous", "new", or a failure message."""
    where = current_output(out)
    if where is None:
        return "previous" if previous is None else f"no output at all in {out.parent}"
    snap = snapshot(where)
    if previous is not None and snap == expected(previous):
        return "previous"
    if where == out and snap == expected(new):
        return "new"
    return f"a mixed tree in {where} ({len(snap)} entries)"


def rebuild_and_check(out: Path, tree: dict[str, str]) -> None:
    write_tree(tree, out, spec_sha256=SPEC)
    assert snapshot(out) == expected(tree)
    assert leftovers(out) == []


@pytest.mark.parametrize("swap", ["exchange", "rename"])
def test_kill_at_every_pause_point(tmp_path: Path, swap: str) -> None:
    out = tmp_path / "out" / "stack"
    points = BEFORE_SWAP + (["aside"] if swap == "rename" else []) + AFTER_SWAP
    previous = make_tree(0, SIZE)
    rebuild_and_check(out, previous)
    for generation, point in enumerate(points, start=1):
        new = make_tree(generation, SIZE)
        proc = start_writer(generation, out, swap=swap, pause=point)
        wait_for_pause(proc, point)
        kill(proc)
        want = "new" if point in AFTER_SWAP else "previous"
        assert output_state(out, previous, new) == want, point
        if point == "aside":
            assert not out.exists()  # the previous output waits under its set-aside name
        rebuild_and_check(out, new)
        previous = new


@pytest.mark.parametrize("swap", ["exchange", "rename"])
def test_kill_during_the_first_build(tmp_path: Path, swap: str) -> None:
    out = tmp_path / "out" / "stack"
    tree = make_tree(0, SIZE)
    proc = start_writer(0, out, swap=swap, pause="staging")
    wait_for_pause(proc, "staging")
    kill(proc)
    assert not out.exists() and len(leftovers(out)) == 1
    rebuild_and_check(out, tree)


@pytest.mark.parametrize("swap", ["exchange", "rename"])
def test_kill_at_random_moments(tmp_path: Path, swap: str) -> None:
    out = tmp_path / "out" / "stack"
    rng = random.Random(20261122)
    trees = [make_tree(g, SIZE) for g in range(2)]
    rebuild_and_check(out, trees[0])
    started = time.monotonic()
    proc = start_writer(1, out, swap=swap)
    assert proc.wait() == 0
    duration = time.monotonic() - started
    rebuild_and_check(out, trees[0])
    for attempt in range(8):
        previous, new = trees[attempt % 2], trees[(attempt + 1) % 2]
        proc = start_writer((attempt + 1) % 2, out, swap=swap)
        time.sleep(rng.uniform(0.0, duration * 1.3))
        kill(proc)
        state = output_state(out, previous, new)
        assert state in ("previous", "new"), f"attempt {attempt}: {state}"
        rebuild_and_check(out, new)
