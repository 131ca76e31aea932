"""Frozen syntax-tree nodes and issues of the decision-rule expression language.

Nodes are plain frozen dataclasses so plans can embed them and tests can compare them. Each
node records where it came from (``offset`` and ``end``: 0-based character positions in the
rule text, end exclusive) so diagnostics can point at the exact column. Positions are left out
of equality and hashing: two rules that differ only in spacing or redundant parentheses mean
the same thing, and ``parse_expression(to_source(e)) == e`` should hold.

Constructors validate their fields. Code generation writes operators and names into generated
Python verbatim, so a node that could only be built by hand (an operator such as ``"+ x"``, a
reference that is not a name, an infinite float, a ``str`` subclass with its own ``__repr__``)
must be impossible to construct rather than something every emitter has to remember to escape.
"""

from __future__ import annotations

import keyword
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal, TypeAlias

MAX_LENGTH = 2000
"""Longest accepted rule text, in characters; rules are one-liners, not programs."""

MAX_DEPTH = 32
"""Deepest accepted nesting (tree depth and parenthesis/prefix nesting alike)."""

KEYWORDS = frozenset({"and", "or", "not", "in", "true", "false", "True", "False"})
"""Words with a meaning in rules; they can never be field names."""

RESERVED = KEYWORDS | frozenset(keyword.kwlist)
"""Words that cannot name a field: the rule keywords plus Python's, so generated code stays sane."""

ArithOp: TypeAlias = Literal["+", "-", "*", "/", "%"]
CompareOp: TypeAlias = Literal["==", "!=", "<", "<=", ">", ">="]
LogicOp: TypeAlias = Literal["and", "or"]
ConstKind: TypeAlias = Literal["integer", "number", "string", "bool"]
ConstValue: TypeAlias = int | float | str | bool

ARITH_OPS: tuple[ArithOp, ...] = ("+", "-", "*", "/", "%")
COMPARE_OPS: tuple[CompareOp, ...] = ("==", "!=", "<", "<=", ">", ">=")
LOGIC_OPS: tuple[LogicOp, ...] = ("and", "or")

_PART = r"[A-Za-z_][A-Za-z0-9_]*"
NAME_RE = re.compile(rf"{_PART}(?:\.{_PART})?", re.ASCII)
"""A reference: ``field`` or ``view.feature`` (ASCII identifiers, at most one dot)."""


@dataclass(frozen=True)
class ExprIssue:
    """One problem in a rule, positioned within the rule text.

    Attributes:
        message: What is wrong, e.g. ``unknown field 'amount'``.
        offset: 0-based character offset in the expression text; equals the text length when
            the problem is that the text ends too early.
        length: How many characters the problem spans (at least 1, so a caret is always drawn).
        hint: How to fix it, e.g. ``did you mean 'amount_usd'?``, when there is something
            useful to say.
        replacement: When the hint is one obvious edit of the text: the 0-based offset and
            length of the characters to replace and the text to put there, so the fix can be
            applied mechanically (``amount_usd`` for an unknown ``amount_us``).
    """

    message: str
    offset: int
    length: int
    hint: str | None = None
    replacement: tuple[int, int, str] | None = None

    def __post_init__(self) -> None:
        if self.offset < 0 or self.length < 1:
            raise ValueError(f"invalid issue position {self.offset}+{self.length}")


class ExprSyntaxError(Exception):
    """A rule text is not a valid expression; ``issue`` says where and why."""

    def __init__(self, issue: ExprIssue) -> None:
        super().__init__(issue.message)
        self.issue = issue


def _pos() -> int:
    """Position fields: keyword-only, defaulting to 0 for hand-built trees, not compared."""
    return field(default=0, compare=False, kw_only=True)


@dataclass(frozen=True)
class Const:
    """A literal: integer, finite float, string or boolean.

    ``kind`` is derived from the value and takes part in equality, so ``1``, ``1.0`` and
    ``true`` stay distinct even though Python considers them equal.
    """

    value: ConstValue
    kind: ConstKind = field(init=False)
    offset: int = _pos()
    end: int = _pos()

    def __post_init__(self) -> None:
        kinds: dict[type, ConstKind] = {
            bool: "bool",
            int: "integer",
            float: "number",
            str: "string",
        }
        kind = kinds.get(type(self.value))
        if kind is None:
            raise TypeError(f"unsupported literal type {type(self.value).__name__}")
        if isinstance(self.value, float) and not math.isfinite(self.value):
            raise ValueError("numeric literals must be finite")
        object.__setattr__(self, "kind", kind)


@dataclass(frozen=True)
class Ref:
    """A reference to a field (``amount_usd``) or a feature (``user_velocity.txn_count_1h``)."""

    name: str
    offset: int = _pos()
    end: int = _pos()

    def __post_init__(self) -> None:
        if type(self.name) is not str or NAME_RE.fullmatch(self.name) is None:
            raise ValueError(f"invalid reference name {self.name!r}")
        reserved = [part for part in self.name.split(".") if part in RESERVED]
        if reserved:
            raise ValueError(f"reference {self.name!r} uses the reserved word {reserved[0]!r}")


