"""The one place that writes the output directory.

:func:`write_tree` takes the rendered, formatted tree ``{relative path: text}`` and makes
``out_dir`` hold exactly it, plus ``.mlopsgen-manifest.json``, reporting per file one of
*create*, *identical*, *update*, *delete* or *conflict*. What a user can rely on:

* **Hand edits are never lost silently.** A generated file whose bytes no longer match the
  hash the last build recorded was edited by hand; a file the tree would overwrite that the
  manifest never recorded is someone else's. Either is a conflict: the build raises
  :class:`HandEditedError` (exit code 1) and changes nothing, unless ``force`` is set.
* **Stale files go, foreign files stay.** A generated file the new tree no longer produces is
  deleted if unedited, with the directories it leaves empty. Files the manifest never knew
  and the tree does not produce (a ``.venv``, notes, ``.git``) are kept, byte for byte.
* **Unchanged files are untouched**: same inode, same mtime, so ``make`` and editors see no
  change. A rebuild that changes nothing does not touch the disk at all.
* **Nothing is written outside out_dir**: paths are checked (:mod:`.outpaths`), symlinks in
  out_dir that lead out of it, or sit on a generated path, are refused, and a manifest that
  lists unsafe paths is refused.
* **A directory mlopsgen did not create is not taken over** silently: a non-empty out_dir
  without a manifest is refused unless ``force`` (then files the tree produces are
  overwritten and everything else is kept). Nor is another system's stack: a manifest naming
  another system than the one being built is refused unless ``force``
  (:class:`OtherSystemError`, exit code 1).
* **A killed build leaves the previous output intact**: the new tree is assembled in a
  staging directory and swapped in atomically (:mod:`.swap`); identical and foreign files are
  hard-linked into it, which is what keeps their inode and mtime. The output directory itself
  gets a new inode, so a build that changes it is refused while the current directory is
  inside it (a shell there would be left in a deleted directory).

Files are written as UTF-8 with LF line endings; a file starting with ``#!`` is made
executable (``0o755`` before the umask), any other ``0o644``.
"""

from __future__ import annotations

import difflib
import errno
import os
import re
import shutil
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from mlopsgen import __version__
from mlopsgen.diagnostics import OutputError
from mlopsgen.output import swap
from mlopsgen.output.changes import Action, ChangePlan, FileChange, OtherSystemError, classify
from mlopsgen.output.disk import DiskEntry, Kind, scan_output
from mlopsgen.output.manifest import MANIFEST_NAME, Manifest, ManifestError
from mlopsgen.render.paths import check_tree_paths
from mlopsgen.wording import count

__all__ = [
    "Action",
    "FileChange",
    "HandEditedError",
    "OtherSystemError",
    "WriteReport",
    "diff_tree",
    "encode_text",
    "write_tree",
]

_SHA256 = re.compile(r"[0-9a-f]{64}")
_NO_HARD_LINKS = {errno.EPERM, errno.EXDEV, errno.EMLINK, errno.ENOTSUP, errno.EOPNOTSUPP}


@dataclass(frozen=True)
class WriteReport:
    """The outcome of :func:`write_tree`, one entry per path, sorted by path.

    Attributes:
        out_dir: the resolved output directory.
        changes: every generated, stale or conflicting path with its action.
        dry_run: whether this only describes what a build would do.
        written: whether the disk was changed.
    """

    out_dir: Path
    changes: tuple[FileChange, ...]
    dry_run: bool = False
    written: bool = False

    def paths(self, action: Action) -> list[str]:
        """The paths with ``action``."""
        return [c.path for c in self.changes if c.action is action]

    def counts(self) -> dict[Action, int]:
        """How many paths have each action (every action present, in a fixed order)."""
        return {action: len(self.paths(action)) for action in Action}

    @property
    def conflicts(self) -> list[str]:
        """Paths refused because they were edited by hand or are not mlopsgen's."""
        return self.paths(Action.CONFLICT)

    @property
    def changed(self) -> bool:
        """Whether anything differs from the disk (ignoring identical files)."""
        return any(c.action is not Action.IDENTICAL for c in self.changes)

    def lines(self) -> list[str]:
        """One line per path that is not identical, e.g. ``"update  README.md (hand-edited)"``."""
        width = max(len(action.value) for action in Action)
        return [
            f"{c.action.value:<{width}}  {c.path}" + (" (hand-edited)" if c.hand_edited else "")
            for c in self.changes
            if c.action is not Action.IDENTICAL
        ]

    def summary(self) -> str:
        """``"2 create, 40 identical, 1 update, 0 delete, 0 conflict"``."""
        return ", ".join(f"{n} {action.value}" for action, n in self.counts().items())


