"""Sample request bodies shaped like the Plan's request fields: ``python -m services.samples``.

``python -m services.samples [--count N] [--seed S] [--rows-per-body K] [--train-rows R]``
prints ``N`` JSON bodies ``{"rows": [...]}``, one per line, for ``POST /predict``. The same
arguments (and the same training data) always print the same bodies, so a load test or a
demo is repeatable.

Each value follows its field in ``plan.json`` (``serving.request_fields``): numbers inside
their bounds, categories among their values, booleans, unique ids, a share of nulls where a
field is nullable. Entity keys are those the training data holds, so the service's Feast
reads find the features training materialised: the keys of the rows the last run recorded
under ``data/sources/``, or before any run the key space the synthetic generators draw from
(:func:`pipelines.synthetic.entity_keys` over :func:`pipelines.synthetic.entity_cardinality`,
the users an interaction source keeps, the series ids of a forecaster) for ``--train-rows``
rows (``mlopsgen run --rows``; the default is the pipelines' own). Text is written by the
text family's :func:`pipelines.families.text.sentences` in the languages the plan routes,
and the row's declared language is the one it is written in. Images are base64 of ``.npy``
bytes (uint8, height x width x channels): what the synthetic source stores and the vision
family reads.

The stdlib parts (scalars, ids, nulls) need nothing of the stack; keys, text and images
import the stack's own generators when a field asks for them.
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import math
import random
import sys
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pipelines.stack_plan import StackPlan

__all__ = [
    "IMAGE_ENCODING",
    "NULL_SHARE",
    "RequestField",
    "bodies",
    "main",
    "request_fields",
    "sample_rows",
    "scalar_value",
]

#: How an image travels in a request: base64 of NumPy ``.npy`` bytes (uint8, H x W x C).
IMAGE_ENCODING = "npy-base64"
#: Share of a nullable field's values sent as null (an entity or an id is never null).
NULL_SHARE = 0.05
#: Timestamps are fixed, not "now", so the same seed always writes the same bodies.
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
Value = str | int | float | bool | list[float] | None


def stack_root() -> Path:
    """The stack's root: the folder holding ``plan.json`` above the ``services`` package."""
    return Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class RequestField:
    """One request field of the Plan: its type, role, bounds, values and image shape."""

    name: str
    type: str
    role: str
    nullable: bool
    min: float | None = None
    max: float | None = None
    values: tuple[str, ...] | None = None
    dim: int | None = None
    width: int | None = None
    height: int | None = None
    channels: int | None = None

    @classmethod
    def from_plan(cls, data: Mapping[str, Any]) -> RequestField:
        """The field as ``plan.json`` writes it."""
        values = data.get("values")

        def number(key: str) -> float | None:
            value = data.get(key)
            return None if value is None else float(value)

        def count(key: str) -> int | None:
            value = data.get(key)
            return None if value is None else int(value)

        return cls(
            name=str(data["name"]),
            type=str(data["type"]),
            role=str(data.get("role") or "feature"),
            nullable=bool(data.get("nullable", False)),
            min=number("min"),
            max=number("max"),
            values=tuple(str(v) for v in values) if values else None,
            dim=count("dim"),
            width=count("width"),
            height=count("height"),
            channels=count("channels"),
        )


def read_plan(root: Path | None = None) -> dict[str, Any]:
    """``plan.json`` of the stack as data."""
    base = root if root is not None else stack_root()
    data: dict[str, Any] = json.loads((base / "plan.json").read_text(encoding="utf-8"))
    return data


def request_fields(plan: Mapping[str, Any]) -> tuple[RequestField, ...]:
    """The Plan's request fields, in order."""
    serving = plan.get("serving") or {}
    return tuple(RequestField.from_plan(f) for f in serving.get("request_fields") or ())


def _rng(seed: int, *parts: str) -> random.Random:
    """A generator of its own for each field, so adding a field changes no other's values."""
    return random.Random(zlib.crc32("/".join((str(seed), *parts)).encode("utf-8")))


def _number(field: RequestField, rng: random.Random) -> float:
    """A value inside the bounds, long-tailed over wide ranges (as the synthetic data is)."""
    low = field.min if field.min is not None else 0.0
    high = field.max if field.max is not None else low + 100.0
    span = max(high - low, 0.0)
    if span > 1000.0:
        value = low + rng.lognormvariate(math.log(span ** (1.0 / 3.0)), 1.0)
    else:
        value = low + span * rng.betavariate(2.0, 2.0)
    return min(max(value, low), high)


