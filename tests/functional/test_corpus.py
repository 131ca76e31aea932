"""A fixed corpus of specs nobody wrote the compiler for builds and trains for real.

``tests/data/corpus/`` holds hand-written systems of other shapes than the reference specs:
a batch-only system on the local profile, one model alone, many models in one spec, sources
of every kind, with and without feature views. Together they cover every task and framework
pair of the support matrix (``SUPPORTED_FRAMEWORKS``) and every kind of source a stack reads;
the coverage is computed from the matrix and the files, so a pair added to the matrix fails
here until a corpus spec trains it.

Each spec runs once, on a small synthetic batch, through ``mlopsgen run``; its service then
exports the production models, serves them (``bentoml serve``, one worker, a free local port)
and answers a request row made from the stack's synthetic sources, each served model giving
its prediction, on ``/predict`` and, where the plan serves batches, ``/predict_batch``. The
tabular spec's
sources are written first where the spec declares them (objects in S3 through moto, a SQLite
table, a CSV file, a stream snapshot directory, a parquet table) and its run reads them
(``--data declared``), so every loader feeds a real training run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, get_args
from urllib.parse import urlparse

import pytest
import yaml

from mlopsgen.spec.checks.models import SUPPORTED_FRAMEWORKS
from mlopsgen.spec.models.data import Source
from mlopsgen.targets.zenml.views import SQL_SCHEMES
from tests.conftest import REPO
from tests.functional.bento_calls import post, sample_rows, serving
from tests.functional.stack_env import run_in_stack, stack_python
from tests.functional.zenml_stacks import build, last_run

pytestmark = pytest.mark.slow

CORPUS = REPO / "tests" / "data" / "corpus"
SPECS = {path.stem: path for path in sorted(CORPUS.glob("*.yaml"))}
MLOPSGEN = Path(sys.executable).parent / "mlopsgen"
ROWS = "600"
#: The spec whose sources are written to where it declares them before its run.
DECLARED = "retail-tabular"
#: Models whose gate is out of reach by design: the run must keep them out (exit code 3).
KEPT_OUT = {"retail-tabular": {"spend_lgbm"}}
#: Every kind of source a stack reads, by its loader (``pipelines/sources.py``); ``service``
#: is one a local run cannot reach (Kafka, BigQuery), generated instead, and marked so in the
#: stack's README.
SOURCE_KINDS = frozenset(
    {"parquet file", "csv file", "object store", "sql", "stream snapshot", "service"}
)


def source_kind(source: dict[str, Any]) -> str:
    """The loader that reads ``source``, by its URI, as the stack's ``load_source`` picks it."""
    uri = str(source["uri"])
    scheme = urlparse(uri).scheme.split("+", 1)[0].lower()
    if scheme == "s3":
        return "object store"
    if scheme in SQL_SCHEMES:
        return "sql"
    if scheme not in ("", "file"):
        return "service"
    if source["kind"] == "stream":
        return "stream snapshot"
    suffix = Path(urlparse(uri).path).suffix.lower()
    return "csv file" if suffix == ".csv" or source.get("format") == "csv" else "parquet file"


def _documents() -> dict[str, dict[str, Any]]:
    return {name: yaml.safe_load(path.read_text(encoding="utf-8")) for name, path in SPECS.items()}


def test_the_corpus_covers_every_supported_pair_and_every_source_kind() -> None:
    documents = _documents()
    pairs = {(m["task"], m["framework"]) for doc in documents.values() for m in doc["models"]}
    supported = {(task, fw) for task, fws in SUPPORTED_FRAMEWORKS.items() for fw in fws}
    assert supported - pairs == set(), "task/framework pairs no corpus spec trains"
    sources = [s for doc in documents.values() for s in doc["data"]["sources"]]
    assert SOURCE_KINDS - {source_kind(s) for s in sources} == set()
    declared_kinds = set(get_args(Source.model_fields["kind"].annotation))
    assert declared_kinds - {s["kind"] for s in sources} == set()
    assert set(KEPT_OUT) | {DECLARED} <= set(SPECS)


def test_the_declared_spec_reads_every_kind_a_local_run_can_reach() -> None:
    sources = _documents()[DECLARED]["data"]["sources"]
    assert {source_kind(s) for s in sources} == SOURCE_KINDS - {"service"}


