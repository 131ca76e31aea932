"""Decision-rule expressions: grammar, node spans, syntax errors and limits."""

from __future__ import annotations

import pytest

from mlopsgen.expr import (
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
    Not,
    Ref,
    parse_expression,
    walk,
)

EXAMPLES = [
    "country in ['KP', 'IR', 'SY']",
    "amount_usd > 5000 and user_velocity.txn_count_1h == 0",
    "user_velocity.txn_count_1h > 20",
    "not (channel == 'web' or amount_usd * 2 >= 10000.5)",
]


def syntax_issue(text: str) -> ExprIssue:
    with pytest.raises(ExprSyntaxError) as caught:
        parse_expression(text)
    return caught.value.issue


# -- parsing ---------------------------------------------------------------------------


def test_examples_parse_to_expected_trees() -> None:
    country, amount = Ref("country"), Ref("amount_usd")
    velocity = Ref("user_velocity.txn_count_1h")
    expected: list[Expr] = [
        InList(country, ListLit((Const("KP"), Const("IR"), Const("SY")))),
        Logic(
            "and",
            (Compare(">", amount, Const(5000)), Compare("==", velocity, Const(0))),
        ),
        Compare(">", velocity, Const(20)),
        Not(
            Logic(
                "or",
                (
                    Compare("==", Ref("channel"), Const("web")),
                    Compare(">=", Arith("*", amount, Const(2)), Const(10000.5)),
                ),
            )
        ),
    ]
    assert [parse_expression(text) for text in EXAMPLES] == expected


@pytest.mark.parametrize("text", EXAMPLES)
def test_every_node_span_reparses_to_that_node(text: str) -> None:
    for node, _ in walk(parse_expression(text)):
        assert 0 <= node.offset < node.end <= len(text)
        if not isinstance(node, ListLit):
            assert parse_expression(text[node.offset : node.end]) == node


def test_offsets_point_at_source_characters() -> None:
    text = "amount_usd > 5000 and user_velocity.txn_count_1h == 0"
    expr = parse_expression(text)
    assert isinstance(expr, Logic)
    assert (expr.offset, expr.end) == (0, len(text))
    right = expr.operands[1]
    assert isinstance(right, Compare)
    assert (right.left.offset, right.left.end) == (22, 48)
    assert (right.right.offset, right.right.end) == (52, 53)
    negative = parse_expression("x == - 5")
    assert isinstance(negative, Compare)
    assert (negative.right.offset, negative.right.end) == (5, 8)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a + b * c", Arith("+", Ref("a"), Arith("*", Ref("b"), Ref("c")))),
        ("a - b - c", Arith("-", Arith("-", Ref("a"), Ref("b")), Ref("c"))),
        ("a / b % c", Arith("%", Arith("/", Ref("a"), Ref("b")), Ref("c"))),
        ("-a * b", Arith("*", Neg(Ref("a")), Ref("b"))),
        ("not a == b", Not(Compare("==", Ref("a"), Ref("b")))),
        ("not a in [1]", Not(InList(Ref("a"), ListLit((Const(1),))))),
        (
            "a or b and c",
            Logic("or", (Ref("a"), Logic("and", (Ref("b"), Ref("c"))))),
        ),
        ("a and b and c", Logic("and", (Ref("a"), Ref("b"), Ref("c")))),
        (
            "(a and b) and c",
            Logic("and", (Logic("and", (Ref("a"), Ref("b"))), Ref("c"))),
        ),
        ("-5", Const(-5)),
        ("- 2.5", Const(-2.5)),
        ("-(5)", Neg(Const(5))),
        ("--5", Neg(Const(-5))),
        ("((x))", Ref("x")),
        ("true", Const(True)),
        ("True", Const(True)),
        ("false == False", Compare("==", Const(False), Const(False))),
        ('"double"', Const("double")),
        (r"'it\'s \"q\" \\ \n\t\r \u00e9 \U0001F600'", Const('it\'s "q" \\ \n\t\r é 😀')),
        ("1_000", Const(1000)),
        ("1e3", Const(1000.0)),
        (".5", Const(0.5)),
        (
            "x not in [1, -2, 3.5,]",
            InList(Ref("x"), ListLit((Const(1), Const(-2), Const(3.5))), True),
        ),
        ("x in []", InList(Ref("x"), ListLit(()))),
        ("a\n  and\tb", Logic("and", (Ref("a"), Ref("b")))),
    ],
)
def test_grammar_precedence_and_literals(text: str, expected: Expr) -> None:
    assert parse_expression(text) == expected


