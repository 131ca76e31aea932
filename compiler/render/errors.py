"""The error a target raises when it cannot render a file.

It names the target and the file, so a template bug or a view that breaks on an unusual plan
reads as "target 'core' cannot render Makefile: ..." and never as a traceback. Targets raise
it through :func:`mlopsgen.render.environment.render_file`; the registry adds the target's
name and turns any other exception of a target into one.
"""

from __future__ import annotations

from mlopsgen.diagnostics import MlopsgenError

__all__ = ["RenderError"]


class RenderError(MlopsgenError):
    """A target failed, or two targets produced one path: a bug in the targets, not the spec.

    Attributes:
        target: the target's name, once known.
        path: the output file (or template) being rendered, when known.
        reason: what went wrong, without the target and file.
    """

    exit_code = 2

    def __init__(
        self,
        reason: str,
        *,
        target: str | None = None,
        path: str | None = None,
        whole: bool = False,
    ):
        """Args: ``whole`` says ``reason`` is the whole message (it names targets itself)."""
        self.reason = reason
        self.target = target
        self.path = path
        self.whole = whole
        where = f"target {target!r}" if target is not None else "a target"
        what = f" cannot render {path}" if path is not None else " failed"
        super().__init__(reason if whole else f"{where}{what}: {reason}")

    def in_target(self, target: str) -> RenderError:
        """The same error, naming ``target`` (kept when already set)."""
        return RenderError(
            self.reason, target=self.target or target, path=self.path, whole=self.whole
        )