#: Runs in the stack: writes each source of the plan where it is declared (two objects in
#: moto's in-process S3, a SQLite table, a CSV file, JSON-lines and parquet parts of a stream
#: snapshot, a parquet file), rows from the stack's own generator without its oracle columns,
#: then runs every training pipeline on them in the same process, S3 still mocked.
WRITE_AND_RUN = """
import io, os, sqlite3, sys
from pathlib import Path
from urllib.parse import urlparse
from moto import mock_aws
from pipelines.sources import SQL_SCHEMES
from pipelines.stack_plan import load_plan, stack_root
from pipelines.synthetic import generate

rows = int(sys.argv[1])
plan = load_plan()
root = stack_root()
objects = {}
for source in plan.sources:
    frame = generate(plan, source, rows, seed=11)
    frame = frame[[c for c in frame.columns if not c.startswith("_")]]
    where = urlparse(source.uri)
    scheme = where.scheme.split("+", 1)[0]
    if scheme == "s3":
        half = len(frame) // 2
        for i, part in enumerate((frame.iloc[:half], frame.iloc[half:])):
            buffer = io.BytesIO()
            part.to_parquet(buffer)
            objects[where.netloc, f"{where.path.lstrip('/')}part-{i}.parquet"] = buffer.getvalue()
        continue
    if scheme in SQL_SCHEMES:
        path = root / where.path.lstrip("/")
    else:
        path = root / source.uri
    path.parent.mkdir(parents=True, exist_ok=True)
    if scheme in SQL_SCHEMES:
        text = {f.name: str for f in source.fields if f.type in ("timestamp", "category")}
        with sqlite3.connect(path) as db:
            frame.astype(text).to_sql(where.fragment or source.name, db, index=False)
    elif source.kind == "stream":
        path.mkdir(exist_ok=True)
        third = len(frame) // 3
        frame.iloc[:third].to_json(
            path / "part-0.jsonl", orient="records", lines=True, date_format="iso"
        )
        frame.iloc[third:].to_parquet(path / "part-1.parquet")
    elif path.suffix == ".csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_parquet(path)
os.environ.update(
    AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_DEFAULT_REGION="us-east-1"
)
with mock_aws():
    import boto3
    s3 = boto3.client("s3")
    for bucket in sorted({bucket for bucket, _ in objects}):
        s3.create_bucket(Bucket=bucket)
    for (bucket, key), body in objects.items():
        s3.put_object(Bucket=bucket, Key=key, Body=body)
    from pipelines.run import main
    code = main(["--rows", str(rows), "--data", "declared"])
sys.stdout.flush()
sys.stderr.flush()
os._exit(code)
"""


def _run_declared(stack: Path) -> subprocess.CompletedProcess[str]:
    """Write the declared sources and train on them (see ``WRITE_AND_RUN``)."""
    return run_in_stack(stack, ["-c", WRITE_AND_RUN, ROWS], check=False)


def _run_cli(spec: Path, stack: Path) -> subprocess.CompletedProcess[str]:
    """``mlopsgen run SPEC --out STACK --rows N``: build, then train on synthetic sources."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "COLUMNS": "200"}
    return subprocess.run(
        [str(MLOPSGEN), "run", str(spec), "--out", str(stack), "--rows", ROWS],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


@pytest.mark.parametrize(
    "name", [pytest.param(n, marks=pytest.mark.xdist_group(f"corpus-{n}")) for n in SPECS]
)
def test_a_corpus_spec_trains_every_model(name: str, tmp_path: Path) -> None:
    stack_python()
    stack = tmp_path / name
    if name == DECLARED:
        build(SPECS[name], stack)
        done = _run_declared(stack)
    else:
        done = _run_cli(SPECS[name], stack)
    kept_out = KEPT_OUT.get(name, set())
    assert done.returncode == (3 if kept_out else 0), done.stderr[-6000:]
    outcome = last_run(stack)
    plan = json.loads((stack / "plan.json").read_text(encoding="utf-8"))
    trainable = {m["name"] for m in plan["models"] if m["trainable"]}
    assert {m["name"] for m in outcome["models"]} == trainable
    for model in outcome["models"]:
        assert model["promoted"] is (model["name"] not in kept_out), model
        assert model["stage"] == ("staging" if model["name"] in kept_out else "production")
        assert model["metrics"], model
    if name == DECLARED:
        assert not (stack / "data" / "sources").exists(), "a declared source was generated"
    _assert_serves(stack, plan)


def _assert_serves(stack: Path, plan: dict[str, Any]) -> None:
    """Export, serve, and get every served model's answer to one request row."""
    run_in_stack(stack, ["-m", "services.export"])
    served = list(plan["serving"]["models"])
    row = sample_rows(stack, 1)
    endpoints = ["predict"] + (["predict_batch"] if plan["serving"]["batch"] else [])
    with serving(stack) as base:
        for endpoint in endpoints:
            status, answers = post(f"{base}/{endpoint}", {"rows": row})
            assert status == 200, (endpoint, answers)
            (answer,) = answers
            prediction = answer["prediction"]
            if isinstance(prediction, list):  # retrieval then ranking: a slate, best first
                assert prediction and all(e["item"] for e in prediction), answer
                scores = [e["score"] for e in prediction]
                assert scores == sorted(scores, reverse=True), answer
                continue
            by_model = prediction if len(served) > 1 else {answer["model"]: prediction}
            assert sorted(by_model) == sorted(served), answer
            assert all(value is not None for value in by_model.values()), answer
