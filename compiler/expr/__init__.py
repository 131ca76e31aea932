"""Decision rules: a small, safe expression language for conditions in specs.

Fraud-detection specs write rules such as::

    country in ['KP', 'IR', 'SY']
    amount_usd > 5000 and user_velocity.txn_count_1h == 0
    not (channel == 'web' or amount_usd * 2 >= 10000.5)

A rule is parsed into frozen nodes, checked against the types of the fields it reads, and
emitted as Python source for generated services (by the BentoML target,
:mod:`mlopsgen.targets.bentoml.rules`). It is never passed to ``eval``: the parser accepts only
the grammar below, and the emitter writes every literal through ``repr``.

The language
------------
Literals
    integers ``42``, floats ``0.5`` / ``1e6`` (finite; ``_`` between digits allowed),
    strings in single or double quotes (escapes ``\\\\ \\' \\" \\n \\r \\t \\uXXXX
    \\UXXXXXXXX``), booleans ``true``/``false`` (or ``True``/``False``), and lists of literals
    (only to the right of ``in``): ``['KP', 'IR']``, ``[1, -2, 3.5]``.
References
    a field ``amount_usd`` or a feature ``view.feature`` such as
    ``user_velocity.txn_count_1h`` (ASCII identifiers, at most one dot).
Operators, loosest binding first (as in Python)
    ``or``; ``and``; ``not``; comparisons ``== != < <= > >=`` and ``in [...]``,
    ``not in [...]`` (one per operand, never chained: write ``a < b and b < c``);
    ``+ -``; ``* / %``; unary ``-``; parentheses.
Keywords
    ``and or not in true false True False`` (see :data:`KEYWORDS`); Python's keywords are
    reserved too and cannot name fields.
Not supported
    function calls, subscripts, deeper attribute chains, lambdas, conditional expressions,
    comprehensions, assignment, f-strings and other string prefixes, ``is``, ``None``,
    ``**``, ``//``, bitwise operators, comments.
Limits
    at most :data:`MAX_LENGTH` characters and :data:`MAX_DEPTH` levels of nesting.

Semantics are Python's: ``/`` is true division, ``%`` is Python's modulo, ``and``/``or``
short-circuit. ``targets.bentoml.rules.evaluate`` is the reference interpreter and
``to_python`` matches it.
"""

from __future__ import annotations

from collections.abc import Mapping

from mlopsgen.expr.check import FieldKind, FieldType, check_expression
from mlopsgen.expr.emit import quote_string, references, to_source
from mlopsgen.expr.nodes import (
    KEYWORDS,
    MAX_DEPTH,
    MAX_LENGTH,
    Arith,
    Compare,
    Const,
    Expr,
    ExprIssue,
    ExprSyntaxError,
    InList,
    ListLit,
    Logic,
    Neg,
    Node,
    Not,
    Ref,
    walk,
)
from mlopsgen.expr.parse import parse_expression

__all__ = [
    "KEYWORDS",
    "MAX_DEPTH",
    "MAX_LENGTH",
    "OPERATORS",
    "Arith",
    "Compare",
    "Const",
    "Expr",
    "ExprIssue",
    "ExprSyntaxError",
    "FieldKind",
    "FieldType",
    "InList",
    "ListLit",
    "Logic",
    "Neg",
    "Node",
    "Not",
    "Ref",
    "check_expression",
    "parse_and_check",
    "parse_expression",
    "quote_string",
    "references",
    "to_source",
    "walk",
]

OPERATORS: tuple[str, ...] = (
    "or",
    "and",
    "not",
    "==",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "in",
    "not in",
    "+",
    "-",
    "*",
    "/",
    "%",
)
"""Every operator of the language, loosest binding first."""


def parse_and_check(
    text: str, env: Mapping[str, FieldType], expect_bool: bool = True
) -> tuple[Expr | None, list[ExprIssue]]:
    """Parse and type-check a rule in one step, as spec validation needs it.

    Args:
        text: The rule text.
        env: The fields and features the rule may read, with their types.
        expect_bool: Whether the rule must produce true/false.

    Returns:
        The tree (``None`` when the text does not parse) and every issue found: the single
        syntax issue, or all type issues.
    """
    try:
        expr = parse_expression(text)
    except ExprSyntaxError as err:
        return None, [err.issue]
    return expr, check_expression(expr, env, expect_bool)
