"""Safe YAML reading with positions, duplicate-key detection and resource caps.

PyYAML's safe loader alone is not enough for hostile input: it silently keeps the last of
two duplicate keys, recurses on deep nesting, and expands aliases without bound (the
"billion laughs"). So reading happens in three passes, each bounded:

1. bytes -> text: size cap, NUL bytes (binary files), strict UTF-8 with the bad byte's
   position;
2. an event pass (iterative, so no recursion) that caps nesting depth and event count
   and turns scanner/parser errors into diagnostics with their mark;
3. a walk over the composed node graph that builds plain data, records a span for every
   key and value, rejects duplicate keys and non-standard tags, and caps alias expansion
   by counting every node it materialises.
"""

from __future__ import annotations

import collections
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from mlopsgen.diagnostics import Diagnostic, Span, SpecError, error
from mlopsgen.spec.source_map import SourceMap, SpecPath

MAX_BYTES = 1_000_000
MAX_DEPTH = 40
MAX_EVENTS = 200_000
MAX_NODES = 100_000
MAX_SCALAR_CHARS = 100_000

_TAG = "tag:yaml.org,2002:"
#: libyaml's parser when PyYAML was built with it (the wheels are); same events and marks.
_FAST_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_SCALAR_TAGS = {f"{_TAG}{t}" for t in ("str", "int", "float", "bool", "null", "timestamp")}


@dataclass(frozen=True)
class YamlDocument:
    """Plain data of one YAML document and the source map of its positions."""

    data: Any
    source_map: SourceMap


