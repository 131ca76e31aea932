"""The stack's model families train for real and meet each reference system's own figures.

The families (``templates/zenml/pipelines/families``) are copied into a scratch stack as
``pipelines/families`` beside the reference stacks' ``plan.json`` files, and run in the stack's
interpreter: the test process never imports torch, lightgbm, statsforecast or langdetect.
Each figure is the one the system's design promises: retrieval beats item popularity; the
vision model's int8 weights are at least 3x smaller at the planned sparsity and its accuracy
drop is above 0, so a zero tolerance fails the compression check; language identification
routes messages in more than ten languages, plus text no shard holds, to the right model; a
per-language gate can fail while the aggregate passes; the forecaster beats seasonal-naive and
trains the planned shard count. Every family's ``evaluate`` reports every metric the spec
language lets a gate name for its tasks, and a gate whose metric is missing fails with a reason.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from mlopsgen.spec.checks.metrics import MODEL_METRICS
from mlopsgen.targets.zenml.views import FAMILY_OF_TASK
from tests.conftest import REPO
from tests.functional.stack_env import run_json, stack_python

FAMILIES = REPO / "templates" / "zenml" / "pipelines" / "families"
#: The stack modules the tabular and anomaly families and the gates read beside the families.
STACK_MODULES = ("stack_plan.py", "synthetic.py", "gates.py")
SYSTEMS = ("recommendation", "computer-vision", "nlp", "time-series-forecasting")
FORBIDDEN_IMPORTS = ("zenml", "feast", "bentoml", "torchvision")
#: mypy's cache of the stack's libraries (torch alone takes a minute to analyse), kept between runs.
MYPY_CACHE = str(REPO / ".mypy_cache" / "stack-families")
#: Strict everywhere; only the two libraries that ship no types are taken as untyped.
MYPY_CONFIG = """\
[mypy]
strict = True

[mypy-langdetect.*,sklearn.*]
ignore_missing_imports = True
"""

PRELUDE = """
import json, pickle
import numpy as np
import pandas as pd
from pipelines.families.common import gate_results, spec_from_mapping

def plan_model(system, name, **changes):
    plan = json.load(open(f"plans/{system}.json"))
    entry = dict(next(m for m in plan["models"] if m["name"] == name), **changes)
    return entry, spec_from_mapping(entry)

def emit(value):
    print(json.dumps(value, default=float))
"""


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A scratch stack root: ``pipelines/families`` and the reference plans under ``plans/``."""
    root = tmp_path_factory.mktemp("families-stack")
    shutil.copytree(FAMILIES, root / "pipelines" / "families")
    for module in STACK_MODULES:
        shutil.copy(FAMILIES.parent / module, root / "pipelines" / module)
    for package in (root / "pipelines", root / "pipelines" / "families"):
        if not (package / "__init__.py").exists():  # the ZenML target renders the real ones
            (package / "__init__.py").write_text('"""Scratch package."""\n', encoding="utf-8")
    (root / "plans").mkdir()
    for system in SYSTEMS:
        shutil.copy(REPO / "generated" / system / "plan.json", root / "plans" / f"{system}.json")
    return root


def run(stack: Path, code: str) -> Any:
    """Run ``code`` after the prelude in the stack's interpreter; its last line is JSON."""
    return run_json(stack, PRELUDE + code)


def test_retrieval_beats_the_popularity_baseline_and_the_ranker_meets_its_gate(
    stack: Path,
) -> None:
    result = run(
        stack,
        """
from pipelines.families import ranking, retrieval
entry, model = plan_model("recommendation", "two_tower")
rng = np.random.default_rng(7)
frame = retrieval.interactions(500, 1200, 24000, rng)
cut = frame["ts"].quantile(0.8)
fitted = pickle.loads(pickle.dumps(retrieval.fit(model, frame[frame.ts <= cut], seed=7)))
metrics = retrieval.evaluate(model, fitted, frame[frame.ts > cut])
scored = retrieval.predict(model, fitted, frame.tail(5))
_, ranker_model = plan_model("recommendation", "ranker")
impressions = ranking.impressions(300, 9000, rng)
ranker = ranking.fit(ranker_model, impressions.iloc[:7000], seed=7)
ranked = ranking.evaluate(ranker_model, ranker, impressions.iloc[7000:])
emit({"metrics": metrics, "gates": gate_results(model, metrics),
      "columns": sorted(scored.columns), "ranker": ranked,
      "ranker_gates": gate_results(ranker_model, ranked)})
""",
    )
    metrics = result["metrics"]
    assert metrics["recall_at_100"] > metrics["popularity_recall_at_100"] + 0.2, metrics
    assert all(gate["passed"] for gate in result["gates"]), result["gates"]
    assert result["columns"] == ["prediction", "score"]
    assert all(gate["passed"] for gate in result["ranker_gates"]), result["ranker"]
    assert result["ranker"]["roc_auc"] > 0.65


