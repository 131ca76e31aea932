"""Property tests: hostile text never escapes as a traceback, and the emitters agree."""

from __future__ import annotations

import ast
import math

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from mlopsgen.expr import (
    MAX_DEPTH,
    Arith,
    Compare,
    Const,
    Expr,
    ExprSyntaxError,
    FieldType,
    InList,
    ListLit,
    Logic,
    Neg,
    Not,
    Ref,
    check_expression,
    parse_expression,
    to_source,
    walk,
)
from mlopsgen.targets.bentoml.rules import evaluate, to_python

NAMES = ["a", "b", "s", "flag", "v.x"]
ENV = {
    "a": FieldType("integer"),
    "b": FieldType("number"),
    "s": FieldType("category", ("x", "KP")),
    "flag": FieldType("bool"),
    "v.x": FieldType("timestamp"),
}
SMALL_STRINGS = ["", "x", "KP", "it's", 'say "hi"', "\\", "\n", "\u2028"]

TOKENS = [
    "a", "v.x", "v.x.y", "1", "0", "2.5", "1e3", "1e999", "'s'", '"t"', "'", "\\", "true",
    "False", "None", "and", "or", "not", "in", "is", "if", "else", "lambda", "for", "==", "!=",
    "<", "<=", ">", ">=", "=", "+", "-", "*", "/", "%", "**", "//", "(", ")", "[", "]", ",",
    ":", ":=", ".", "f", "f'x'", "#", "\x00", "é", "\u2028", "\u0663", "\u00b2", "\uff11",
    " ", "\n", "\t",
]  # fmt: skip


any_characters = st.one_of(
    st.characters(),
    st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF, exclude_categories=()),
    st.sampled_from("'\"\\\n\r\t\x00\u2028\u2029{}$%#"),
)


def row_accessor(name: str) -> str:
    return f"row[{name!r}]"


def finite_floats() -> st.SearchStrategy[float]:
    return st.floats(-4, 4, allow_nan=False, allow_infinity=False)


consts: st.SearchStrategy[Const] = st.one_of(
    st.integers(-3, 3).map(Const),
    finite_floats().map(Const),
    st.sampled_from(SMALL_STRINGS).map(Const),
    st.booleans().map(Const),
)
leaves: st.SearchStrategy[Expr] = st.one_of(consts, st.sampled_from(NAMES).map(Ref))


def extend(children: st.SearchStrategy[Expr]) -> st.SearchStrategy[Expr]:
    return st.one_of(
        children.map(Neg),
        children.map(Not),
        st.builds(Arith, st.sampled_from(["+", "-", "*", "/", "%"]), children, children),
        st.builds(Compare, st.sampled_from(["==", "!=", "<", "<=", ">", ">="]), children, children),
        st.builds(
            InList,
            children,
            st.lists(consts, max_size=3).map(lambda items: ListLit(tuple(items))),
            st.booleans(),
        ),
        st.builds(
            Logic,
            st.sampled_from(["and", "or"]),
            st.lists(children, min_size=2, max_size=3).map(tuple),
        ),
    )


exprs = st.recursive(leaves, extend, max_leaves=10)
row_values = st.one_of(
    st.integers(-3, 3), finite_floats(), st.sampled_from(SMALL_STRINGS), st.booleans()
)
rows = st.fixed_dictionaries({name: row_values for name in NAMES})


def depth(expr: Expr) -> int:
    return max(level for _, level in walk(expr))


def outcome(compute: object) -> tuple[str, object]:
    """The value or the exception type of a computation, comparable across the two paths."""
    assert callable(compute)
    try:
        value = compute()
    except Exception as err:  # the property compares exception types, whatever they are
        return ("raised", type(err))
    if isinstance(value, float) and math.isnan(value):
        return ("nan", float)
    return ("value", (type(value), repr(value)))


GRAMMAR_CHARACTERS = "ab_.1e'\"\\ ()[],<=>!-+*/%&|#\n\u0663\u00e9\x00"


@settings(max_examples=800)
@given(st.one_of(st.text(max_size=80), st.text(GRAMMAR_CHARACTERS, max_size=30)))
def test_random_text_only_raises_syntax_errors(text: str) -> None:
    try:
        parse_expression(text)
    except ExprSyntaxError as err:
        assert 0 <= err.issue.offset <= max(len(text), 2000)
        assert err.issue.length >= 1


@settings(max_examples=600)
@given(st.lists(st.sampled_from(TOKENS), max_size=25), st.sampled_from(["", " "]))
def test_token_soup_parses_cleanly_or_round_trips(tokens: list[str], separator: str) -> None:
    text = separator.join(tokens)
    try:
        expr = parse_expression(text)
    except ExprSyntaxError as err:
        assert 0 <= err.issue.offset <= len(text)
        assert err.issue.length >= 1
        return
    assert parse_expression(to_source(expr)) == expr
    for node, _ in walk(expr):
        if not isinstance(node, ListLit):
            assert parse_expression(text[node.offset : node.end]) == node
    for issue in check_expression(expr, ENV):
        assert 0 <= issue.offset < len(text) and issue.length >= 1
    compile(to_python(expr, row_accessor), "<rule>", "eval")


@settings(max_examples=500)
@given(exprs, rows)
def test_generated_python_matches_the_interpreter(expr: Expr, row: dict[str, object]) -> None:
    code = compile(to_python(expr, row_accessor), "<rule>", "eval")
    expected = outcome(lambda: evaluate(expr, row))
    actual = outcome(lambda: eval(code, {"__builtins__": {}}, {"row": row}))
    assert actual == expected


@settings(max_examples=500)
@given(exprs)
def test_canonical_source_round_trips(expr: Expr) -> None:
    assume(depth(expr) <= MAX_DEPTH)
    text = to_source(expr)
    reparsed = parse_expression(text)
    assert reparsed == expr
    assert to_source(reparsed) == text


_ALLOWED_PYTHON = (
    ast.Expression,
    ast.BoolOp,
    ast.BinOp,
    ast.UnaryOp,
    ast.Compare,
    ast.Constant,
    ast.Subscript,
    ast.Name,
    ast.List,
    ast.Load,
    ast.operator,
    ast.unaryop,
    ast.boolop,
    ast.cmpop,
)


@given(exprs)
def test_generated_python_uses_only_expected_constructs(expr: Expr) -> None:
    tree = ast.parse(to_python(expr, row_accessor), mode="eval")
    for node in ast.walk(tree):
        assert isinstance(node, _ALLOWED_PYTHON), ast.dump(node)
        if isinstance(node, ast.Name):
            assert node.id == "row"
        if isinstance(node, ast.BinOp):
            assert not isinstance(node.op, ast.Pow | ast.FloorDiv | ast.BitOr | ast.MatMult)


@settings(max_examples=400)
@given(st.text(alphabet=any_characters))
def test_hostile_string_literals_survive_python_emission(value: str) -> None:
    emitted = to_python(Const(value), row_accessor)
    assert ast.literal_eval(emitted) == value
    compared = to_python(Compare("==", Ref("a"), Const(value)), row_accessor)
    tree = ast.parse(compared, mode="eval")
    assert isinstance(tree.body, ast.Compare)
    assert [type(c) for c in tree.body.comparators] == [ast.Constant]
    assert tree.body.comparators[0].value == value  # type: ignore[attr-defined]


@settings(max_examples=400)
@given(st.text(alphabet=any_characters, max_size=200))
def test_hostile_string_literals_round_trip_through_rule_text(value: str) -> None:
    expr = InList(Ref("a"), ListLit((Const(value),)), negated=True)
    assert parse_expression(to_source(expr)) == expr
