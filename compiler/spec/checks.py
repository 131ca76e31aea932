"""Cross-field consistency checks, all run and all reported together."""

from __future__ import annotations

from mlopsgen.diagnostics import Diagnostic
from mlopsgen.spec.models import Spec
from mlopsgen.spec.source_map import SourceMap


def check_spec(spec: Spec, source_map: SourceMap) -> list[Diagnostic]:
    """Return every consistency problem of a shape-valid spec."""
    return []
