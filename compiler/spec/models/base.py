"""The base class of every spec model.

Spec models mirror the YAML and validate its *shape* only: types, ranges, unknown keys.
Cross-field consistency lives in :mod:`mlopsgen.spec.checks` and decisions in the planner.
Strict mode keeps YAML's loose typing from slipping through (``name: 123`` is an error, not
``"123"``); floats still accept integers, as users write ``availability: 99``. Attribute
docstrings document fields; :mod:`mlopsgen.spec.docs` copies them into the JSON Schema when
one is generated, rather than pydantic parsing every model's source at import.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from pydantic_core import PydanticCustomError

INVALID_VALUE = "spec_value"
"""Error type of :func:`invalid`: a message in the spec's terms, a hint and a fix in context."""


def invalid(message: str, hint: str, fix: dict[str, object] | None = None) -> PydanticCustomError:
    """An error a model validator raises, carrying its hint (and fix) to the diagnostic.

    A plain ``ValueError`` reaches the user without a hint; this error keeps the message as
    written and passes ``hint`` and ``fix`` (keys of the failing mapping and the values that
    repair it) through pydantic's error context. The message must not contain braces, which
    pydantic would read as placeholders.
    """
    return PydanticCustomError(INVALID_VALUE, message, {"hint": hint, "fix": fix or {}})


class SpecModel(BaseModel):
    """Frozen, strict, closed: unknown keys are errors (reported with a did-you-mean)."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        strict=True,
        allow_inf_nan=False,
    )
