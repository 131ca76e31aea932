"""Decision rules (E4xx): parse and type-check every rule against what a request can read.

A rule runs inside the generated service for each request, so it may read the request's
fields and the online features of the feature views, nothing else. The rule checker reports
positions inside the rule text; this module moves them onto the spec file, so a caret lands
under the offending word of the YAML line rather than at the start of the rule.

Codes: ``E401`` the rule does not parse, ``E402`` it reads an unknown field or feature,
``E403`` types do not fit, ``E404`` a category literal is not among the column's values.
"""

from __future__ import annotations

from mlopsgen.diagnostics import Span, error, set_value
from mlopsgen.expr import Expr, ExprIssue, FieldKind, FieldType, Ref, parse_and_check, walk
from mlopsgen.spec.checks.context import CheckContext
from mlopsgen.spec.models.data import FieldKind as ColumnKind
from mlopsgen.spec.source_map import SpecPath

COLUMN_KINDS: dict[ColumnKind, FieldKind] = {
    "float": "number",
    "integer": "integer",
    "string": "string",
    "text": "string",
    "bool": "bool",
    "category": "category",
    "timestamp": "timestamp",
}
"""How source column types read in rules; image and embedding columns are not readable."""

COUNTING_AGGS = frozenset({"count", "count_distinct"})
"""Aggregations whose features are whole numbers; every other aggregation yields a number."""

_CATEGORY_MESSAGE = "is not a value of"


def rule_env(ctx: CheckContext) -> dict[str, FieldType]:
    """Fields and features a rule can read: request fields and online features, typed."""
    fields = ctx.spec.serving.request_fields
    names = fields if fields is not None else ctx.column_names()
    env: dict[str, FieldType] = {}
    for name in names:
        column = ctx.columns.get(name)
        if column is None or column.field.type not in COLUMN_KINDS:
            continue
        values = tuple(column.field.values) if column.field.values is not None else None
        env[name] = FieldType(COLUMN_KINDS[column.field.type], values)
    for view in ctx.spec.features.views:
        if not view.online:
            continue
        for feature in view.features:
            kind: FieldKind = "integer" if feature.agg in COUNTING_AGGS else "number"
            env.setdefault(f"{view.name}.{feature.name}", FieldType(kind))
    return env


def check_rules(ctx: CheckContext) -> None:
    """E401-E404: every decision rule parses and type-checks against :func:`rule_env`."""
    decision = ctx.spec.serving.decision
    if decision is None or not decision.rules:
        return
    env = rule_env(ctx)
    for r, rule in enumerate(decision.rules):
        path: SpecPath = ("serving", "decision", "rules", r, "when")
        expr, issues = parse_and_check(rule.when, env)
        unknown = _unknown_refs(expr, env)
        for issue in issues:
            code = _classify(expr, issue, unknown)
            hint = issue.hint
            if code == "E402":
                hint = _unavailable_hint(ctx, unknown.get(issue.offset)) or hint
            span, where = _issue_span(ctx, path, rule.when, issue)
            message = f"rule {rule.name!r}: {issue.message}{where}"
            fix = []
            if issue.replacement is not None:
                start, length, text = issue.replacement
                edited = rule.when[:start] + text + rule.when[start + length :]
                fix = [set_value(path, edited)]
            ctx.diagnostics.append(error(code, message, span, hint, path, fix))


def _unknown_refs(expr: Expr | None, env: dict[str, FieldType]) -> dict[int, str]:
    """References the environment lacks, by their offset in the rule text."""
    if expr is None:
        return {}
    return {
        node.offset: node.name
        for node, _ in walk(expr)
        if isinstance(node, Ref) and node.name not in env
    }


def _classify(expr: Expr | None, issue: ExprIssue, unknown: dict[int, str]) -> str:
    """The diagnostic code of a rule issue: syntax, unknown name, category value or type."""
    if expr is None:
        return "E401"
    if issue.offset in unknown and issue.message.startswith("unknown"):
        return "E402"
    if _CATEGORY_MESSAGE in issue.message:
        return "E404"
    return "E403"


def _unavailable_hint(ctx: CheckContext, name: str | None) -> str | None:
    """Explain why a name that exists in the spec cannot be read by a rule."""
    if name is None:
        return None
    column = ctx.columns.get(name)
    if column is not None:
        if column.field.type not in COLUMN_KINDS:
            return f"{name!r} is an {column.field.type} column; rules read scalar fields only"
        return (
            f"{name!r} is a column of source {column.source!r} but not a request field: "
            "add it to serving.request_fields"
        )
    view_name, _, feature = name.partition(".")
    view = ctx.views.get(view_name)
    if view is not None and not view.online and any(f.name == feature for f in view.features):
        return f"view {view_name!r} is offline: set `online: true` on it so rules can read it"
    return None


def _issue_span(
    ctx: CheckContext, path: SpecPath, text: str, issue: ExprIssue
) -> tuple[Span | None, str]:
    """Map an issue's offset in the rule onto the file, or fall back to the rule's start.

    The offset maps directly when the YAML scalar is written on one line exactly as its value
    (plain, or quoted without escapes: then one column further for the opening quote). A
    folded, multi-line or escaped scalar has no such simple correspondence; the rule's own
    span is used and the message says where in the rule the problem is.
    """
    span = ctx.source_map.value_span(path)
    if span is None:
        return None, ""
    shift = _quote_shift(ctx.source_map.text, span, text)
    if shift is None:
        return span, f" (at character {issue.offset + 1} of the rule)"
    column = span.column + shift + issue.offset
    return Span(span.file, span.line, column, span.line, column + issue.length), ""


def _quote_shift(source: str, span: Span, text: str) -> int | None:
    """0 for a plain scalar, 1 for a simply quoted one, None when positions do not map."""
    if span.end_line != span.line or span.end_column is None:
        return None
    lines = source.splitlines()
    if not 0 < span.line <= len(lines):
        return None
    raw = lines[span.line - 1][span.column - 1 : span.end_column - 1]
    if raw == text:
        return 0
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "'\"" and raw[1:-1] == text:
        return 1
    return None