class HandEditedError(OutputError):
    """Files in the way were edited by hand or are not mlopsgen's; nothing was written."""

    exit_code = 1

    def __init__(self, report: WriteReport):
        self.report = report
        shown = ", ".join(report.conflicts[:5]) + (", ..." if len(report.conflicts) > 5 else "")
        super().__init__(
            f"{count(len(report.conflicts), 'files')} in {report.out_dir} "
            f"{'was' if len(report.conflicts) == 1 else 'were'} edited by hand or "
            f"{'is' if len(report.conflicts) == 1 else 'are'} not mlopsgen's, so nothing was "
            f"written: {shown}",
            hint="move the changes into the spec (or out of the output directory) and rebuild, "
            "or pass --force to overwrite them",
            exit_code=1,
        )


def encode_text(text: str) -> bytes:
    """The bytes written for ``text``: UTF-8 with every CRLF or lone CR turned into LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n").encode("utf-8")


def _encode_tree(tree: Mapping[str, str]) -> dict[str, bytes]:
    paths = check_tree_paths(tree)
    if MANIFEST_NAME in tree:
        raise OutputError(f"{MANIFEST_NAME} is written by the writer, not rendered")
    try:
        return {path: encode_text(tree[path]) for path in paths}
    except UnicodeEncodeError as exc:
        raise OutputError(f"output text cannot be encoded as UTF-8: {exc}") from exc


def _resolve(out_dir: Path) -> Path:
    """The real location of ``out_dir``: a symlinked output directory is written through."""
    resolved = Path(os.path.realpath(out_dir))
    if resolved.parent == resolved:
        raise OutputError(f"refusing to use {resolved} as the output directory")
    if os.path.lexists(resolved) and not resolved.is_dir():
        raise OutputError(f"{resolved} exists and is not a directory")
    return resolved


def _file_mode(data: bytes) -> int:
    return 0o777 if data.startswith(b"#!") else 0o666


def _stage(plan: ChangePlan, staging: Path, manifest: bytes, root_mode: int | None) -> None:
    """Assemble the complete new tree in ``staging``.

    Directory permissions are copied last, deepest first, so a read-only directory of the old
    tree does not stop its own contents from being staged.
    """
    directories = _directories(plan)
    for directory in directories:
        (staging / directory).mkdir()
    half = len(plan.writes) // 2
    for index, (path, data) in enumerate(sorted(plan.writes.items())):
        if index == half:
            swap.pause_point("staging")
        fd = os.open(staging / path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _file_mode(data))
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
    for path, source in sorted(plan.links.items()):
        _carry_over(source, staging / path)
    (staging / MANIFEST_NAME).write_bytes(manifest)
    for directory in reversed(directories):
        if directory in plan.dir_modes:
            os.chmod(staging / directory, stat.S_IMODE(plan.dir_modes[directory]))
    if root_mode is not None:
        os.chmod(staging, stat.S_IMODE(root_mode))


def _carry_over(source: Path, target: Path) -> None:
    """Hard-link an unchanged entry into the new tree (same inode and mtime), else copy it.

    Copying is the fallback for file systems without hard links; it keeps the mtime but not
    the inode.
    """
    try:
        os.link(source, target, follow_symlinks=False)
    except OSError as exc:
        if exc.errno not in _NO_HARD_LINKS:
            raise
        if source.is_symlink():
            os.symlink(os.readlink(source), target)
        else:
            shutil.copy2(source, target, follow_symlinks=False)


def _directories(plan: ChangePlan) -> list[str]:
    """Every directory the new tree needs, parents first."""
    needed = set(plan.empty_dirs)
    for path in [*plan.writes, *plan.links]:
        parts = path.split("/")
        needed.update("/".join(parts[:depth]) for depth in range(1, len(parts)))
    return sorted(needed, key=lambda d: (d.count("/"), d))


def write_tree(
    tree: Mapping[str, str],
    out_dir: Path,
    *,
    spec_sha256: str,
    system: str | None = None,
    force: bool = False,
    dry_run: bool = False,
) -> WriteReport:
    """Make ``out_dir`` hold exactly ``tree`` plus its manifest; see the module docstring.

    Args:
        tree: the formatted tree, ``{relative posix path: text}``.
        out_dir: the output directory (created with its parents if missing).
        spec_sha256: sha256 of the spec file, recorded in the manifest.
        system: the system the tree is of, recorded in the manifest; a directory whose
            manifest names another system is refused unless ``force``.
        force: overwrite or delete hand-edited files, and generate into a directory that
            has no manifest or holds another system's stack.
        dry_run: only report what would happen; nothing on disk changes.

    Raises:
        HandEditedError: (exit code 1) conflicting files exist and ``force`` is not set.
        OtherSystemError: (exit code 1) out_dir holds another system's stack and ``force`` is
            not set.
        OutputError: an unsafe path, a symlink or directory in the way, an unknown non-empty
            directory, or a file system error; the previous output is then unchanged.
    """
    if not _SHA256.fullmatch(spec_sha256):
        raise ValueError(f"spec_sha256 must be 64 lower-case hex digits, got {spec_sha256!r}")
    files = _encode_tree(tree)
    out_dir = _resolve(Path(out_dir))
    manifest = Manifest.for_files(
        files, generator_version=__version__, spec_sha256=spec_sha256, system=system
    )
    manifest_bytes = manifest.to_json().encode("utf-8")
    if dry_run:
        with swap.locked_if_possible(out_dir):
            plan = classify(files, swap.current_output(out_dir), force, system)
        return _report(plan, out_dir, force, dry_run=True, written=False)
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create {out_dir.parent}: {exc}") from exc
    with swap.locked(out_dir):
        swap.pause_point("locked")
        swap.recover(out_dir)
        root = out_dir if out_dir.exists() else None
        plan = classify(files, root, force, system)
        report = _report(plan, out_dir, force, dry_run=False, written=False)
        if not _needs_writing(plan, out_dir, manifest_bytes):
            return report
        _refuse_current_directory(out_dir)
        root_mode = os.stat(out_dir).st_mode if root is not None else None
        swap.replace_directory(out_dir, lambda s: _stage(plan, s, manifest_bytes, root_mode))
    return _report(plan, out_dir, force, dry_run=False, written=True)


def _refuse_current_directory(out_dir: Path) -> None:
    """The swap gives out_dir a new inode: a shell inside it would be left in a deleted one."""
    try:
        cwd = os.path.realpath(os.getcwd())
    except FileNotFoundError:
        return
    if cwd == str(out_dir) or cwd.startswith(str(out_dir) + os.sep):
        raise OutputError(
            f"refusing to write {out_dir} while the current directory is inside it",
            hint="run the build from outside the output directory",
        )


def _report(
    plan: ChangePlan, out_dir: Path, force: bool, *, dry_run: bool, written: bool
) -> WriteReport:
    """The report of ``plan``; raises HandEditedError if it has conflicts and no force."""
    report = WriteReport(out_dir, tuple(plan.changes), dry_run=dry_run, written=written)
    if report.conflicts and not force:
        raise HandEditedError(report)
    return report


def _needs_writing(plan: ChangePlan, out_dir: Path, manifest: bytes) -> bool:
    if any(change.action is not Action.IDENTICAL for change in plan.changes):
        return True
    path = out_dir / MANIFEST_NAME
    return not (path.is_file() and not path.is_symlink() and path.read_bytes() == manifest)


def diff_tree(tree: Mapping[str, str], out_dir: Path) -> str:
    """A unified diff from what is on disk to ``tree``; empty when they agree.

    Covers every file the tree produces and every stale generated file (in the manifest, no
    longer produced). Foreign files and the manifest itself are not compared. Used by
    ``build --check`` and ``mlopsgen diff``; reads only.
    """
    files = _encode_tree(tree)
    out_dir = _resolve(Path(out_dir))
    with swap.locked_if_possible(out_dir):
        root = swap.current_output(out_dir)
        disk = scan_output(root) if root is not None else {}
        try:
            manifest = Manifest.read(root) if root is not None else None
        except ManifestError:
            manifest = None
    stale = [p for p in (manifest.files if manifest else {}) if p not in files and p in disk]
    return "".join(
        _diff_one(path, disk.get(path), files.get(path)) for path in sorted([*files, *stale])
    )


def _diff_one(path: str, entry: DiskEntry | None, new: bytes | None) -> str:
    old = entry.read() if entry is not None and entry.kind is Kind.FILE else None
    if entry is not None and entry.kind is not Kind.FILE:
        old = f"({entry.kind.value} on disk)\n".encode()
    if old == new:
        return ""
    before = _lines(old)
    after = _lines(new)
    lines = difflib.unified_diff(
        before,
        after,
        fromfile=f"a/{path}" if old is not None else "/dev/null",
        tofile=f"b/{path}" if new is not None else "/dev/null",
    )
    return "".join(lines)


def _lines(data: bytes | None) -> list[str]:
    """Lines split at LF only (``str.splitlines`` would also split at U+2028 and friends)."""
    if not data:
        return []
    lines = [line + "\n" for line in data.decode("utf-8", errors="replace").split("\n")]
    lines[-1] = lines[-1][:-1]
    if lines[-1] == "":
        lines.pop()
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n\\ No newline at end of file\n"
    return lines