def decode_bytes(raw: bytes, file: str) -> str:
    """Decode a spec file's bytes, rejecting oversized, binary and non-UTF-8 input.

    Raises:
        SpecError: with the position of the offending byte.
    """
    if len(raw) > MAX_BYTES:
        raise SpecError(
            [
                error(
                    "E101",
                    f"file is larger than {MAX_BYTES:,} bytes, the limit for a spec",
                    Span(file, 1, 1),
                    "a spec describes one system in a few hundred lines; split generated data out",
                )
            ]
        )
    nul = raw.find(b"\x00")
    if nul >= 0:
        raise SpecError(
            [
                error(
                    "E102",
                    "file contains NUL bytes: not a text file",
                    _byte_span(raw, nul, file),
                    "pass a YAML spec file",
                )
            ]
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SpecError(
            [
                error(
                    "E103",
                    f"file is not valid UTF-8 (byte 0x{raw[exc.start]:02x})",
                    _byte_span(raw, exc.start, file),
                    "save the spec as UTF-8",
                )
            ]
        ) from None
    return text.replace("\r\n", "\n")


def _byte_span(raw: bytes, offset: int, file: str) -> Span:
    before = raw[:offset]
    line = before.count(b"\n") + 1
    column = offset - (before.rfind(b"\n") + 1) + 1
    return Span(file, line, column)


def _mark_span(mark: Any, file: str, end: Any = None) -> Span:
    if mark is None:
        return Span(file, 1, 1)
    if end is not None:
        return Span(file, mark.line + 1, mark.column + 1, end.line + 1, end.column + 1)
    return Span(file, mark.line + 1, mark.column + 1)


def _syntax_error(exc: yaml.MarkedYAMLError, file: str) -> Diagnostic:
    mark = exc.problem_mark or exc.context_mark
    problem = exc.problem or "invalid YAML"
    hint = "check indentation and quoting around this position"
    if "\\t" in problem or "'\\t'" in str(exc) or "tab" in problem:
        hint = "YAML indents with spaces, never tabs: replace the tab with spaces"
    elif "mapping values are not allowed" in problem:
        hint = "a value containing ': ' must be quoted, or a key is mis-indented"
    if exc.context and exc.context not in problem:
        problem = f"{problem} ({exc.context})"
    return error("E104", f"YAML syntax error: {problem}", _mark_span(mark, file), hint)


def _syntax_diagnostic(text: str, file: str, exc: yaml.MarkedYAMLError) -> Diagnostic:
    """Explain a syntax error with the pure-Python parser's wording when it agrees.

    libyaml parses ten times faster but says less ("found character that cannot start any
    token" where PyYAML names the tab); errors are rare, so they are parsed a second time.
    """
    if _FAST_LOADER is not yaml.SafeLoader:
        try:
            collections.deque(yaml.parse(text, Loader=yaml.SafeLoader), maxlen=0)
        except yaml.MarkedYAMLError as detailed:
            return _syntax_error(detailed, file)
        except yaml.YAMLError:
            return _syntax_error(exc, file)
    return _syntax_error(exc, file)


def _check_events(text: str, file: str) -> None:
    """Walk the event stream iteratively: bounded depth and size, syntax errors as diagnostics."""
    depth = count = documents = 0
    try:
        for event in yaml.parse(text, Loader=_FAST_LOADER):
            count += 1
            documents += isinstance(event, yaml.DocumentStartEvent)
            depth += isinstance(event, yaml.CollectionStartEvent)
            depth -= isinstance(event, yaml.CollectionEndEvent)
            problem = _event_problem(event, count, documents, depth)
            if problem is not None:
                code, message, hint = problem
                span = _mark_span(event.start_mark, file)
                raise SpecError([error(code, message, span, hint)])
    except yaml.MarkedYAMLError as exc:
        raise SpecError([_syntax_diagnostic(text, file, exc)]) from None
    except yaml.YAMLError as exc:
        raise SpecError([error("E104", f"YAML error: {exc}", Span(file, 1, 1))]) from None


def _event_problem(
    event: yaml.Event, count: int, documents: int, depth: int
) -> tuple[str, str, str] | None:
    """The limit the stream breaks at ``event``, as (code, message, hint), or None."""
    if count > MAX_EVENTS:
        return (
            "E105",
            f"spec has more than {MAX_EVENTS:,} YAML nodes",
            "a spec should be a few hundred lines",
        )
    if documents > 1:
        return (
            "E106",
            "a spec file holds exactly one YAML document",
            "remove the second '---' document or split it into its own file",
        )
    if depth > MAX_DEPTH:
        return (
            "E105",
            f"nesting deeper than {MAX_DEPTH} levels",
            "a spec nests a few levels at most; check for runaway brackets",
        )
    if isinstance(event, yaml.ScalarEvent) and len(event.value) > MAX_SCALAR_CHARS:
        return (
            "E105",
            f"a value longer than {MAX_SCALAR_CHARS:,} characters",
            "keep long text out of the spec",
        )
    return None


def read_yaml(text: str, file: str) -> YamlDocument:
    """Parse one YAML document into plain data plus a source map.

    Raises:
        SpecError: every problem found, each with its position and a hint.
    """
    _check_events(text, file)
    try:
        node = yaml.compose(text, Loader=_FAST_LOADER)
    except yaml.MarkedYAMLError as exc:
        raise SpecError([_syntax_diagnostic(text, file, exc)]) from None
    except (yaml.YAMLError, RecursionError) as exc:
        raise SpecError([error("E104", f"YAML error: {exc}", Span(file, 1, 1))]) from None
    source_map = SourceMap(file, text)
    if node is None:
        raise SpecError(
            [
                error(
                    "E107",
                    "the spec is empty",
                    Span(file, 1, 1),
                    "start from `mlopsgen init NAME` or copy a file from specs/",
                )
            ]
        )
    walker = _Walker(source_map)
    data = walker.build(node, ())
    if walker.diagnostics:
        raise SpecError(walker.diagnostics)
    return YamlDocument(data, source_map)


class _Walker:
    """Builds plain data from nodes, recording spans and collecting problems."""

    def __init__(self, source_map: SourceMap) -> None:
        self.source_map = source_map
        self.file = source_map.file
        self.constructor = SafeConstructor()
        self.nodes = 0
        self.diagnostics: list[Diagnostic] = []

    def span(self, node: Node) -> Span:
        return _mark_span(node.start_mark, self.file, node.end_mark)

    def count(self, node: Node, path: SpecPath, merges: int = 0) -> None:
        """Count one materialised node; stop when aliases blow the spec up or nest it deeply.

        The event pass already capped the nesting written in the file, so a path longer than
        :data:`MAX_DEPTH` (or a chain of merges as long) can only come from aliases. The
        position reported is the top-level entry being expanded: the alias's own position is
        not kept by the composer, and the anchor's would point at innocent text.
        """
        self.nodes += 1
        if self.nodes <= MAX_NODES and len(path) + merges <= MAX_DEPTH:
            return
        where = self.source_map.key_span(path[:1]) if path else self.span(node)
        if self.nodes > MAX_NODES:
            message = f"aliases expand the spec beyond {MAX_NODES:,} nodes"
        else:
            message = f"aliases nest the spec deeper than {MAX_DEPTH} levels"
        hint = "nested aliases multiply: write the repeated parts out instead"
        raise SpecError([error("E108", message, where, hint, path[:1])])

    def build(self, node: Node, path: SpecPath) -> Any:
        self.count(node, path)
        self.source_map.values.setdefault(path, self.span(node))
        if isinstance(node, MappingNode):
            return self.build_mapping(node, path)
        if isinstance(node, SequenceNode):
            if node.tag != f"{_TAG}seq":
                return self.bad_tag(node)
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        return self.build_scalar(node)

    def build_scalar(self, node: Node) -> Any:
        if node.tag not in _SCALAR_TAGS:
            return self.bad_tag(node)
        if node.tag == f"{_TAG}timestamp" or node.tag == f"{_TAG}str":
            return str(node.value)
        try:
            return self.constructor.construct_object(node, deep=True)
        except (ConstructorError, ValueError, OverflowError) as exc:
            self.diagnostics.append(
                error("E110", f"cannot read value {str(node.value)[:40]!r}: {exc}", self.span(node))
            )
            return None

    def bad_tag(self, node: Node) -> None:
        self.diagnostics.append(
            error(
                "E109",
                f"YAML tag {node.tag!r} is not allowed in a spec",
                self.span(node),
                "specs use plain mappings, lists, strings, numbers and booleans; remove the tag",
            )
        )
        return None

    def build_mapping(self, node: MappingNode, path: SpecPath) -> dict[str, Any]:
        if node.tag != f"{_TAG}map":
            self.bad_tag(node)
            return {}
        result: dict[str, Any] = {}
        for key_node, value_node in self.flatten_merges(node, path):
            if not isinstance(key_node, ScalarNode) or key_node.tag not in _SCALAR_TAGS:
                self.diagnostics.append(
                    error(
                        "E111",
                        "mapping keys must be plain strings",
                        self.span(key_node),
                        "write the key as a simple word such as `name`",
                    )
                )
                continue
            key = str(key_node.value)
            key_path = (*path, key)
            if key in result:
                first = self.source_map.keys.get(key_path)
                where = f" (first defined at line {first.line})" if first else ""
                self.diagnostics.append(
                    error(
                        "E112",
                        f"duplicate key {key!r}{where}",
                        self.span(key_node),
                        "YAML keeps only one of them; remove or rename the duplicate",
                        key_path,
                    )
                )
                continue
            self.source_map.keys[key_path] = self.span(key_node)
            result[key] = self.build(value_node, key_path)
        return result

    def flatten_merges(
        self, node: MappingNode, path: SpecPath, depth: int = 0
    ) -> list[tuple[Node, Node]]:
        """Apply YAML merge keys (``<<: *anchor``): explicit keys win over merged ones."""
        pairs: list[tuple[Node, Node]] = []
        merged: list[tuple[Node, Node]] = []
        for key_node, value_node in node.value:
            if key_node.tag != f"{_TAG}merge":
                pairs.append((key_node, value_node))
                continue
            sources = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
            for source in sources:
                self.count(source, path, depth + 1)
                if not isinstance(source, MappingNode):
                    self.diagnostics.append(
                        error(
                            "E111", "a merge key (<<) must reference a mapping", self.span(source)
                        )
                    )
                    continue
                merged.extend(self.flatten_merges(source, path, depth + 1))
        explicit = {k.value for k, _ in pairs if isinstance(k, ScalarNode)}
        seen: set[str] = set()
        for key_node, value_node in merged:
            if key_node.value not in explicit and key_node.value not in seen:
                seen.add(key_node.value)
                pairs.append((key_node, value_node))
        return pairs