def scalar_value(field: RequestField, index: int, seed: int, rng: random.Random) -> Value:
    """The value of a field that needs nothing of the stack (None for text, images and keys).

    ``index`` numbers the row among all rows of the run, so ids are unique across bodies.
    """
    kind = field.type
    if field.role == "id":
        return f"{field.name[:1]}{seed}-{index}" if kind != "integer" else seed * 1_000_000 + index
    if kind == "float":
        return round(_number(field, rng), 2)
    if kind == "integer":
        low = math.ceil(field.min) if field.min is not None else 0
        high = math.floor(field.max) if field.max is not None else low + 100
        return min(max(round(_number(field, rng)), low), high)
    if kind == "bool":
        return rng.random() < 0.3
    if kind == "category":
        return rng.choice(field.values or ("a", "b", "c"))
    if kind == "timestamp":
        return (EPOCH + timedelta(seconds=rng.uniform(0.0, 86400.0))).isoformat()
    if kind == "embedding":
        return [round(rng.gauss(0.0, 1.0), 4) for _ in range(field.dim or 8)]
    if kind == "string" and field.role not in ("entity", "partition"):
        return f"s{rng.randrange(50)}"
    return None


def _key_space(plan: StackPlan, name: str, train_rows: int) -> int:
    """Distinct keys of entity column ``name`` in the training data: the synthetic
    generators' own cardinality, the smallest over the sources holding the column (an
    interaction source keeps fewer users, each with many impressions)."""
    from pipelines.synthetic import MODALITIES, entity_cardinality
    from pipelines.synthetic_interactions import IMPRESSIONS_PER_USER, roles

    declared = entity_cardinality(plan, name, train_rows)
    spaces = [declared]
    for source in plan.sources:
        if name not in {f.name for f in source.fields}:
            continue
        tasks = {m.task for m in plan.models if m.source == source.name}
        interactions = any(
            MODALITIES.get(task) == "pipelines.synthetic_interactions" for task in tasks
        )
        user = roles(source)["user"] if interactions else None
        if user is not None and user.name == name:
            spaces.append(max(5, min(train_rows // IMPRESSIONS_PER_USER, declared)))
    return min(spaces)


def _recorded_keys(root: Path, plan: StackPlan, name: str) -> list[str]:
    """The keys of entity column ``name`` in the rows the last training run recorded under
    ``data/sources/`` (in every recorded source holding the column), sorted; none before a run.
    """
    import pandas as pd

    found: list[set[str]] = []
    for source in plan.sources:
        path = root / "data" / "sources" / f"{source.name}.parquet"
        if path.is_file() and name in {f.name for f in source.fields}:
            column = pd.read_parquet(path, columns=[name])[name].dropna()
            found.append(set(column.astype(str)))
    return sorted(set.intersection(*found)) if found else []


def _entity_keys(
    root: Path, field: RequestField, count: int, seed: int, train_rows: int
) -> list[str]:
    """``count`` keys of an entity field, from the key space its training data used."""
    import numpy as np

    from pipelines import synthetic
    from pipelines.stack_plan import load_plan

    plan = load_plan(root)
    generator = np.random.default_rng([seed, zlib.crc32(field.name.encode("utf-8"))])
    recorded = _recorded_keys(root, plan, field.name)
    if recorded:
        return [recorded[int(i)] for i in generator.integers(0, len(recorded), size=count)]
    forecaster = next(
        (
            m
            for m in plan.models
            if m.task == "forecasting" and m.partition and m.partition.column == field.name
        ),
        None,
    )
    if forecaster is not None:
        # Only a forecasting stack installs the forecaster's library, which this module needs.
        from pipelines import synthetic_series

        declared = plan.source(forecaster.source).field(field.name).values
        series, _ = synthetic_series.shape(
            forecaster, train_rows, len(declared) if declared else None
        )
        ids = list(declared) if declared else [f"{field.name[:1]}{i}" for i in range(series)]
        return [ids[int(i)] for i in generator.integers(0, len(ids), size=count)]
    keys = synthetic.entity_keys(_key_space(plan, field.name, train_rows), count, generator)
    return [f"{field.name[:1]}{int(key)}" for key in keys]


def _languages(root: Path, plan: Mapping[str, Any]) -> tuple[str | None, list[str]]:
    """The routed language field (None without routing) and the languages text is written in."""
    from pipelines.stack_plan import load_plan
    from pipelines.synthetic_text import languages_written

    routing = (plan.get("serving") or {}).get("routing") or {}
    key = routing.get("key")
    if not key:
        return None, languages_written(None)
    column = next(
        (f for s in load_plan(root).sources for f in s.fields if f.name == key and f.values),
        None,
    )
    return str(key), languages_written(column)


def _texts(languages: Sequence[str], count: int, seed: int) -> list[str]:
    """One message per language of ``languages``, written by the text family."""
    import numpy as np

    from pipelines.families.text import sentences

    generator = np.random.default_rng([seed, zlib.crc32(b"text")])
    return [sentences(code, None, 1, generator)[0] for code in languages[:count]]


def _image(field: RequestField, seed: int, index: int) -> str:
    """A deterministic image of the declared size as base64 ``.npy`` bytes."""
    import numpy as np

    generator = np.random.default_rng([seed, index, zlib.crc32(field.name.encode("utf-8"))])
    shape = (field.height or 32, field.width or 32, field.channels or 3)
    pixels = generator.integers(0, 256, size=shape, dtype=np.uint8)
    buffer = io.BytesIO()
    np.save(buffer, pixels, allow_pickle=False)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def sample_rows(
    count: int, seed: int = 0, train_rows: int | None = None, root: Path | None = None
) -> list[dict[str, Value]]:
    """``count`` request rows, the same for the same arguments (see the module docstring)."""
    base = root if root is not None else stack_root()
    plan = read_plan(base)
    fields = request_fields(plan)
    if train_rows is None:
        from pipelines.data import DEFAULT_ROWS

        train_rows = DEFAULT_ROWS
    columns: dict[str, list[Value]] = {}
    language_field, languages = None, ["en"]
    if any(f.type == "text" for f in fields):
        language_field, languages = _languages(base, plan)
    row_languages = [_rng(seed, "language", str(i)).choice(languages) for i in range(count)]
    for field in fields:
        rng = _rng(seed, field.name)
        if field.role == "entity" or (field.role == "partition" and field.name != language_field):
            if field.type == "category":
                values: list[Value] = [rng.choice(field.values or ("a",)) for _ in range(count)]
            else:
                values = list(_entity_keys(base, field, count, seed, train_rows))
        elif field.type == "text":
            written = _texts(row_languages, count, seed)
            values = list(written)
        elif field.name == language_field:
            values = list(row_languages)
        elif field.type == "image":
            values = [_image(field, seed, i) for i in range(count)]
        else:
            values = [scalar_value(field, i, seed, rng) for i in range(count)]
        if field.nullable and field.role not in ("id", "entity"):
            nulls = _rng(seed, field.name, "null")
            values = [None if nulls.random() < NULL_SHARE else v for v in values]
        columns[field.name] = values
    return [{name: columns[name][i] for name in columns} for i in range(count)]


def bodies(
    count: int,
    seed: int = 0,
    rows_per_body: int = 1,
    train_rows: int | None = None,
    root: Path | None = None,
) -> list[dict[str, list[dict[str, Value]]]]:
    """``count`` request bodies of ``rows_per_body`` rows each."""
    rows = sample_rows(count * rows_per_body, seed, train_rows, root)
    return [{"rows": rows[i * rows_per_body : (i + 1) * rows_per_body]} for i in range(count)]


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not a positive number")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    """Print the bodies, one JSON object per line."""
    parser = argparse.ArgumentParser(prog="python -m services.samples", description=__doc__)
    parser.add_argument("--count", type=_positive, default=5, help="bodies to print")
    parser.add_argument("--seed", type=int, default=0, help="the same seed, the same bodies")
    parser.add_argument("--rows-per-body", type=_positive, default=1, help="rows in each body")
    parser.add_argument(
        "--train-rows", type=_positive, default=None, help="rows the training run used"
    )
    args = parser.parse_args(argv)
    for body in bodies(args.count, args.seed, args.rows_per_body, args.train_rows):
        sys.stdout.write(json.dumps(body, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
