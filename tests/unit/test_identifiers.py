"""Identifier types: any text sanitises to a valid name, and the name table keeps them unique."""

from __future__ import annotations

import builtins
import keyword
import re

import hcl2
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mlopsgen.plan.names import (
    PYTHON_BUILTINS,
    PYTHON_KEYWORDS,
    Identifier,
    K8sName,
    PythonClassName,
    PythonIdentifier,
)
from mlopsgen.targets.bentoml.names import BentoName
from mlopsgen.targets.naming import NameTable
from mlopsgen.targets.terraform.names import TerraformName
from tests.unit.hostile_strings import identifier_text

KINDS: list[type[Identifier]] = [
    Identifier,
    PythonIdentifier,
    PythonClassName,
    TerraformName,
    BentoName,
    K8sName,
]

# The targets' own rules, restated here from their documentation rather than imported.
DNS1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
BENTO_TAG_NAME = re.compile(r"[a-z0-9]([-._a-z0-9]*[a-z0-9])?")
TERRAFORM_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.__name__)
@given(text=identifier_text)
def test_from_text_is_valid_ascii_and_idempotent(kind: type[Identifier], text: str) -> None:
    name = kind.from_text(text)
    assert type(name) is kind
    assert kind.is_valid(name)
    assert name.isascii() and name
    assert kind.from_text(name) == name
    assert kind(str(name)) == name


@given(identifier_text)
def test_python_identifier_is_usable_as_a_variable(text: str) -> None:
    name = PythonIdentifier.from_text(text)
    assert name.isidentifier()
    assert not keyword.iskeyword(name) and not hasattr(builtins, name)
    assert name == name.lower() and "__" not in name and not name.startswith("_")
    compile(f"{name} = 1\ndef {name}(): pass\n", "<test>", "exec")


@given(identifier_text)
def test_python_class_name_is_pascal_case_and_usable(text: str) -> None:
    name = PythonClassName.from_text(text)
    assert name[0].isupper() and name.isidentifier()
    assert not keyword.iskeyword(name) and not hasattr(builtins, name)
    compile(f"class {name}:\n    pass\n", "<test>", "exec")


@given(identifier_text)
def test_k8s_name_is_an_rfc1035_label(text: str) -> None:
    name = K8sName.from_text(text)
    assert DNS1123_LABEL.fullmatch(name) and len(name) <= 63
    assert name[0].isalpha()


@given(identifier_text)
def test_bento_name_matches_bentoml_tag_rule(text: str) -> None:
    name = BentoName.from_text(text)
    assert BENTO_TAG_NAME.fullmatch(name) and len(name) <= 63


@given(identifier_text)
def test_terraform_name_works_as_a_resource_and_variable_name(text: str) -> None:
    name = TerraformName.from_text(text)
    assert TERRAFORM_IDENTIFIER.fullmatch(name)
    source = f'variable "{name}" {{}}\nresource "null_resource" "{name}" {{}}\n'
    parsed = hcl2.loads(source)
    assert len(parsed["variable"]) == 1 and len(parsed["resource"]) == 1


@pytest.mark.parametrize(
    ("kind", "text", "expected"),
    [
        (PythonIdentifier, "Fraud Détection v2 🚀", "fraud_detection_v2"),
        (PythonIdentifier, "HTTPServer", "http_server"),
        (PythonIdentifier, "class", "class_"),
        (PythonIdentifier, "list", "list_"),
        (PythonIdentifier, "7d txn count", "n_7d_txn_count"),
        (PythonIdentifier, "", "unnamed"),
        (PythonIdentifier, "日本語 🚀", "unnamed"),
        (PythonIdentifier, "Straße", "strasse"),
        (PythonClassName, "fraud detection", "FraudDetection"),
        (PythonClassName, "exception", "Exception_"),
        (PythonClassName, "none", "None_"),
        (PythonClassName, "2fa", "N2fa"),
        (TerraformName, "count", "count_"),
        (TerraformName, "my-bucket", "my_bucket"),
        (BentoName, "Fraud.Detection", "fraud_detection"),
        (K8sName, "Fraud_Detection API", "fraud-detection-api"),
        (K8sName, "9lives", "n-9lives"),
    ],
)
def test_from_text_examples(kind: type[Identifier], text: str, expected: str) -> None:
    assert kind.from_text(text) == expected


