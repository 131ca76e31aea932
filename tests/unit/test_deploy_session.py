"""Finding Terraform and shortening its errors: the parts of deploy that need no Terraform."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from mlopsgen.deploy.driver import summarize
from mlopsgen.deploy.session import (
    EMBEDDED_SCRIPT,
    DeployError,
    _failure,
    find_terraform,
    shorten_error,
)


def _executable(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n", encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_no_terraform_anywhere_is_an_error_naming_how_to_get_one(tmp_path: Path) -> None:
    with pytest.raises(DeployError) as caught:
        find_terraform(search_path=str(tmp_path / "bin"), scripts_dir=tmp_path, override="")
    assert str(caught.value) == "no terraform executable found"
    assert caught.value.hint is not None
    assert "developer.hashicorp.com/terraform/install" in caught.value.hint
    assert EMBEDDED_SCRIPT in caught.value.hint


def test_terraform_on_path_comes_before_the_embedded_one(tmp_path: Path) -> None:
    on_path = _executable(tmp_path / "bin" / "terraform")
    _executable(tmp_path / "scripts" / EMBEDDED_SCRIPT)
    found = find_terraform(str(tmp_path / "bin"), tmp_path / "scripts", override="")
    assert (found.path, found.embedded) == (str(on_path), False)


def test_the_embedded_terraform_stands_in_when_none_is_on_path(tmp_path: Path) -> None:
    script = _executable(tmp_path / "scripts" / EMBEDDED_SCRIPT)
    found = find_terraform(str(tmp_path / "bin"), tmp_path / "scripts", override="")
    assert (found.path, found.embedded) == (str(script), True)


def test_the_override_wins_and_must_exist(tmp_path: Path) -> None:
    chosen = _executable(tmp_path / "elsewhere" / "tf")
    _executable(tmp_path / "bin" / "terraform")
    found = find_terraform(str(tmp_path / "bin"), tmp_path, override=str(chosen))
    assert found.path == str(chosen)
    with pytest.raises(DeployError, match="not an executable"):
        find_terraform(str(tmp_path / "bin"), tmp_path, override=str(tmp_path / "nope"))


AWS_NO_CREDENTIALS = """
Planning failed. Terraform encountered an error while generating this plan.

╷
│ Error: No valid credential sources found
│
│   with provider["registry.terraform.io/hashicorp/aws"],
│   on versions.tf line 12, in provider "aws":
│   12: provider "aws" {
│
│ Please see https://registry.terraform.io/providers/hashicorp/aws
│ for more information about providing credentials.
│
│ Error: failed to refresh cached credentials, no EC2 IMDS role found
│
╵
"""


def test_a_credentials_failure_is_shortened_with_the_clouds_hint() -> None:
    error = _failure("plan", "aws", {"code": 1, "stdout": "", "stderr": AWS_NO_CREDENTIALS})
    text = str(error)
    assert text.startswith("terraform plan failed (exit 1):\nError: ")
    assert "│" not in text and "╷" not in text
    assert error.hint is not None and "aws configure" in error.hint
    gcp = _failure("plan", "gcp", {"code": 1, "stdout": "", "stderr": AWS_NO_CREDENTIALS})
    assert gcp.hint is not None and "gcloud auth application-default login" in gcp.hint


def test_shortening_keeps_a_few_distinct_lines_from_the_telling_error() -> None:
    text = "Error: general\n" + "\n".join(f"│ Error: x\n│ line {i}" for i in range(20))
    short = shorten_error(text, limit=5).splitlines()
    assert short[0] == "Error: x"
    assert len(short) == 5
    assert shorten_error("") == "(no output)"


def test_the_plan_summary_counts_actions_and_types() -> None:
    show = {
        "resource_changes": [
            {"type": "aws_s3_bucket", "change": {"actions": ["create"]}},
            {"type": "aws_s3_bucket", "change": {"actions": ["create"]}},
            {"type": "aws_eks_cluster", "change": {"actions": ["delete", "create"]}},
            {"type": "aws_iam_role", "change": {"actions": ["no-op"]}},
            {"type": "aws_vpc", "change": {"actions": ["update"]}},
        ],
        "output_changes": {"registry_url": {}},
    }
    assert summarize(show) == {
        "actions": {"create": 2, "replace": 1, "update": 1},
        "types": [
            ["create", "aws_s3_bucket", 2],
            ["replace", "aws_eks_cluster", 1],
            ["update", "aws_vpc", 1],
        ],
        "outputs": ["registry_url"],
    }


def test_the_environment_override_is_read_when_not_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chosen = _executable(tmp_path / "tf")
    monkeypatch.setenv("MLOPSGEN_TERRAFORM", str(chosen))
    assert find_terraform().path == str(chosen)
    assert os.environ["MLOPSGEN_TERRAFORM"] == str(chosen)
