# Formulas are written in mathematical notation (×, −) on purpose.
# ruff: noqa: RUF001, RUF003
"""The plan in a terminal of any width: every line fits, nothing the reader copies is split.

A number, a ``file:line`` and a decision name must each appear whole on one line, because a
terminal that wraps one in the middle shows a different number (``specs/nlp.yaml:12`` and a
stray ``9``). The checks measure display cells with rich, the library that draws the table.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.cells import cell_len
from rich.console import Console
from typer.testing import CliRunner

from mlopsgen.cli import app
from mlopsgen.plan.layout import cell_width, column_widths, wrap
from mlopsgen.plan.record import SINGULAR, count, noun
from mlopsgen.plan.report import (
    explain,
    format_value,
    plan_json,
    plan_report,
    plan_stacked,
    plan_table,
)
from tests.conftest import REPO
from tests.unit.plan_support import NLP, REFERENCE, loaded, plan

WIDTHS = (60, 80, 100, 160)
SOURCE = re.compile(r"specs/[\w.-]+\.yaml:\d+")


def _print(report: object, width: int) -> str:
    """What the CLI prints: text as it is, a table through a console of that width."""
    if isinstance(report, str):
        return report
    console = Console(file=io.StringIO(), width=width, color_system=None, soft_wrap=True)
    console.print(report)
    output = console.file
    assert isinstance(output, io.StringIO)
    return output.getvalue()


def _whole(word: str, text: str) -> bool:
    """``word`` appears on one line, not as part of a longer name or number."""
    return re.search(rf"(?<![\w.:/-]){re.escape(word)}(?![\w.:-])", text) is not None


def _assert_readable(text: str, width: int, names: list[str], sources: set[str]) -> None:
    lines = text.splitlines()
    too_wide = [line for line in lines if cell_len(line) > width]
    assert not too_wide, f"{len(too_wide)} lines wider than {width}: {too_wide[0]!r}"
    for name in names:
        assert _whole(name, text), f"{name} is not whole on one line"
    assert set(SOURCE.findall(text)) == sources
    for source in sources:
        assert _whole(source, text), f"{source} is not whole on one line"


def _expected(stem: str) -> tuple[list[str], set[str]]:
    locate = loaded(stem).source_map.locate
    decisions = plan(stem).decisions
    return [d.name for d in decisions], {locate(s) for d in decisions for s in d.sources}


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("stem", REFERENCE)
def test_plan_fits_the_terminal_and_splits_nothing(stem: str, width: int) -> None:
    names, sources = _expected(stem)
    report = plan_report(plan(stem), loaded(stem).source_map.locate, width)
    _assert_readable(_print(report, width), width, names, sources)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("stem", REFERENCE)
def test_stacked_layout_fits_at_every_width(stem: str, width: int) -> None:
    names, sources = _expected(stem)
    text = plan_stacked(plan(stem), loaded(stem).source_map.locate, width)
    _assert_readable(text, width, names, sources)
    blocks = text.split("\n\n")[1:]
    assert [block.splitlines()[0] for block in blocks] == names
    for block in blocks:
        labels = [m[1] for line in block.splitlines() if (m := re.match(r"  (\w+):", line))]
        assert labels == ["value", "formula", "computed", "source", "reason"]


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("stem", REFERENCE)
def test_explain_fits_the_terminal(stem: str, width: int) -> None:
    names, _ = _expected(stem)
    locate = loaded(stem).source_map.locate
    for prefix in sorted({name.split(".")[0] for name in names}):
        text = explain(plan(stem), prefix, locate, width)
        chosen = [name for name in names if name.startswith(f"{prefix}.")]
        sources = {locate(s) for d in plan(stem).decisions if d.name in chosen for s in d.sources}
        _assert_readable(text, width, chosen, sources)


def test_wide_terminals_get_the_table_and_narrow_ones_the_blocks() -> None:
    locate = loaded(NLP).source_map.locate
    assert not isinstance(plan_report(plan(NLP), locate, 160), str)
    assert isinstance(plan_report(plan(NLP), locate, 80), str)
    with pytest.raises(ValueError, match="does not fit in 80 columns"):
        plan_table(plan(NLP), locate, 80)


@pytest.mark.parametrize("width", [60, 80, 160])
def test_cli_plan_and_explain_follow_columns(width: int) -> None:
    names, sources = _expected(NLP)
    runner = CliRunner()
    env = {"COLUMNS": str(width)}
    result = runner.invoke(app, ["plan", "specs/nlp.yaml"], env=env)
    assert result.exit_code == 0, result.output
    _assert_readable(result.stdout, width, names, sources)
    result = runner.invoke(app, ["plan", "specs/nlp.yaml", "--explain", "cost"], env=env)
    assert result.exit_code == 0, result.output
    assert max(cell_len(line) for line in result.stdout.splitlines()) <= width
    lines = Path("specs/nlp.yaml").read_text().splitlines()
    cloud_line = 1 + next(i for i, line in enumerate(lines) if line.startswith("  cloud:"))
    assert f"specs/nlp.yaml:{cloud_line}" in result.stdout


def test_formulas_break_before_operators_and_keep_units() -> None:
    text = "0 + 73 + 21.02 + 68.74 + 5.27 + 368.5 + 1530 + 283.5 + 106.3 = 2457 (budget 12000)"
    lines = wrap(text, 24)
    assert lines == [
        "0 + 73 + 21.02 + 68.74",
        "+ 5.27 + 368.5 + 1530",
        "+ 283.5 + 106.3 = 2457",
        "(budget 12000)",
    ]
    assert wrap("263.5 GB at $0.02/GB-month = 5.27", 10)[0] == "263.5 GB"
    assert wrap("first line\nsecond", 80) == ["first line", "second"]


def test_a_word_wider_than_the_line_stays_whole() -> None:
    assert wrap("see specs/nlp.yaml:129 now", 10) == ["see", "specs/nlp.yaml:129", "now"]


def test_columns_never_narrower_than_their_longest_word() -> None:
    columns = [["header", "a.long.decision.name"], ["value", "1 2 3 4 5 6 7 8"]]
    assert column_widths(columns, 25) == [20, 5]
    assert column_widths(columns, 40) == [20, 15]
    assert column_widths(columns, 24) is None


def test_wide_characters_count_two_cells() -> None:
    assert cell_width("売上") == cell_len("売上") == 4
    assert cell_width("× − ≤ ρ") == cell_len("× − ≤ ρ")


@settings(deadline=None, max_examples=200, derandomize=True)
@given(
    words=st.lists(st.text(alphabet="ab1.:×= 売", min_size=1, max_size=12), max_size=20),
    width=st.integers(min_value=1, max_value=40),
)
def test_wrap_keeps_every_word_and_fits(words: list[str], width: int) -> None:
    text = " ".join(words)
    lines = wrap(text, width)
    assert " ".join(lines).split() == text.split()
    for line in lines:
        assert cell_len(line) <= width or len(line.split()) == 1


def test_count_nouns_agree_with_their_number() -> None:
    assert format_value(1, "nodes (max)") == "1 node (max)"
    assert format_value(4, "nodes (max)") == "4 nodes (max)"
    assert format_value(1.0, "runs/30d") == "1 run/30d"
    assert format_value(0, "replicas") == "0 replicas"
    assert format_value(1.5, "replicas") == "1.5 replicas"
    assert format_value(1, "ms") == "1 ms"
    assert format_value(1, "USD/month") == "1 USD/month"
    assert count(1, "entries") == "1 entry"
    assert noun(1, "unknown-things") == "unknown-things"


_ONE_PLURAL = re.compile(rf"(?<![\w.])1 ({'|'.join(SINGULAR)})\b")
_PLACEHOLDER = re.compile(r"\(s\)|(?<![\w)]) ?- [a-z]+/")


@pytest.mark.parametrize("stem", REFERENCE)
def test_plan_wording_has_no_placeholders(stem: str) -> None:
    text = _print(plan_table(plan(stem)), 400) + plan_json(plan(stem))
    readme = (REPO / "generated" / plan(stem).system.name / "README.md").read_text()
    for source in (text, readme):
        assert not _ONE_PLURAL.findall(source)
        assert not _PLACEHOLDER.findall(source)
    computations = [d.computed for d in plan(stem).decisions]
    assert not [c for c in computations if "; " in c], "one computation per line"