def test_vision_int8_is_three_times_smaller_at_the_planned_sparsity_and_a_zero_bound_fails(
    stack: Path,
) -> None:
    result = run(
        stack,
        """
from pipelines.families import vision
entry, model = plan_model("computer-vision", "image_classifier")
_, strict = plan_model("computer-vision", "image_classifier", max_accuracy_drop=0.0)
rng = np.random.default_rng(3)
classes = ["apparel", "electronics", "home", "toys", "prohibited"]
labels = list(rng.choice(classes, size=1000))
pixels = vision.images(labels, 32, 32, 3, rng)
frame = pd.DataFrame({"image": list(pixels), "label": labels})
fitted = pickle.loads(pickle.dumps(vision.fit(model, frame.iloc[:750], seed=3)))
served = pickle.loads(pickle.dumps(vision.compress(model, fitted, frame.iloc[:750], seed=3)))
metrics = vision.compression_metrics(model, fitted, served, frame.iloc[750:])
strict_served = vision.compress(strict, fitted, frame.iloc[:750], seed=3)
strict_drop = vision.compression_metrics(strict, fitted, strict_served, frame.iloc[750:])
metrics["measured_sparsity"] = vision.weight_sparsity(served)
metrics["bytes_ratio"] = vision.size_on_disk(fitted) / vision.size_on_disk(served)
big = vision.images(classes, 224, 224, 3, rng)
emit({"metrics": metrics, "gates": gate_results(model, metrics),
      "strict_drop": strict_drop["accuracy_drop"], "strict_bound": strict.max_accuracy_drop,
      "planned_sparsity": entry["pruning_sparsity"], "image": [str(big.dtype), *big.shape],
      "predicted": sorted(set(vision.predict(model, served, frame.iloc[750:])["prediction"]))})
""",
    )
    metrics = result["metrics"]
    assert metrics["size_ratio"] >= 3.0 and metrics["bytes_ratio"] >= 3.0, metrics
    assert metrics["sparsity"] == pytest.approx(result["planned_sparsity"], abs=0.01)
    assert metrics["measured_sparsity"] >= result["planned_sparsity"]
    assert 0 < metrics["accuracy_drop"] <= 0.01, metrics
    assert all(gate["passed"] for gate in result["gates"]), result["gates"]
    assert result["strict_bound"] == 0.0 and result["strict_drop"] > 0.0
    assert result["image"] == ["uint8", 5, 224, 224, 3]
    assert len(result["predicted"]) == 5


NLP_DATA = """
from pipelines.families import language, text
from pipelines.families.lexicon import LANGUAGES
rng = np.random.default_rng(11)
rows = [
    {"text": t, "language": code, "sentiment": mood, "entities": text.entities(t)}
    for code in LANGUAGES for mood in text.SENTIMENTS for t in text.sentences(code, mood, 24, rng)
]
frame = pd.DataFrame(rows).sample(frac=1.0, random_state=11).reset_index(drop=True)
train, holdout = frame.iloc[: len(frame) * 3 // 4], frame.iloc[len(frame) * 3 // 4 :]
"""

#: Text no planned shard holds: Welsh (a language outside the plan) and text with no language.
UNPLANNED = [
    "Mae'r tywydd yn braf heddiw ac rydw i'n mynd i'r dref gyda fy ffrindiau i brynu bara",
    "Roedd y gwasanaeth yn ardderchog ac fe hoffwn i ddiolch i bawb am eu help mawr",
    "12345 67890 2024 555 0001",
    "!!! ??? ... ###",
]


