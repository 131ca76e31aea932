"""The Feast target: which files a plan gets, what they say, and that no name breaks them."""

from __future__ import annotations

import ast
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings

from mlopsgen.plan import build_plan
from mlopsgen.plan.ir.data import EntityPlan, InputPlan
from mlopsgen.plan.ir.root import Plan
from mlopsgen.render.errors import RenderError
from mlopsgen.spec.loader import load_spec_text
from mlopsgen.targets.feast.target import (
    CLOUD_YAML,
    DEFINITIONS,
    FEAST_REQUIREMENTS,
    LOCAL_YAML,
    MODULE,
    TABLE_REQUIREMENTS,
    FeastTarget,
)
from mlopsgen.targets.feast.views import ident
from mlopsgen.targets.registry import TARGETS, render_stack
from tests.conftest import REPO
from tests.unit.hostile_strings import hostile_text
from tests.unit.plan_support import FRAUD, REFERENCE, plan

TARGET = FeastTarget()
MINIMAL = REPO / "tests/data/minimal.yaml"
AD_CLICKS = REPO / "tests/data/ad-click-through.yaml"


def _plan_of(path: Path, edit: Any = None) -> Plan:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if edit is not None:
        edit(data)
    text = yaml.safe_dump(data, sort_keys=False)
    return build_plan(load_spec_text(text, path.name)).plan


def _without_views(data: dict[str, Any]) -> None:
    data["features"]["views"] = []
    data["models"][0]["inputs"] = ["amount", "country"]


def _assignments(source: str) -> dict[str, ast.Call]:
    """Module-level ``name = Call(...)`` statements of generated Python."""
    found: dict[str, ast.Call] = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            target = node.targets[0]
            assert isinstance(target, ast.Name)
            found[target.id] = node.value
    return found


def _keyword(call: ast.Call, name: str) -> Any:
    value = next(k.value for k in call.keywords if k.arg == name)
    return ast.literal_eval(value) if not isinstance(value, ast.Name | ast.List) else value


def test_a_cloud_plan_gets_the_repository_the_cloud_config_and_the_module() -> None:
    rendered = TARGET.render(plan(FRAUD))
    assert sorted(rendered.files) == sorted([MODULE, LOCAL_YAML, CLOUD_YAML, DEFINITIONS])
    assert set(rendered.purposes) == set(rendered.files)
    assert all(purpose.strip() for purpose in rendered.purposes.values())
    assert rendered.requirements == FEAST_REQUIREMENTS
    assert list(rendered.sections) == ["Feature store"]
    python_in_repo = [p for p in rendered.files if p.startswith("features/") and p.endswith(".py")]
    assert python_in_repo == [DEFINITIONS]


def test_the_local_config_keeps_feast_state_under_data() -> None:
    config = yaml.safe_load(TARGET.render(plan(FRAUD)).files[LOCAL_YAML])
    assert config == {
        "project": "fraud_detection",
        "provider": "local",
        "registry": "../data/feast/registry.db",
        "online_store": {"type": "sqlite", "path": "../data/feast/online_store.db"},
        "offline_store": {"type": "file"},
        "entity_key_serialization_version": 3,
    }


def test_a_dynamodb_plan_reads_its_region_from_the_environment() -> None:
    def dynamodb(data: dict[str, Any]) -> None:
        data["features"]["online_store"] = "dynamodb"

    plan_ = _plan_of(REPO / "specs/fraud-detection.yaml", dynamodb)
    config = yaml.safe_load(TARGET.render(plan_).files[CLOUD_YAML])
    assert config["online_store"] == {"type": "dynamodb", "region": "${FEAST_REGION}"}
    assert 'pip install "feast[aws]==0.67.0"' in TARGET.render(plan_).sections["Feature store"]


def test_a_local_plan_gets_no_cloud_config() -> None:
    rendered = TARGET.render(_plan_of(MINIMAL))
    assert LOCAL_YAML in rendered.files and CLOUD_YAML not in rendered.files
    assert "In the cloud" not in rendered.sections["Feature store"]


