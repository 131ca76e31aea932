"""A Hypothesis strategy for specs that are valid by construction, of shapes no one wrote.

A compiler is judged on inputs it has never seen. :data:`valid_specs` draws whole spec
documents (as the dictionaries a YAML file holds): one to three sources of every kind the
stack reads (files, object stores, SQL, streams, services), random schemas whose category
values and descriptions are hostile text, zero to two entities and feature views with every
aggregation, one to four tabular or anomaly models on every supported framework, optional
gates, and realtime, batch or no serving on any cloud. Names come from the whole snake_case
alphabet, Python keywords and the names of the stack's own modules included, because names
become Python modules, identifiers and registry entries in the generated stack.

Every draw passes validation (the unit tier checks that on many examples), so a test that
builds it tests the targets, not the validator.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from mlopsgen.spec.checks.models import SUPPORTED_FRAMEWORKS
from tests.unit.hostile_strings import hostile_text

__all__ = ["LABEL_TASKS", "valid_specs"]

Spec = dict[str, Any]
Draw = Callable[[st.SearchStrategy[Any]], Any]

#: Names that stress the generated code: keywords, builtins and the stack's own packages.
AWKWARD_NAMES = sorted(
    {
        *("class", "import", "lambda", "from", "match", "case", "type", "list", "dict"),
        *("id", "print", "object"),
        *("pipelines", "features", "steps", "training", "batch", "families", "run", "data"),
        *("zenml", "feast", "pandas", "numpy", "model", "plan", "test", "definitions"),
    }
)
NAMES = st.one_of(
    st.from_regex(r"[a-z][a-z0-9_]{0,11}", fullmatch=True), st.sampled_from(AWKWARD_NAMES)
)
#: Column names: case kept, a leading underscore allowed.
COLUMNS = st.one_of(
    st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,11}", fullmatch=True),
    st.sampled_from(["prediction", "score", "event_timestamp", "_oracle__x", "class", "index"]),
)
LABEL_TEXT = hostile_text.filter(lambda s: 1 <= len(s) <= 300 and s.strip() != "")
DESCRIPTION = hostile_text.filter(lambda s: 1 <= len(s) <= 2000 and s.strip() != "")

#: The tabular tasks by the type of their label column (anomaly detection takes none).
LABEL_TASKS = {
    "bool": "binary_classification",
    "category": "multiclass_classification",
    "float": "regression",
}
GATES = {
    "binary_classification": ("roc_auc", "min", 0.5),
    "multiclass_classification": ("accuracy", "min", 0.3),
    "regression": ("r2", "min", 0.1),
    "anomaly_detection": ("anomaly_rate", "max", 0.2),
}
WINDOWS = st.sampled_from(["30m", "1h", "6h", "24h", "7d", "30d"])
NUMERIC_AGGS = ("sum", "mean", "min", "max", "stddev")


def _uri(draw: Draw, kind: str, name: str) -> tuple[str, str | None]:
    """A URI of ``kind`` and its format, of every loader the stack has (and services)."""
    choices = {
        "table": [
            (f"data/{name}.parquet", "parquet"),
            (f"data/{name}.csv", "csv"),
            (f"sqlite:///data/{name}.db", None),
            (f"bigquery://warehouse.{name}", "parquet"),
            (f"s3://bucket-{len(name)}/{name}/", "parquet"),
        ],
        "stream": [(f"kafka://events.{name}", "json"), (f"data/snapshots/{name}", None)],
        "files": [(f"s3://files-{len(name)}/{name}/", "parquet"), (f"data/{name}/", "csv")],
    }
    uri: tuple[str, str | None] = draw(st.sampled_from(choices[kind]))
    return uri


def _column(draw: Draw, kind: str) -> dict[str, Any]:
    """A feature column of ``kind`` with random bounds, values and nullability."""
    column: dict[str, Any] = {"type": kind}
    if kind in ("integer", "float"):
        low = draw(st.integers(-1000, 1000))
        column.update(min=low, max=low + draw(st.integers(1, 10**6)))
    if kind == "category":
        column["values"] = draw(st.lists(LABEL_TEXT, min_size=2, max_size=5, unique=True))
    if draw(st.booleans()):
        column["nullable"] = True
    if draw(st.booleans()):
        column["description"] = draw(DESCRIPTION)
    return column


@st.composite
def _source(draw: Draw, name: str, keys: list[str], taken: set[str]) -> dict[str, Any]:
    """A source with an event time, the given entity keys, features and maybe a label."""
    kind = draw(st.sampled_from(["table", "stream", "files"]))
    uri, form = _uri(draw, kind, name)

    def fresh() -> str:
        column: str = draw(COLUMNS.filter(lambda c: c.lower() not in taken))
        taken.add(column.lower())
        return column

    time = fresh()
    schema: dict[str, Any] = {fresh(): {"type": "string", "role": "id"}}
    schema[time] = {"type": "timestamp", "role": "timestamp"}
    for key in keys:
        schema[key] = {"type": "string", "role": "entity"}
    kinds = ["float", "integer", "bool", "category", "string"]
    # A number first, so that every model (an anomaly detector too) has an input.
    for kind_ in ["float", *draw(st.lists(st.sampled_from(kinds), max_size=3))]:
        schema[fresh()] = _column(draw, kind_)
    source: dict[str, Any] = {"name": name, "kind": kind, "uri": uri}
    if form is not None:
        source["format"] = form
    source["event_time"] = time
    label_type = draw(st.sampled_from([None, *LABEL_TASKS]))
    if label_type is not None:
        label = fresh()
        schema[label] = _column(draw, label_type) | {"role": "label"}
        schema[label].pop("nullable", None)
        source["label"] = label
        source["label_delay_days"] = draw(st.sampled_from([0, 0.5, 1, 3]))
    source["schema"] = schema
    return source


def _features(source: dict[str, Any], draw: Draw) -> list[dict[str, Any]]:
    """One to three aggregations of a view over ``source``'s columns."""
    schema = source["schema"]
    numeric = [c for c, f in schema.items() if f["type"] in ("integer", "float", "bool")]
    anything = [c for c, f in schema.items() if f.get("role") != "timestamp"]
    names = draw(st.lists(NAMES, min_size=1, max_size=3, unique=True))
    features = []
    for name in names:
        agg = draw(st.sampled_from(["count", "count_distinct", "last", *NUMERIC_AGGS]))
        feature: dict[str, Any] = {"name": name, "agg": agg, "window": draw(WINDOWS)}
        if agg in NUMERIC_AGGS and not numeric:
            feature["agg"] = "count"
        elif agg in NUMERIC_AGGS:
            feature["column"] = draw(st.sampled_from(numeric))
        elif agg != "count":
            feature["column"] = draw(st.sampled_from(anything))
        features.append(feature)
    return features


