"""The environment cache: ``<cache>/envs/<hash>/``, built once, reused with nothing installed.

Where: ``$MLOPSGEN_CACHE/envs`` when that variable is set, else ``$XDG_CACHE_HOME/mlopsgen/envs``
or ``~/.cache/mlopsgen/envs``. Each environment is a virtualenv named by
:meth:`EnvPins.digest`, holding a ``mlopsgen-env.json`` that records its pins.

A build runs under an exclusive lock on ``<hash>.lock`` (a second process asking for the same
environment waits, then reuses it), in ``.build-<hash>-<pid>/``. When pip has finished, the
scripts that name the temporary path are rewritten to the final one and the directory is
renamed into place: the rename is atomic, so ``<hash>/`` either does not exist or is
complete. pip's output goes to ``<hash>.log`` beside it, kept when a build fails.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from mlopsgen.stackenv.errors import EnvBuildError, failed_package, pip_error_lines
from mlopsgen.stackenv.pins import EnvPins, python_supported

__all__ = ["CACHE_VARIABLE", "EnvResult", "cache_root", "ensure_env"]

CACHE_VARIABLE = "MLOPSGEN_CACHE"
MARKER = "mlopsgen-env.json"
Status = Callable[[str], None]


@dataclass(frozen=True)
class EnvResult:
    """An environment ready to run: its interpreter, and whether this call built it."""

    python: Path
    root: Path
    digest: str
    built: bool


def cache_root() -> Path:
    """The directory environments are cached in (see the module docstring)."""
    configured = os.environ.get(CACHE_VARIABLE)
    if configured:
        return Path(configured).expanduser() / "envs"
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "mlopsgen" / "envs"


def _python_of(env: Path) -> Path:
    return env / "bin" / "python"


def _usable(env: Path, pins: EnvPins) -> bool:
    """A cached environment is reused only when its marker records exactly these pins."""
    try:
        recorded = json.loads((env / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (
        isinstance(recorded, dict)
        and recorded.get("digest") == pins.digest()
        and _python_of(env).exists()
    )


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def ensure_env(
    pins: EnvPins,
    *,
    root: Path | None = None,
    base_python: Path | None = None,
    status: Status | None = None,
) -> EnvResult:
    """The environment for ``pins``, from the cache or built now.

    Args:
        pins: what the environment holds.
        root: the cache directory (default :func:`cache_root`).
        base_python: the interpreter to build on (default: the one running mlopsgen); its
            ``major.minor`` must be ``pins.python``.
        status: called with one line before each slow stage (for a progress display).

    Raises:
        EnvBuildError: pip failed (naming the package it blames) or the cache is unwritable.
    """
    if pins.requires_python and not python_supported(pins.requires_python, pins.python):
        raise EnvBuildError(
            f"the stack supports Python {pins.requires_python}, not {pins.python}",
            "run mlopsgen from a supported Python, or name an interpreter with --python",
        )
    cache = root if root is not None else cache_root()
    digest = pins.digest()
    final = cache / digest
    if _usable(final, pins):
        return EnvResult(_python_of(final), final, digest, built=False)
    try:
        with _locked(cache / f"{digest}.lock"):
            if _usable(final, pins):  # another process built it while this one waited
                return EnvResult(_python_of(final), final, digest, built=False)
            _build(pins, cache, final, base_python or Path(sys.executable), status)
    except OSError as exc:
        raise EnvBuildError(
            f"cannot create the stack environment in {cache}: {exc.strerror or exc}",
            f"set {CACHE_VARIABLE} to a writable directory",
        ) from None
    return EnvResult(_python_of(final), final, digest, built=True)


def _build(pins: EnvPins, cache: Path, final: Path, base: Path, status: Status | None) -> None:
    """Build in a temporary directory, then rename it to ``final`` (under the lock)."""
    say = status or (lambda _: None)
    for leftover in cache.glob(f".build-{final.name}-*"):  # a killed build's; we hold the lock
        shutil.rmtree(leftover, ignore_errors=True)
    if final.exists():  # incomplete or for other pins: never reused, replaced
        shutil.rmtree(final)
    work = cache / f".build-{final.name}-{os.getpid()}"
    log = cache / f"{final.name}.log"
    log.unlink(missing_ok=True)
    try:
        say(f"creating a Python {pins.python} environment")
        _run([str(base), "-m", "venv", str(work)], log, "create the virtualenv")
        (work / "requirements.txt").write_text("\n".join(pins.requirements) + "\n", "utf-8")
        (work / "constraints.txt").write_text("\n".join(pins.constraints) + "\n", "utf-8")
        say(
            f"installing {len(pins.requirements)} requirements pinned by "
            f"{len(pins.constraints)} constraints (once: cached as {final.name})"
        )
        install = ["-m", "pip", "install", "--disable-pip-version-check", "--no-input"]
        _run(
            [
                str(_python_of(work)),
                *install,
                "-r",
                str(work / "requirements.txt"),
                "-c",
                str(work / "constraints.txt"),
            ],
            log,
            "install the pinned packages",
        )
        _relocate(work, final)
        marker = {"digest": final.name, **_describe(pins)}
        (work / MARKER).write_text(json.dumps(marker, indent=2, sort_keys=True) + "\n", "utf-8")
        os.rename(work, final)
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)


def _describe(pins: EnvPins) -> dict[str, object]:
    return {
        "python": pins.python,
        "requirements": list(pins.requirements),
        "constraints": list(pins.constraints),
    }


def _run(command: list[str], log: Path, what: str) -> None:
    """Run one build command, its output appended to ``log``; a failure names the package."""
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("PYTHONPATH", None)
    done = subprocess.run(
        command, capture_output=True, text=True, env=env, check=False, stdin=subprocess.DEVNULL
    )
    with log.open("a", encoding="utf-8") as handle:
        handle.write(f"$ {' '.join(command)}\n{done.stdout}{done.stderr}\n")
    if done.returncode == 0:
        return
    output = done.stdout + done.stderr
    package = failed_package(output)
    blamed = f": {package}" if package else ""
    detail = "\n".join(f"  {line}" for line in pip_error_lines(output))
    raise EnvBuildError(
        f"cannot build the stack environment: pip could not {what}{blamed}"
        + (f"\n{detail}" if detail else ""),
        f"pip's full output is in {log}; without network access, pip installs only what "
        "its configured indexes and find-links hold",
    )


def _relocate(work: Path, final: Path) -> None:
    """Point the scripts a virtualenv writes with its own path at the path it will have.

    Console scripts start with ``#!<env>/bin/python`` and the activate scripts set
    ``VIRTUAL_ENV``; the interpreter itself finds its environment from its own location, so
    these text files are all that name the temporary directory.
    """
    old, new = str(work), str(final)
    for path in [*(work / "bin").iterdir(), work / "pyvenv.cfg"]:
        if path.is_symlink() or not path.is_file():
            continue
        data = path.read_bytes()
        if old.encode() not in data or (b"\0" in data[:1024] and not data.startswith(b"#!")):
            continue
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            continue
        mode = path.stat().st_mode
        path.write_text(text.replace(old, new), encoding="utf-8")
        path.chmod(mode)
