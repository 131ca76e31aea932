"""The stdlib parts of the stack's ``services.samples``: every scalar a request field asks for,
for every reference plan, inside its bounds and deterministic.

Entity keys, text and images come from the stack's own generators and are checked against
real stacks in ``tests/functional/test_bentoml_up.py``.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from tests.unit.stack_modules import REFERENCE_PLANS, load_service_module, read_plan

samples = load_service_module("samples")
STACK_PARTS = ("text", "image")


def _scalar_fields(plan_path: Path) -> list[Any]:
    return [
        f
        for f in samples.request_fields(read_plan(plan_path))
        if f.type not in STACK_PARTS and f.role not in ("entity", "partition")
    ]


def test_the_reference_plans_are_there() -> None:
    assert len(REFERENCE_PLANS) >= 5


@pytest.mark.parametrize("plan_path", REFERENCE_PLANS, ids=lambda p: p.parent.name)
def test_every_request_field_of_a_reference_plan_reads(plan_path: Path) -> None:
    fields = samples.request_fields(read_plan(plan_path))
    raw = read_plan(plan_path)["serving"]["request_fields"]
    assert [f.name for f in fields] == [f["name"] for f in raw]
    for field, data in zip(fields, raw, strict=True):
        assert field.type == data["type"] and field.nullable == data["nullable"]
        assert field.values == (tuple(data["values"]) if data["values"] else None)


def _valid(field: Any, value: Any) -> bool:
    if field.type == "float":
        ok = isinstance(value, float)
    elif field.type == "integer":
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif field.type == "bool":
        return isinstance(value, bool)
    elif field.type == "category":
        return value in (field.values or ("a", "b", "c"))
    elif field.type == "embedding":
        return isinstance(value, list) and len(value) == (field.dim or 8)
    else:
        return isinstance(value, str) and value != ""
    low = field.min if field.min is not None else float("-inf")
    high = field.max if field.max is not None else float("inf")
    return ok and bool(low <= value <= high)


@pytest.mark.parametrize("plan_path", REFERENCE_PLANS, ids=lambda p: p.parent.name)
def test_scalars_of_a_reference_plan_are_valid_and_ids_unique(plan_path: Path) -> None:
    for field in _scalar_fields(plan_path):
        rng = random.Random(7)
        values = [samples.scalar_value(field, i, 7, rng) for i in range(300)]
        bad = [v for v in values if not _valid(field, v)]
        assert bad == [], f"{field.name}: {bad[:3]}"
        if field.role == "id":
            assert len(set(values)) == len(values)


@pytest.mark.parametrize(
    ("kind", "extra"),
    [
        ("float", {"min": -5.0, "max": 5.0}),
        ("float", {"min": 0.0, "max": 1_000_000.0}),
        ("integer", {"min": 1, "max": 3}),
        ("integer", {}),
        ("bool", {}),
        ("category", {"values": ["x", "y"]}),
        ("category", {}),
        ("embedding", {"dim": 4}),
        ("timestamp", {}),
        ("string", {}),
    ],
)
def test_each_type_stays_valid(kind: str, extra: dict[str, object]) -> None:
    field = samples.RequestField.from_plan(
        {"name": "f", "type": kind, "role": "feature", "nullable": False, **extra}
    )
    rng = random.Random(0)
    values = [samples.scalar_value(field, i, 0, rng) for i in range(500)]
    assert all(_valid(field, v) for v in values), values[:5]


def test_wide_ranges_are_long_tailed_like_the_synthetic_data() -> None:
    field = samples.RequestField.from_plan(
        {"name": "amount", "type": "float", "role": "feature", "nullable": False,
         "min": 0.0, "max": 1_000_000.0}
    )  # fmt: skip
    rng = random.Random(1)
    values = sorted(samples.scalar_value(field, i, 1, rng) for i in range(1000))
    assert values[500] < 1000.0 < values[-1]


def test_integer_ids_are_unique_across_seeds_and_rows() -> None:
    field = samples.RequestField.from_plan(
        {"name": "n", "type": "integer", "role": "id", "nullable": False}
    )
    rng = random.Random(0)
    ids = {samples.scalar_value(field, i, seed, rng) for seed in (0, 1) for i in range(100)}
    assert len(ids) == 200


def test_the_same_seed_gives_the_same_values_and_another_seed_others() -> None:
    field = samples.RequestField.from_plan(
        {"name": "country", "type": "category", "role": "feature", "nullable": False,
         "values": [str(i) for i in range(50)]}
    )  # fmt: skip

    def draw(seed: int) -> list[object]:
        rng = samples._rng(seed, field.name)
        return [samples.scalar_value(field, i, seed, rng) for i in range(40)]

    assert draw(3) == draw(3)
    assert draw(3) != draw(4)


def test_a_field_with_no_stdlib_value_is_left_to_the_stack() -> None:
    for kind, role in (("text", "payload"), ("image", "payload"), ("string", "entity")):
        field = samples.RequestField.from_plan(
            {"name": "x", "type": kind, "role": role, "nullable": False}
        )
        assert samples.scalar_value(field, 0, 0, random.Random(0)) is None


def test_the_command_line_refuses_a_count_below_one() -> None:
    with pytest.raises(SystemExit) as exit_info:
        samples.main(["--count", "0"])
    assert exit_info.value.code == 2
