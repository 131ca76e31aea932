"""Rule trees back to text: the canonical source form and what a rule reads.

``to_source`` prints a rule in its canonical form (the Plan carries it, and error messages quote
it); ``quote_string`` is its string literal. Turning a rule into Python for a generated
service, and the reference interpreter that Python must agree with, belong to the BentoML
target: :mod:`mlopsgen.targets.bentoml.rules`.
"""

from __future__ import annotations

from mlopsgen.expr.nodes import (
    Arith,
    Compare,
    Const,
    ConstValue,
    Expr,
    InList,
    ListLit,
    Logic,
    Neg,
    Not,
    Ref,
    walk,
)

_STRING_ESCAPES = {"\\": "\\\\", "'": "\\'", "\n": "\\n", "\r": "\\r", "\t": "\\t"}

# Binding strength for to_source, loosest first; the same ladder the parser climbs.
_OR, _AND, _NOT, _COMPARE, _ADD, _MUL, _NEG, _ATOM = range(1, 9)


def references(expr: Expr) -> frozenset[str]:
    """Every field or feature name the rule reads, dotted names as written."""
    return frozenset(node.name for node, _ in walk(expr) if isinstance(node, Ref))


def quote_string(value: str) -> str:
    """A single-quoted rule-language literal that the tokenizer decodes back to ``value``.

    Invisible and non-printable characters (controls, U+2028, lone surrogates) are written as
    ``\\uXXXX`` escapes so canonical text never hides characters from a reader.
    """
    out = ["'"]
    for ch in value:
        if ch in _STRING_ESCAPES:
            out.append(_STRING_ESCAPES[ch])
        elif ch.isprintable():
            out.append(ch)
        elif ord(ch) <= 0xFFFF:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    out.append("'")
    return "".join(out)


def _const_source(value: ConstValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return quote_string(value)
    return repr(value)


def to_source(expr: Expr) -> str:
    """Canonical rule text: minimal parentheses, single quotes, ``true``/``false``.

    Nested ``and``/``or`` are always parenthesised, so mixed logic reads unambiguously. The
    result parses back to an equal tree: ``parse_expression(to_source(e)) == e``.
    """
    match expr:
        case Const(value=value):
            return _const_source(value)
        case Ref(name=name):
            return name
        case Neg(operand=operand):
            text = _wrap(operand, _NEG)
            if isinstance(operand, Const) and not text.startswith("-"):
                text = f"({text})"  # "-5" would read back as the literal -5, not Neg(5)
            return f"- {text}" if text.startswith("-") else f"-{text}"
        case Not(operand=operand):
            return f"not {_wrap(operand, _NOT)}"
        case Arith(op=op, left=left, right=right):
            level = _ADD if op in ("+", "-") else _MUL
            return f"{_wrap(left, level)} {op} {_wrap(right, level + 1)}"
        case Compare(op=op, left=left, right=right):
            return f"{_wrap(left, _COMPARE + 1)} {op} {_wrap(right, _COMPARE + 1)}"
        case InList(operand=operand, items=items, negated=negated):
            keyword = "not in" if negated else "in"
            return f"{_wrap(operand, _COMPARE + 1)} {keyword} {_list_source(items)}"
        case Logic(op=op, operands=operands):
            level = _OR if op == "or" else _AND
            parts = (
                f"({to_source(o)})" if isinstance(o, Logic) else _wrap(o, level) for o in operands
            )
            return f" {op} ".join(parts)


def _list_source(items: ListLit) -> str:
    return "[" + ", ".join(_const_source(item.value) for item in items.items) + "]"


def _precedence(expr: Expr) -> int:
    match expr:
        case Logic(op="or"):
            return _OR
        case Logic():
            return _AND
        case Not():
            return _NOT
        case Compare() | InList():
            return _COMPARE
        case Arith(op="+" | "-"):
            return _ADD
        case Arith():
            return _MUL
        case Neg():
            return _NEG
        case Const(value=value) if _const_source(value).startswith("-"):
            return _NEG
        case Const() | Ref():
            return _ATOM


def _wrap(expr: Expr, minimum: int) -> str:
    text = to_source(expr)
    return f"({text})" if _precedence(expr) < minimum else text
