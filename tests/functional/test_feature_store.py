"""The fraud stack's Feast repository, run for real: apply, materialise, read, push.

The test builds the fraud-detection stack, writes a small seeded transaction stream of its
own (a handful of users and merchants over 40 days, so that the merchant view's label
aggregate, which waits 30 days for chargebacks, has values), and runs the stack's
``pipelines/feature_store.py`` in the stack's interpreter: feature tables, ``feast apply``,
materialisation, historical and online reads, and the stream consumer. Every value is checked
against a brute-force recomputation here, from the raw events, so a wrong window, a leaked
future row or a label used before it arrived fails the test.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from mlopsgen.build import build_stack
from tests.conftest import SPECS
from tests.functional.stack_env import run_in_stack, run_json, stack_python

START = datetime(2026, 10, 1, tzinfo=UTC)
DAYS = 40
USERS = [f"u{i}" for i in range(6)]
MERCHANTS = [f"m{i}" for i in range(4)]
HOUR, DAY = 3600, 86400
LABEL_DELAY = 30 * DAY
PLANTED_AMOUNT = 1_000_000.0
#: The user whose future row is planted, and the time its point-in-time read is made.
PLANTED_USER = "u0"
CUTOFF = START + timedelta(days=20)
#: A merchant read late enough that chargebacks (30 days) have arrived for some rows.
MERCHANT_READ = START + timedelta(days=36, hours=5)
MODEL = "fraud_xgb"
#: A read before any event: every entity's feature rows lie in its future.
EARLY = START - timedelta(days=1)


@dataclass(frozen=True)
class Event:
    user: str
    merchant: str
    at: datetime
    amount: float
    fraud: bool

    def row(self, number: int) -> dict[str, Any]:
        return {
            "transaction_id": f"t{number}",
            "user_id": self.user,
            "merchant_id": self.merchant,
            "ts": self.at.isoformat(),
            "amount_usd": self.amount,
            "currency": "USD",
            "country": "US",
            "channel": "web",
            "is_fraud": self.fraud,
        }


def _events() -> list[Event]:
    rng = random.Random(20261130)
    events = [
        Event(
            rng.choice(USERS),
            rng.choice(MERCHANTS),
            START + timedelta(seconds=rng.randrange(DAYS * DAY)),
            round(rng.uniform(1, 500), 2),
            rng.random() < 0.25,
        )
        for _ in range(360)
    ]
    end = START + timedelta(days=DAYS)
    # Every user and merchant has events in the last hour: all are within their views' TTL.
    events += [
        Event(
            user, MERCHANTS[i % len(MERCHANTS)], end - timedelta(minutes=5 * (i + 1)), 42.5, False
        )
        for i, user in enumerate(USERS)
    ]
    events.append(Event(PLANTED_USER, "m1", CUTOFF - timedelta(minutes=10), 10.0, False))
    # The planted row: one minute after the cutoff, with an amount no real row has.
    events.append(Event(PLANTED_USER, "m2", CUTOFF + timedelta(minutes=1), PLANTED_AMOUNT, True))
    return events


def _stream_events(after: datetime) -> list[Event]:
    """Three new events of u1 after ``after`` (the snapshot also redelivers an old event)."""
    return [
        Event("u1", f"m{9 - i}", after + timedelta(minutes=i + 1), 7.25 * (i + 1), False)
        for i in range(3)
    ]


def _user_features(events: list[Event], user: str, at: datetime) -> dict[str, Any]:
    """The user_velocity row of ``user`` at ``at``, from the raw events (windows ``(t-w, t]``)."""
    mine = [e for e in events if e.user == user and e.at <= at]
    hour = [e for e in mine if e.at > at - timedelta(seconds=HOUR)]
    day = [e for e in mine if e.at > at - timedelta(seconds=DAY)]
    return {
        "user_velocity__txn_count_1h": len(hour),
        "user_velocity__amount_sum_24h": sum(e.amount for e in day),
        "user_velocity__distinct_merchants_24h": len({e.merchant for e in day}),
    }


def _merchant_features(events: list[Event], merchant: str, at: datetime) -> dict[str, Any]:
    """The merchant_risk row at ``at``: labels count once arrived (event + 30 days, before t)."""
    window = timedelta(seconds=30 * DAY)
    delay = timedelta(seconds=LABEL_DELAY)
    known = [e.fraud for e in events if e.merchant == merchant and at - window < e.at + delay < at]
    rate = sum(known) / len(known) if known else None
    return {"merchant_risk__fraud_rate_30d": rate}


def _latest(events: list[Event], at: datetime, key: str, value: str) -> datetime:
    """The latest event time of an entity at or before ``at``: the feature row Feast joins."""
    return max(e.at for e in events if getattr(e, key) == value and e.at <= at)


def _expected(events: list[Event], user: str, merchant: str, at: datetime) -> dict[str, Any]:
    return {
        **_user_features(events, user, _latest(events, at, "user", user)),
        **_merchant_features(events, merchant, _latest(events, at, "merchant", merchant)),
    }


def _same(actual: dict[str, Any], expected: dict[str, Any]) -> bool:
    for name, want in expected.items():
        got = actual[name]
        if isinstance(want, str) or isinstance(got, str):
            if want != got:
                return False
        elif want is None or got is None:
            if want is not got:
                return False
        elif not math.isclose(float(got), float(want), rel_tol=1e-9, abs_tol=1e-9):
            return False
    return True


SCENARIO = r"""
import json, math, sys
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd

