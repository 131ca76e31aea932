# Formulas and reasons are written in mathematical notation (×, −, ρ, Σ) on purpose.
# ruff: noqa: RUF002, RUF003
"""The base of every plan model and the :class:`Decision` record.

A plan is read by renderers, printed by ``mlopsgen plan`` and snapshotted by tests, so its
models are frozen (no stage can alter a decision after the planner made it) and closed (a
typo in a renderer's field access fails loudly instead of reading ``None``). Sequences are
tuples so that freezing reaches inside collections too.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

Scalar = bool | int | float | str
"""A plain JSON scalar; ``bool`` first so pydantic never turns ``True`` into ``1``."""

Value = Scalar | tuple[Scalar, ...] | None
"""What a decision can be: a number, a word, a flag, or a short list of them."""


class PlanModel(BaseModel):
    """Frozen and closed: the plan is an artifact, not a working copy."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Decision(PlanModel):
    """One derived number (or word) with everything needed to check it by hand.

    Attributes:
        name: Dotted identifier, e.g. ``serving.replicas`` or
            ``experiments.ranker_v2.duration_days``; unique within a plan.
        value: The decided value, as renderers read it from the typed sections.
        unit: The unit of ``value`` (``ms``, ``replicas``, ``USD/month``), or None.
        formula: The rule in symbols, e.g. ``ceil(peak_rps / (per_replica_rps × ρ))``.
        computed: The same rule with the numbers filled in and its result.
        inputs: Every number the formula used, by the name the formula gives it.
        sources: ``file:line`` of each spec value the decision came from.
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
