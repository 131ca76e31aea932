"""Validation results for ``mlopsgen validate``: a headline per spec, or its diagnostics."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from mlopsgen.diagnostics import (
    Diagnostic,
    MlopsgenError,
    SpecError,
    has_errors,
    sorted_diagnostics,
)
from mlopsgen.spec.loader import LoadedSpec, load_spec
from mlopsgen.wording import count

LaterChecks = Callable[[LoadedSpec], list[Diagnostic]]
"""Checks of a later stage (the planner's feasibility checks) run on a spec that loaded."""


@dataclass(frozen=True)
class ValidationResult:
    """The outcome of validating one spec file."""

    path: str
    loaded: LoadedSpec | None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)
    failure: str | None = None
    """Why the file could not be read; the loader's message names the file itself."""
    exit_code: int = 0
    hint: str | None = None

    def headline(self) -> str:
        """One line: what the spec describes, or how many errors it has."""
        if self.loaded is None or has_errors(self.diagnostics):
            if self.failure is not None:
                return f"✗ {self.failure}"
            errors = sum(d.is_error for d in self.diagnostics)
            return f"✗ {self.path}: {count(errors, 'errors')}"
        spec = self.loaded.spec
        warnings = sum(not d.is_error for d in self.diagnostics)
        where = " ".join(filter(None, (spec.infrastructure.cloud, spec.infrastructure.region)))
        suffix = f", {count(warnings, 'warnings')}" if warnings else ""
        return (
            f"✓ {self.path}: {spec.system.name} — {count(len(spec.models), 'models')}, "
            f"{spec.serving.mode} serving, {where}{suffix}"
        )

    def to_dict(self) -> dict[str, object]:
        """JSON form for ``--format json``."""
        return {
            "path": self.path,
            "valid": self.loaded is not None and not has_errors(self.diagnostics),
            "system": self.loaded.spec.system.name if self.loaded else None,
            "error": self.failure,
            "hint": self.hint,
            "diagnostics": [d.to_dict() for d in self.diagnostics],
        }


def validate_one(path: Path, later: LaterChecks | None = None) -> ValidationResult:
    """Validate one file, capturing every outcome as data.

    ``later`` adds the diagnostics of checks that need a loaded spec but write nothing (the
    planner's), so ``validate`` reports what ``plan`` and ``build`` would report.
    """
    try:
        loaded = load_spec(path)
    except SpecError as exc:
        return ValidationResult(str(path), None, exc.diagnostics, exc.sources, None, exc.exit_code)
    except MlopsgenError as exc:  # the file cannot be read; the message names it
        hint = getattr(exc, "hint", None)
        return ValidationResult(str(path), None, [], {}, str(exc), exc.exit_code, hint)
    sources = {loaded.file: loaded.source_map.text}
    found = sorted_diagnostics([*loaded.warnings, *(later(loaded) if later else [])])
    code = 1 if has_errors(found) else 0
    return ValidationResult(str(path), loaded, found, sources, None, code)


def validate_many(
    paths: Iterable[Path], later: LaterChecks | None = None
) -> list[ValidationResult]:
    """Validate every file; one bad file never hides the others."""
    return [validate_one(path, later) for path in paths]