@pytest.mark.parametrize(
    ("path", "store"),
    [
        (REPO / "specs/fraud-detection.yaml", {"type": "redis", "redis_type": "redis_cluster"}),
        (AD_CLICKS, {"type": "bigtable", "instance": "${FEAST_ONLINE_STORE_ENDPOINT}"}),
    ],
)
def test_the_cloud_config_names_the_planned_store_and_reads_its_address_from_the_environment(
    path: Path, store: dict[str, str]
) -> None:
    plan_ = _plan_of(path)
    config = yaml.safe_load(TARGET.render(plan_).files[CLOUD_YAML])
    assert store.items() <= config["online_store"].items()
    assert config["online_store"]["type"] == plan_.features.online_store.kind
    assert config["provider"] == {"aws": "aws", "gcp": "gcp"}[plan_.infrastructure.cloud]
    assert "${FEAST_ARTIFACT_BUCKET}" in config["registry"]
    values = [v for v in config["online_store"].values() if isinstance(v, str)]
    assert all("${" in v for v in values if v not in ("redis", "bigtable", "redis_cluster"))


def test_a_plan_without_views_gets_no_feature_repository() -> None:
    plan_ = _plan_of(MINIMAL, _without_views)
    assert not plan_.features.views
    rendered = TARGET.render(plan_)
    assert list(rendered.files) == [MODULE]
    assert rendered.requirements == TABLE_REQUIREMENTS and not rendered.sections
    stack = render_stack(plan_, TARGETS)
    assert not [path for path in stack if path.startswith("features/")]


@pytest.mark.parametrize("stem", REFERENCE)
def test_definitions_hold_an_entity_a_source_and_a_view_per_plan_item(stem: str) -> None:
    plan_ = plan(stem)
    calls = _assignments(TARGET.render(plan_).files[DEFINITIONS])
    kinds = {name: call.func.id for name, call in calls.items() if isinstance(call.func, ast.Name)}
    assert sorted(n for n, k in kinds.items() if k == "Entity") == sorted(
        f"{e.name}_entity" for e in plan_.features.entities
    )
    for view in plan_.features.views:
        source = calls[f"{view.name}_source"]
        assert _keyword(source, "path") == f"../data/features/{view.name}.parquet"
        assert _keyword(source, "timestamp_field") == "event_timestamp"
        feature_view = calls[f"{view.name}_view"]
        assert _keyword(feature_view, "name") == view.name
        stream = f"{view.name}_push" in calls
        assert stream == (view.compute == "stream")
        assert feature_view_source(feature_view) == (
            f"{view.name}_push" if stream else f"{view.name}_source"
        )
    services = {n: c for n, c in calls.items() if kinds.get(n) == "FeatureService"}
    with_features = [m for m in plan_.models if any(i.kind == "feature" for i in m.inputs)]
    assert sorted(services) == sorted(f"{m.name}_service" for m in with_features)


def feature_view_source(call: ast.Call) -> str:
    value = next(k.value for k in call.keywords if k.arg == "source")
    assert isinstance(value, ast.Name)
    return value.id


def test_a_feature_service_holds_exactly_its_models_view_features() -> None:
    plan_ = plan(FRAUD)
    calls = _assignments(TARGET.render(plan_).files[DEFINITIONS])
    for model in plan_.models:
        service = calls[f"{model.name}_service"]
        features = next(k.value for k in service.keywords if k.arg == "features")
        assert isinstance(features, ast.List)
        held = set()
        for item in features.elts:
            assert isinstance(item, ast.Subscript) and isinstance(item.value, ast.Name)
            view = item.value.id.removesuffix("_view")
            held |= {(view, name) for name in ast.literal_eval(item.slice)}
        wanted = {(i.view, i.feature) for i in model.inputs if i.kind == "feature"}
        assert held == wanted


