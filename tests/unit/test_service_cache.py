"""The prediction cache: policy from the plan, stable keys, TTL expiry and the size bound."""

from __future__ import annotations

import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.unit import plan_support
from tests.unit.service_support import generated_serving, serving_of, template_module

cache = template_module("cache")


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_policy_from_plans() -> None:
    nlp = cache.CachePolicy.from_plan(generated_serving(plan_support.NLP))
    assert (nlp.key, nlp.ttl_seconds, nlp.max_entries) == (("text", "language"), 86400, 2_000_000)
    assert cache.CachePolicy.from_plan(generated_serving(plan_support.FRAUD)) is None
    built = cache.CachePolicy.from_plan(serving_of(plan_support.plan(plan_support.NLP)))
    assert built == nlp
    off = plan_support.variant(plan_support.NLP, [(("serving", "cache", "enabled"), False)]).plan
    assert cache.CachePolicy.from_plan(serving_of(off)) is None


def test_keys_depend_on_the_key_fields_only() -> None:
    policy = cache.CachePolicy(("text", "language"), 60, 10)
    row = {"text": "bonjour", "language": "fr", "message_id": "m1"}
    key = policy.key_of(row)
    assert key == policy.key_of({"language": "fr", "text": "bonjour", "message_id": "m2"})
    assert key != policy.key_of({**row, "language": "en"})
    assert key != policy.key_of(row, "treatment")
    assert len(key) == 64 and policy.key_of({"text": "x" * 100_000}) != key


def test_keys_keep_types_apart() -> None:
    policy = cache.CachePolicy(("v",), 60, 10)
    keys = {policy.key_of({"v": v}) for v in (1, 1.0, True, "1", None, [1], (1,), {"a": 1})}
    assert len(keys) == 7  # a list and a tuple are the same JSON array: same request body
    assert policy.key_of({}) == policy.key_of({"v": None})


@given(
    st.dictionaries(
        st.sampled_from(["a", "b", "c"]), st.one_of(st.text(), st.floats(), st.integers())
    )
)
def test_keys_are_stable(row: dict[str, object]) -> None:
    policy = cache.CachePolicy(("a", "b"), 60, 10)
    assert policy.key_of(row) == policy.key_of(dict(reversed(list(row.items()))))


def test_entries_expire_after_the_ttl() -> None:
    clock = Clock()
    store = cache.TTLCache(10, 30, clock=clock)
    store.put("k", {"prediction": 1})
    clock.now += 29.9
    assert store.get("k") == {"prediction": 1}
    clock.now += 0.1
    assert store.get("k") is None
    assert len(store) == 0 and (store.hits, store.misses) == (1, 1)


def test_a_put_renews_the_ttl() -> None:
    clock = Clock()
    store = cache.TTLCache(10, 30, clock=clock)
    store.put("k", 1)
    clock.now += 20
    store.put("k", 2)
    clock.now += 20
    assert store.get("k") == 2


def test_size_bound_evicts_the_least_recently_used() -> None:
    store = cache.TTLCache(3, 60, clock=Clock())
    for key in "abc":
        store.put(key, key.upper())
    assert store.get("a") == "A"  # "b" is now the least recently used
    store.put("d", "D")
    assert len(store) == 3
    assert store.get("b") is None
    assert [store.get(k) for k in "acd"] == ["A", "C", "D"]


def test_concurrent_use_keeps_the_bound() -> None:
    store = cache.TTLCache(50, 60)

    def work(offset: int) -> None:
        for n in range(2000):
            store.put((offset, n), n)
            store.get((offset, n - 1))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(store) == 50


def test_bad_bounds_are_refused() -> None:
    with pytest.raises(ValueError, match="max_entries"):
        cache.TTLCache(0, 60)
    with pytest.raises(ValueError, match="ttl_seconds"):
        cache.TTLCache(10, 0)
    policy = cache.CachePolicy(("text",), 5, 2)
    fresh = policy.new_cache()
    assert (fresh.max_entries, fresh.ttl_seconds) == (2, 5)