def test_language_identification_routes_messages_to_their_shard_or_the_fallback(
    stack: Path,
) -> None:
    result = run(
        stack,
        NLP_DATA
        + f"""
from pipelines.families.common import shard_values
_, sentiment = plan_model("nlp", "sentiment")
groups = shard_values(sentiment.partition, list(LANGUAGES))
owner = {{v: i for i, values in enumerate(groups) for v in values}}
routes = language.route(holdout["text"], groups, seed=0)
expected = [owner[code] for code in holdout["language"]]
per_language = {{}}
for code, got, want in zip(holdout["language"], routes, expected):
    per_language.setdefault(code, []).append(got == want)
unplanned = language.route({UNPLANNED!r}, groups, seed=0)
_, lid_model = plan_model("nlp", "language_id")
lid = language.fit(lid_model, train, seed=0)
emit({{"rate": float(np.mean(np.array(routes) == np.array(expected))),
      "per_language": {{k: float(np.mean(v)) for k, v in per_language.items()}},
      "unplanned": unplanned, "fallback": language.FALLBACK,
      "lid": language.evaluate(lid_model, lid, holdout)}})
""",
    )
    assert result["rate"] >= 0.95, result["per_language"]
    good = [code for code, rate in result["per_language"].items() if rate >= 0.9]
    assert len(good) >= 10, result["per_language"]
    assert result["unplanned"] == [result["fallback"]] * len(UNPLANNED)
    assert result["lid"]["accuracy"] >= 0.95
    assert result["lid"]["accuracy[language=ja]"] >= 0.9


def test_a_language_below_its_gate_fails_while_the_aggregate_passes(stack: Path) -> None:
    result = run(
        stack,
        NLP_DATA
        + """
_, model = plan_model("nlp", "sentiment")
good = text.fit(model, train, seed=0)
spoilt = train.copy()
french = spoilt["language"] == "fr"
spoilt.loc[french, "sentiment"] = rng.permutation(spoilt.loc[french, "sentiment"].to_numpy())
bad = pickle.loads(pickle.dumps(text.fit(model, spoilt, seed=0)))
good_metrics = text.evaluate(model, good, holdout)
bad_metrics = text.evaluate(model, bad, holdout)
_, ner = plan_model("nlp", "entities")
ner_metrics = text.evaluate(ner, text.fit(ner, train, seed=0), holdout)
unrouted = holdout.assign(language=None)
routed = text.predict(model, good, unrouted)["prediction"] == holdout["sentiment"]
emit({"good": gate_results(model, good_metrics), "bad": gate_results(model, bad_metrics),
      "bad_accuracy": bad_metrics["accuracy"], "shards": good_metrics["shards_trained"],
      "expected_shards": len({i // model.partition.partitions_per_shard
                              for i, v in enumerate(model.partition.values) if v in LANGUAGES}),
      "ner": ner_metrics, "ner_gates": gate_results(ner, ner_metrics),
      "detected_accuracy": float(routed.mean())})
""",
    )
    assert all(gate["passed"] for gate in result["good"]), result["good"]
    failed = [gate["metric"] for gate in result["bad"] if not gate["passed"]]
    assert failed == ["accuracy[language=fr]"], result["bad"]
    assert result["bad_accuracy"] >= 0.85  # the aggregate alone would have promoted it
    assert result["shards"] == result["expected_shards"]
    assert all(gate["passed"] for gate in result["ner_gates"]), result["ner"]
    assert result["detected_accuracy"] >= 0.95  # rows without a language are routed by detection


def test_forecasting_beats_seasonal_naive_and_trains_the_planned_shards(stack: Path) -> None:
    result = run(
        stack,
        """
from pipelines.families import forecasting
entry, model = plan_model("time-series-forecasting", "demand_forecast")
rng = np.random.default_rng(5)
columns = forecasting.layout(model)
frame = forecasting.series([f"s{i:03d}" for i in range(120)], 140, rng, columns=columns)
cut = frame[columns.time].max() - pd.Timedelta(days=entry["horizon_days"])
fitted = forecasting.fit(model, frame[frame[columns.time] <= cut], seed=5)
fitted = pickle.loads(pickle.dumps(fitted))
metrics = forecasting.evaluate(model, fitted, frame[frame[columns.time] > cut])
emit({"metrics": metrics, "gates": gate_results(model, metrics),
      "partition": entry["partition"]})
""",
    )
    metrics, partition = result["metrics"], result["partition"]
    assert metrics["shards_trained"] == partition["shards"]
    assert metrics["waves"] == partition["waves"]
    assert metrics["mape"] < metrics["seasonal_naive_mape"], metrics
    assert metrics["smape"] < metrics["seasonal_naive_smape"]
    assert metrics["mase"] < 1.0 < metrics["seasonal_naive_mase"] + 0.5
    assert all(gate["passed"] for gate in result["gates"]), result["gates"]


