"""Provenance of a generated tree: the manifest file at its root.

``.mlopsgen-manifest.json`` at the root of the output records which generator version built
the tree from which spec (its sha256), the system the spec describes, and the sha256 of every
file written. The next build
compares the disk with it: a file whose hash still matches was not touched and may be updated
or deleted; a file whose hash differs was edited by hand and is left alone unless forced
(copier's update model). It holds no timestamps and is written with sorted keys, so the same
build gives the same bytes.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from mlopsgen.diagnostics import OutputError
from mlopsgen.render.paths import check_relative_path

__all__ = [
    "GENERATOR",
    "MANIFEST_NAME",
    "Manifest",
    "ManifestError",
    "sha256_hex",
]

MANIFEST_NAME = ".mlopsgen-manifest.json"
GENERATOR = "mlopsgen"
_SHA256 = re.compile(r"[0-9a-f]{64}")


def sha256_hex(data: bytes) -> str:
    """The lower-case hex sha256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


class ManifestError(OutputError):
    """The manifest in the output directory cannot be trusted (corrupt or not mlopsgen's)."""

    def __init__(self, path: Path | str, problem: str):
        super().__init__(
            f"{path}: {problem}",
            hint="rebuild with --force to replace it (files the build does not produce are kept)",
        )


@dataclass(frozen=True)
class Manifest:
    """What one build wrote: generator version, spec hash and ``{relative path: sha256}``.

    ``system`` names the system the stack is of, so that building another spec into the same
    directory is refused instead of replacing the stack; manifests written before it existed
    have none.
    """

    generator_version: str
    spec_sha256: str
    files: Mapping[str, str] = field(default_factory=dict)
    system: str | None = None

    def to_json(self) -> str:
        """The manifest file's text: sorted keys, two-space indent, final newline."""
        data: dict[str, object] = {
            "generator": GENERATOR,
            "generator_version": self.generator_version,
            "spec_sha256": self.spec_sha256,
            "files": dict(sorted(self.files.items())),
        }
        if self.system is not None:
            data["system"] = self.system
        return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"

    @classmethod
    def for_files(
        cls,
        files: Mapping[str, bytes],
        *,
        generator_version: str,
        spec_sha256: str,
        system: str | None = None,
    ) -> Manifest:
        """The manifest of a tree about to be written (``files`` holds the exact bytes)."""
        hashes = {path: sha256_hex(data) for path, data in sorted(files.items())}
        return cls(
            generator_version=generator_version,
            spec_sha256=spec_sha256,
            files=hashes,
            system=system,
        )

    @classmethod
    def from_json(cls, text: str, *, source: Path | str = MANIFEST_NAME) -> Manifest:
        """Parse and check a manifest; every recorded path must be a safe relative path.

        A manifest is input like any other: a tampered one must not make the writer delete
        ``../../something``.

        Raises:
            ManifestError: if the text is not a valid mlopsgen manifest.
        """
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise ManifestError(source, f"not valid JSON ({exc})") from exc
        if not isinstance(data, dict) or data.get("generator") != GENERATOR:
            raise ManifestError(source, "not an mlopsgen manifest")
        version, spec, files = (data.get(k) for k in ("generator_version", "spec_sha256", "files"))
        if not isinstance(version, str) or not isinstance(spec, str):
            raise ManifestError(source, "generator_version and spec_sha256 must be strings")
        if not isinstance(files, dict):
            raise ManifestError(source, "'files' must be an object of path -> sha256")
        system = data.get("system")
        if system is not None and (not isinstance(system, str) or not system.strip()):
            raise ManifestError(source, "'system' must be a non-empty string")
        for path, digest in files.items():
            if not isinstance(digest, str) or not _SHA256.fullmatch(digest):
                raise ManifestError(source, f"bad sha256 for {path!r}")
            try:
                check_relative_path(path)
            except OutputError as exc:
                raise ManifestError(source, str(exc)) from exc
            if path == MANIFEST_NAME:
                raise ManifestError(source, "the manifest lists itself")
        return cls(generator_version=version, spec_sha256=spec, files=dict(files), system=system)

    @classmethod
    def read(cls, out_dir: Path) -> Manifest | None:
        """The manifest in ``out_dir``, or None when there is none.

        Raises:
            ManifestError: if it exists but is unreadable or invalid.
        """
        path = out_dir / MANIFEST_NAME
        if not os.path.lexists(path):
            return None
        if path.is_symlink() or not path.is_file():
            raise ManifestError(path, "not a regular file")
        try:
            text = path.read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ManifestError(path, f"cannot be read ({exc})") from exc
        return cls.from_json(text, source=path)
