"""What is in an output directory now: one read-only scan, without following symlinks.

The writer decides per path from this scan; it refuses a directory it cannot handle safely
before anything changes: a symlink leading out of the output directory (a later copy, archive
or cleanup of the output would reach outside it) or a mount point inside it (deleting the
previous tree after a swap must never descend into another file system).
"""

from __future__ import annotations

import enum
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from mlopsgen.diagnostics import OutputError
from mlopsgen.output.manifest import sha256_hex

__all__ = ["DiskEntry", "Kind", "scan_output"]


class Kind(enum.Enum):
    """The type of a directory entry, as reported in error messages."""

    FILE = "regular file"
    DIR = "directory"
    LINK = "symlink"
    OTHER = "special file"


@dataclass(frozen=True)
class DiskEntry:
    """One entry below the output directory.

    Attributes:
        path: absolute path of the entry.
        kind: what it is (symlinks are not followed).
        mode: its ``st_mode``.
        empty: for a directory, whether it has no entries.
    """

    path: Path
    kind: Kind
    mode: int
    empty: bool = False

    def read(self) -> bytes:
        """The file's bytes."""
        return self.path.read_bytes()

    def sha256(self) -> str:
        """The file's sha256, as recorded in manifests."""
        return sha256_hex(self.read())


def _kind(mode: int) -> Kind:
    if stat.S_ISREG(mode):
        return Kind.FILE
    if stat.S_ISDIR(mode):
        return Kind.DIR
    if stat.S_ISLNK(mode):
        return Kind.LINK
    return Kind.OTHER


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def scan_output(root: Path) -> dict[str, DiskEntry]:
    """Every entry below ``root`` by relative POSIX path (``root`` itself excluded).

    Raises:
        OutputError: for a symlink whose target resolves outside ``root``, or a mount point
            below ``root``.
    """
    real_root = os.path.realpath(root)
    device = os.lstat(root).st_dev
    found: dict[str, DiskEntry] = {}
    pending: list[tuple[str, Path]] = [("", root)]
    while pending:
        prefix, directory = pending.pop()
        with os.scandir(directory) as scan:
            entries = sorted(scan, key=lambda e: e.name)
        for entry in entries:
            relative = prefix + entry.name
            info = entry.stat(follow_symlinks=False)
            kind = _kind(info.st_mode)
            path = Path(entry.path)
            if kind is Kind.LINK and not _inside(os.path.realpath(path), real_root):
                raise OutputError(
                    f"{path} is a symlink leading out of the output directory "
                    f"(to {os.readlink(path)})",
                    hint="remove the link, or build into a directory without one",
                )
            if kind is Kind.DIR:
                if info.st_dev != device:
                    raise OutputError(
                        f"{path} is a mount point inside the output directory",
                        hint="unmount it or build into another directory",
                    )
                with os.scandir(path) as children:
                    empty = next(children, None) is None
                found[relative] = DiskEntry(path, kind, info.st_mode, empty)
                pending.append((relative + "/", path))
            else:
                found[relative] = DiskEntry(path, kind, info.st_mode)
    return found