from pipelines import feature_store as fs

root = Path(".")
queries = json.loads(Path("queries.json").read_text())
frame = pd.read_json("events.jsonl", lines=True, dtype={"ts": "string"})
frame["ts"] = pd.to_datetime(frame["ts"], utc=True)
Path("data/sources").mkdir(parents=True, exist_ok=True)
frame.to_parquet("data/sources/transactions.parquet", index=False)

def clean(value):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return value.item() if hasattr(value, "item") else value

def records(df, columns):
    return [{c: clean(row[c]) for c in columns} for row in df.to_dict("records")]

tables = fs.build_feature_tables({"transactions": frame}, root)
fs.apply(root)
end = datetime.fromisoformat(queries["end"])
fs.materialize(root, end + timedelta(seconds=1))

names = [
    "user_velocity__txn_count_1h",
    "user_velocity__amount_sum_24h",
    "user_velocity__distinct_merchants_24h",
    "merchant_risk__fraud_rate_30d",
]
entity_df = pd.DataFrame(queries["historical"])
historical = fs.historical_features(queries["model"], entity_df, root)
online_rows = [{"user_id": u, "merchant_id": m} for u, m in queries["online"]]
online = fs.online_features(queries["model"], online_rows, root)
velocity = pd.read_parquet(tables["user_velocity"])
last_rows = velocity.sort_values("event_timestamp").groupby("user_id").tail(1)

report = fs.push_from_snapshot("user_velocity", Path("snapshot"), root)
after_push = fs.online_features(queries["model"], [{"user_id": "u1", "merchant_id": "m0"}], root)
fs.push_from_snapshot("user_velocity", Path("snapshot"), root)  # the same events, replayed
replayed = fs.online_features(queries["model"], [{"user_id": "u1", "merchant_id": "m0"}], root)
freshness = Path(".mlopsgen/metrics/features.prom").read_text()
unchanged = fs.historical_features("no_such_model", entity_df, root)
early_df = pd.concat([pd.DataFrame(queries["early"]), entity_df], ignore_index=True)
early = fs.historical_features(queries["model"], early_df, root)

# The training step's join: models reading one source share one join of their features.
from pipelines import feature_join
from pipelines.stack_plan import load_plan

plan = load_plan()
shared = {}
for name in ("fraud_xgb", "txn_anomaly"):
    joined = feature_join.join_views(plan, plan.model(name), frame, 0, "declared")
    shared[name] = (joined, next(iter(feature_join._LAST_JOIN.values())))
