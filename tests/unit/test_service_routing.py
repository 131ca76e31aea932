"""Routing by key: the NLP plan's languages go to their shards, the rest to the fallback."""

from __future__ import annotations

from collections.abc import Mapping

from hypothesis import given
from hypothesis import strategies as st

from tests.unit import plan_support
from tests.unit.service_support import generated_serving, serving_of, template_module

routing = template_module("routing")


def nlp() -> object:
    router = routing.Router.from_plan(generated_serving(plan_support.NLP))
    assert router is not None
    return router


class Detector:
    """A stand-in for the language model: a fixed answer, counting its calls."""

    def __init__(self, answer: tuple[str | None, float] | None) -> None:
        self.answer = answer
        self.calls = 0

    def __call__(self, row: Mapping[str, object]) -> tuple[str | None, float] | None:
        self.calls += 1
        return self.answer


def test_router_from_plans() -> None:
    router = routing.Router.from_plan(generated_serving(plan_support.NLP))
    assert (router.key, router.targets, router.fallback, router.detector) == (
        "language",
        ("sentiment", "entities"),
        "sentiment_multilingual",
        "language_id",
    )
    assert router.models == ("language_id", "sentiment", "entities", "sentiment_multilingual")
    assert routing.Router.from_plan(serving_of(plan_support.plan(plan_support.NLP))) == router
    assert routing.Router.from_plan(generated_serving(plan_support.FRAUD)) is None


def test_partition_values_are_what_the_targets_train() -> None:
    """The router's values and key are the routed models' partitions in the plan."""
    plan = plan_support.plan(plan_support.NLP)
    router = routing.Router.from_plan(serving_of(plan))
    for model in plan.models:
        if model.name in router.targets:
            assert model.partition is not None
            assert model.partition.column == router.key
            assert frozenset(model.partition.values or ()) == router.partition_values


def test_a_known_language_goes_to_its_shard() -> None:
    router = nlp()
    detector = Detector(("de", 0.99))
    route = router.resolve({"text": "bonjour", "language": "fr"}, detector)
    assert (route.partition, route.source, route.models) == (
        "fr",
        "request",
        ("sentiment", "entities"),
    )
    assert router.route({"language": "fr"}, detector) == "fr"
    assert detector.calls == 0  # the request said which language


def test_unknown_languages_go_to_the_fallback() -> None:
    router = nlp()
    for row in ({"language": "xx"}, {"language": "FR"}, {"language": ""}, {}, {"language": 7}):
        route = router.resolve(row)
        assert (route.partition, route.source, route.models) == (
            None,
            "fallback",
            ("sentiment_multilingual",),
        )
        assert router.route(row) == "sentiment_multilingual"


def test_the_detector_fills_a_missing_language() -> None:
    router = nlp()
    assert router.resolve({"text": "hola"}, Detector(("es", 0.9))).source == "detector"
    assert router.route({"text": "hola", "language": None}, Detector(("es", 0.9))) == "es"
    # Unsure, undetermined, unknown to every shard, or no answer: the generalist answers.
    for answer in (("es", 0.4), ("und", 0.0), ("xx", 0.99), (None, 0.9), None):
        assert router.route({"text": "?"}, Detector(answer)) == "sentiment_multilingual"


def test_a_stated_language_without_a_shard_is_not_overruled() -> None:
    """As in training, the detector fills a missing language; a stated one stands."""
    router = nlp()
    detector = Detector(("fr", 0.99))
    assert router.route({"text": "bonjour", "language": "xx"}, detector) == "sentiment_multilingual"
    assert detector.calls == 0
    assert router.route({"text": "bonjour", "language": ""}, detector) == "fr"
    assert detector.calls == 1


def test_without_a_fallback_the_targets_answer_unpartitioned() -> None:
    router = routing.Router("language", ("sentiment",), frozenset({"en"}))
    route = router.resolve({"language": "xx"})
    assert (route.partition, route.models, route.name) == (None, ("sentiment",), "sentiment")


@given(st.text())
def test_without_listed_values_any_value_routes(value: str) -> None:
    router = routing.Router("shop", ("demand",), None, "demand_global")
    expected = value if value else "demand_global"
    assert router.route({"shop": value}) == expected
