"""Decision rules in specs: what a rule may read, the E4xx codes, and positions in the file."""

from __future__ import annotations

import pytest

from mlopsgen.diagnostics import Diagnostic
from tests.unit.spec_edits import MINIMAL, diagnostics_of

SERVING = "serving:\n  models: [scorer]\n"


def spec_with_rule(when: str, request_fields: str = "[user_id, amount, country]") -> str:
    """The minimal spec with one decision rule whose `when:` line is written verbatim."""
    decision = (
        "serving:\n"
        "  models: [scorer]\n"
        f"  request_fields: {request_fields}\n"
        "  decision:\n"
        "    ensemble: {scorer: 1.0}\n"
        "    rules:\n"
        "      - name: r\n"
        f"        when: {when}\n"
        "        action: review\n"
    )
    return MINIMAL.replace(SERVING, decision)


def only(text: str) -> Diagnostic:
    diagnostics = diagnostics_of(text)
    assert len(diagnostics) == 1, diagnostics
    return diagnostics[0]


def when_position(text: str, fragment: str) -> tuple[int, int]:
    """1-based line and column of ``fragment`` on the spec's `when:` line."""
    for number, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith("when:"):
            return number, line.index(fragment) + 1
    raise AssertionError("no when: line")


@pytest.mark.parametrize(
    "when",
    [
        "amount > 5 and amount_usd > 1",
        '"amount > 5 and amount_usd > 1"',
        "'amount > 5 and amount_usd > 1'",
    ],
    ids=["plain", "double-quoted", "single-quoted"],
)
def test_issue_columns_land_on_the_offending_word(when: str) -> None:
    text = spec_with_rule(when)
    diagnostic = only(text)
    assert diagnostic.code == "E402"
    assert diagnostic.span is not None
    line, column = when_position(text, "amount_usd")
    assert (diagnostic.span.line, diagnostic.span.column) == (line, column)
    assert diagnostic.span.end_column == column + len("amount_usd")
    assert diagnostic.hint == "did you mean 'amount'?"


@pytest.mark.parametrize(
    "when",
    [
        "'country == ''US'' and amount_usd > 1'",
        '"country == \\"US\\" and amount_usd > 1"',
        ">-\n          country == 'US' and\n          amount_usd > 1",
    ],
    ids=["single-quote-escape", "double-quote-escape", "folded-block"],
)
def test_escaped_or_multiline_rules_fall_back_to_the_rule_start(when: str) -> None:
    text = spec_with_rule(when)
    diagnostic = only(text)
    assert diagnostic.code == "E402"
    assert diagnostic.span is not None
    line, column = when_position(text, when.split("\n")[0])
    assert (diagnostic.span.line, diagnostic.span.column) == (line, column)
    assert diagnostic.message.endswith("(at character 21 of the rule)")


def test_fields_outside_the_request_are_unknown_with_a_hint() -> None:
    diagnostic = only(spec_with_rule("\"event_id == 'x'\""))
    assert diagnostic.code == "E402"
    assert diagnostic.hint is not None and "serving.request_fields" in diagnostic.hint


def test_without_request_fields_every_source_column_is_readable() -> None:
    text = spec_with_rule("\"event_id == 'x'\"").replace(
        "  request_fields: [user_id, amount, country]\n", ""
    )
    assert diagnostics_of(text) == []


def test_online_features_are_typed_by_their_aggregation() -> None:
    text = spec_with_rule('"user_stats.txn_count_1h >= 2 and user_stats.amount_mean_1d > 2.5"')
    assert diagnostics_of(text) == []


def test_offline_features_cannot_be_read() -> None:
    text = spec_with_rule('"user_stats.txn_count_1h > 2"').replace(
        "      ttl: 1d\n", "      ttl: 1d\n      online: false\n"
    )
    diagnostic = only(text)
    assert diagnostic.code == "E402"
    assert diagnostic.hint is not None and "online: true" in diagnostic.hint


def test_image_columns_cannot_be_read() -> None:
    text = spec_with_rule("\"photo == 'x'\"", "[amount, photo]").replace(
        "        is_bad: {type: bool, role: label}\n",
        "        is_bad: {type: bool, role: label}\n"
        "        photo: {type: image, width: 8, height: 8}\n",
    )
    diagnostic = only(text)
    assert diagnostic.code == "E402"
    assert diagnostic.hint is not None and "image column" in diagnostic.hint


def test_category_literal_outside_the_values() -> None:
    text = spec_with_rule("\"country in ['US', 'XX']\"")
    diagnostic = only(text)
    assert diagnostic.code == "E404"
    assert diagnostic.span is not None
    assert diagnostic.span.column == when_position(text, "'XX'")[1]
    assert diagnostic.hint == "allowed values: 'US', 'GB', 'DE'"


def test_type_mismatch_and_non_boolean_rules() -> None:
    assert only(spec_with_rule("\"amount > 'x'\"")).code == "E403"
    assert only(spec_with_rule("amount * 2")).code == "E403"
    assert only(spec_with_rule('"ts > 5"', "[amount, ts]")).code == "E403"


def test_syntax_error_points_at_the_problem() -> None:
    text = spec_with_rule('"amount >> 5"')
    diagnostic = only(text)
    assert diagnostic.code == "E401"
    assert diagnostic.span is not None
    assert diagnostic.span.column == when_position(text, ">>")[1]
    assert diagnostic.hint


def test_every_issue_of_every_rule_is_reported() -> None:
    text = spec_with_rule("\"amont > 1 and country == 'XX'\"").replace(
        "        action: review\n",
        "        action: review\n      - {name: s, when: 'amount and', action: flag}\n",
    )
    assert sorted(d.code for d in diagnostics_of(text)) == ["E401", "E402", "E404"]