def test_the_flat_isolation_forest_scores_exactly_as_scikit_learn(stack: Path) -> None:
    result = run(
        stack,
        """
from sklearn.ensemble import IsolationForest
from pipelines.families.anomaly import FlatForest
rng = np.random.default_rng(11)
same = []
for features, max_features, max_samples in [(4, 1.0, "auto"), (7, 0.6, 100), (3, 1.0, 3000)]:
    data = rng.normal(size=(3500, features))
    data[:40] *= 6
    forest = IsolationForest(
        n_estimators=60, random_state=3, max_features=max_features, max_samples=max_samples
    ).fit(data[:3000])
    flat = pickle.loads(pickle.dumps(FlatForest.of(forest)))
    rows = np.vstack([data[3000:], rng.normal(size=(10, features)) * 10, data[:1]])
    same.append(bool(np.array_equal(-forest.score_samples(rows), flat.scores(rows))))
emit(same)
""",
    )
    assert result == [True, True, True]


def test_a_seed_fixes_every_figure(stack: Path) -> None:
    code = """
from pipelines.families import retrieval, vision
_, two_tower = plan_model("recommendation", "two_tower")
frame = retrieval.interactions(200, 400, 5000, np.random.default_rng(1))
first = retrieval.evaluate(two_tower, retrieval.fit(two_tower, frame.iloc[:4000], 1),
                           frame.iloc[4000:])
_, cnn = plan_model("computer-vision", "image_classifier", params={"epochs": 2})
labels = ["a", "b", "c"] * 60
images = pd.DataFrame({"image": list(vision.images(labels, 16, 16, 3,
                                                   np.random.default_rng(1))), "label": labels})
second = vision.evaluate(cnn, vision.fit(cnn, images, 1), images)
emit([first, second])
"""
    assert run(stack, code) == run(stack, code)


def test_families_accept_a_model_without_the_optional_plan_fields(stack: Path) -> None:
    """A model object with only the core fields trains: one shard, no compression, defaults."""
    result = run(
        stack,
        """
from types import SimpleNamespace
from pipelines.families import forecasting, text, vision
from pipelines.families.common import spec_from_mapping
def core(system, name, **params):
    entry, _ = plan_model(system, name)
    keep = ("name", "task", "framework", "target", "inputs", "gates")
    spec = spec_from_mapping({key: entry[key] for key in keep})
    spec.params = params
    return spec
rng = np.random.default_rng(2)
demand = core("time-series-forecasting", "demand_forecast")
sales = forecasting.series(["a"], 60, rng, columns=forecasting.layout(demand))  # no partition
cut = sales["ds"].max() - pd.Timedelta(days=14)
fitted = forecasting.fit(demand, sales[sales.ds <= cut], 2)
shards = forecasting.evaluate(demand, fitted, sales[sales.ds > cut])["shards_trained"]
sentiment = core("nlp", "sentiment")
messages = pd.DataFrame({"text": text.sentences("de", None, 60, rng), "language": "de"})
messages["sentiment"] = ["positive" if "zufrieden" in t or "wunderbar" in t or "großartig" in t
                         else "other" for t in messages["text"]]
text_model = text.fit(sentiment, messages, 2)
cnn = core("computer-vision", "image_classifier", epochs=1)
labels = ["a", "b"] * 20
images = pd.DataFrame({"image": list(vision.images(labels, 16, 16, 3, rng)), "label": labels})
served = vision.compress(cnn, vision.fit(cnn, images, 2), images, 2)
vision_metrics = {"sparsity": vision.weight_sparsity(served)}
emit({"shards": shards, "text_shards": len(text_model.shards),
      "text_accuracy": text.evaluate(sentiment, text_model, messages)["accuracy"],
      "sparsity": vision_metrics["sparsity"]})
""",
    )
    assert result["shards"] == 1
    assert result["text_shards"] == 0  # no partition: the one model answers every language
    assert result["text_accuracy"] >= 0.9
    assert result["sparsity"] < 0.05


#: The cut-offs the gates below name: not the families' defaults, so a test passes only when
#: evaluation reads them from the gates (``_at_k`` -> ``_at_7``, ``top_k`` -> ``top_2``).
AT_K, TOP_K = 7, 2
#: A cut-off only a quality monitor names (on the ranker): evaluation must report it as well.
MONITORED = "ndcg_at_3"


def written(metric: str) -> str:
    """A table entry as a gate writes it, with this test's cut-offs."""
    return metric.replace("_at_k", f"_at_{AT_K}").replace("top_k", f"top_{TOP_K}")


