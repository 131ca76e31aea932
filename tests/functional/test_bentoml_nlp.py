"""The NLP service serves for real: each message to its language's shard, else the fallback.

The stack is built and trained once on the synthetic source (sentences in the 14 languages its
lexicon writes; the other declared languages have no data, so no shard), its production
models (and the multilingual fallback the router names) are exported to a BentoML store
outside the stack and served with one worker. A French message reaches the French shard
whether the request says ``fr`` or omits the language (language identification fills it); a
declared language no shard trained on goes to ``sentiment_multilingual``; a repeated request
is answered from the prediction cache, and the cache's lookups are counted.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SPECS
from tests.functional.bento_serving import get, post, served
from tests.functional.stack_env import run_in_stack, run_json, stack_python
from tests.functional.zenml_stacks import build, run_pipelines

SPEC = SPECS / "nlp.yaml"
ROWS = "2000"
SERVICE = "services.nlp.service:Nlp"
TARGETS = ("sentiment", "entities")
FALLBACK = "sentiment_multilingual"
#: A declared language the synthetic source writes no message in: no shard holds it.
WITHOUT_DATA = "sw"

pytestmark = pytest.mark.slow

#: French messages written by the synthetic source's lexicon, and the class of the service.
FRENCH = """
import json
import numpy as np
from pipelines.families.text import sentences
print(json.dumps(sentences("fr", "positive", 3, np.random.default_rng(21))))
"""


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    stack_python()
    stack = build(SPEC, tmp_path_factory.mktemp("bentoml-nlp") / "stack")
    done = run_pipelines(stack, "--rows", ROWS)
    assert done.returncode == 0, done.stderr[-6000:]
    return stack


@pytest.fixture(scope="module")
def exported(trained: Path) -> str:
    return run_in_stack(trained, ["-m", "services.export"]).stdout


@pytest.fixture(scope="module")
def base_url(trained: Path, exported: str) -> Iterator[str]:
    with served(trained, SERVICE) as base:
        yield base


@pytest.fixture(scope="module")
def french(trained: Path) -> list[str]:
    texts: list[str] = run_json(trained, FRENCH)
    return texts


def _predict(base_url: str, rows: list[dict[str, object]]) -> list[dict[str, Any]]:
    status, answers = post(f"{base_url}/predict", {"rows": rows})
    assert status == 200, answers
    assert len(answers) == len(rows)
    result: list[dict[str, Any]] = answers
    return result


def test_export_saves_the_routed_models_and_the_fallback(exported: str) -> None:
    names = [line.split(":")[0] for line in exported.strip().splitlines()]
    assert names == ["sentiment", "entities", FALLBACK]


def test_a_french_message_reaches_the_french_shard_with_or_without_its_language(
    base_url: str, french: list[str]
) -> None:
    rows: list[dict[str, object]] = [
        {"message_id": "m-fr-declared", "text": french[0], "language": "fr"},
        {"message_id": "m-fr-omitted", "text": french[1]},
    ]
    declared, omitted = _predict(base_url, rows)
    assert (declared["partition"], declared["route"]) == ("fr", "request")
    assert (omitted["partition"], omitted["route"]) == ("fr", "detector")
    for answer in (declared, omitted):
        assert answer["model"] == ",".join(TARGETS)
        assert sorted(answer["prediction"]) == sorted(TARGETS)
        assert answer["prediction"]["sentiment"] in ("negative", "neutral", "positive")


def test_a_language_without_a_shard_goes_to_the_fallback(base_url: str) -> None:
    (answer,) = _predict(
        base_url, [{"message_id": "m-sw", "text": "Habari ya leo", "language": WITHOUT_DATA}]
    )
    assert answer["partition"] is None
    assert answer["route"] == "fallback"
    # the fallback answers the sentiment; entities come from the tagger trained on every language
    assert answer["model"] == f"{FALLBACK},entities"
    assert answer["prediction"]["sentiment"] in ("negative", "neutral", "positive")


def test_a_repeated_request_is_answered_from_the_cache(base_url: str, french: list[str]) -> None:
    row: dict[str, object] = {"message_id": "m-repeat", "text": french[2], "language": "fr"}
    (first,) = _predict(base_url, [row])
    (second,) = _predict(base_url, [row])
    assert first["cached"] is False
    assert second["cached"] is True
    assert second["prediction"] == first["prediction"]
    assert second["partition"] == first["partition"] == "fr"
    status, text = get(f"{base_url}/metrics")
    assert status == 200
    assert 'mlopsgen_cache_requests_total{result="hit"}' in text
    assert 'mlopsgen_cache_requests_total{result="miss"}' in text


def test_an_unlisted_language_is_a_client_error_naming_the_field(base_url: str) -> None:
    status, body = post(
        f"{base_url}/predict", {"rows": [{"message_id": "m", "text": "x", "language": "xx"}]}
    )
    assert 400 <= status < 500
    assert "language" in str(body)
