"""Deciding, per path, what a build does to an output directory; nothing is written here.

The inputs are the new files, a scan of the current output and its manifest. A generated file
is *identical*, *created*, *updated* (its bytes still match the manifest, so nobody edited
it) or in *conflict* (edited by hand, or a file the manifest never recorded). A file the new
tree no longer produces is *deleted* when unedited and a conflict otherwise; anything the
manifest never knew and the tree does not need is foreign and kept. ``force`` turns conflicts
into updates and deletions marked ``hand_edited``. A directory whose manifest names another
system holds that system's stack and is refused as a whole unless ``force``: building there
would replace one stack with another.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from mlopsgen.diagnostics import OutputError
from mlopsgen.output.disk import DiskEntry, Kind, scan_output
from mlopsgen.output.manifest import MANIFEST_NAME, Manifest, ManifestError, sha256_hex

__all__ = ["Action", "ChangePlan", "FileChange", "OtherSystemError", "classify"]


class Action(enum.StrEnum):
    """What a build does, or would do, to one path."""

    CREATE = "create"
    IDENTICAL = "identical"
    UPDATE = "update"
    DELETE = "delete"
    CONFLICT = "conflict"


class OtherSystemError(OutputError):
    """The output directory holds the stack of another system; nothing was written."""

    exit_code = 1

    def __init__(self, root: Path, there: str, building: str):
        self.there = there
        super().__init__(
            f"{root} holds the stack of system {there!r} (per its {MANIFEST_NAME}); "
            f"building {building!r} there would replace it",
            hint="build into another directory with --out, "
            f"or pass --force to replace the stack of {there!r}",
            exit_code=1,
        )


@dataclass(frozen=True, order=True)
class FileChange:
    """One path and its action; ``hand_edited`` marks a conflict that ``force`` overrode.

    ``foreign`` marks a conflict over a file the manifest never recorded (someone else's),
    as opposed to a generated file edited by hand; the advice differs.
    """

    path: str
    action: Action
    hand_edited: bool = False
    foreign: bool = False


@dataclass
class ChangePlan:
    """The decision for every path, and what the new tree is made of.

    Attributes:
        changes: the report entries, sorted by path.
        writes: files to write with new bytes.
        links: existing entries to carry over unchanged (identical and foreign ones).
        empty_dirs: existing empty directories, kept.
        dir_modes: permission bits of existing directories, kept.
    """

    changes: list[FileChange] = field(default_factory=list)
    writes: dict[str, bytes] = field(default_factory=dict)
    links: dict[str, Path] = field(default_factory=dict)
    empty_dirs: list[str] = field(default_factory=list)
    dir_modes: dict[str, int] = field(default_factory=dict)

    def add(
        self, path: str, action: Action, hand_edited: bool = False, foreign: bool = False
    ) -> None:
        self.changes.append(FileChange(path, action, hand_edited, foreign))


def classify(
    files: Mapping[str, bytes], root: Path | None, force: bool, system: str | None = None
) -> ChangePlan:
    """Compare the new files with ``root`` (the current output, or None) and its manifest.

    Args:
        files: the new tree's bytes by relative path.
        root: the current output directory, or None when there is none.
        force: take over conflicting files and directories (see the module docstring).
        system: the system the new tree is of, compared with the one the manifest names.

    Raises:
        OtherSystemError: (exit code 1) the manifest names another system, and no ``force``.
        OutputError: for a directory, symlink or special file where a file is to be written,
            a non-empty ``root`` without a manifest (unless ``force``), or an invalid manifest
            (unless ``force``, which then ignores it).
    """
    plan = ChangePlan()
    disk: dict[str, DiskEntry] = scan_output(root) if root is not None else {}
    manifest = _read_manifest(root, force) if root is not None else None
    if root is not None and manifest is None and disk and not force:
        raise OutputError(
            f"{root} is not empty and has no {MANIFEST_NAME}, so mlopsgen did not write it",
            hint="choose a new or empty directory, or pass --force to generate into it "
            "(files the build produces are overwritten, all others kept)",
        )
    there = manifest.system if manifest is not None else None
    if there is not None and system is not None and there != system and not force:
        raise OtherSystemError(root or Path(), there, system)
    recorded = dict(manifest.files) if manifest is not None else {}
    doomed = _in_the_way(files, disk)
    for path, data in files.items():
        _classify_generated(plan, path, data, disk.get(path), recorded.get(path), force)
    for path, entry in disk.items():
        if path in files or path == MANIFEST_NAME or entry.kind is Kind.DIR:
            if entry.kind is Kind.DIR:
                plan.dir_modes[path] = entry.mode
                if entry.empty:
                    plan.empty_dirs.append(path)
            continue
        _classify_existing(plan, path, entry, recorded.get(path), path in doomed, force)
    plan.changes.sort()
    return plan


def _read_manifest(root: Path, force: bool) -> Manifest | None:
    try:
        return Manifest.read(root)
    except ManifestError:
        if force:
            return None
        raise


def _in_the_way(files: Mapping[str, bytes], disk: Mapping[str, DiskEntry]) -> set[str]:
    """Existing non-directories at a directory of a new file (``a`` when writing ``a/b``)."""
    doomed = set()
    for path in files:
        parts = path.split("/")
        for depth in range(1, len(parts)):
            entry = disk.get("/".join(parts[:depth]))
            if entry is not None and entry.kind is not Kind.DIR:
                if entry.kind is not Kind.FILE:
                    raise OutputError(f"{entry.path} is in the way of {path} and is not a file")
                doomed.add("/".join(parts[:depth]))
    return doomed


def _classify_generated(
    plan: ChangePlan,
    path: str,
    data: bytes,
    entry: DiskEntry | None,
    recorded: str | None,
    force: bool,
) -> None:
    if entry is None:
        plan.add(path, Action.CREATE)
        plan.writes[path] = data
        return
    if entry.kind is not Kind.FILE:
        raise OutputError(
            f"{entry.path} is a {entry.kind.value}, where the build writes a file",
            hint="move it away; mlopsgen does not replace directories or links, even with --force",
        )
    current = entry.sha256()
    if current == sha256_hex(data):
        plan.add(path, Action.IDENTICAL)
        plan.links[path] = entry.path
    elif current == recorded:
        plan.add(path, Action.UPDATE)
        plan.writes[path] = data
    elif force:
        plan.add(path, Action.UPDATE, hand_edited=True)
        plan.writes[path] = data
    else:
        plan.add(path, Action.CONFLICT, foreign=recorded is None)


def _classify_existing(
    plan: ChangePlan,
    path: str,
    entry: DiskEntry,
    recorded: str | None,
    in_the_way: bool,
    force: bool,
) -> None:
    """An existing path the new tree does not produce: stale, foreign, or in the way."""
    unedited = recorded is not None and entry.kind is Kind.FILE and entry.sha256() == recorded
    if unedited:
        plan.add(path, Action.DELETE)
    elif recorded is None and not in_the_way:
        plan.links[path] = entry.path  # foreign: kept as it is
    elif recorded is not None and entry.kind is not Kind.FILE and not in_the_way:
        plan.links[path] = entry.path  # a generated file replaced by something else: not ours
    elif force:
        plan.add(path, Action.DELETE, hand_edited=True)
    else:
        plan.add(path, Action.CONFLICT, foreign=recorded is None)
