"""Decision-rule expressions: canonical text, generated Python and the interpreter."""

from __future__ import annotations

import ast

import pytest

from mlopsgen.expr import Compare, Const, Expr, Ref, parse_expression, to_source
from mlopsgen.targets.bentoml.rules import evaluate, to_python

EXAMPLES = [
    "country in ['KP', 'IR', 'SY']",
    "amount_usd > 5000 and user_velocity.txn_count_1h == 0",
    "user_velocity.txn_count_1h > 20",
    "not (channel == 'web' or amount_usd * 2 >= 10000.5)",
]


def row_accessor(name: str) -> str:
    return f"row[{name!r}]"


def run_python(expr: Expr, row: dict[str, object]) -> object:
    code = compile(to_python(expr, row_accessor), "<rule>", "eval")
    return eval(code, {"__builtins__": {}}, {"row": row})


# -- emitters and evaluation -----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "python"),
    [
        ("country in ['KP', 'IR', 'SY']", "(row['country'] in ['KP', 'IR', 'SY'])"),
        (
            "amount_usd > 5000 and user_velocity.txn_count_1h == 0",
            "((row['amount_usd'] > 5000) and (row['user_velocity.txn_count_1h'] == 0))",
        ),
        (
            "not (channel == 'web' or amount_usd * 2 >= 10000.5)",
            "(not ((row['channel'] == 'web') or ((row['amount_usd'] * 2) >= 10000.5)))",
        ),
        ("x - -5 not in [-1, 2.5]", "((row['x'] - (-5)) not in [-1, 2.5])"),
        ("-(x) == true", "((-row['x']) == True)"),
    ],
)
def test_to_python_is_fully_parenthesised(text: str, python: str) -> None:
    assert to_python(parse_expression(text), row_accessor) == python


def test_parentheses_prevent_python_comparison_chaining() -> None:
    expr = Compare("==", Compare("<", Ref("a"), Ref("b")), Ref("c"))
    row: dict[str, object] = {"a": 1, "b": 2, "c": True}
    assert evaluate(expr, row) is True
    assert run_python(expr, row) is True
    assert eval("1 < 2 == True") is False  # what an unparenthesised emitter would mean


def test_accessor_output_is_normalised() -> None:
    expr = parse_expression("a > 1")
    assert to_python(expr, lambda n: f"row[{n!r}]  # comment") == "(row['a'] > 1)"
    assert to_python(expr, lambda n: "x if y else z") == "((x if y else z) > 1)"
    assert to_python(expr, lambda n: "features.a") == "(features.a > 1)"
    with pytest.raises(ValueError, match="accessor returned invalid Python"):
        to_python(expr, lambda n: "row[")


HOSTILE = [
    "'",
    '"',
    "\\",
    "\\'",
    "'''",
    '"""',
    "\n",
    "\r\n",
    "\u2028",
    "\u2029",
    "\x00",
    "{{ x }}",
    "${var.x}",
    "%{ if }",
    "'); __import__('os').system('x'); ('",
    "\ud800",
    "é😀",
    "\t\x0b\x0c",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_strings_survive_emitters(value: str) -> None:
    expr = Compare("==", Ref("a"), Const(value))
    python = to_python(expr, row_accessor)
    tree = ast.parse(python, mode="eval")
    assert isinstance(tree.body, ast.Compare)
    [comparator] = tree.body.comparators
    assert isinstance(comparator, ast.Constant) and comparator.value == value
    assert "\n" not in python and "\u2028" not in python
    assert ast.literal_eval(to_python(Const(value), row_accessor)) == value
    assert parse_expression(to_source(expr)) == expr
    assert run_python(expr, {"a": value}) is True


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("((amount_usd)) > (5000)", "amount_usd > 5000"),
        ('x == "a" or True', "x == 'a' or true"),
        ("a or (b and c)", "a or (b and c)"),
        ("a or b and c", "a or (b and c)"),
        ("(a and b) and c", "(a and b) and c"),
        ("not (a and b)", "not (a and b)"),
        ("(a + b) * c - (d - e)", "(a + b) * c - (d - e)"),
        ("a - (b + c)", "a - (b + c)"),
        ("(a - b) + c", "a - b + c"),
        ("-(5)", "-(5)"),
        ("- -5", "- -5"),
        ("-(-x)", "- -x"),
        ("(not a) == b", "(not a) == b"),
        ("(a == b) == c", "(a == b) == c"),
        ("x in [1,-2,'a',true]", "x in [1, -2, 'a', true]"),
        ("1e-5 < x", "1e-05 < x"),
        (r"x == '\u2028\n'", r"x == '\u2028\n'"),
    ],
)
def test_to_source_is_canonical(text: str, canonical: str) -> None:
    assert to_source(parse_expression(text)) == canonical
    assert parse_expression(canonical) == parse_expression(text)


ROW: dict[str, object] = {
    "amount_usd": 6000.0,
    "country": "IR",
    "channel": "app",
    "user_velocity.txn_count_1h": 0,
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (EXAMPLES[0], True),
        (EXAMPLES[1], True),
        (EXAMPLES[2], False),
        (EXAMPLES[3], False),
        ("amount_usd / 4 - 7 % 3", 1499.0),
        ("country not in ['KP'] and -user_velocity.txn_count_1h == 0", True),
        ("0 or 'x'", "x"),
        ("1 and 0 and 2", 0),
    ],
)
def test_evaluate_matches_generated_python(text: str, expected: object) -> None:
    expr = parse_expression(text)
    assert evaluate(expr, ROW) == expected
    assert run_python(expr, ROW) == expected


def test_division_by_zero_raises_in_both() -> None:
    for text in ("amount_usd / 0 > 1", "user_velocity.txn_count_1h % 0 == 1"):
        expr = parse_expression(text)
        with pytest.raises(ZeroDivisionError):
            evaluate(expr, ROW)
        with pytest.raises(ZeroDivisionError):
            run_python(expr, ROW)


def test_missing_reference_raises_key_error_in_both() -> None:
    expr = parse_expression("missing > 1")
    with pytest.raises(KeyError):
        evaluate(expr, ROW)
    with pytest.raises(KeyError):
        run_python(expr, ROW)


def test_short_circuit_skips_later_operands() -> None:
    expr = parse_expression("country == 'KP' and missing > 1")
    assert evaluate(expr, ROW) is False
    assert run_python(expr, ROW) is False
