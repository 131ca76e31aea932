"""Speed of refusing hostile input and of planning: the targets the test suite does not assert.

The test suite checks that alias bombs, merge-key bombs and every file in ``specs/invalid/``
are rejected with the right diagnostic, and that each reference spec plans to its snapshot;
it never times them, because a cold cache or a busy machine would fail a correct build. The
time is measured here, in one warm process: the first (cold) call is reported apart, then the
median of several repetitions is compared against the targets.

Targets: every hostile input rejected in under 2 s (a bomb that expanded before being refused
would take minutes), and each reference spec planned in under 0.25 s. Results go to
``bench/results/reject_and_plan.json``; the exit status is 1 when a target is missed.

Run with ``make bench``.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from mlopsgen.diagnostics import SpecError
from mlopsgen.plan import build_plan
from mlopsgen.spec.loader import load_spec
from mlopsgen.spec.yaml_reader import read_yaml

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results" / "reject_and_plan.json"
REPEATS = 5
REJECT_TARGET_SECONDS = 2.0
PLAN_TARGET_SECONDS = 0.25
BOMB_LEVELS = 9


def alias_bomb(levels: int) -> str:
    """A "billion laughs" document: each level holds ten aliases of the one below."""
    lines = ["l0: &l0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, levels):
        lines.append(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]")
    return "\n".join(lines) + "\n"


def merge_key_bomb(levels: int) -> str:
    """Nested merge keys whose expansion grows nine-fold per level."""
    inner = "&m0 {x: 1}"
    for i in range(1, levels):
        inner = f"&m{i} {{<<: [{inner}, {', '.join([f'*m{i - 1}'] * 9)}]}}"
    return f"top: {inner}\n"


def _timed(action: Callable[[], object]) -> tuple[float, list[float]]:
    """Seconds of the first call, and of ``REPEATS`` calls after it."""
    samples = []
    for _ in range(REPEATS + 1):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return samples[0], samples[1:]


def _rejects(action: Callable[[], object]) -> Callable[[], object]:
    """``action`` wrapped so that it must raise SpecError, as hostile input has to."""

    def run() -> object:
        try:
            action()
        except SpecError as exc:
            return exc
        raise AssertionError("hostile input was accepted")

    return run


def _row(name: str, action: Callable[[], object], target: float) -> dict[str, object]:
    first, samples = _timed(action)
    median = statistics.median(samples)
    return {
        "input": name,
        "first_seconds": round(first, 4),
        "median_seconds": round(median, 4),
        "target_seconds": target,
        "met": median < target,
    }


def main() -> int:
    """Measure every hostile input and every reference plan; write and print the results."""
    hostile = {
        f"alias bomb ({BOMB_LEVELS} levels)": alias_bomb(BOMB_LEVELS),
        f"merge-key bomb ({BOMB_LEVELS} levels)": merge_key_bomb(BOMB_LEVELS),
    }
    rejection = [
        _row(name, _rejects(lambda text=text: read_yaml(text, "bomb.yaml")), REJECT_TARGET_SECONDS)
        for name, text in hostile.items()
    ]
    rejection += [
        _row(
            f"specs/invalid/{path.name}",
            _rejects(lambda path=path: load_spec(path)),
            REJECT_TARGET_SECONDS,
        )
        for path in sorted((REPO / "specs" / "invalid").glob("*.yaml"))
    ]
    planning = []
    for spec in sorted((REPO / "specs").glob("*.yaml")):
        loaded = load_spec(spec)
        planning.append(
            _row(
                f"specs/{spec.name}", lambda loaded=loaded: build_plan(loaded), PLAN_TARGET_SECONDS
            )
        )
    results = {
        "python": sys.version.split()[0],
        "repeats": REPEATS,
        "rejection": rejection,
        "planning": planning,
        "targets": {
            "every_hostile_input_rejected_under_2s": all(r["met"] for r in rejection),
            "every_reference_spec_planned_under_0_25s": all(r["met"] for r in planning),
        },
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    slowest = max(rejection, key=lambda r: float(str(r["median_seconds"])))
    print(f"slowest rejection: {slowest['input']} {slowest['median_seconds']} s (median)")
    for row in planning:
        print(f"plan {row['input']}: {row['median_seconds']} s (median)")
    print(json.dumps(results["targets"], indent=2))
    return 0 if all(results["targets"].values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