@pytest.mark.parametrize(
    ("kind", "bad"),
    [
        (PythonIdentifier, "class"),
        (PythonIdentifier, "Foo"),
        (PythonIdentifier, "1a"),
        (PythonIdentifier, "a__b"),
        (PythonIdentifier, "_private"),
        (PythonIdentifier, "café"),
        (PythonClassName, "foo"),
        (PythonClassName, "Exception"),
        (TerraformName, "1a"),
        (TerraformName, "count"),
        (TerraformName, "a.b"),
        (BentoName, "a_"),
        (BentoName, "A"),
        (BentoName, "a" * 64),
        (K8sName, "-a"),
        (K8sName, "a_b"),
        (K8sName, "a" * 64),
        (K8sName, ""),
    ],
)
def test_constructor_refuses_invalid_names(kind: type[Identifier], bad: str) -> None:
    with pytest.raises(ValueError, match=kind.__name__):
        kind(bad)


def test_constructor_refuses_non_strings() -> None:
    with pytest.raises(TypeError):
        PythonIdentifier(3)  # type: ignore[arg-type]


def test_long_names_are_cut_with_a_stable_hash() -> None:
    a = K8sName.from_text("x" * 80 + "a")
    b = K8sName.from_text("x" * 80 + "b")
    assert len(a) == len(b) == 63
    assert a != b
    assert a == K8sName.from_text("x" * 80 + "a")
    assert re.fullmatch(r"x+-[0-9a-f]{8}", a)
    assert len(a.with_suffix(12)) == 63 and a.with_suffix(12).endswith("-12")


def test_builtin_lists_cover_the_running_python() -> None:
    public = {name for name in dir(builtins) if not name.startswith("_")}
    assert public <= PYTHON_BUILTINS
    assert set(keyword.kwlist) <= PYTHON_KEYWORDS


def test_with_suffix_needs_a_number_from_two() -> None:
    with pytest.raises(ValueError):
        PythonIdentifier("a").with_suffix(1)


# --- NameTable ------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS[1:], ids=lambda k: k.__name__)
@given(texts=st.lists(identifier_text, max_size=25))
def test_name_table_assigns_unique_valid_names(kind: type[Identifier], texts: list[str]) -> None:
    table = NameTable(kind, "test", reserved=["app"])
    names = [table.claim(i, text) for i, text in enumerate(texts)]
    folded = [n.casefold() for n in names]
    assert len(set(folded)) == len(names)
    assert "app" not in folded
    assert all(kind.is_valid(n) for n in names)
    again = NameTable(kind, "test", reserved=["app"])
    assert [again.claim(i, text) for i, text in enumerate(texts)] == names
    renamed = {
        i for i, (n, t) in enumerate(zip(names, texts, strict=True)) if n != kind.from_text(t)
    }
    reported = {k for c in table.collisions for k, a in zip(c.keys, c.assigned, strict=True)}
    assert renamed <= reported


def test_name_table_suffixes_in_input_order_and_reports_collisions() -> None:
    table = NameTable(PythonIdentifier, "python module", reserved=["app"])
    assert [table.claim(k) for k in ["Fraud", "fraud", "fraud_2", "app", "🚀", "日本"]] == [
        "fraud",
        "fraud_2",
        "fraud_2_2",
        "app_2",
        "unnamed",
        "unnamed_2",
    ]
    described = [c.describe() for c in table.collisions]
    assert described == [
        "python module name 'fraud' is wanted by several inputs: 'Fraud' -> fraud, "
        "'fraud' -> fraud_2",
        "python module name 'fraud_2' is already taken: 'fraud_2' -> fraud_2_2",
        "python module name 'app' is reserved: 'app' -> app_2",
        "python module name 'unnamed' is wanted by several inputs: '🚀' -> unnamed, "
        "'日本' -> unnamed_2",
    ]


def test_name_table_uses_dashes_for_kubernetes() -> None:
    table = NameTable(K8sName, "service")
    assert [table.claim(k) for k in ["api", "API", "Api"]] == ["api", "api-2", "api-3"]


def test_name_table_claims_are_stable_per_key() -> None:
    table = NameTable(PythonIdentifier, "m")
    first = table.claim("k", "Some Name")
    assert table.claim("k", "Some Name") is first
    assert table["k"] == "some_name" and "k" in table and len(table) == 1
    assert table.items() == [("k", "some_name")]
    with pytest.raises(ValueError, match="claimed from"):
        table.claim("k", "Other Name")
    assert table.collisions == ()
