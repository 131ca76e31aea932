"""The spec loader: safe YAML reading with positions, shape diagnostics and the entry points.

Consistency checks have their own module (test_checks.py); these tests cover everything up
to a shape-valid spec: bytes, YAML, positions, limits and pydantic errors turned into
diagnostics that point at the right place.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from mlopsgen.diagnostics import Diagnostic, Span, SpecError, UsageError
from mlopsgen.spec.loader import LoadedSpec, load_spec, load_spec_bytes, load_spec_text
from mlopsgen.spec.yaml_reader import (
    MAX_BYTES,
    MAX_DEPTH,
    MAX_SCALAR_CHARS,
    YamlDocument,
    decode_bytes,
    read_yaml,
)
from tests.conftest import REFERENCE_SPECS, REPO

MINIMAL = (REPO / "tests" / "data" / "minimal.yaml").read_text(encoding="utf-8")


def read_errors(text: str) -> list[Diagnostic]:
    """Diagnostics of reading ``text`` as YAML (the reader raises on any problem)."""
    with pytest.raises(SpecError) as caught:
        read_yaml(text, "t.yaml")
    return caught.value.diagnostics


def load_errors(text: str) -> list[Diagnostic]:
    """Diagnostics of loading ``text`` as a whole spec."""
    with pytest.raises(SpecError) as caught:
        load_spec_text(text, "t.yaml")
    return caught.value.diagnostics


def only(diagnostics: list[Diagnostic]) -> Diagnostic:
    assert len(diagnostics) == 1, diagnostics
    return diagnostics[0]


def spanned(diagnostic: Diagnostic) -> Span:
    assert diagnostic.span is not None
    return diagnostic.span


# -- reading YAML: positions -------------------------------------------------------------


def test_positions_of_keys_and_values() -> None:
    document = read_yaml("a:\n  b: 12\n  c: [x, yz]\n", "t.yaml")
    assert document.data == {"a": {"b": 12, "c": ["x", "yz"]}}
    keys, values = document.source_map.keys, document.source_map.values
    assert keys[("a", "b")] == Span("t.yaml", 2, 3, 2, 4)
    assert values[("a", "b")] == Span("t.yaml", 2, 6, 2, 8)
    assert values[("a", "c", 1)] == Span("t.yaml", 3, 10, 3, 12)


def test_columns_count_characters_not_bytes() -> None:
    document = read_yaml("a: {é: 1, b: 2}\n", "t.yaml")
    assert document.source_map.keys[("a", "b")].column == 11


def test_source_map_falls_back_to_the_nearest_ancestor() -> None:
    document = read_yaml("a:\n  b: 1\n", "t.yaml")
    assert document.source_map.value_span(("a", "missing", 3)) == Span("t.yaml", 2, 3, 3, 1)
    assert document.source_map.location(("a", "b")) == "t.yaml:2"


def test_duplicate_keys_name_both_lines() -> None:
    diagnostic = only(read_errors("a: 1\nb: 2\na: 3\n"))
    assert diagnostic.code == "E112"
    assert "first defined at line 1" in diagnostic.message
    assert spanned(diagnostic).line == 3


def test_every_duplicate_key_is_reported() -> None:
    diagnostics = read_errors("a: 1\na: 2\nb:\n  c: 1\n  c: 2\n")
    assert [(d.code, spanned(d).line) for d in diagnostics] == [("E112", 2), ("E112", 5)]


def test_merge_keys_apply_and_explicit_keys_win() -> None:
    document = read_yaml("base: &b {x: 1, y: 2}\nderived:\n  <<: *b\n  y: 3\n", "t.yaml")
    assert document.data["derived"] == {"y": 3, "x": 1}


def test_merge_of_a_scalar_is_rejected() -> None:
    diagnostic = only(read_errors("a: &a 1\nb:\n  <<: *a\n"))
    assert diagnostic.code == "E111"


def test_aliases_within_the_cap_expand() -> None:
    document = read_yaml("a: &a [1, 2]\nb: *a\n", "t.yaml")
    assert document.data == {"a": [1, 2], "b": [1, 2]}


def _laughs(levels: int) -> str:
    lines = ["l0: &l0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, levels):
        lines.append(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]")
    return "\n".join(lines) + "\n"


def test_alias_bomb_is_rejected() -> None:
    # How fast it is rejected is measured by bench/reject_and_plan.py, not asserted here.
    diagnostic = only(read_errors(_laughs(9)))
    assert diagnostic.code == "E108"
    assert spanned(diagnostic).line >= 1


def merge_key_bomb(levels: int) -> str:
    """Nested merge keys whose expansion grows nine-fold per level."""
    inner = "&m0 {x: 1}"
    for i in range(1, levels):
        inner = f"&m{i} {{<<: [{inner}, {', '.join([f'*m{i - 1}'] * 9)}]}}"
    return f"top: {inner}\n"


def test_merge_key_bomb_is_rejected() -> None:
    diagnostic = only(read_errors(merge_key_bomb(9)))
    assert diagnostic.code == "E108"


def test_alias_chains_cannot_nest_beyond_the_depth_cap() -> None:
    lines = ["a0: &a0 [1]"] + [f"a{i}: &a{i} [*a{i - 1}]" for i in range(1, 300)]
    diagnostic = only(read_errors("\n".join(lines) + "\n"))
    assert diagnostic.code == "E108"
    assert "deeper" in diagnostic.message


def test_deep_nesting_is_rejected() -> None:
    depth = MAX_DEPTH + 5
    diagnostic = only(read_errors("a: " + "[" * depth + "]" * depth + "\n"))
    assert diagnostic.code == "E105"
    assert spanned(diagnostic).line == 1


def test_nesting_at_the_cap_is_accepted() -> None:
    depth = MAX_DEPTH - 1
    document = read_yaml("a: " + "[" * depth + "]" * depth + "\n", "t.yaml")
    assert isinstance(document, YamlDocument)


def test_overlong_scalar_is_rejected() -> None:
    diagnostic = only(read_errors("a: " + "x" * (MAX_SCALAR_CHARS + 1) + "\n"))
    assert diagnostic.code == "E105"


def test_tabs_get_a_hint() -> None:
    diagnostic = only(read_errors("a:\n\tb: 1\n"))
    assert diagnostic.code == "E104"
    assert spanned(diagnostic).line == 2
    assert diagnostic.hint is not None and "tab" in diagnostic.hint


def test_syntax_error_has_its_position() -> None:
    diagnostic = only(read_errors("a: [1, 2\nb: 3\n"))
    assert diagnostic.code == "E104"
    assert spanned(diagnostic).line >= 1


def test_two_documents_are_rejected() -> None:
    diagnostic = only(read_errors("a: 1\n---\nb: 2\n"))
    assert diagnostic.code == "E106"
    assert spanned(diagnostic).line == 2


def test_empty_and_comment_only_documents_are_rejected() -> None:
    assert only(read_errors("")).code == "E107"
    assert only(read_errors("# nothing here\n")).code == "E107"


@pytest.mark.parametrize(
    "text",
    ["a: !!python/object/apply:os.system [ls]\n", "a: !!binary aGk=\n", "a: !custom x\n"],
)
def test_non_standard_tags_are_rejected(text: str) -> None:
    assert only(read_errors(text)).code == "E109"


def test_complex_keys_are_rejected() -> None:
    assert only(read_errors("? [a, b]\n: 1\n")).code == "E111"


def test_timestamps_stay_strings() -> None:
    assert read_yaml("day: 2024-01-02\n", "t.yaml").data == {"day": "2024-01-02"}


# -- bytes ---------------------------------------------------------------------------------


def test_nul_byte_position() -> None:
    with pytest.raises(SpecError) as caught:
        decode_bytes(b"a: 1\nb: \x00\n", "t.yaml")
    diagnostic = only(caught.value.diagnostics)
    assert (diagnostic.code, spanned(diagnostic).line, spanned(diagnostic).column) == ("E102", 2, 4)


def test_invalid_utf8_position() -> None:
    with pytest.raises(SpecError) as caught:
        decode_bytes("a: café\nb: ".encode() + b"\xff\n", "t.yaml")
    diagnostic = only(caught.value.diagnostics)
    assert (diagnostic.code, spanned(diagnostic).line, spanned(diagnostic).column) == ("E103", 2, 4)
    assert "0xff" in diagnostic.message


def test_oversized_file_is_rejected() -> None:
    with pytest.raises(SpecError) as caught:
        decode_bytes(b"#" * (MAX_BYTES + 1), "t.yaml")
    assert only(caught.value.diagnostics).code == "E101"


def test_byte_order_mark_is_accepted() -> None:
    loaded = load_spec_bytes(b"\xef\xbb\xbf" + MINIMAL.encode(), "t.yaml")
    assert loaded.spec.system.name == "mini"
    assert loaded.source_map.keys[("spec_version",)].line == 2


def test_crlf_is_accepted_and_lines_are_unchanged() -> None:
    bad = MINIMAL.replace("latency_p95_ms: 100", "latency_p95_ms: -1")
    with pytest.raises(SpecError) as lf:
        load_spec_bytes(bad.encode(), "t.yaml")
    with pytest.raises(SpecError) as crlf:
        load_spec_bytes(bad.replace("\n", "\r\n").encode(), "t.yaml")
    assert [d.span for d in crlf.value.diagnostics] == [d.span for d in lf.value.diagnostics]
    assert load_spec_bytes(MINIMAL.replace("\n", "\r\n").encode(), "t.yaml").spec


# -- entry points ----------------------------------------------------------------------------


@pytest.mark.parametrize("path", REFERENCE_SPECS, ids=lambda p: p.name)
def test_reference_specs_load_without_diagnostics(path: Path) -> None:
    loaded = load_spec(path)
    assert isinstance(loaded, LoadedSpec)
    assert loaded.warnings == []
    assert len(loaded.sha256) == 64
    assert loaded.file == str(path)


def test_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as caught:
        load_spec(tmp_path / "absent.yaml")
    assert caught.value.exit_code == 2
    assert caught.value.hint


def test_directory_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="is a directory"):
        load_spec(tmp_path)


def test_errors_carry_the_source_text(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("a: 1\na: 2\n", encoding="utf-8")
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    assert caught.value.sources == {str(path): "a: 1\na: 2\n"}
    assert caught.value.exit_code == 1


def test_digest_follows_the_spec() -> None:
    first = load_spec_bytes(MINIMAL.encode(), "a.yaml").sha256
    assert re.fullmatch(r"[0-9a-f]{64}", first)
    assert load_spec_bytes(MINIMAL.encode(), "b.yaml").sha256 == first
    changed = MINIMAL.replace("availability: 99.9", "availability: 99.5")
    assert load_spec_bytes(changed.encode(), "a.yaml").sha256 != first


# -- shape diagnostics ---------------------------------------------------------------------------


def test_unknown_key_has_did_you_mean_and_key_position() -> None:
    diagnostic = only(load_errors(MINIMAL.replace("latency_p95_ms", "latency_p59_ms")))
    assert diagnostic.code == "E202"
    assert diagnostic.path == ("slo", "latency_p59_ms")
    assert (spanned(diagnostic).line, spanned(diagnostic).column) == (10, 3)
    assert diagnostic.hint is not None
    assert diagnostic.hint.startswith("did you mean 'latency_p95_ms'?")


def test_missing_key_points_at_its_mapping() -> None:
    diagnostic = only(load_errors(MINIMAL.replace("  owner: team@example.com\n", "")))
    assert diagnostic.code == "E203"
    assert "'owner'" in diagnostic.message and "`system`" in diagnostic.message
    assert spanned(diagnostic).line == 4
    assert diagnostic.hint is not None and "owner:" in diagnostic.hint


def test_every_shape_error_is_reported_together() -> None:
    text = MINIMAL.replace("availability: 99.9", "availability: 101").replace(
        "peak_rps: 100", "peak_rps: -1"
    )
    diagnostics = load_errors(text.replace("ttl: 1d", "ttl: soon"))
    assert [d.path for d in diagnostics] == [
        ("slo", "availability"),
        ("slo", "throughput", "peak_rps"),
        ("features", "views", 0, "ttl"),
    ]


def _with_training(triggers: str) -> str:
    return MINIMAL.replace("\nserving:", f"\ntraining:\n  triggers:\n{triggers}\nserving:")


def test_error_inside_a_union_branch_maps_to_the_users_path() -> None:
    diagnostic = only(load_errors(_with_training("    - {kind: drift, threshold: -1}\n")))
    assert diagnostic.code == "E204"
    assert diagnostic.path == ("training", "triggers", 0, "threshold")
    assert spanned(diagnostic).column == 32


def test_unknown_key_inside_a_union_branch_lists_that_branchs_keys() -> None:
    diagnostics = load_errors(_with_training("    - {kind: drift, treshold: 0.2}\n"))
    assert [(d.code, d.path[-1]) for d in diagnostics] == [
        ("E203", "threshold"),
        ("E202", "treshold"),
    ]
    hint = diagnostics[1].hint
    assert hint == "did you mean 'threshold'? allowed keys: kind, metric, threshold"


def test_unknown_union_kind_points_at_kind_with_a_guess() -> None:
    diagnostic = only(load_errors(_with_training("    - {kind: new_label, min_rows: 5}\n")))
    assert diagnostic.path == ("training", "triggers", 0, "kind")
    assert spanned(diagnostic).column == 14
    assert diagnostic.hint is not None
    assert diagnostic.hint.startswith("did you mean 'new_labels'?")


def test_missing_union_kind_is_a_missing_key() -> None:
    diagnostic = only(load_errors(_with_training("    - {threshold: 0.2}\n")))
    assert diagnostic.code == "E203"
    assert diagnostic.path == ("training", "triggers", 0, "kind")
    assert diagnostic.hint is not None and "drift" in diagnostic.hint


def test_yaml_booleans_in_string_lists_get_the_norway_hint() -> None:
    diagnostic = only(load_errors(MINIMAL.replace("[US, GB, DE]", "[US, GB, NO]")))
    assert diagnostic.path == ("data", "sources", 0, "schema", "country", "values", 2)
    assert diagnostic.hint is not None and "quote" in diagnostic.hint


def test_bad_name_suggests_snake_case() -> None:
    diagnostic = only(load_errors(MINIMAL.replace("- name: scorer", "- name: FraudScorer")))
    assert diagnostic.hint is not None and "'fraud_scorer'" in diagnostic.hint


def test_quoted_number_hint() -> None:
    diagnostic = only(load_errors(MINIMAL.replace("latency_p95_ms: 100", 'latency_p95_ms: "100"')))
    assert diagnostic.hint is not None and "without quotes" in diagnostic.hint


def test_top_level_must_be_a_mapping() -> None:
    assert only(load_errors("- a\n- b\n")).code == "E201"
    assert "string" in only(load_errors("hello\n")).message


def test_spec_version_is_checked() -> None:
    diagnostic = only(load_errors(MINIMAL.replace("spec_version: 1", "spec_version: 2")))
    assert diagnostic.path == ("spec_version",)


def test_shape_errors_and_consistency_errors_of_other_sections_come_together() -> None:
    text = MINIMAL.replace("availability: 99.9", "availability: 101")
    diagnostics = load_errors(text.replace("target: is_bad", "target: nowhere"))
    assert {(d.code, d.path[0]) for d in diagnostics} == {("E204", "slo"), ("E304", "models")}


def test_no_consistency_check_runs_on_a_section_with_a_shape_error() -> None:
    text = MINIMAL.replace("target: is_bad", "target: nowhere\n    size: huge")
    diagnostics = load_errors(text)
    assert {d.code for d in diagnostics} == {"E204"}


def test_round_trip_of_safe_dump_keeps_a_valid_spec() -> None:
    data = yaml.safe_load(MINIMAL)
    loaded = load_spec_text(yaml.safe_dump(data, sort_keys=True), "dumped.yaml")
    assert loaded.spec == load_spec_text(MINIMAL).spec
