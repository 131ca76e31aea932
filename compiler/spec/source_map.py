"""Where every key and value of a spec sits in its file.

The loader records a :class:`Span` for each mapping key and each value, addressed by the
path of keys and list indices that leads to it (``("slo", "latency_p95_ms")``). Every later
stage reports problems by path, and this map turns the path back into ``file:line:column``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from mlopsgen.diagnostics import Span, dotted

SpecPath = tuple[str | int, ...]

_DOTTED_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


__all__ = ["SourceMap", "SpecPath", "dotted", "parse_dotted"]


def parse_dotted(text: str) -> SpecPath:
    """The inverse of :func:`dotted` (spec keys never contain dots or brackets)."""
    if text == "(spec)":
        return ()
    return tuple(int(index) if index else key for key, index in _DOTTED_PART.findall(text))


@dataclass(frozen=True)
class SourceMap:
    """Spans of keys and values by path, for one file."""

    file: str
    text: str
    keys: dict[SpecPath, Span] = field(default_factory=dict)
    values: dict[SpecPath, Span] = field(default_factory=dict)

    def value_span(self, path: SpecPath) -> Span | None:
        """Span of the value at ``path``, or of its nearest existing ancestor."""
        return self._nearest(self.values, path)

    def key_span(self, path: SpecPath) -> Span | None:
        """Span of the key that names ``path``, falling back to the value or an ancestor."""
        if path in self.keys:
            return self.keys[path]
        return self.value_span(path)

    def _nearest(self, table: dict[SpecPath, Span], path: SpecPath) -> Span | None:
        for end in range(len(path), -1, -1):
            span = table.get(path[:end])
            if span is not None:
                return span
        return Span(self.file, 1, 1)

    def line_of(self, path: SpecPath) -> int:
        """The 1-based line where ``path`` is written (1 when the path is not in the file)."""
        span = self.key_span(path)
        return span.line if span is not None else 1

    def location(self, path: SpecPath) -> str:
        """``file:line`` for a path: the short form the plan table prints."""
        return f"{self.file}:{self.line_of(path)}"

    def locate(self, dotted_path: str) -> str:
        """``file:line`` for a dotted path such as the Plan's decision sources hold."""
        return self.location(parse_dotted(dotted_path))
