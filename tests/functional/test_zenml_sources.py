"""The stack's loaders read each kind of source the plan may declare, for real.

Objects in S3 (moto's in-process S3), a SQLite table through SQLAlchemy, a local file, and a
stream read from a snapshot directory of JSON-lines and parquet files all come back as the
same rows, typed by the plan (timestamps in UTC, rows in event-time order).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.functional.stack_env import run_json, stack_python
from tests.functional.zenml_stacks import build

SPEC = REPO / "tests" / "data" / "stacks" / "house-prices.yaml"

pytestmark = pytest.mark.slow

LOAD = """
import dataclasses, io, json, os, sqlite3
from pathlib import Path
import boto3
from moto import mock_aws
from pipelines.sources import load_source
from pipelines.stack_plan import load_plan, stack_root
from pipelines.synthetic import generate
plan = load_plan()
source = plan.sources[0]
frame = generate(plan, source, 300, seed=5)
frame = frame[[c for c in frame.columns if not c.startswith("_")]]
root = stack_root()
def read(uri, kind=None):
    found = load_source(dataclasses.replace(source, uri=uri, kind=kind or source.kind), root)
    times = found["listed_at"]
    return [len(found), str(times.dtype), bool(times.is_monotonic_increasing),
            round(float(found["area_m2"].sum()), 6)]
out = {"expected": [300, "datetime64[ns, UTC]", True, round(float(frame["area_m2"].sum()), 6)]}
Path("data").mkdir(exist_ok=True)
frame.to_csv("data/listings.csv", index=False)
out["csv"] = read("data/listings.csv")
out["file"] = read((root / "data/listings.csv").as_uri())
snapshot = Path("data/snapshot")
snapshot.mkdir()
frame.iloc[:100].to_json(snapshot / "part-0.jsonl", orient="records", lines=True, date_format="iso")
frame.iloc[100:].to_parquet(snapshot / "part-1.parquet")
out["stream"] = read("data/snapshot", "stream")
with sqlite3.connect("data/listings.db") as db:
    frame.astype({"listed_at": str, "district": str}).to_sql("listings", db, index=False)
out["sqlite"] = read("sqlite:///data/listings.db")
os.environ.update(
    AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_DEFAULT_REGION="us-east-1"
)
with mock_aws():
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="listings")
    buffer = io.BytesIO()
    frame.iloc[:150].to_parquet(buffer)
    s3.put_object(Bucket="listings", Key="daily/2026-11-01.parquet", Body=buffer.getvalue())
    buffer = io.BytesIO()
    frame.iloc[150:].to_parquet(buffer)
    s3.put_object(Bucket="listings", Key="daily/2026-11-02.parquet", Body=buffer.getvalue())
    out["s3"] = read("s3://listings/daily/")
print(json.dumps(out), flush=True)
# Every reader has returned and the result is printed. On a loaded machine a native thread pool
# (Arrow's, started by the parquet reads) can still be winding down at interpreter shutdown and
# abort the process ("terminate called without an active exception"); what is tested is done.
os._exit(0)
"""


def test_every_loader_reads_the_same_rows(tmp_path: Path) -> None:
    stack_python()
    stack = build(SPEC, tmp_path / "stack")
    found = run_json(stack, LOAD)
    expected = found.pop("expected")
    assert found == {kind: expected for kind in ("csv", "file", "stream", "sqlite", "s3")}
