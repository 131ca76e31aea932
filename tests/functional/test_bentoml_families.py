"""The vision and time-series services serve for real, and every reference stack builds a Bento.

The computer-vision and time-series stacks are each built, trained small (both train in
well under a minute), exported and served once on a free local port with one worker; the
module's tests share those servers. Vision: an image (base64 of ``.npy`` bytes) gets a class
of the label's categories and its probability, a bad image is a 4xx naming the field, and
``/predict_batch`` answers a list of rows in one call, as ``/predict`` answers each. Time
series: a request names a series and gets the next ``horizon_days`` days after the fitted
history, beside the anomaly detector's flag and score; a series the model never saw gets no
forecast (``None``) but still its anomaly score; the batch endpoint agrees row by row.

``bentoml build`` runs offline for all five reference stacks, with ``BENTOML_HOME`` beside
the stack (never inside it). A build needs every model the bentofile names in the store.
The two stacks trained here export their real production models. The fraud, NLP and
recommendation stacks train for minutes (their own modules train and serve them), so here
their BentoML store gets stand-in objects under the same tags: the build packs a model by
tag and never loads it, so a stand-in checks the same packaging. Each Bento must hold the
service, the pipelines' code and ``plan.json``, keep ``data/``, ``.zenml/`` and
``.mlopsgen/`` out, pin the models the bentofile names, and carry the plan's replica
resources: the vision plan's GPU stays in the Bento (a cluster schedules it) although a
local ``bentoml serve`` on a machine without one still starts (BentoML's allocator emits a
``ResourceWarning``, hidden by default, and sets ``CUDA_VISIBLE_DEVICES``; the CPU model
ignores it).
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import SPECS
from tests.functional.bento_calls import post, sample_rows, serving
from tests.functional.stack_env import run_in_stack, run_json, stack_environment, stack_python
from tests.functional.zenml_stacks import build, run_pipelines

pytestmark = pytest.mark.slow

VISION = SPECS / "computer-vision.yaml"
VISION_ROWS = "500"
SERIES = SPECS / "time-series-forecasting.yaml"
#: 100 series x 56 days: the shortest history the forecaster fits (see test_zenml_forecasting).
SERIES_ROWS = "5600"
#: Reference stacks whose training is left to their own modules: stand-in models here.
STAND_IN = {
    "fraud-detection": SPECS / "fraud-detection.yaml",
    "nlp": SPECS / "nlp.yaml",
    "recommendation": SPECS / "recommendation.yaml",
}


def _trained(spec: Path, out: Path, rows: str) -> Path:
    stack_python()
    stack = build(spec, out)
    done = run_pipelines(stack, "--rows", rows)
    assert done.returncode == 0, done.stderr[-6000:]
    run_in_stack(stack, ["-m", "services.export"])
    return stack


@pytest.fixture(scope="module")
def vision(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _trained(VISION, tmp_path_factory.mktemp("bento-vision") / "stack", VISION_ROWS)


@pytest.fixture(scope="module")
def series(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _trained(SERIES, tmp_path_factory.mktemp("bento-series") / "stack", SERIES_ROWS)


@pytest.fixture(scope="module")
def vision_url(vision: Path) -> Iterator[str]:
    with serving(vision) as base:
        yield base


@pytest.fixture(scope="module")
def series_url(series: Path) -> Iterator[str]:
    with serving(series) as base:
        yield base


def _plan(stack: Path) -> dict[str, Any]:
    plan: dict[str, Any] = json.loads((stack / "plan.json").read_text(encoding="utf-8"))
    return plan


def _classes(stack: Path) -> set[str]:
    """The categories of the image classifier's label, from the plan's source schema."""
    plan = _plan(stack)
    (target,) = {m["target"] for m in plan["models"] if m["task"] == "image_classification"}
    fields = [f for s in plan["data"]["sources"] for f in s["fields"] if f["name"] == target]
    return set(fields[0]["values"])


def test_an_image_gets_a_class_and_its_probability(vision: Path, vision_url: str) -> None:
    rows = sample_rows(vision, 1)
    status, answers = post(f"{vision_url}/predict", {"rows": rows})
    assert status == 200, answers
    (answer,) = answers
    assert answer["prediction"] in _classes(vision)
    assert answer["model"] == "image_classifier"
    assert 0.0 < answer["scores"]["image_classifier"] <= 1.0


def test_the_batch_endpoint_answers_each_image_as_predict_does(
    vision: Path, vision_url: str
) -> None:
    rows = sample_rows(vision, 5)
    status, batch = post(f"{vision_url}/predict_batch", {"rows": rows})
    assert status == 200, batch
    single = [post(f"{vision_url}/predict", {"rows": [row]})[1][0] for row in rows]
    assert [a["prediction"] for a in batch] == [a["prediction"] for a in single]
    for got, want in zip(batch, single, strict=True):
        assert got["scores"]["image_classifier"] == pytest.approx(
            want["scores"]["image_classifier"], abs=1e-5
        )


#: Runs in the stack: bad image payloads (base64 text), each wrong in one way.
BAD_IMAGES = """
import base64, io, json
import numpy as np

