"""Every window aggregation of the feature tables, against values worked out by hand.

A stack is built from a small spec whose one view uses all eight aggregations and a label
that arrives twelve hours after its event; ``build_feature_tables`` runs in the stack's
interpreter on six events chosen so that ties, nulls, window edges, empty windows and the
label delay each decide a value.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
import yaml

from mlopsgen.build import build_stack
from tests.conftest import REPO
from tests.functional.stack_env import run_json, stack_python

FEATURES = [
    {"name": "n_2h", "agg": "count", "window": "2h"},
    {"name": "countries_2h", "agg": "count_distinct", "column": "country", "window": "2h"},
    {"name": "sum_2h", "agg": "sum", "column": "amount", "window": "2h"},
    {"name": "mean_2h", "agg": "mean", "column": "amount", "window": "2h"},
    {"name": "min_2h", "agg": "min", "column": "amount", "window": "2h"},
    {"name": "max_2h", "agg": "max", "column": "amount", "window": "2h"},
    {"name": "std_2h", "agg": "stddev", "column": "amount", "window": "2h"},
    {"name": "last_country_2h", "agg": "last", "column": "country", "window": "2h"},
    {"name": "bad_rate_1d", "agg": "mean", "column": "is_bad", "window": "1d"},
]

# (event, user, hours after the start, amount, country, is_bad)
EVENTS = [
    ("e0", "a", 0, 1.0, "US", True),
    ("e1", "a", 1, 2.0, "GB", False),
    ("e2", "a", 1, None, "US", True),
    ("e3", "a", 13, 4.0, None, False),
    ("e4", "a", 14, 8.0, "DE", True),
    ("e5", "b", 0, 5.0, "US", False),
]

NAN = math.nan
# Worked out by hand: windows are (t - w, t]; a label is known 12 h after its event, and
# only strictly before t. Rows e1 and e2 share a time and so one feature row.
EXPECTED = {
    ("a", 0): [1, 1, 1.0, 1.0, 1.0, 1.0, NAN, "US", NAN],
    ("a", 1): [3, 2, 3.0, 1.5, 1.0, 2.0, math.sqrt(0.5), "US", NAN],
    ("a", 13): [1, 0, 4.0, 4.0, 4.0, 4.0, NAN, None, 1.0],
    ("a", 14): [2, 1, 12.0, 6.0, 4.0, 8.0, math.sqrt(8.0), "DE", 2 / 3],
    ("b", 0): [1, 1, 5.0, 5.0, 5.0, 5.0, NAN, "US", NAN],
}


def _spec(tmp: Path) -> Path:
    data = yaml.safe_load((REPO / "tests/data/minimal.yaml").read_text(encoding="utf-8"))
    data["data"]["sources"][0]["label_delay_days"] = 0.5
    data["features"]["views"][0]["features"] = FEATURES
    data["models"][0]["inputs"] = ["amount", "country", "user_stats.*"]
    path = tmp / "all-aggregations.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


CODE = """
import json
import pandas as pd
from pathlib import Path
from pipelines.feature_store import build_feature_tables

events = json.loads(Path("events.json").read_text())
names = ["event_id", "user_id", "hours", "amount", "country", "is_bad"]
frame = pd.DataFrame(events, columns=names)
frame["ts"] = pd.Timestamp("2026-03-01", tz="UTC") + pd.to_timedelta(frame["hours"], unit="h")
paths = build_feature_tables({"events": frame.drop(columns=["hours"])}, Path("."))
table = pd.read_parquet(paths["user_stats"])
columns = list(table.columns)
start = pd.Timestamp("2026-03-01", tz="UTC")
table["hours"] = (table["event_timestamp"] - start) / pd.Timedelta(hours=1)
rows = table.drop(columns=["event_timestamp"]).astype(object)
rows = rows.where(rows.notna(), None)
print(json.dumps([list(paths), columns, rows.to_dict("records")]))
"""


@pytest.fixture(scope="module")
def table(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[str], list[str], list[Any]]:
    stack_python()
    tmp = tmp_path_factory.mktemp("tables")
    stack = tmp / "stack"
    build_stack(_spec(tmp), stack)
    (stack / "events.json").write_text(json.dumps(EVENTS), encoding="utf-8")
    views, columns, rows = run_json(stack, CODE)
    return views, columns, rows


def test_one_table_per_view_with_key_time_and_features(table: Any) -> None:
    views, columns, _ = table
    assert views == ["user_stats"]
    assert columns == ["user_id", "event_timestamp", *(f["name"] for f in FEATURES)]


def test_every_aggregation_matches_the_hand_worked_values(table: Any) -> None:
    _, _, rows = table
    got = {(r["user_id"], r["hours"]): [r[f["name"]] for f in FEATURES] for r in rows}
    assert sorted(got) == sorted(EXPECTED)
    for key, want in EXPECTED.items():
        for feature, value, expected in zip(FEATURES, got[key], want, strict=True):
            where = f"{key} {feature['name']}"
            if isinstance(expected, float) and math.isnan(expected):
                assert value is None, where
            elif isinstance(expected, float):
                assert value is not None and math.isclose(value, expected), where
            else:
                assert value == expected, where
