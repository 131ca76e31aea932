"""Why an environment could not be built, in the user's terms: which package, and what to do.

pip ends a failed install with a screenful of output; the line that matters names a package
(no release matches its pin, its download failed, its build failed) or two packages that
conflict. :func:`failed_package` finds that line so the error can name the package.
"""

from __future__ import annotations

import re

from mlopsgen.diagnostics import MlopsgenError

__all__ = ["EnvBuildError", "failed_package", "pip_error_lines"]

#: pip's phrasings, most specific first; group 1 is the package (or pin) at fault.
_PATTERNS = (
    re.compile(r"No matching distribution found for (\S+)"),
    re.compile(r"Could not find a version that satisfies the requirement (\S+)"),
    re.compile(r"Failed to build (?:installable wheels for some \S+ based projects )?\(?([\w.-]+)"),
    re.compile(r"Cannot install (.+?) because these package versions have conflicting"),
    re.compile(r"Could not install packages due to an \w+: .*?'([^']+)'"),
    re.compile(r"Building wheel for (\S+) .*did not run successfully"),
)


class EnvBuildError(MlopsgenError):
    """The stack environment could not be built (exit code 4: the run could not start)."""

    exit_code = 4

    def __init__(self, message: str, hint: str | None = None):
        self.hint = hint
        super().__init__(message)


def failed_package(output: str) -> str | None:
    """The package pip's output blames, or None when it names none."""
    for pattern in _PATTERNS:
        match = pattern.search(output)
        if match is not None:
            return match.group(1).rstrip(".,)")
    return None


def pip_error_lines(output: str, limit: int = 6) -> list[str]:
    """pip's own error lines (``ERROR: ...``), the last ``limit`` of them."""
    lines = [line.strip() for line in output.splitlines() if line.startswith("ERROR:")]
    return lines[-limit:]