def npy(array):
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return base64.b64encode(buffer.getvalue()).decode("ascii")

print(json.dumps({
    "not base64": "%%% not base64 %%%",
    "not an array": base64.b64encode(b"a JPEG, say").decode("ascii"),
    "truncated": npy(np.zeros((224, 224, 3), np.uint8))[:400],
    "wrong shape": npy(np.zeros((100, 224, 3), np.uint8)),
    "no channels": npy(np.zeros((224, 224), np.uint8)),
    "wrong dtype": npy(np.zeros((224, 224, 3), np.float32)),
}))
"""


@pytest.fixture(scope="module")
def bad_images(vision: Path) -> dict[str, str]:
    images: dict[str, str] = run_json(vision, BAD_IMAGES)
    return images


@pytest.mark.parametrize(
    "kind",
    ["not base64", "not an array", "truncated", "wrong shape", "no channels", "wrong dtype"],
)
def test_a_bad_image_is_a_client_error_naming_the_field(
    vision: Path, vision_url: str, bad_images: dict[str, str], kind: str
) -> None:
    (row,) = sample_rows(vision, 1)
    status, body = post(f"{vision_url}/predict", {"rows": [{**row, "image": bad_images[kind]}]})
    assert 400 <= status < 500, body
    assert '"image"' in str(body)


def _series_row(series_id: str, promoted: bool = False) -> dict[str, object]:
    return {"series_id": series_id, "price_usd": 12.5, "on_promotion": promoted, "units_sold": 80.0}


def _horizon(stack: Path) -> int:
    (days,) = {m["horizon_days"] for m in _plan(stack)["models"] if m["task"] == "forecasting"}
    return int(days)


def test_a_series_gets_its_horizon_forecast_and_an_anomaly_score(
    series: Path, series_url: str
) -> None:
    status, answers = post(f"{series_url}/predict", {"rows": [_series_row("s3")]})
    assert status == 200, answers
    (answer,) = answers
    forecast = answer["prediction"]["demand_forecast"]
    assert len(forecast) == _horizon(series)
    days = [day["day"] for day in forecast]
    assert days == sorted(set(days))  # consecutive, one per day
    assert all(day["forecast"] is not None and day["forecast"] >= 0 for day in forecast)
    assert isinstance(answer["prediction"]["demand_anomaly"], bool)
    assert answer["scores"]["demand_anomaly"] is not None


def _forecasts(answer: dict[str, Any]) -> list[float]:
    return [day["forecast"] for day in answer["prediction"]["demand_forecast"]]


def test_the_row_promotion_flag_reaches_the_forecast(series_url: str) -> None:
    # a promoted day is the series' forecast times its promotion lift learnt in training
    # (1 for a series whose training days held no promotion): one ratio over the horizon
    ids = [f"s{i}" for i in range(10)]
    rows = [_series_row(sid, promoted) for sid in ids for promoted in (False, True)]
    status, answers = post(f"{series_url}/predict", {"rows": rows})
    assert status == 200, answers
    lifts = []
    for i in range(0, len(rows), 2):
        plain, promoted = _forecasts(answers[i]), _forecasts(answers[i + 1])
        ratios = [p / b for b, p in zip(plain, promoted, strict=True) if b > 0]
        assert ratios and max(ratios) == pytest.approx(min(ratios), rel=1e-6)
        lifts.append(ratios[0])
    assert any(lift != pytest.approx(1.0) for lift in lifts)


def test_an_unknown_series_has_no_forecast_but_is_scored(series_url: str) -> None:
    status, (answer,) = post(f"{series_url}/predict", {"rows": [_series_row("never-seen")]})
    assert status == 200
    assert answer["prediction"]["demand_forecast"] is None
    assert answer["scores"]["demand_anomaly"] is not None


def test_the_batch_endpoint_answers_each_series_as_predict_does(series_url: str) -> None:
    rows = [_series_row(f"s{i}", promoted=i % 3 == 0) for i in range(12)]
    rows.append(_series_row("never-seen"))
    status, batch = post(f"{series_url}/predict_batch", {"rows": rows})
    assert status == 200, batch
    assert len(batch) == len(rows)
    single = [post(f"{series_url}/predict", {"rows": [row]})[1][0] for row in rows]
    assert [a["prediction"] for a in batch] == [a["prediction"] for a in single]


def test_a_bad_series_row_is_a_client_error_naming_the_field(series_url: str) -> None:
    row = {**_series_row("s1"), "price_usd": -3.0}
    status, body = post(f"{series_url}/predict", {"rows": [row]})
    assert 400 <= status < 500
    assert "price_usd" in str(body)


#: Runs in the stack: creates a stand-in model (one small file) under each tag the
#: bentofile names, as ``services.export`` creates the real ones (``bentoml.models.create``).
STAND_INS = """
import json
from pathlib import Path
import bentoml
import yaml
(bentofile,) = Path("services").glob("*/bentofile.yaml")
tags = yaml.safe_load(bentofile.read_text())["models"]
for tag in tags:
    name = tag.split(":")[0]
    with bentoml.models.create(name, metadata={"stand_in": True}) as saved:
        Path(saved.path, "stand-in.txt").write_text(name)
