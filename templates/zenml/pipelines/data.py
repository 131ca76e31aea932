"""Where a run's rows come from: the declared source, or the seeded synthetic source.

``data`` is the run's choice: ``synthetic`` always generates, ``declared`` always reads the
source's URI, and ``auto`` (the default) reads sources that are on this machine (a file,
a directory, SQLite) and generates the others, saying so, because a stack must run with no
external service. Synthetic rows and their oracle are written under ``data/sources/``.

One process generates a source once: its rows end when the process first asks for them, so
every pipeline of one run (``python -m pipelines.run`` trains the models one after another)
trains on the same rows, and the models that read one source share their feature join.
"""

from __future__ import annotations

import functools
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from pipelines.sources import load_source, reachable_locally
from pipelines.stack_plan import SourceSpec, StackPlan, stack_root
from pipelines.synthetic import ORACLE_PREFIX, generate

__all__ = ["DATA_CHOICES", "DEFAULT_ROWS", "SEED", "read_source", "uses_synthetic"]

DATA_CHOICES = ("auto", "synthetic", "declared")
DEFAULT_ROWS = 20000
SEED = 7

#: The synthetic frames this process generated, by source and row count.
_GENERATED: dict[tuple[str, int], pd.DataFrame] = {}


@functools.cache
def _run_end() -> datetime:
    """Where this process's synthetic sources end: the moment of the first read."""
    return datetime.now(UTC).replace(microsecond=0)


def uses_synthetic(source: SourceSpec, data: str, root: Path | None = None) -> bool:
    """Whether this run generates ``source`` instead of reading it."""
    if data == "synthetic":
        return True
    if data == "declared":
        return False
    return not reachable_locally(source, root or stack_root())


def _record(source: SourceSpec, frame: pd.DataFrame, root: Path) -> None:
    folder = root / "data" / "sources"
    folder.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(folder / f"{source.name}.parquet", index=False)
    oracle = {
        column.removeprefix(ORACLE_PREFIX): f"column {column} of {source.name}.parquet"
        for column in frame.columns
        if column.startswith(ORACLE_PREFIX)
    }
    meta = {"source": source.name, "rows": len(frame), "seed": SEED, "oracle": oracle}
    (folder / f"{source.name}.json").write_text(json.dumps(meta, indent=2) + "\n", "utf-8")


def read_source(plan: StackPlan, name: str, rows: int, data: str) -> pd.DataFrame:
    """The rows of source ``name`` for this run (see the module docstring)."""
    root = stack_root()
    source = plan.source(name)
    if not uses_synthetic(source, data, root):
        return load_source(source, root)
    if data == "auto":
        print(
            f"source {source.name}: {source.uri} is not reachable from this machine; "
            f"using {rows or DEFAULT_ROWS} synthetic rows shaped like its schema",
            file=sys.stderr,
        )
    key = (source.name, rows or DEFAULT_ROWS)
    if key not in _GENERATED:
        frame = generate(plan, source, key[1], seed=SEED, end=_run_end())
        _record(source, frame, root)
        _GENERATED[key] = frame
    return _GENERATED[key].copy()
