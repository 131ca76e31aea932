"""Load a spec file: read safely, validate shape, check consistency — collecting everything.

This is the only entry point later stages use: ``load_spec(path)`` returns a
:class:`LoadedSpec` (the validated model, its source map and its sha256) or raises
:class:`~mlopsgen.diagnostics.SpecError` holding every diagnostic found.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from mlopsgen.diagnostics import Diagnostic, SpecError, UsageError, has_errors
from mlopsgen.spec.checks.run import check_spec
from mlopsgen.spec.models.root import Spec
from mlopsgen.spec.partial import failed_sections, partial_spec
from mlopsgen.spec.shape import validate_shape
from mlopsgen.spec.source_map import SourceMap
from mlopsgen.spec.yaml_reader import MAX_BYTES, decode_bytes, read_yaml


@dataclass(frozen=True)
class LoadedSpec:
    """A validated spec with everything needed to point back into its file."""

    spec: Spec
    source_map: SourceMap
    sha256: str
    """Digest of the spec's meaning (see :func:`spec_digest`), not of its bytes."""
    warnings: list[Diagnostic] = field(default_factory=list)

    @property
    def file(self) -> str:
        """The path the spec was read from, as given."""
        return self.source_map.file


def read_spec_bytes(path: Path) -> bytes:
    """Read a spec file, turning IO failures into usage errors (exit code 2)."""
    if path.is_symlink() and not path.exists():
        raise UsageError(f"{path}: broken or looping symbolic link", "point it at a spec file")
    if not path.exists():
        raise UsageError(
            f"{path}: no such file", "check the path; `mlopsgen examples` lists the reference specs"
        )
    if path.is_dir():
        raise UsageError(f"{path}: is a directory, not a spec file", "pass a .yaml file inside it")
    try:
        with path.open("rb") as handle:
            return handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise UsageError(f"{path}: cannot read: {exc.strerror or exc}") from None


def load_spec(path: str | Path) -> LoadedSpec:
    """Load and fully validate the spec at ``path``.

    Raises:
        UsageError: the path is missing, a directory or unreadable.
        SpecError: the spec is invalid; every problem is included.
    """
    path = Path(path)
    raw = read_spec_bytes(path)
    return load_spec_bytes(raw, str(path))


def load_spec_bytes(raw: bytes, file: str) -> LoadedSpec:
    """Validate spec bytes that claim to come from ``file``."""
    text = decode_bytes(raw, file)
    try:
        return load_spec_text(text, file)
    except SpecError as exc:
        exc.sources.setdefault(file, text)
        raise


def spec_digest(spec: Spec) -> str:
    """sha256 of the validated spec in canonical JSON (sorted keys, defaults applied).

    Generated files carry this digest. Hashing the meaning rather than the bytes keeps the
    promise "same spec, same bytes": reordering keys, reformatting or editing comments
    changes nothing in the output, while any change of a value changes the digest.
    """
    canonical = json.dumps(
        spec.model_dump(mode="json", by_alias=True),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def load_spec_text(text: str, file: str = "<spec>") -> LoadedSpec:
    """Validate spec text; ``file`` only labels positions in diagnostics."""
    try:
        document = read_yaml(text, file)
    except SpecError as exc:
        exc.sources.setdefault(file, text)
        raise
    spec, diagnostics = validate_shape(document.data, document.source_map)
    if spec is not None:
        diagnostics = check_spec(spec, document.source_map)
    elif isinstance(document.data, dict):
        # Check the sections that did validate, so independent mistakes show up together.
        failed = failed_sections(diagnostics)
        if failed is not None:
            partial = partial_spec(document.data, failed)
            diagnostics = [*diagnostics, *check_spec(partial, document.source_map)]
    if spec is None or has_errors(diagnostics):
        raise SpecError(diagnostics, {file: text})
    return LoadedSpec(spec, document.source_map, spec_digest(spec), diagnostics)