def _model(
    draw: Draw, name: str, source: dict[str, Any], views: list[dict[str, Any]]
) -> dict[str, Any]:
    """A tabular or anomaly model on ``source``, on a framework the task supports."""
    schema = source["schema"]
    label = source.get("label")
    tasks = ["anomaly_detection"]
    if label is not None:
        tasks.append(LABEL_TASKS[schema[label]["type"]])
    task = draw(st.sampled_from(tasks))
    model: dict[str, Any] = {
        "name": name,
        "task": task,
        "framework": draw(st.sampled_from(SUPPORTED_FRAMEWORKS[task])),
    }
    if task != "anomaly_detection":
        model["target"] = label
    numeric = ("integer", "float", "bool")
    usable = [
        column
        for column, field in schema.items()
        if field.get("role", "feature") == "feature"
        and (task != "anomaly_detection" or field["type"] in numeric)
    ]
    mine = [v for v in views if v["source"] == source["name"]]
    refs = [f"{v['name']}.*" for v in mine]
    refs += [f"{v['name']}.{f['name']}" for v in mine for f in v["features"]]
    inputs = draw(st.lists(st.sampled_from(usable + refs), min_size=1, max_size=4, unique=True))
    model["inputs"] = inputs
    if draw(st.booleans()):
        metric, bound, value = GATES[task]
        model["gates"] = [{"metric": metric, bound: value}]
    if draw(st.booleans()):
        model["description"] = draw(DESCRIPTION)
    return model


@st.composite
def valid_specs(draw: Draw) -> Spec:
    """A whole spec document that validates without errors."""
    names = iter(draw(st.lists(NAMES, min_size=16, max_size=16, unique=True)))
    taken: set[str] = set()
    entity_count = draw(st.integers(0, 2))
    entities = [
        {
            "name": next(names),
            "key": draw(COLUMNS.filter(lambda c, t=taken: c.lower() not in t)),
            "cardinality": draw(st.integers(1, 10**6)),
        }
        for _ in range(entity_count)
    ]
    for entity in entities:
        taken.add(entity["key"].lower())
    keys = [e["key"] for e in entities]
    sources = [draw(_source(next(names), keys, taken)) for _ in range(draw(st.integers(1, 3)))]
    views = []
    for _ in range(draw(st.integers(0, 2)) if entities else 0):
        source = draw(st.sampled_from(sources))
        view: dict[str, Any] = {
            "name": next(names),
            "entity": draw(st.sampled_from(entities))["name"],
            "source": source["name"],
            "ttl": draw(WINDOWS),
            "features": _features(source, draw),
        }
        if source["kind"] == "stream" and draw(st.booleans()):
            view["compute"] = "stream"
        views.append(view)
    models = []
    for _ in range(draw(st.integers(1, 4))):
        source = draw(st.sampled_from(sources))
        models.append(_model(draw, next(names), source, views))
    return _document(draw, sources, entities, views, models)


def _document(
    draw: Draw,
    sources: list[dict[str, Any]],
    entities: list[dict[str, Any]],
    views: list[dict[str, Any]],
    models: list[dict[str, Any]],
) -> Spec:
    system = draw(st.from_regex(r"[a-z][a-z0-9-]{0,20}[a-z0-9]", fullmatch=True))
    spec: Spec = {
        "spec_version": 1,
        "system": {"name": system, "description": draw(DESCRIPTION), "owner": draw(LABEL_TEXT)},
        "slo": {"availability": 95, "throughput": {"peak_rps": draw(st.integers(1, 50))}},
        "data": {"sources": sources, "validation": {"min_rows": draw(st.integers(1, 500))}},
    }
    if entities or views:
        spec["features"] = {"online_store": "sqlite", "entities": entities, "views": views}
    spec["models"] = models
    mode = draw(st.sampled_from([None, "realtime", "batch", "both"]))
    served = draw(st.lists(st.sampled_from([m["name"] for m in models]), min_size=1))
    serving: dict[str, Any] = {"models": sorted(set(served))}
    if mode is not None:
        serving["mode"] = mode
    if mode in ("batch", "both"):
        serving["batch"] = {
            "schedule": draw(st.sampled_from(["daily", "hourly", "0 3 * * *"])),
            "output_uri": draw(st.sampled_from(["data/scores", "s3://scores/out/"])),
        }
    spec["serving"] = serving
    if mode != "batch":
        spec["slo"]["latency_p95_ms"] = draw(st.integers(50, 2000))
    cloud = draw(st.sampled_from(["local", "aws", "gcp"]))
    regions = {"aws": "eu-west-1", "gcp": "europe-west1"}
    spec["infrastructure"] = {"cloud": cloud} | (
        {"region": regions[cloud]} if cloud in regions else {}
    )
    return spec
