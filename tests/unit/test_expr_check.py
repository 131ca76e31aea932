"""Decision-rule expressions: type checking, did-you-mean hints and references."""

from __future__ import annotations

import pytest

from mlopsgen.expr import (
    ExprIssue,
    FieldType,
    check_expression,
    parse_and_check,
    parse_expression,
    references,
)

ENV = {
    "amount_usd": FieldType("number"),
    "country": FieldType("string"),
    "channel": FieldType("category", ("web", "app", "pos")),
    "merchant_kind": FieldType("category"),
    "is_new_device": FieldType("bool"),
    "created_at": FieldType("timestamp"),
    "last_seen_at": FieldType("timestamp"),
    "user_velocity.txn_count_1h": FieldType("integer"),
    "user_velocity.txn_count_24h": FieldType("integer"),
}
EXAMPLES = [
    "country in ['KP', 'IR', 'SY']",
    "amount_usd > 5000 and user_velocity.txn_count_1h == 0",
    "user_velocity.txn_count_1h > 20",
    "not (channel == 'web' or amount_usd * 2 >= 10000.5)",
]

# -- type checking ---------------------------------------------------------------------


def check(text: str, expect_bool: bool = True) -> list[ExprIssue]:
    return check_expression(parse_expression(text), ENV, expect_bool)


@pytest.mark.parametrize(
    "text",
    [
        *EXAMPLES,
        "channel in ['web', 'pos'] and not is_new_device",
        "merchant_kind == 'anything goes'",
        "created_at < last_seen_at",
        "user_velocity.txn_count_1h * 1.5 > amount_usd / 3 - 1",
        "country < 'M'",
        "is_new_device == true",
        "-amount_usd % 7 != 0",
        "user_velocity.txn_count_1h in [1, 2.5]",
    ],
)
def test_well_typed_rules_have_no_issues(text: str) -> None:
    assert check(text) == []


def test_unknown_field_has_did_you_mean() -> None:
    expr, issues = parse_and_check("amount > 5000", ENV)
    assert expr is not None
    hint = "did you mean 'amount_usd'?"
    assert issues == [ExprIssue("unknown field 'amount'", 0, 6, hint, (0, 6, "amount_usd"))]


def test_unknown_feature_suggests_the_view_feature() -> None:
    [issue] = check("amount_usd == 1 or txn_count_1h > 3")
    assert issue.message == "unknown field 'txn_count_1h'"
    assert (issue.offset, issue.length) == (19, 12)
    assert issue.hint == "did you mean 'user_velocity.txn_count_1h'?"


def test_unknown_field_without_close_match_lists_known_names() -> None:
    [issue] = check("zzz == 1")
    assert issue.hint == "known names: " + ", ".join(sorted(ENV))


def test_unknown_dotted_feature() -> None:
    [issue] = check("user_velocity.txn_count_2h > 3")
    assert issue.message == "unknown feature 'user_velocity.txn_count_2h'"
    assert issue.hint is not None and "'user_velocity.txn_count_1h'" in issue.hint


def test_no_fields_at_all() -> None:
    [issue] = check_expression(parse_expression("x > 1"), {})
    assert issue.hint == "this rule cannot read any fields"


@pytest.mark.parametrize(
    ("text", "offset", "length", "message", "hint"),
    [
        ("country == 5", 0, 12, "cannot compare 'country' (a string) with 5 (an integer)", None),
        (
            "amount_usd > '5000'",
            0,
            19,
            "cannot compare 'amount_usd' (a number) with '5000' (a string)",
            "remove the quotes around '5000'",
        ),
        ("is_new_device == 1", 0, 18, "(true/false) with 1 (an integer)", None),
        ("country + 1 == 'y'", 0, 7, "arithmetic ('+') needs a number, but 'country'", None),
        ("amount_usd + is_new_device > 1", 13, 13, "needs a number, but 'is_new_device'", "'and'"),
        ("-country == 'x'", 1, 7, "'-' needs a number", None),
        ("country in ['KP', 1]", 18, 1, "1 is an integer, but 'country' is a string", "a string"),
        ("amount_usd in [1, 'x']", 18, 3, "'x' is a string, but 'amount_usd'", "a number"),
        ("is_new_device < true", 0, 20, "'<' cannot order true/false values", "'=='"),
        ("channel >= 'app'", 0, 16, "'>=' cannot order categories", "in [...]"),
        ("channel == 'wbe'", 11, 5, "'wbe' is not a value of 'channel'", "did you mean 'web'?"),
        ("'WEB' != channel", 0, 5, "'WEB' is not a value of 'channel'", "did you mean 'web'?"),
        (
            "channel in ['web', 'atm']",
            19,
            5,
            "'atm' is not a value",
            "allowed values: 'web', 'app', 'pos'",
        ),
        ("created_at > 5", 0, 14, "(a timestamp) with 5", None),
        ("created_at in [1]", 0, 17, "'in' is not supported for timestamps", "'<'"),
        ("created_at + 1 > created_at", 0, 10, "needs a number, but 'created_at'", None),
        ("amount_usd and is_new_device", 0, 10, "'and' needs true/false", "amount_usd > 0"),
        ("not country", 4, 7, "'not' needs true/false", "country == 'value'"),
        ("amount_usd * 2", 0, 14, "must be true or false, but this expression is a number", "> 0"),
        ("user_velocity.txn_count_1h + 1", 0, 30, "is an integer", "> 0"),
        ("user_velocity.txn_count_1h / 1", 0, 30, "is a number", "> 0"),
    ],
)
def test_type_errors(text: str, offset: int, length: int, message: str, hint: str | None) -> None:
    [issue] = check(text)
    assert message in issue.message
    assert (issue.offset, issue.length) == (offset, length)
    if hint is None:
        assert issue.hint is None
    else:
        assert issue.hint is not None and hint in issue.hint


def test_category_hint_lists_allowed_values() -> None:
    [issue] = check("channel == 'kiosk'")
    assert issue.hint == "allowed values: 'web', 'app', 'pos'"


def test_long_category_value_lists_are_shortened() -> None:
    env = {"code": FieldType("category", tuple(f"c{i:02d}" for i in range(40)))}
    [issue] = check_expression(parse_expression("code == 'zz'"), env)
    assert issue.hint is not None and "(40 in all)" in issue.hint


def test_non_bool_allowed_when_not_expected() -> None:
    assert check("amount_usd * 2", expect_bool=False) == []


def test_all_issues_reported_in_order_without_cascades() -> None:
    issues = check("(amout_usd + 1 > 'x') and country == 3 and chanel == 'web'")
    assert [i.offset for i in issues] == sorted(i.offset for i in issues)
    assert [i.message for i in issues] == [
        "unknown field 'amout_usd'",
        "cannot compare 'country' (a string) with 3 (an integer)",
        "unknown field 'chanel'",
    ]


def test_parse_and_check_reports_syntax_errors() -> None:
    expr, issues = parse_and_check("amount_usd >", ENV)
    assert expr is None
    assert len(issues) == 1 and issues[0].offset == 12


def test_field_type_rejects_unknown_kind() -> None:
    with pytest.raises(ValueError):
        FieldType("money")  # type: ignore[arg-type]


def test_references() -> None:
    assert references(parse_expression(EXAMPLES[1])) == {
        "amount_usd",
        "user_velocity.txn_count_1h",
    }
    assert references(parse_expression("x in [1] or not -y > 'z'")) == {"x", "y"}
    assert references(parse_expression("1 < 2")) == frozenset()
