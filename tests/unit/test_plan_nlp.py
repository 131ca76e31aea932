# Hand computations are written in mathematical notation (×, −, ρ, Σ) on purpose.
# ruff: noqa: RUF003
"""NLP: language detection and routing to 52 per-language models, with a cache.

Expected numbers are worked out by hand in the comments from the spec and the calibration
table, never by calling the planner's own formulas.
"""

from __future__ import annotations

import pytest

from tests.unit.plan_support import NLP, codes, plan, result


def test_routing_to_per_language_models() -> None:
    routing = plan(NLP).serving.routing
    assert routing is not None
    assert (routing.key, routing.detector, routing.fallback) == (
        "language",
        "language_id",
        "sentiment_multilingual",
    )
    assert routing.targets == ("sentiment", "entities")
    assert routing.partition_values is not None
    assert len(routing.partition_values) == 52
    assert routing.partition_values[:3] == ("en", "es", "fr")


def test_language_shards() -> None:
    # 52 language values / 4 per shard (scikit-learn) = 13 shards; 16 workers → one wave
    for name in ("sentiment", "entities"):
        partition = plan(NLP).model(name).partition
        assert partition is not None
        assert (partition.cardinality, partition.shards, partition.waves) == (52, 13, 1)
        assert partition.cardinality_from == "52 category values of language"


def test_path_capacity() -> None:
    # S = server 1 + cache 0.5 + langdetect 3 + sentiment 1.5 + entities 1.5 = 7.5 ms
    # replica time 1/4000 + 1/20000 + 0.8 × (1/1200 + 1/5000 + 1/5000)
    #   = 0.0003 + 0.8 × 0.0012333 = 0.0012867 s → 777.2 rps
    # peak 10,000,000 / 86,400 × 3 = 347.2 rps → N = ceil(347.2 / (777.2 × 0.7)) = 1 → 2
    cap = plan(NLP).serving.capacity
    assert cap is not None
    assert cap.service_time_ms == 7.5
    assert cap.per_replica_rps == pytest.approx(777.20, abs=0.01)
    assert (cap.replicas_needed, cap.replicas) == (1, 2)


def test_replica_memory_holds_every_language_model() -> None:
    # per worker: 52 × 40 MB (sentiment) + 52 × 40 MB (entities) + 150 MB (fallback)
    #   + 50 MB (langdetect) = 4360 MB
    # (1024 + 4 workers × 4360) × 1.25 = 23,080 MB = 22.5 GiB → 23 GiB
    # 2 replicas over 2 zones: one node per zone whatever its size, so the cheapest type
    # that holds one pod wins: n2-highcpu-16 has 16 − 2 = 14 GiB (too small); n2-standard-16
    # ($0.7769/h) holds min((16 − 1) / 4, (64 − 2) / 23) = min(3, 2) = 2 pods
    serving = plan(NLP).serving
    assert serving.replica.memory_gib == 23
    pool = next(p for p in plan(NLP).compute.pools if p.role == "serving")
    assert (pool.instance_type, pool.pods_per_node) == ("n2-standard-16", 2)


def test_langdetect_is_not_batched_nor_trained() -> None:
    # the server stage (1 ms) queues: window floor(100 − 2.9957 × 1 / 0.3) = 90 ms
    # one-row call: cache 0.5 + langdetect 3 + 1.5 + 1.5 = 6.5 ms; each further row on one
    # of 4 workers: 4 × (1/20000 + 1/5000 + 1/5000) s + langdetect's whole 3 ms (it loops
    # over the rows) = 4.8 ms → 1 + (45 − 6.5) / 4.8 = 9.02 → 8
    batching = plan(NLP).serving.batching
    assert batching.batched_models == ("sentiment", "entities")
    assert (batching.max_latency_ms, batching.max_batch_size) == (90, 8)
    language_id = plan(NLP).model("language_id")
    assert not language_id.trainable
    assert "train" not in [s.name for s in language_id.steps]


def test_guardrail_tightens_the_fallback_gate() -> None:
    # accuracy ≥ 0.85 guardrail: the fallback's own gate of 0.80 is tightened to 0.85;
    # the per-language gate keeps its slice; entity extraction has no accuracy gate
    fallback = plan(NLP).model("sentiment_multilingual")
    assert [(g.metric, g.min, g.origin) for g in fallback.gates] == [
        ("accuracy", 0.85, "model+guardrail")
    ]
    sentiment = plan(NLP).model("sentiment")
    assert [(g.metric, g.min, g.by) for g in sentiment.gates] == [("accuracy", 0.85, "language")]
    assert [g.metric for g in plan(NLP).model("entities").gates] == ["f1"]


def test_cache_and_store() -> None:
    # stated 2,000,000 entries (derived would be 347.2 × 0.8 × 86,400 = 24M)
    # entry: hashed text key 32 B + score 256 B + 64 B = 352 B → 704 MB
    # store: 20M customers × 160 B = 3.2 GB + 0.704 GB → × 1.3 / 0.75 = 6.77 → 6.8 GB
    cache = plan(NLP).serving.cache
    assert cache is not None
    assert (cache.max_entries, cache.entry_bytes, cache.memory_mb) == (2000000, 352, 704)
    store = plan(NLP).features.online_store
    assert store.memory_gb == 6.8
    assert store.node_type == "redis-highmem-medium"


def test_training_schedule_and_diagnostics() -> None:
    # 50,000 labels at 10,000,000 rows/day fill every 0.12 h, so each hourly check would fire
    # (720 a month); the default canary (3 steps × 30 min = 90 min) must finish first, and
    # with hourly checks the next retrain starts 120 min later: 30 × 24 × 60 / 120 = 360 runs
    training = plan(NLP).training
    runs = {m.name: m.runs_per_month for m in training.models}
    assert runs == {
        "language_id": 0,
        "sentiment": 360,
        "entities": 360,
        "sentiment_multilingual": 360,
    }
    assert training.max_workers == 16
    assert plan(NLP).monitoring.quality[0].by == "language"
    assert plan(NLP).cost.total_usd_month < 12000
    assert codes(result(NLP)) == ["W523"]  # the medium text fallback is scaled, not measured
