"""Static checking of rule trees against the fields and features a rule may read.

The checker infers a type for every node bottom-up and reports every problem it finds rather
than stopping at the first, so a spec author fixes a rule in one pass. A node whose type cannot
be known (an unknown reference, an operand already reported as wrong) is typed ``None`` and
suppresses follow-on reports that would only repeat the first one.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, TypeAlias

from mlopsgen.expr.emit import quote_string, to_source
from mlopsgen.expr.nodes import (
    Arith,
    Compare,
    Const,
    Expr,
    ExprIssue,
    InList,
    Logic,
    Neg,
    Node,
    Not,
    Ref,
    issue_at,
)

FieldKind: TypeAlias = Literal["number", "integer", "string", "bool", "category", "timestamp"]
_KINDS: tuple[FieldKind, ...] = ("number", "integer", "string", "bool", "category", "timestamp")
_FAMILY: dict[str, str] = {
    "number": "number",
    "integer": "number",
    "string": "text",
    "category": "text",
    "bool": "bool",
    "timestamp": "timestamp",
}
_ARTICLE: dict[str, str] = {
    "number": "a number",
    "integer": "an integer",
    "string": "a string",
    "category": "a category",
    "bool": "true/false",
    "timestamp": "a timestamp",
}
_MAX_LISTED = 12


@dataclass(frozen=True)
class FieldType:
    """The type of a field or feature a rule can read.

    Attributes:
        kind: ``integer`` is a ``number`` that is known to be whole; ``category`` is a string
            drawn from a known set; ``timestamp`` only compares with other timestamps.
        values: The allowed values of a category, when known, so literals can be checked.
    """

    kind: FieldKind
    values: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise ValueError(f"unknown field kind {self.kind!r}")


_BOOL = FieldType("bool")


def check_expression(
    expr: Expr, env: Mapping[str, FieldType], expect_bool: bool = True
) -> list[ExprIssue]:
    """Type-check a rule against the names it may read.

    Args:
        expr: A parsed rule.
        env: Every readable field or feature (dotted names as written in rules) and its type.
        expect_bool: Whether the rule must produce true/false (conditions do; a score formula
            does not).

    Returns:
        Every issue found, ordered by position: unknown references (with a did-you-mean),
        type mismatches, category literals outside the known values, a non-bool result.
    """
    checker = _Checker(env)
    result = checker.infer(expr)
    if expect_bool and result is not None and result.kind != "bool":
        message = f"a rule must be true or false, but this expression is {_ARTICLE[result.kind]}"
        checker.issues.append(issue_at(expr, message, _to_bool_hint(expr, result)))
    return sorted(checker.issues, key=lambda i: (i.offset, i.length, i.message))


class _Checker:
    """One pass over one tree; collects issues while inferring types bottom-up."""

    def __init__(self, env: Mapping[str, FieldType]) -> None:
        self.env = env
        self.issues: list[ExprIssue] = []

    def report(
        self,
        node: Node,
        message: str,
        hint: str | None = None,
        replace: tuple[Node, str] | None = None,
    ) -> None:
        self.issues.append(issue_at(node, message, hint, replace))

    def infer(self, expr: Expr) -> FieldType | None:
        match expr:
            case Const(kind=kind):
                return FieldType(kind)
            case Ref(name=name):
                return self.reference(expr, name)
            case Neg(operand=operand):
                return self.numeric(operand, "'-'")
            case Not(operand=operand):
                self.boolean(operand, "'not'")
                return _BOOL
            case Logic(op=op, operands=operands):
                for operand in operands:
                    self.boolean(operand, f"'{op}'")
                return _BOOL
            case Arith(op=op, left=left, right=right):
                return self.arithmetic(op, left, right)
            case Compare(op=op, left=left, right=right):
                self.compare(expr, op, left, right)
                return _BOOL
            case InList():
                self.membership(expr)
                return _BOOL

    def reference(self, ref: Ref, name: str) -> FieldType | None:
        found = self.env.get(name)
        if found is None:
            what = "feature" if "." in name else "field"
            known = sorted(self.env)
            close = _only_close(name, known)
            replace = (ref, close) if close is not None else None
            self.report(ref, f"unknown {what} '{name}'", _suggest_name(name, known), replace)
        return found

    def numeric(self, expr: Expr, operator: str) -> FieldType | None:
        found = self.infer(expr)
        if found is None or _FAMILY[found.kind] == "number":
            return found
        message = f"{operator} needs a number, but {_show(expr)} is {_ARTICLE[found.kind]}"
        hint = "use 'and', 'or' and 'not' to combine conditions" if found.kind == "bool" else None
        self.report(expr, message, hint)
        return None

    def boolean(self, expr: Expr, operator: str) -> None:
        found = self.infer(expr)
        if found is not None and found.kind != "bool":
            message = f"{operator} needs true/false, but {_show(expr)} is {_ARTICLE[found.kind]}"
            self.report(expr, message, _to_bool_hint(expr, found))

    def arithmetic(self, op: str, left: Expr, right: Expr) -> FieldType | None:
        left_type = self.numeric(left, f"arithmetic ('{op}')")
        right_type = self.numeric(right, f"arithmetic ('{op}')")
        if left_type is None or right_type is None:
            return None
        if op == "/" or "number" in (left_type.kind, right_type.kind):
            return FieldType("number")
        return FieldType("integer")

    def compare(self, node: Compare, op: str, left: Expr, right: Expr) -> None:
        left_type, right_type = self.infer(left), self.infer(right)
        if left_type is None or right_type is None:
            return
        if _FAMILY[left_type.kind] != _FAMILY[right_type.kind]:
            message = (
                f"cannot compare {_show(left)} ({_ARTICLE[left_type.kind]}) "
                f"with {_show(right)} ({_ARTICLE[right_type.kind]})"
            )
            quoted = _quoted_number(left, right)
            replace = (quoted, str(quoted.value)) if quoted is not None else None
            self.report(node, message, _mismatch_hint(left, right), replace)
            return
        if op not in ("==", "!="):
            unordered = next(
                (t for t in (left_type, right_type) if t.kind in ("bool", "category")), None
            )
            if unordered is not None:
                what = "categories" if unordered.kind == "category" else "true/false values"
                message = f"'{op}' cannot order {what}: {_show(left)} {op} {_show(right)}"
                hint = "use '==', '!=' or 'in [...]'"
                self.report(
                    node, message, hint if unordered.kind == "category" else "use '==' or '!='"
                )
                return
        for subject, subject_type, other in ((left, left_type, right), (right, right_type, left)):
            if isinstance(other, Const):
                self.category_value(subject, subject_type, other)

    def membership(self, node: InList) -> None:
        found = self.infer(node.operand)
        if found is None:
            return
        if found.kind == "timestamp":
            self.report(node, "'in' is not supported for timestamps", "compare with '<' and '>'")
            return
        family = _FAMILY[found.kind]
        for item in node.items.items:
            if _FAMILY[item.kind] != family:
                message = (
                    f"{_show(item)} is {_ARTICLE[item.kind]}, "
                    f"but {_show(node.operand)} is {_ARTICLE[found.kind]}"
                )
                hint = f"every value in the list must be {_ARTICLE[found.kind]}"
                self.report(item, message, hint)
            else:
                self.category_value(node.operand, found, item)

    def category_value(self, subject: Expr, subject_type: FieldType, const: Const) -> None:
        allowed = subject_type.values
        if subject_type.kind != "category" or allowed is None or not isinstance(const.value, str):
            return
        if const.value in allowed:
            return
        message = f"{quote_string(const.value)} is not a value of {_show(subject)}"
        close = _only_close_value(const.value, allowed)
        replace = (const, quote_string(close)) if close is not None else None
        self.report(const, message, _allowed_hint(const.value, allowed), replace)


def _show(expr: Expr) -> str:
    """A short rendering of an operand for messages: names and literals as written."""
    if isinstance(expr, Ref):
        return f"'{expr.name}'"
    text = to_source(expr)
    if len(text) > 40:
        text = text[:37] + "..."
    return text if isinstance(expr, Const) else f"({text})"


def _one_of(names: Sequence[str]) -> str:
    quoted = [f"'{n}'" for n in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]


def _suggest_name(name: str, known: list[str]) -> str | None:
    """Did-you-mean over the known names; a bare feature name finds its ``view.feature``."""
    last = name.rsplit(".", 1)[-1]
    same_leaf = [k for k in known if k.rsplit(".", 1)[-1] == last and k != name]
    close = same_leaf[:3] or _closest(name, known)
    if close:
        return f"did you mean {_one_of(close)}?"
    if not known:
        return "this rule cannot read any fields"
    if len(known) <= _MAX_LISTED:
        return "known names: " + ", ".join(known)
    return None


def _only_close(name: str, known: list[str]) -> str | None:
    """The one name :func:`_suggest_name` proposes, or None when it proposes several or none."""
    last = name.rsplit(".", 1)[-1]
    same_leaf = [k for k in known if k.rsplit(".", 1)[-1] == last and k != name]
    close = same_leaf[:3] or _closest(name, known)
    return close[0] if len(close) == 1 else None


def _only_close_value(value: str, allowed: tuple[str, ...]) -> str | None:
    """The one category value :func:`_allowed_hint` proposes, if it proposes one."""
    same_case = [v for v in allowed if v.lower() == value.lower()]
    close = same_case[:1] or _closest(value, allowed)[:1]
    return close[0] if close else None


def _quoted_number(left: Expr, right: Expr) -> Const | None:
    """The number written in quotes that :func:`_mismatch_hint` asks to unquote, if any."""
    for const in (left, right):
        if isinstance(const, Const) and isinstance(const.value, str):
            try:
                float(const.value)
            except ValueError:
                continue
            return const
    return None


def _closest(word: str, candidates: Sequence[str]) -> list[str]:
    """Close matches, keeping only those nearly as close as the best so hints stay short."""
    scored = [(difflib.SequenceMatcher(None, word, c).ratio(), c) for c in candidates]
    best = max((score for score, _ in scored), default=0.0)
    if best < 0.6:
        return []
    return [c for score, c in sorted(scored, key=lambda sc: -sc[0]) if score >= best - 0.1][:3]


def _allowed_hint(value: str, allowed: tuple[str, ...]) -> str:
    listed = ", ".join(quote_string(v) for v in allowed[:_MAX_LISTED])
    if len(allowed) > _MAX_LISTED:
        listed += f", ... ({len(allowed)} in all)"
    hint = f"allowed values: {listed or '(none)'}"
    same_case = [v for v in allowed if v.lower() == value.lower()]
    close = same_case[:1] or _closest(value, allowed)[:1]
    return f"did you mean {quote_string(close[0])}? {hint}" if close else hint


def _to_bool_hint(expr: Expr, found: FieldType) -> str | None:
    family = _FAMILY[found.kind]
    text = to_source(expr)
    subject = text if len(text) <= 40 else "it"
    if family == "number":
        return f"compare it with a value, e.g. {subject} > 0"
    if family == "text":
        return f"compare it with a value, e.g. {subject} == 'value'"
    return None


def _mismatch_hint(left: Expr, right: Expr) -> str | None:
    """Spot the usual slip: a number written in quotes, compared with a numeric field."""
    const = _quoted_number(left, right)
    if const is None:
        return None
    return f"remove the quotes around {quote_string(str(const.value))} to compare numbers"