def test_equality_ignores_positions_but_not_literal_kinds() -> None:
    assert Const(1, offset=3, end=4) == Const(1)
    assert Const(1) != Const(1.0)
    assert Const(1) != Const(True)
    assert parse_expression("x  ==  1") == parse_expression("(x) == (1)")


# -- syntax errors -----------------------------------------------------------------------

GENERIC = "rules support comparisons"


@pytest.mark.parametrize(
    ("text", "offset", "message", "hint"),
    [
        ("a < b < c", 6, "chained comparisons", "a < b and b < c"),
        ("a == b in [1]", 7, "chained comparisons", "joined by 'and'"),
        ("score(x) > 1", 5, "function calls are not supported", GENERIC),
        ("x[0] > 1", 1, "subscripts are not supported", GENERIC),
        ("a.b.c > 1", 0, "too many dots", "view.feature"),
        ("lambda: 1", 0, "lambdas are not supported", GENERIC),
        ("(y := 1)", 3, "assignment expressions", GENERIC),
        ("f'{x}' == 'a'", 0, "string prefixes", "plain quoted string"),
        ("b'x'", 0, "string prefixes", "plain quoted string"),
        ("x in [y for y in z]", 6, "list items must be literals", "numbers, quoted strings"),
        ("a if b else c", 2, "conditional expressions", "separate rules"),
        ("a is None", 2, "'is' is not supported", "'=='"),
        ("None", 0, "rules have no null value", GENERIC),
        ("import os", 0, "'import' is not supported", GENERIC),
        ("a ** 2", 2, "power", "multiply"),
        ("a // 2", 2, "floor division", "'/'"),
        ("a = 1", 2, "assignment, not comparison", "'=='"),
        ("a && b", 2, "'&&'", "'and'"),
        ("a || b", 2, "'||'", "'or'"),
        ("!a", 0, "'!'", "'not'"),
        ("~a", 0, "bitwise", "'and'"),
        ("a & b", 2, "bitwise", "'and'"),
        ("a <> b", 2, "'<>'", "'!='"),
        ("a > 1 # note", 6, "comments", "'#'"),
        ("{1}", 0, "dict and set literals", "['a', 'b']"),
        ("a; b", 1, "';'", "'and'"),
        ("a.", 1, "unexpected '.'", "view.feature"),
        ("1e999 > x", 0, "too large", "finite"),
        ("5000usd > x", 0, "invalid number '5000usd'", "42"),
        ("x == 'abc", 5, "string is not closed", "closing '"),
        ("x == 'a\nb'", 5, "string is not closed", "same line"),
        (r"x == 'a\q'", 7, "unsupported escape", r"\uXXXX"),
        (r"x == '\u12'", 6, "4 hex digits", r"\uXXXX"),
        ("x == \x00", 5, "unexpected character U+0000", GENERIC),
        ("café > 1", 3, "unexpected character U+00E9", GENERIC),
        (".\u0663 > 1", 0, "unexpected '.'", "view.feature"),
        ("1\u0663 > 1", 1, "unexpected character U+0663", GENERIC),
        ("\u0663 > 1", 0, "unexpected character U+0663", GENERIC),
        ("+a", 0, "unary '+'", "remove the '+'"),
        ("a +", 3, "ends where a value was expected", "complete the expression"),
        ("a b", 2, "expected an operator, found 'b'", "'and' or 'or'"),
        ("1, 2", 1, "unexpected ','", "list"),
        ("(a", 0, "'(' is never closed", "')'"),
        ("(a b)", 3, "expected an operator", "'and'"),
        ("a)", 1, "unmatched ')'", "'('"),
        ("()", 1, "expected a value, found ')'", GENERIC),
        ("[1] == x", 0, "only allowed after 'in'", "in ['KP', 'IR']"),
        ("x in y", 5, "needs a list literal", "['KP', 'IR']"),
        ("x in [y]", 6, "list items must be literals", "true/false"),
        ("x in [[1]]", 6, "list items must be literals", "true/false"),
        ("x in [1 2]", 8, "expected ',' or ']'", "','"),
        ("x in [1", 5, "'[' is never closed", "']'"),
        ("a + not b", 4, "'not' cannot appear", "parentheses"),
        ("a not b", 2, "unexpected 'not'", "not in"),
        ("not", 3, "ends where a value was expected", "complete"),
        ("x.in > 1", 0, "reserved word", "rename"),
        ("class > 1", 0, "'class' is not supported", GENERIC),
        ("(a) (b)", 4, "after a value", "operator"),
    ],
)
def test_syntax_errors_point_at_the_problem(
    text: str, offset: int, message: str, hint: str
) -> None:
    issue = syntax_issue(text)
    assert issue.offset == offset, issue
    assert message in issue.message
    assert issue.hint is not None and hint in issue.hint
    assert issue.length >= 1