EVERY_METRIC = """
from types import SimpleNamespace
from pipelines.families import (anomaly, forecasting, language, ranking, retrieval, tabular,
                                text, vision)
from pipelines.families.common import spec_from_mapping
from pipelines.synthetic import PLANTED_ANOMALY
WANTED = json.loads(WANTED_JSON)
def gates(task):
    return [{"metric": m, "min": None, "max": None, "by": None, "at_recall": None}
            for m in WANTED[task]]
def column(name, kind="float"):
    return {"name": name, "kind": "column", "type": kind, "column": name, "view": None,
            "feature": None}
def core(task, target, columns):
    spec = spec_from_mapping({"name": task, "task": task, "framework": "sklearn",
                              "target": target, "inputs": [column(c) for c in columns],
                              "gates": gates(task)})
    spec.columns = tuple(columns)
    return spec
rng = np.random.default_rng(4)
out = {}
n = 400
table = pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.normal(size=n)})
table["y"] = table.x1 * 2 + rng.normal(0, 0.3, n)
table["flag"] = table.y > 0
table["band"] = pd.cut(table.y, 3, labels=["low", "mid", "high"]).astype(str)
table[PLANTED_ANOMALY] = rng.random(n) < 0.05
table.loc[table[PLANTED_ANOMALY], "x2"] += 6
for task, target in (("regression", "y"), ("binary_classification", "flag"),
                     ("multiclass_classification", "band")):
    model = core(task, target, ["x1", "x2"])
    fitted = tabular.fit(model, table.iloc[:300], seed=4)
    out[task] = tabular.evaluate(model, fitted, table.iloc[300:])
model = core("anomaly_detection", None, ["x1", "x2"])
out["anomaly_detection"] = anomaly.evaluate(model, anomaly.fit(model, table.iloc[:300], 4),
                                            table.iloc[300:])
_, model = plan_model("recommendation", "ranker", gates=gates("ranking"))
model.monitored = (MONITORED,)
shown = ranking.impressions(100, 3000, rng)
out["ranking"] = ranking.evaluate(model, ranking.fit(model, shown.iloc[:2400], 4),
                                  shown.iloc[2400:])
_, model = plan_model("recommendation", "two_tower", gates=gates("retrieval"), params={"epochs": 2})
clicks = retrieval.interactions(200, 400, 5000, rng)
out["retrieval"] = retrieval.evaluate(model, retrieval.fit(model, clicks.iloc[:4000], 4),
                                      clicks.iloc[4000:])
_, model = plan_model("computer-vision", "image_classifier", gates=gates("image_classification"),
                      params={"epochs": 1})
labels = ["a", "b", "c"] * 30
pictures = pd.DataFrame({"image": list(vision.images(labels, 16, 16, 3, rng)), "label": labels})
out["image_classification"] = vision.evaluate(model, vision.fit(model, pictures, 4), pictures)
rows = [{"text": t, "language": code, "sentiment": mood, "entities": text.entities(t)}
        for code in ("en", "de", "fr") for mood in text.SENTIMENTS
        for t in text.sentences(code, mood, 12, rng)]
messages = pd.DataFrame(rows).sample(frac=1.0, random_state=4).reset_index(drop=True)
for task, name, family in (("sentiment_analysis", "sentiment", text),
                           ("entity_recognition", "entities", text),
                           ("language_identification", "language_id", language)):
    _, model = plan_model("nlp", name, gates=gates(task))
    fitted = family.fit(model, messages.iloc[:80], seed=4)
    out[task] = family.evaluate(model, fitted, messages.iloc[80:])
_, model = plan_model("time-series-forecasting", "demand_forecast", gates=gates("forecasting"))
columns = forecasting.layout(model)
sales = forecasting.series(["a", "b", "c"], 70, rng, columns=columns)
cut = sales[columns.time].max() - pd.Timedelta(days=14)
fitted = forecasting.fit(model, sales[sales[columns.time] <= cut], seed=4)
out["forecasting"] = forecasting.evaluate(model, fitted, sales[sales[columns.time] > cut])
emit(out)
"""


@pytest.fixture(scope="module")
def every_metric(stack: Path) -> dict[str, dict[str, float]]:
    """Each task's hold-out metrics from a model whose gates name every metric of its task."""
    wanted = {task: [written(m) for m in MODEL_METRICS[task]] for task in FAMILY_OF_TASK}
    code = f"WANTED_JSON = {json.dumps(wanted)!r}\nMONITORED = {MONITORED!r}\n" + EVERY_METRIC
    result: dict[str, dict[str, float]] = run(stack, code)
    return result