print(json.dumps(tags))
"""


def _bento(stack: Path) -> tuple[dict[str, Any], Path]:
    """``bentoml build`` from the stack root; the Bento's ``bento.yaml`` and its folder."""
    (bentofile,) = stack.glob("services/*/bentofile.yaml")
    env = stack_environment(stack)
    command = [str(stack_python()), "-m", "bentoml", "build"]
    home = Path(env["BENTOML_HOME"])
    assert not home.resolve().is_relative_to(stack.resolve())
    done = subprocess.run(
        [*command, "-f", str(bentofile.relative_to(stack)), "--output", "tag", "."],
        cwd=stack,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-6000:]
    tag = done.stdout.strip().splitlines()[-1].removeprefix("__tag__:")
    name, version = tag.split(":")
    folder = home / "bentos" / name / version
    info: dict[str, Any] = yaml.safe_load((folder / "bento.yaml").read_text(encoding="utf-8"))
    return info, folder


def _assert_packed(stack: Path, info: dict[str, Any], folder: Path) -> None:
    (bentofile,) = stack.glob("services/*/bentofile.yaml")
    wanted = yaml.safe_load(bentofile.read_text(encoding="utf-8"))
    source = folder / "src"
    package = bentofile.parent.relative_to(stack)
    assert (source / package / "service.py").is_file()
    assert (source / "plan.json").is_file()
    assert (source / "pipelines" / "stack_plan.py").is_file()
    for kept_out in ("data", ".zenml", ".mlopsgen"):
        assert not (source / kept_out).exists(), f"{kept_out}/ is in the Bento"
    assert not list(source.rglob("__pycache__"))
    packed = sorted(m["tag"].split(":")[0] for m in info["models"])
    assert packed == sorted(tag.split(":")[0] for tag in wanted["models"])
    replica = _plan(stack)["serving"]["replica"]
    (config,) = [s["config"] for s in info["services"]]
    assert config["resources"]["cpu"] == f"{replica['cpu']:g}"
    assert config["traffic"]["timeout"] == pytest.approx(replica["timeout_ms"] / 1000)
    if replica["gpu"]:
        assert config["resources"]["gpu"] == replica["gpu"]
        assert config["resources"]["gpu_type"] == replica["gpu_class"]
    else:
        assert "gpu" not in config["resources"]


@pytest.mark.parametrize("trained", ["vision", "series"])
def test_a_trained_stack_builds_its_bento(trained: str, request: pytest.FixtureRequest) -> None:
    stack: Path = request.getfixturevalue(trained)
    info, folder = _bento(stack)
    _assert_packed(stack, info, folder)


def test_the_vision_plan_keeps_its_gpu_and_serves_without_one(
    vision: Path, vision_url: str
) -> None:
    assert _plan(vision)["serving"]["replica"]["gpu"] == 1
    # the service asks BentoML for the plan's GPU, and this GPU-less machine serves it
    status, answers = post(f"{vision_url}/predict", {"rows": sample_rows(vision, 1)})
    assert status == 200, answers
    resources = run_json(
        vision,
        "import json\nfrom services.serving_plan import ServingConfig\n"
        "print(json.dumps(ServingConfig.load().resources()))",
    )
    assert resources["gpu"] == 1 and resources["gpu_type"] == "t4"


@pytest.mark.parametrize("name", sorted(STAND_IN))
def test_a_reference_stack_builds_its_bento_with_stand_in_models(name: str, tmp_path: Path) -> None:
    stack_python()
    stack = build(STAND_IN[name], tmp_path / "stack")
    saved = run_json(stack, STAND_INS)
    assert saved, "the bentofile names no model"
    info, folder = _bento(stack)
    _assert_packed(stack, info, folder)
