# Formulas and reasons are written in mathematical notation (×, −, ρ, Σ) on purpose.
# ruff: noqa: RUF002, RUF003
"""The base of every plan model and the :class:`Decision` record.

A plan is read by renderers, printed by ``mlopsgen plan`` and snapshotted by tests, so its
models are frozen (no stage can alter a decision after the planner made it) and closed (a
typo in a renderer's field access fails loudly instead of reading ``None``; loading a
``plan.json`` with an unknown key fails too). Sequences are tuples so that freezing reaches
inside collections.

Plan models are plain frozen dataclasses rather than pydantic models: the planner builds
them from already validated data, mypy checks every construction, and a dataclass costs
nothing at import where a pydantic model compiles a validator, which every command paid.
:meth:`PlanModel.to_data` and :meth:`PlanModel.from_data` give the JSON round trip.
"""

from __future__ import annotations

import dataclasses
import sys
import types
import typing
from collections.abc import Mapping
from typing import Any, Self, dataclass_transform

Scalar = bool | int | float | str
"""A plain JSON scalar; ``bool`` first so loading never turns ``True`` into ``1``."""

Value = Scalar | tuple[Scalar, ...] | None
"""What a decision can be: a number, a word, a flag, or a short list of them."""


@dataclass_transform(kw_only_default=True, frozen_default=True)
class PlanModel:
    """Frozen and closed: the plan is an artifact, not a working copy.

    Every subclass becomes a frozen, keyword-only dataclass when it is defined.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        dataclasses.dataclass(frozen=True, kw_only=True)(cls)

    def to_data(self) -> dict[str, Any]:
        """JSON-ready data: nested models as mappings, tuples as lists."""
        return {f.name: _dump(getattr(self, f.name)) for f in dataclasses.fields(self)}  # type: ignore[arg-type]

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Self:
        """Rebuild a model from :meth:`to_data` output (e.g. a loaded ``plan.json``).

        Raises:
            ValueError: an unknown or missing key, or a value of the wrong type.
        """
        if not isinstance(data, Mapping):
            raise ValueError(f"{cls.__name__} expects a mapping, got {type(data).__name__}")
        hints = typing.get_type_hints(cls, vars(sys.modules[cls.__module__]))
        fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        unknown = sorted(set(data) - set(fields))
        if unknown:
            raise ValueError(f"unexpected key(s) in {cls.__name__}: {', '.join(unknown)}")
        values = {name: _load(hints[name], data[name], name) for name in fields if name in data}
        try:
            return cls(**values)
        except TypeError as exc:
            raise ValueError(f"{cls.__name__}: {exc}") from None


def _dump(value: Any) -> Any:
    if isinstance(value, PlanModel):
        return value.to_data()
    if isinstance(value, tuple | list):
        return [_dump(item) for item in value]
    if isinstance(value, dict):
        return {key: _dump(item) for key, item in value.items()}
    return value


_SCALARS: dict[type, tuple[type, ...]] = {
    bool: (bool,),
    int: (int,),
    float: (int, float),
    str: (str,),
}


def _load(hint: Any, value: Any, where: str) -> Any:
    """Convert JSON data to the annotated type, strictly (no coercion between kinds)."""
    origin = typing.get_origin(hint)
    if isinstance(hint, type) and issubclass(hint, PlanModel):
        return hint.from_data(value)
    if origin in (typing.Union, types.UnionType):
        return _load_union(typing.get_args(hint), value, where)
    if origin is tuple:
        if not isinstance(value, list | tuple):
            raise ValueError(f"{where}: expected a list, got {type(value).__name__}")
        item = typing.get_args(hint)[0]
        return tuple(_load(item, v, where) for v in value)
    if origin is dict:
        if not isinstance(value, dict):
            raise ValueError(f"{where}: expected a mapping, got {type(value).__name__}")
        item = typing.get_args(hint)[1]
        return {str(k): _load(item, v, where) for k, v in value.items()}
    if hint is type(None):
        if value is not None:
            raise ValueError(f"{where}: expected null, got {value!r}")
        return None
    accepted = _SCALARS.get(hint)
    if accepted is None:
        raise ValueError(f"{where}: cannot load type {hint!r}")
    is_bool = isinstance(value, bool)
    if not isinstance(value, accepted) or (is_bool and hint is not bool):
        raise ValueError(f"{where}: expected {hint.__name__}, got {value!r}")
    return value


def _load_union(members: tuple[Any, ...], value: Any, where: str) -> Any:
    for member in members:
        try:
            return _load(member, value, where)
        except ValueError:
            continue
    raise ValueError(f"{where}: {value!r} matches none of {members!r}")


class DecisionRecord(PlanModel):
    """One derived number (or word) with everything needed to check it by hand.

    Attributes:
        name: Dotted identifier, e.g. ``serving.replicas`` or
            ``experiments.ranker_v2.duration_days``; unique within a plan.
        value: The decided value, as renderers read it from the typed sections.
        unit: The unit of ``value`` (``ms``, ``replicas``, ``USD/month``), or None.
        formula: The rule in symbols, e.g. ``ceil(peak_rps / (per_replica_rps × ρ))``.
        computed: The same rule with the numbers filled in and its result; a decision
            that computes several figures has one computation per line.
        inputs: Every number the formula used, by the name the formula gives it.
        sources: Dotted spec path of each value the decision came from
            (``slo.availability``); the CLI shows them as ``file:line``.
        reason: One line saying why this rule, in words an on-call engineer reads.
    """

    name: str
    value: Value
    unit: str | None = None
    formula: str
    computed: str
    inputs: dict[str, Value]
    sources: tuple[str, ...]
    reason: str
