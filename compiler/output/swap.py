"""Replacing an output directory so that a build killed at any moment loses nothing.

The writer never edits the output directory in place. It builds the complete new tree in a
*staging* directory next to it (same parent, so same file system), then swaps the two:

* On Linux, ``renameat2(RENAME_EXCHANGE)`` exchanges the two names in one atomic step: at
  every instant ``out_dir`` is either the complete old tree or the complete new one. The old
  tree, now under the staging name, is then removed.
* Elsewhere (or on file systems without exchange, such as NFS), ``out_dir`` is renamed aside to
  an *old* name and the staging directory renamed into place. Between those two renames
  ``out_dir`` does not exist; the previous output is intact under the old name and the next
  build (or :func:`recover`) renames it back before doing anything else.

Leftovers of a killed build are hidden siblings named ``.<out_dir name>.mlopsgen-staging-*``
and ``.<out_dir name>.mlopsgen-old-*``. :func:`recover` runs first in every build: it puts a
previous output back if ``out_dir`` is missing, then deletes every leftover, which is safe
because, whenever ``out_dir`` exists, it is complete. Builds into the same parent directory are
serialised with ``flock`` on that directory, so one build never mistakes another's staging
directory for a leftover.

What this covers: the process dying (SIGKILL, OOM, Ctrl-C). It does not fsync every file, so
after a power loss the newest files may be empty; that would cost a sync per file.

Test hooks: ``MLOPSGEN_WRITER_PAUSE`` (comma-separated point names) makes the writer print
``paused:<point>`` on stderr and sleep at those points, so a test can kill it there;
``MLOPSGEN_WRITER_SWAP=rename`` forces the rename-aside strategy.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import functools
import os
import secrets
import stat
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from mlopsgen.diagnostics import OutputError

__all__ = [
    "current_output",
    "leftovers",
    "locked",
    "locked_if_possible",
    "pause_point",
    "recover",
    "remove_tree",
    "replace_directory",
]

STAGING_TAG = "mlopsgen-staging"
OLD_TAG = "mlopsgen-old"
PAUSE_ENV = "MLOPSGEN_WRITER_PAUSE"
SWAP_ENV = "MLOPSGEN_WRITER_SWAP"

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
_UNSUPPORTED = {errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP}


def pause_point(name: str) -> None:
    """Stop here forever if the test hook asks for it (see the module docstring)."""
    wanted = os.environ.get(PAUSE_ENV, "")
    if name in wanted.split(","):
        os.write(2, f"paused:{name}\n".encode())
        while True:
            time.sleep(3600)


def _sibling(out_dir: Path, tag: str) -> Path:
    return out_dir.parent / f".{out_dir.name}.{tag}-{secrets.token_hex(4)}"


def leftovers(out_dir: Path, tag: str) -> list[Path]:
    """Staging (``tag=STAGING_TAG``) or old (``OLD_TAG``) directories of earlier builds."""
    prefix = f".{out_dir.name}.{tag}-"
    try:
        with os.scandir(out_dir.parent) as entries:
            return sorted(Path(e.path) for e in entries if e.name.startswith(prefix))
    except FileNotFoundError:
        return []


def current_output(out_dir: Path) -> Path | None:
    """Where the current output lives, without changing anything (for dry runs and diffs).

    That is ``out_dir``, or the previous output set aside by an interrupted rename-aside swap,
    or None if there is no output yet.
    """
    if os.path.lexists(out_dir):
        return out_dir
    olds = leftovers(out_dir, OLD_TAG)
    return olds[0] if len(olds) == 1 else None


@contextmanager
def locked(out_dir: Path) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``out_dir``'s parent for the duration of a build."""
    fd = os.open(out_dir.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


@contextmanager
def locked_if_possible(out_dir: Path) -> Iterator[None]:
    """:func:`locked` when the parent exists, so a read sees no build half-way; else nothing."""
    if out_dir.parent.is_dir():
        with locked(out_dir):
            yield
    else:
        yield


def recover(out_dir: Path) -> None:
    """Undo or finish an interrupted build: restore a set-aside output, delete leftovers.

    Must run under :func:`locked`.

    Raises:
        OutputError: if ``out_dir`` is missing and several set-aside outputs exist, which no
            sequence of single builds produces; a person has to choose.
    """
    olds = leftovers(out_dir, OLD_TAG)
    if not os.path.lexists(out_dir) and olds:
        if len(olds) > 1:
            names = ", ".join(str(p) for p in olds)
            raise OutputError(
                f"{out_dir} is missing and several earlier outputs were set aside: {names}",
                hint=f"rename the one to keep to {out_dir} and delete the others",
            )
        os.rename(olds.pop(), out_dir)
    for leftover in leftovers(out_dir, STAGING_TAG) + olds:
        remove_tree(leftover)


def remove_tree(path: Path, *, pause: str | None = None) -> None:
    """Delete ``path`` recursively without following symlinks or crossing into other mounts.

    Read-only directories are made writable first (generated stacks may hold read-only trees,
    such as a virtualenv's). ``pause`` names a test pause point hit after the first deletion.
    """
    if not os.path.lexists(path):
        return
    if path.is_symlink() or not path.is_dir():
        os.unlink(path)
        return
    _Deleter(os.lstat(path).st_dev, pause).remove_dir(path)


class _Deleter:
    def __init__(self, device: int, pause: str | None):
        self.device = device
        self.pause = pause

    def remove_dir(self, path: Path) -> None:
        with os.scandir(path) as scan:
            entries = list(scan)
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                if entry.stat(follow_symlinks=False).st_dev != self.device:
                    raise OutputError(f"refusing to delete across a mount point: {entry.path}")
                self.remove_dir(Path(entry.path))
            else:
                _retry_writable(path, functools.partial(os.unlink, entry.path))
            if self.pause is not None:
                point, self.pause = self.pause, None
                pause_point(point)
        _retry_writable(path.parent, functools.partial(os.rmdir, path))


def _retry_writable(directory: Path, action: Callable[[], None]) -> None:
    try:
        action()
    except PermissionError:
        mode = os.lstat(directory).st_mode
        os.chmod(directory, stat.S_IMODE(mode) | stat.S_IRWXU)
        action()


@functools.cache
def _renameat2() -> Callable[..., int] | None:
    if sys.platform != "linux":
        return None
    function = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if function is None:
        return None
    function.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    function.restype = ctypes.c_int
    return function  # type: ignore[no-any-return]


def _exchange(a: Path, b: Path) -> bool:
    """Atomically exchange two paths; False when the system or file system cannot."""
    function = _renameat2()
    if function is None or os.environ.get(SWAP_ENV) == "rename":
        return False
    if function(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in _UNSUPPORTED:
        return False
    raise OSError(code, os.strerror(code), str(a), None, str(b))


def _swap(staging: Path, out_dir: Path) -> Path | None:
    """Put ``staging`` at ``out_dir``; return where the previous tree now is (None if none)."""
    if not os.path.lexists(out_dir):
        os.rename(staging, out_dir)
        return None
    if _exchange(staging, out_dir):
        pause_point("swapped")
        return staging
    old = _sibling(out_dir, OLD_TAG)
    os.rename(out_dir, old)
    pause_point("aside")
    os.rename(staging, out_dir)
    pause_point("swapped")
    return old


def replace_directory(out_dir: Path, build: Callable[[Path], None]) -> None:
    """Build the new tree with ``build(staging)`` and swap it in for ``out_dir`` atomically.

    Must run under :func:`locked`, after :func:`recover`; ``out_dir`` may not exist yet. If
    removing the previous tree after the swap fails, the new output is in place and the next
    build's :func:`recover` retries the removal.

    Raises:
        OutputError: if the staging tree cannot be built or the directories cannot be renamed
            (permissions, a mount point); the previous output is then unchanged.
    """
    staging = _sibling(out_dir, STAGING_TAG)
    try:
        os.mkdir(staging)
        build(staging)
    except BaseException as exc:
        remove_tree(staging)
        if isinstance(exc, OSError):
            raise OutputError(
                f"cannot prepare the new output next to {out_dir}: {exc}",
                hint="the new output is assembled beside the old one, so the parent directory "
                "must be writable; the previous output is unchanged",
            ) from exc
        raise
    pause_point("staged")
    try:
        previous = _swap(staging, out_dir)
    except OSError as exc:
        recover(out_dir)
        raise OutputError(
            f"cannot replace {out_dir}: {exc}",
            hint="the previous output is unchanged; check the parent directory's permissions",
        ) from exc
    if previous is not None:
        with contextlib.suppress(OSError, OutputError):
            remove_tree(previous, pause="cleaning")
