"""Decision rules as Python for the generated services, and their reference interpreter.

The BentoML target writes rules into ``services/rules.py`` (:mod:`.rules_module`); the Plan
carries them as :mod:`mlopsgen.expr` trees. ``to_python`` is built to be impossible to subvert:
the nodes only admit known operators, ASCII names and plain literals; string literals go through
``repr`` (which escapes quotes, backslashes, newlines and U+2028); reference reads come from the
caller's accessor re-printed through :mod:`ast` (no comments, no stray newlines); and every
operation is parenthesised, so neither precedence nor Python's comparison chaining can change
what the rule means.
``evaluate`` is the reference semantics: it applies Python's own operators in the same order,
so the two agree value for value and exception for exception.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping
from typing import Any, cast

from mlopsgen.expr.nodes import Arith, Compare, Const, Expr, InList, Logic, Neg, Not, Ref

__all__ = ["evaluate", "to_python"]

_ARITH_FUNCS: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "%": operator.mod,
}
_COMPARE_FUNCS: dict[str, Callable[[Any, Any], Any]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_ATOMIC_PYTHON = (ast.Name, ast.Attribute, ast.Subscript, ast.Call, ast.Constant)


def to_python(expr: Expr, accessor: Callable[[str], str]) -> str:
    """Python source for the rule, to embed in generated code.

    Args:
        expr: The rule tree.
        accessor: Maps a reference name to Python source that reads it, e.g.
            ``lambda name: f"row[{name!r}]"``. Its output is parsed and re-printed, so a
            comment or a line break in it cannot leak into the surrounding code.

    Returns:
        A fully parenthesised Python expression whose value (or exception) equals
        ``evaluate(expr, row)`` when the accessor reads ``row``.

    Raises:
        ValueError: The accessor returned text that is not a Python expression.
    """
    match expr:
        case Const(value=value):
            text = repr(value)
            return f"({text})" if text.startswith("-") else text
        case Ref(name=name):
            return _access(accessor, name)
        case Neg(operand=operand):
            return f"(-{to_python(operand, accessor)})"
        case Not(operand=operand):
            return f"(not {to_python(operand, accessor)})"
        case Arith(op=op, left=left, right=right) | Compare(op=op, left=left, right=right):
            return f"({to_python(left, accessor)} {op} {to_python(right, accessor)})"
        case InList(operand=operand, items=items, negated=negated):
            keyword = "not in" if negated else "in"
            values = ", ".join(repr(item.value) for item in items.items)
            return f"({to_python(operand, accessor)} {keyword} [{values}])"
        case Logic(op=op, operands=operands):
            return "(" + f" {op} ".join(to_python(o, accessor) for o in operands) + ")"


def _access(accessor: Callable[[str], str], name: str) -> str:
    source = accessor(name)
    try:
        tree = ast.parse(source, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as err:
        raise ValueError(f"accessor returned invalid Python for {name!r}: {source!r}") from err
    text = ast.unparse(tree.body)
    if isinstance(tree.body, _ATOMIC_PYTHON):
        return text
    return f"({text})"


def evaluate(expr: Expr, row: Mapping[str, object]) -> object:
    """Evaluate a rule over one row, by walking the tree (nothing is compiled or ``eval``'d).

    This is the reference semantics that :func:`to_python` must match: Python's operators,
    applied left to right, with Python's short-circuiting ``and``/``or`` (which return an
    operand, not necessarily a bool). Type checking is :func:`check_expression`'s job, so an
    unchecked tree can raise exactly what Python would raise.

    Raises:
        KeyError: A referenced name is missing from ``row``.
        ZeroDivisionError: Division or modulo by zero.
        TypeError: Operands of incompatible types (only possible for unchecked rules).
    """
    match expr:
        case Const(value=value):
            return value
        case Ref(name=name):
            return row[name]
        case Neg(operand=operand):
            return operator.neg(cast(Any, evaluate(operand, row)))
        case Not(operand=operand):
            return not evaluate(operand, row)
        case Arith(op=op, left=left, right=right):
            return _ARITH_FUNCS[op](evaluate(left, row), evaluate(right, row))
        case Compare(op=op, left=left, right=right):
            return _COMPARE_FUNCS[op](evaluate(left, row), evaluate(right, row))
        case InList(operand=operand, items=items, negated=negated):
            found = evaluate(operand, row) in [item.value for item in items.items]
            return not found if negated else found
        case Logic(op=op, operands=operands):
            return _evaluate_logic(op == "and", operands, row)


def _evaluate_logic(is_and: bool, operands: tuple[Expr, ...], row: Mapping[str, object]) -> object:
    """Python's ``and``/``or``: stop at the first falsy (``and``) or truthy (``or``) operand."""
    value: object = None
    for operand in operands:
        value = evaluate(operand, row)
        if bool(value) != is_and:
            return value
    return value