feature_join._LAST_JOIN.clear()
alone = feature_join.join_views(plan, plan.model("txn_anomaly"), frame, 0, "declared")
anomaly_columns = [c for c in alone.columns if "__" in c]
own = fs.historical_features(
    "txn_anomaly",
    frame[["user_id"]].assign(event_timestamp=frame["ts"]),
    root,
)
print(json.dumps({
    "tables": sorted(tables),
    "historical": records(historical, ["user_id", "merchant_id", *names]),
    "online": [{n: clean(online[n][i]) for n in ["user_id", "merchant_id", *names]}
               for i in range(len(online_rows))],
    "table_last": records(last_rows, ["user_id", "txn_count_1h", "amount_sum_24h",
                                      "distinct_merchants_24h"]),
    "push": report,
    "after_push": {n: clean(after_push[n][0]) for n in names},
    "replayed": {n: clean(replayed[n][0]) for n in names},
    "freshness": freshness,
    "unchanged": list(unchanged.columns) == list(entity_df.columns),
    "early": records(early, ["user_id", "merchant_id", *names]),
    "shared_refs": list(feature_join.shared_feature_refs(plan, plan.model("txn_anomaly"))),
    "join_reused": shared["fraud_xgb"][1] is shared["txn_anomaly"][1],
    "anomaly_columns": anomaly_columns,
    "shared_equals_alone": shared["txn_anomaly"][0][anomaly_columns].equals(
        alone[anomaly_columns]
    ),
    "alone_equals_own": alone[anomaly_columns].reset_index(drop=True).equals(
        own[anomaly_columns].reset_index(drop=True)
    ),
}))
"""


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    stack_python()
    root = tmp_path_factory.mktemp("feast") / "fraud"
    build_stack(SPECS / "fraud-detection.yaml", root)
    return root


@pytest.fixture(scope="module")
def events() -> list[Event]:
    return _events()


@pytest.fixture(scope="module")
def result(stack: Path, events: list[Event]) -> dict[str, Any]:
    """Run the whole scenario once in the stack's interpreter (one Feast process)."""
    lines = (json.dumps(e.row(i)) for i, e in enumerate(events))
    (stack / "events.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    end = max(e.at for e in events)
    snapshot = stack / "snapshot"
    snapshot.mkdir()
    stream = _stream_events(end)
    rows = (json.dumps(e.row(1000 + i)) for i, e in enumerate(stream))
    (snapshot / "part-0.jsonl").write_text("\n".join(rows) + "\n", encoding="utf-8")
    # A redelivered event: the last one of u1 already in the history, with its own id.
    _, number = max((e.at, i) for i, e in enumerate(events) if e.user == "u1")
    redelivered = json.dumps(events[number].row(number))
    (snapshot / "part-1.jsonl").write_text(redelivered + "\n", encoding="utf-8")
    pairs = [(user, MERCHANTS[i % len(MERCHANTS)]) for i, user in enumerate(USERS)]
    historical = [
        {"user_id": u, "merchant_id": m, "event_timestamp": end.isoformat()} for u, m in pairs
    ]
    historical.append(
        {"user_id": PLANTED_USER, "merchant_id": "m0", "event_timestamp": CUTOFF.isoformat()}
    )
    historical.append(
        {"user_id": "u2", "merchant_id": "m3", "event_timestamp": MERCHANT_READ.isoformat()}
    )
    early = [{"user_id": "u3", "merchant_id": "m1", "event_timestamp": EARLY.isoformat()}]
    queries = {
        "end": end.isoformat(),
        "model": MODEL,
        "historical": historical,
        "online": pairs,
        "early": early,
    }
    (stack / "queries.json").write_text(json.dumps(queries), encoding="utf-8")
    out: dict[str, Any] = run_json(stack, SCENARIO)
    out["queries"] = queries
    return out


def _historical(result: dict[str, Any]) -> Iterator[tuple[dict[str, Any], datetime]]:
    for row, query in zip(result["historical"], result["queries"]["historical"], strict=True):
        assert (row["user_id"], row["merchant_id"]) == (query["user_id"], query["merchant_id"])
        yield row, datetime.fromisoformat(query["event_timestamp"])


def test_every_view_gets_a_table(result: dict[str, Any]) -> None:
    assert result["tables"] == ["merchant_risk", "user_velocity"]


def test_historical_features_are_the_point_in_time_aggregates(
    result: dict[str, Any], events: list[Event]
) -> None:
    for row, at in _historical(result):
        expected = _expected(events, row["user_id"], row["merchant_id"], at)
        assert _same(row, expected), (row, expected)


def test_a_planted_future_row_does_not_leak_into_an_earlier_row(
    result: dict[str, Any], events: list[Event]
) -> None:
    rows = [r for r, at in _historical(result) if at == CUTOFF]
    assert len(rows) == 1
    assert rows[0]["user_velocity__amount_sum_24h"] < PLANTED_AMOUNT
    without = [e for e in events if e.amount != PLANTED_AMOUNT]
    expected = _user_features(without, PLANTED_USER, _latest(events, CUTOFF, "user", PLANTED_USER))
    assert _same(rows[0], expected)


def test_labels_count_only_after_they_arrive(result: dict[str, Any]) -> None:
    late = [r for r, at in _historical(result) if at == MERCHANT_READ]
    assert late[0]["merchant_risk__fraud_rate_30d"] is not None
    early = [r for r, at in _historical(result) if at == CUTOFF]
    assert early[0]["merchant_risk__fraud_rate_30d"] is None  # no chargeback has arrived yet


def test_a_row_before_every_feature_value_comes_back_with_empty_features(
    result: dict[str, Any],
) -> None:
    first, *rest = result["early"]
    assert first == {"user_id": "u3", "merchant_id": "m1"} | {
        name: None for name in first if "__" in name
    }
    assert rest == result["historical"]


def test_online_and_offline_vectors_are_equal(result: dict[str, Any]) -> None:
    offline = result["historical"][: len(result["online"])]
    assert len(result["online"]) == len(USERS)
    for online, historical in zip(result["online"], offline, strict=True):
        assert online.keys() == historical.keys()
        assert _same(online, historical), (online, historical)


def test_an_online_read_returns_what_the_feature_tables_hold(result: dict[str, Any]) -> None:
    tables = {row["user_id"]: row for row in result["table_last"]}
    for row in result["online"]:
        table = tables[row["user_id"]]
        assert _same(row, {f"user_velocity__{k}": v for k, v in table.items() if k != "user_id"})


def test_the_stream_push_updates_the_online_store(
    result: dict[str, Any], events: list[Event]
) -> None:
    end = max(e.at for e in events)
    stream = _stream_events(end)
    assert result["push"]["events"] == len(stream) + 1 and result["push"]["pushed"] == 1
    assert result["push"]["max_staleness_seconds"] == 300
    expected = _user_features(events + stream, "u1", stream[-1].at)
    before = next(r for r in result["online"] if r["user_id"] == "u1")
    assert _same(result["after_push"], expected)
    assert (
        result["after_push"]["user_velocity__txn_count_1h"] > before["user_velocity__txn_count_1h"]
    )


def test_materialisation_and_the_stream_record_how_fresh_the_online_store_is(
    result: dict[str, Any], events: list[Event]
) -> None:
    """Batch views are as fresh as the materialisation's end, a stream view as its newest
    pushed event: the values the FeatureStale alert reads."""
    recorded = {
        line.split('"')[1]: float(line.rsplit(" ", 1)[1])
        for line in result["freshness"].splitlines()
        if line.startswith("mlopsgen_feature_newest_event_timestamp_seconds{")
    }
    end = max(e.at for e in events)
    assert recorded["merchant_risk"] == pytest.approx((end + timedelta(seconds=1)).timestamp())
    newest_pushed = max(e.at for e in _stream_events(end))
    assert recorded["user_velocity"] == pytest.approx(newest_pushed.timestamp())


def test_a_model_without_view_features_gets_its_rows_back(result: dict[str, Any]) -> None:
    assert result["unchanged"] is True


def test_models_reading_one_source_share_one_join_of_their_features(
    result: dict[str, Any],
) -> None:
    """fraud_xgb's join serves txn_anomaly (which reads a subset of its features), and the
    shared join gives txn_anomaly the values of its own, unshared one."""
    assert result["shared_refs"] == [
        "merchant_risk:fraud_rate_30d",
        "user_velocity:amount_sum_24h",
        "user_velocity:distinct_merchants_24h",
        "user_velocity:txn_count_1h",
    ]
    assert result["join_reused"] is True
    assert result["anomaly_columns"] == [
        "user_velocity__txn_count_1h",
        "user_velocity__amount_sum_24h",
        "user_velocity__distinct_merchants_24h",
    ]
    assert result["shared_equals_alone"] is True
    assert result["alone_equals_own"] is True


def test_feasts_own_command_applies_the_generated_repository(
    stack: Path, result: dict[str, Any]
) -> None:
    cli = "import sys; from feast.cli.cli import cli; sys.argv[0] = 'feast'; sys.exit(cli())"
    done = run_in_stack(stack, ["-c", cli, "-c", "features", "feature-services", "list"])
    assert all(name in done.stdout for name in ("fraud_xgb", "fraud_lgbm", "txn_anomaly"))


def test_the_cloud_configuration_reads_the_terraform_outputs_from_the_environment(
    stack: Path,
) -> None:
    """Read the way Feast reads it (``load_repo_config``: ``os.path.expandvars`` then YAML).

    The Redis client is an extra of Feast the local environment does not install, so the
    Redis section is checked as data rather than through Feast's Redis config class.
    """
    code = (
        "import json, os, yaml; from pathlib import Path; "
        "text = Path('features/feature_store.cloud.yaml').read_text(); "
        "print(json.dumps(yaml.safe_load(os.path.expandvars(text))))"
    )
    env = {
        "FEAST_ONLINE_STORE_ENDPOINT": "redis.example.internal:6379",
        "FEAST_ARTIFACT_BUCKET": "artifacts-123",
        "FEAST_REGION": "eu-west-1",
    }
    config = run_json(stack, code, extra_env=env)
    assert config["provider"] == "aws" and config["entity_key_serialization_version"] == 3
    assert config["online_store"] == {
        "type": "redis",
        "redis_type": "redis_cluster",
        "connection_string": "redis.example.internal:6379",
    }
    assert config["registry"] == "s3://artifacts-123/feast/registry.db"
    text = (stack / "features/feature_store.cloud.yaml").read_text(encoding="utf-8")
    assert "example" not in text and "${FEAST_ONLINE_STORE_ENDPOINT}" in text