def test_leftmost_error_wins_over_later_bad_characters() -> None:
    issue = syntax_issue("a b $")
    assert issue.offset == 2
    assert "expected an operator" in issue.message


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_empty_text_is_an_error(text: str) -> None:
    issue = syntax_issue(text)
    assert issue.message == "expression is empty"
    assert issue.offset == 0 and issue.length >= 1


def test_length_cap() -> None:
    assert parse_expression("x" * MAX_LENGTH) == Ref("x" * MAX_LENGTH)
    issue = syntax_issue("x" * (MAX_LENGTH + 5))
    assert "too long" in issue.message
    assert (issue.offset, issue.length) == (MAX_LENGTH, 5)


@pytest.mark.parametrize(
    ("ok", "too_deep"),
    [
        (
            "(" * MAX_DEPTH + "a" + ")" * MAX_DEPTH,
            "(" * (MAX_DEPTH + 1) + "a" + ")" * (MAX_DEPTH + 1),
        ),
        ("not " * (MAX_DEPTH - 1) + "a", "not " * MAX_DEPTH + "a"),
        ("-" * (MAX_DEPTH - 1) + "a", "-" * MAX_DEPTH + "a"),
        ("a" + " + a" * (MAX_DEPTH - 1), "a" + " + a" * MAX_DEPTH),
    ],
)
def test_depth_cap(ok: str, too_deep: str) -> None:
    parse_expression(ok)
    issue = syntax_issue(too_deep)
    assert "nested too deeply" in issue.message
    assert issue.hint is not None


@pytest.mark.parametrize("text", ["(" * 1000, "not " * 490, "-" * 1999 + "a", "[" * 1000])
def test_hostile_nesting_never_recurses_out(text: str) -> None:
    syntax_issue(text)


def test_issue_requires_a_visible_span() -> None:
    with pytest.raises(ValueError):
        ExprIssue("x", 0, 0, None)
    with pytest.raises(ValueError):
        ExprIssue("x", -1, 1, None)


@pytest.mark.parametrize(
    "build",
    [
        lambda: Ref("a.b.c"),
        lambda: Ref("x) or (y"),
        lambda: Ref("in"),
        lambda: Ref("view.class"),
        lambda: Const(float("inf")),
        lambda: Const(float("nan")),
        lambda: Const(type("Sneaky", (str,), {})("x")),
        lambda: Const(None),  # type: ignore[arg-type]
        lambda: Arith("**", Ref("a"), Ref("b")),  # type: ignore[arg-type]
        lambda: Compare("== __import__('os') ==", Ref("a"), Ref("b")),  # type: ignore[arg-type]
        lambda: Logic("and", (Ref("a"),)),
        lambda: Logic("xor", (Ref("a"), Ref("b"))),  # type: ignore[arg-type]
        lambda: InList(Ref("a"), (Const(1),)),  # type: ignore[arg-type]
        lambda: Neg("a"),  # type: ignore[arg-type]
        lambda: ListLit((Ref("a"),)),  # type: ignore[arg-type]
    ],
)
def test_nodes_reject_what_emitters_could_not_write_safely(build: object) -> None:
    assert callable(build)
    with pytest.raises((TypeError, ValueError)):
        build()
