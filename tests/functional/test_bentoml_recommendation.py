"""The recommendation service serves for real: a slate per user, the ranker_v2 arms, the cache.

The stack is built and trained once on the synthetic interactions; its production models are
exported to a BentoML store outside the stack and served with one worker. A request names a
user and the context: the two towers retrieve candidates from the catalogue, the ranker orders
them, the answer is the best items. The ``ranker_v2`` experiment enrols a fifth of the users,
each for good; its treatment arm asks for the ranker's staging version, which one training run
does not make, so export and service both say the arm is served by production. A repeated
request is answered from the prediction cache. Last, the ranker is trained again (the new
version takes production) and the first version is put in staging: export then stores both,
and a restarted service serves the treatment arm from the staging ranker.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SPECS
from tests.functional.bento_serving import output_of, post, served
from tests.functional.stack_env import run_in_stack, run_json, stack_python
from tests.functional.zenml_stacks import build, run_pipelines

#: Puts the ranker's first version in staging; prints the production version's number.
FIRST_RANKER_TO_STAGING = """
import json
from zenml.client import Client
from pipelines.models import model_version
production = str(model_version("ranker").number)
Client().update_model_version(
    model_name_or_id="ranker", version_name_or_id="1", stage="staging", force=True
)
print(json.dumps(production))
"""

SPEC = SPECS / "recommendation.yaml"
ROWS = "8000"
SERVICE = "services.recommendation.service:Recommendation"
SLATE_SIZE = 10
#: Users sent to check the experiment: a fifth are enrolled, half of those in each arm.
EXPERIMENT_USERS = 100

pytestmark = pytest.mark.slow

KNOWN_USERS = """
import json
import pandas as pd
users = pd.read_parquet("data/features/user_activity.parquet")
print(json.dumps(sorted({str(u) for u in users["user_id"]})[:3]))
"""


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    stack_python()
    stack = build(SPEC, tmp_path_factory.mktemp("bentoml-recommendation") / "stack")
    done = run_pipelines(stack, "--rows", ROWS)
    assert done.returncode == 0, done.stderr[-6000:]
    return stack


@pytest.fixture(scope="module")
def exported(trained: Path) -> tuple[str, str]:
    done = run_in_stack(trained, ["-m", "services.export"])
    return done.stdout, done.stderr


@pytest.fixture(scope="module")
def base_url(trained: Path, exported: tuple[str, str]) -> Iterator[str]:
    with served(trained, SERVICE) as base:
        yield base


def _row(user: str, surface: str = "home") -> dict[str, object]:
    return {"user_id": user, "surface": surface, "device": "web"}


def _predict(base_url: str, rows: list[dict[str, object]]) -> list[dict[str, Any]]:
    status, answers = post(f"{base_url}/predict", {"rows": rows})
    assert status == 200, answers
    assert len(answers) == len(rows)
    result: list[dict[str, Any]] = answers
    return result


def test_export_says_the_treatment_arm_has_no_staging_ranker(
    exported: tuple[str, str],
) -> None:
    stdout, stderr = exported
    assert [line.split(":")[0] for line in stdout.strip().splitlines()] == ["two_tower", "ranker"]
    assert "ranker: no staging version" in stderr


def test_known_and_unknown_users_get_a_ranked_slate(trained: Path, base_url: str) -> None:
    users = [*run_json(trained, KNOWN_USERS), "never-seen-user"]
    answers = _predict(base_url, [_row(user) for user in users])
    for answer in answers:
        slate = answer["prediction"]
        # one training run makes no staging ranker: production answers every arm
        assert answer["model"] == "ranker"
        assert 0 < len(slate) <= SLATE_SIZE
        items = [entry["item"] for entry in slate]
        assert len(set(items)) == len(items)
        scores = [entry["score"] for entry in slate]
        assert scores == sorted(scores, reverse=True)
    # different users get different slates: the towers read the user
    assert len({tuple(e["item"] for e in a["prediction"]) for a in answers}) > 1


def test_the_service_says_which_arm_production_serves(trained: Path, base_url: str) -> None:
    assert "no exported staging version" in output_of(trained, base_url)


def test_an_enrolled_user_keeps_their_variant_across_calls(base_url: str) -> None:
    # one row a request: the plan batches at most two rows within 15 ms
    users = [f"exp-user-{i}" for i in range(EXPERIMENT_USERS)]
    first = [_predict(base_url, [_row(user, "search")])[0] for user in users]
    again = [_predict(base_url, [_row(user, "email")])[0] for user in reversed(users)]
    arms = [(a["experiment"], a["variant"]) for a in first]
    assert arms == [(a["experiment"], a["variant"]) for a in reversed(again)]
    enrolled = [arm for arm in arms if arm[0] is not None]
    assert {arm[0] for arm in enrolled} == {"ranker_v2"}
    assert {arm[1] for arm in enrolled} == {"control", "treatment"}
    # a fifth of the users take part: far from none and far from all
    assert 0 < len(enrolled) < EXPERIMENT_USERS // 2


def test_a_repeated_request_is_answered_from_the_cache(base_url: str) -> None:
    (first,) = _predict(base_url, [_row("cached-user", "product_page")])
    (second,) = _predict(base_url, [_row("cached-user", "product_page")])
    assert (first["cached"], second["cached"]) == (False, True)
    assert second["prediction"] == first["prediction"]


def test_a_staging_ranker_is_exported_beside_production_and_serves_the_treatment(
    trained: Path,
) -> None:
    # the last test of the module: it changes the registry the tests above were served from
    retrained = run_pipelines(trained, "--pipeline", "train_ranker", "--rows", ROWS)
    assert retrained.returncode == 0, retrained.stderr[-6000:]
    assert "ranker version 2: passed its gates: rolling out" in retrained.stdout
    # finish the rollout by hand: version 2 becomes production, version 1 is archived
    promoted = run_in_stack(trained, ["-m", "pipelines.rollout", "promote", "--model", "ranker"])
    assert "ranker version 2: promoted" in promoted.stdout
    assert run_json(trained, FIRST_RANKER_TO_STAGING) == "2"
    done = run_in_stack(trained, ["-m", "services.export"])
    lines = done.stdout.strip().splitlines()
    production = "ranker: zenml version 2 -> bentoml model ranker:"
    staged = "ranker (staging): zenml version 1 -> bentoml model ranker--staging:"
    for expected in (production, staged):
        assert any(line.startswith(expected) for line in lines), done.stdout
    assert "no staging version" not in done.stderr
    with served(trained, SERVICE) as restarted:
        assert "no exported staging version" not in output_of(trained, restarted)
        users = [f"staged-user-{i}" for i in range(EXPERIMENT_USERS)]
        answers = [_predict(restarted, [_row(user)])[0] for user in users]
    treated = [a for a in answers if a["variant"] == "treatment"]
    assert treated, "no user of the sample is in the treatment arm"
    assert all(a["model"] == "ranker@staging" and a["prediction"] for a in treated)
    assert all(a["model"] == "ranker" for a in answers if a["variant"] != "treatment")