@pytest.mark.parametrize("task", sorted(FAMILY_OF_TASK))
def test_evaluate_reports_every_metric_a_gate_may_name_as_a_number(
    every_metric: dict[str, dict[str, float]], task: str
) -> None:
    metrics = every_metric[task]
    missing = [written(m) for m in MODEL_METRICS[task] if written(m) not in metrics]
    assert not missing, f"{task}: evaluate lacks {missing}; it reports {sorted(metrics)}"
    for metric in map(written, MODEL_METRICS[task]):
        assert math.isfinite(metrics[metric]), f"{task}: {metric} = {metrics[metric]}"


def test_a_cut_off_only_a_monitor_names_is_reported(
    every_metric: dict[str, dict[str, float]],
) -> None:
    assert math.isfinite(every_metric["ranking"][MONITORED])


def test_a_gate_on_a_metric_the_evaluation_lacks_fails_and_says_why(stack: Path) -> None:
    rows = run(
        stack,
        """
from pipelines.gates import check_gates
from pipelines.stack_plan import GateSpec
gates = [GateSpec("top_3_accuracy", 0.9, None, None, None),
         GateSpec("accuracy", 0.5, None, None, "language"),
         GateSpec("accuracy", 0.5, None, None, None)]
emit(check_gates(gates, {"accuracy": 0.8, "macro_f1": 0.7}))
""",
    )
    top3, by_language, accuracy = rows
    assert not top3["passed"] and top3["value"] is None
    assert top3["reason"] == (
        "the evaluation produced no top_3_accuracy (it produced: accuracy, macro_f1)"
    )
    assert not by_language["passed"]
    assert "no accuracy for any value of language" in by_language["reason"]
    assert accuracy["passed"] and accuracy["reason"] is None


def _tool(name: str) -> str:
    tool = stack_python().parent / name
    if not tool.exists():
        pytest.skip(f"the stack environment has no {name}")
    return str(tool)


def _standalone(folder: Path) -> list[str]:
    """The family modules that import nothing of the pipelines package outside ``families``.

    The others (``tabular``, ``anomaly``) read the stack's plan types: they are type-checked
    with the whole generated package in ``test_zenml_lint.py``.
    """
    outside = re.compile(r"^from pipelines\.(?!families)", re.MULTILINE)
    return [
        str(path)
        for path in sorted(folder.glob("*.py"))
        if not outside.search(path.read_text(encoding="utf-8"))
    ]


def test_families_are_lint_clean_formatted_and_type_check_strictly(stack: Path) -> None:
    folder = str(stack / "pipelines" / "families")
    config = stack / "mypy.ini"
    config.write_text(MYPY_CONFIG, encoding="utf-8")
    ruff_rules = ["--isolated", "--line-length", "100", "--target-version", "py311"]
    standalone = _standalone(Path(folder))
    assert len(standalone) >= 8, standalone
    # RUF001: letters of other alphabets are the point of the lexicon
    commands = [
        [
            _tool("ruff"),
            "check",
            *ruff_rules,
            "--select",
            "E,F,W,I,B,UP,SIM,RUF",
            "--ignore",
            "RUF001",
            folder,
        ],
        [_tool("ruff"), "format", "--check", *ruff_rules, folder],
        [_tool("mypy"), "--config-file", str(config), "--cache-dir", MYPY_CACHE, *standalone],
    ]
    for command in commands:
        done = subprocess.run(command, cwd=stack, capture_output=True, text=True, check=False)
        assert done.returncode == 0, f"{' '.join(command[:2])}:\n{done.stdout}{done.stderr}"


def test_families_stay_plain_python_and_small() -> None:
    for module in sorted(FAMILIES.glob("*.py")):
        source = module.read_text(encoding="utf-8")
        for name in FORBIDDEN_IMPORTS:
            assert f"import {name}" not in source and f"from {name}" not in source, module.name
        assert len(source.splitlines()) < 400, f"{module.name} is over 400 lines"


def test_the_plans_name_the_fields_the_families_read() -> None:
    read = {"target", "gates", "partition", "params", "augmentation", "pruning_sparsity",
            "quantization", "max_accuracy_drop", "embedding_dim", "horizon_days",
            "seasonality_days", "inputs", "name", "task", "framework"}  # fmt: skip
    for system in SYSTEMS:
        plan = json.loads((REPO / "generated" / system / "plan.json").read_text("utf-8"))
        for model in plan["models"]:
            assert read <= set(model), f"{system}/{model['name']} lacks {read - set(model)}"