@dataclass(frozen=True)
class ListLit:
    """The literal list on the right of ``in``; only literals may appear in it."""

    items: tuple[Const, ...]
    offset: int = _pos()
    end: int = _pos()

    def __post_init__(self) -> None:
        if type(self.items) is not tuple or not all(isinstance(i, Const) for i in self.items):
            raise TypeError("list items must be a tuple of Const")


@dataclass(frozen=True)
class Neg:
    """Unary minus."""

    operand: Expr
    offset: int = _pos()
    end: int = _pos()

    def __post_init__(self) -> None:
        _require_expr(self.operand)


@dataclass(frozen=True)
class Not:
    """Boolean negation."""

    operand: Expr
    offset: int = _pos()
    end: int = _pos()

    def __post_init__(self) -> None:
        _require_expr(self.operand)


@dataclass(frozen=True)
class Arith:
    """Binary arithmetic: ``+ - * / %``."""

    op: ArithOp
    left: Expr
    right: Expr
    offset: int = _pos()
    end: int = _pos()

    def __post_init__(self) -> None:
        _require_op(self.op, ARITH_OPS)
        _require_expr(self.left)
        _require_expr(self.right)


@dataclass(frozen=True)
class Compare:
    """A single (never chained) comparison: ``== != < <= > >=``."""

    op: CompareOp
    left: Expr
    right: Expr
    offset: int = _pos()
    end: int = _pos()

    def __post_init__(self) -> None:
        _require_op(self.op, COMPARE_OPS)
        _require_expr(self.left)
        _require_expr(self.right)


@dataclass(frozen=True)
class InList:
    """Membership: ``operand in [..]`` or, when ``negated``, ``operand not in [..]``."""

    operand: Expr
    items: ListLit
    negated: bool = False
    offset: int = _pos()
    end: int = _pos()

    def __post_init__(self) -> None:
        _require_expr(self.operand)
        if not isinstance(self.items, ListLit) or type(self.negated) is not bool:
            raise TypeError("InList needs a ListLit and a bool 'negated'")


@dataclass(frozen=True)
class Logic:
    """``and``/``or`` over two or more operands; a flat chain keeps the tree shallow."""

    op: LogicOp
    operands: tuple[Expr, ...]
    offset: int = _pos()
    end: int = _pos()

    def __post_init__(self) -> None:
        _require_op(self.op, LOGIC_OPS)
        if type(self.operands) is not tuple or len(self.operands) < 2:
            raise ValueError("'and'/'or' need a tuple of at least two operands")
        for operand in self.operands:
            _require_expr(operand)


Expr: TypeAlias = Const | Ref | Neg | Not | Arith | Compare | InList | Logic
"""Any expression node; ``ListLit`` is not one because lists only appear after ``in``."""

Node: TypeAlias = Expr | ListLit
"""Any tree node, including the list of an ``in``."""

_EXPR_TYPES = (Const, Ref, Neg, Not, Arith, Compare, InList, Logic)


def _require_expr(value: object) -> None:
    if not isinstance(value, _EXPR_TYPES):
        raise TypeError(f"expected an expression node, got {type(value).__name__}")


def _require_op(op: object, allowed: tuple[str, ...]) -> None:
    if type(op) is not str or op not in allowed:
        raise ValueError(f"unsupported operator {op!r}")


def children(node: Node) -> tuple[Node, ...]:
    """The direct children of a node, left to right (the order they are evaluated in)."""
    match node:
        case Const() | Ref():
            return ()
        case ListLit(items=items):
            return items
        case Neg(operand=operand) | Not(operand=operand):
            return (operand,)
        case Arith(left=left, right=right) | Compare(left=left, right=right):
            return (left, right)
        case InList(operand=operand, items=items):
            return (operand, items)
        case Logic(operands=operands):
            return operands


def walk(node: Node) -> Iterator[tuple[Node, int]]:
    """Every node with its depth (root = 1), pre-order, without recursion.

    Iterative so that callers can inspect hand-built trees of any depth safely.
    """
    stack: list[tuple[Node, int]] = [(node, 1)]
    while stack:
        current, depth = stack.pop()
        yield current, depth
        stack.extend((child, depth + 1) for child in reversed(children(current)))


def issue_at(
    node: Node,
    message: str,
    hint: str | None = None,
    replace: tuple[Node, str] | None = None,
) -> ExprIssue:
    """An issue spanning a node (at least one character, even for hand-built trees).

    ``replace`` names a node and the text that should stand in its place, when the hint is
    exactly that edit.
    """
    replacement = None
    if replace is not None:
        target, text = replace
        replacement = (target.offset, target.end - target.offset, text)
    return ExprIssue(message, node.offset, max(1, node.end - node.offset), hint, replacement)
