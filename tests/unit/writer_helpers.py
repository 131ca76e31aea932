"""Helpers shared by the writer tests: snapshots of a directory and expected outputs."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from mlopsgen import __version__
from mlopsgen.output.manifest import MANIFEST_NAME, Manifest
from mlopsgen.output.writer import encode_text

SPEC = "5" * 64


def snapshot(root: Path) -> dict[str, bytes | str]:
    """Every entry below ``root``: file bytes, ``"<dir>"`` or ``"-> target"`` for symlinks."""
    found: dict[str, bytes | str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            rel = path.relative_to(root).as_posix()
            if path.is_symlink():
                found[rel] = "-> " + os.readlink(path)
            elif path.is_dir():
                found[rel] = "<dir>"
            else:
                found[rel] = path.read_bytes()
    return found


def identities(root: Path) -> dict[str, tuple[int, int]]:
    """``(inode, mtime_ns)`` of every regular file below ``root``."""
    out = {}
    for dirpath, _, filenames in os.walk(root):
        for name in filenames:
            info = os.lstat(Path(dirpath) / name)
            out[(Path(dirpath) / name).relative_to(root).as_posix()] = (
                info.st_ino,
                info.st_mtime_ns,
            )
    return out


def expected(tree: Mapping[str, str], spec: str = SPEC) -> dict[str, bytes | str]:
    """What :func:`snapshot` shows after writing ``tree`` into an empty directory."""
    files = {path: encode_text(text) for path, text in tree.items()}
    manifest = Manifest.for_files(files, generator_version=__version__, spec_sha256=spec)
    out: dict[str, bytes | str] = {MANIFEST_NAME: manifest.to_json().encode()}
    for path, data in files.items():
        out[path] = data
        parts = path.split("/")
        for depth in range(1, len(parts)):
            out["/".join(parts[:depth])] = "<dir>"
    return out


def leftovers(out_dir: Path) -> list[str]:
    """Hidden staging/old siblings a build leaves only when it is killed."""
    return sorted(n for n in os.listdir(out_dir.parent) if n.startswith(f".{out_dir.name}."))


def make_tree(generation: int, size: int) -> dict[str, str]:
    """A large tree where each generation updates, deletes and adds files."""
    tree = {}
    for i in range(size):
        if i % 7 == generation % 7:
            continue
        body = f"line {generation if i % 3 == 0 else 0} of file {i}\n" * 60
        tree[f"d{i % 25}/sub{i % 4}/f{i}.txt"] = body
    for i in range(size // 20):
        tree[f"new{generation}/x{i}.txt"] = f"new {i}\n"
    return tree