def test_rendering_is_deterministic() -> None:
    assert TARGET.render(plan(FRAUD)) == TARGET.render(plan(FRAUD))


def _hostile_plan(base: Plan, description: str) -> Plan:
    """The fraud plan with Python keywords as names and a hostile entity description."""
    entity = EntityPlan(
        name="class", key="def", key_type="string", cardinality=10, description=description
    )
    first = base.features.views[0]
    names = ("lambda", "none", "timedelta")
    features = tuple(replace(f, name=n) for f, n in zip(first.features, names, strict=False))
    view = replace(first, name="import", entity="class", features=features)
    inputs = tuple(
        InputPlan(
            name=f"import.{f.name}", kind="feature", type=f.dtype, view="import", feature=f.name
        )
        for f in features
    )
    model = replace(base.models[0], name="return", inputs=inputs)
    store = replace(base.features, entities=(entity,), views=(view,))
    return replace(base, features=store, models=(model,))


@settings(deadline=None, max_examples=40)
@given(description=hostile_text)
def test_hostile_names_and_text_stay_literals(description: str) -> None:
    plan_ = _hostile_plan(plan(FRAUD), description)
    source = TARGET.render(plan_).files[DEFINITIONS]
    calls = _assignments(source)
    assert _keyword(calls["class_entity"], "description") == description
    assert _keyword(calls["class_entity"], "join_keys") is not None
    assert _keyword(calls["import_view"], "name") == "import"
    assert _keyword(calls["return_service"], "name") == "return"
    compile(source, DEFINITIONS, "exec")


def test_ident_refuses_what_is_not_a_python_name() -> None:
    assert ident("user_entity") == "user_entity"
    for bad in ("class", "a-b", "1a", "a b", "", None, "x\n"):
        with pytest.raises(ValueError, match="not a Python identifier"):
            ident(bad)


def test_a_name_that_is_not_an_identifier_is_a_render_error() -> None:
    base = plan(FRAUD)
    view = replace(base.features.views[0], name="bad-name")
    broken = replace(base, features=replace(base.features, views=(view,)))
    with pytest.raises(RenderError, match="not a Python identifier"):
        TARGET.render(broken)


def test_the_copied_module_is_the_template() -> None:
    text = TARGET.render(plan(FRAUD)).files[MODULE]
    template = (REPO / "templates/feast" / MODULE).read_text(encoding="utf-8")
    assert text.startswith("# Generated by mlopsgen") and text.endswith(template)


def test_the_view_fields_keep_their_plan_types() -> None:
    plan_ = plan(FRAUD)
    calls = _assignments(TARGET.render(plan_).files[DEFINITIONS])
    schema = next(k.value for k in calls["user_velocity_view"].keywords if k.arg == "schema")
    assert isinstance(schema, ast.List)
    fields = {}
    for item in schema.elts:
        assert isinstance(item, ast.Call)
        name = ast.literal_eval(next(k.value for k in item.keywords if k.arg == "name"))
        dtype = next(k.value for k in item.keywords if k.arg == "dtype")
        assert isinstance(dtype, ast.Name)
        fields[name] = dtype.id
    assert fields == {
        "user_id": "String",
        "txn_count_1h": "Int64",
        "amount_sum_24h": "Float64",
        "distinct_merchants_24h": "Int64",
    }


def test_the_readme_section_says_how_to_apply_locally_and_wire_the_cloud() -> None:
    section = TARGET.render(plan(FRAUD)).sections["Feature store"]
    assert "feast -c features apply" in section
    assert "materialize-incremental" in section
    assert "- `user_velocity`: at most 300 s stale" in section
    for output in ("online_store_endpoint", "region", "artifact_bucket"):
        assert f"terraform -chdir=infra output -raw {output}" in section
    assert "MLOPSGEN_FEATURE_STORE_YAML=feature_store.cloud.yaml" in section
