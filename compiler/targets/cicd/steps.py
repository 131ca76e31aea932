"""Steps and settings every workflow of the stack shares.

Checkouts keep no token in ``.git/config`` (``persist-credentials: false``): no later step
can read it or push with it. Values from GitHub's contexts reach shell scripts only through
``env:``, never by ``${{ }}`` inside ``run:``, where a crafted branch name or title would
become code. Scripts run under bash's ``-e`` and ``pipefail`` (GitHub's default ``bash``
shell) and never ``set -x``, so nothing a command reads is echoed to the log.
"""

from __future__ import annotations

from typing import Any

from mlopsgen.targets.cicd.actions import uses

__all__ = [
    "CHECKOV_VERSION",
    "PYTHON_VERSION",
    "RUNNER",
    "TERRAFORM_VERSION",
    "TOOL_ENV",
    "checkout",
    "run",
    "setup_python",
    "setup_terraform",
]

#: GitHub's hosted runner image; a fixed release, so an image update is a reviewed change.
RUNNER = "ubuntu-24.04"
#: The oldest Python the stack supports (its ``requires-python``), as the stack is tested on.
PYTHON_VERSION = "3.11"
#: The Terraform release the stack's configuration is formatted and checked with.
TERRAFORM_VERSION = "1.15.5"
#: checkov, in a virtualenv of its own (its pins conflict with ZenML's).
CHECKOV_VERSION = "3.3.30"
#: Keeps the stack's tools from phoning home from CI.
TOOL_ENV = {"ZENML_ANALYTICS_OPT_IN": "false", "BENTOML_DO_NOT_TRACK": "True"}


def checkout() -> dict[str, Any]:
    """Check out the commit under test, keeping no credentials behind."""
    return {
        "name": "Check out",
        "uses": uses("actions/checkout"),
        "with": {"persist-credentials": False},
    }


def setup_python() -> dict[str, Any]:
    """The Python the stack's pins were resolved for."""
    return {
        "name": "Set up Python",
        "uses": uses("actions/setup-python"),
        "with": {"python-version": PYTHON_VERSION},
    }


def setup_terraform() -> dict[str, Any]:
    """A pinned Terraform, without the wrapper that copies every command's output to step
    outputs (outputs read with ``-raw`` must be the plain value)."""
    return {
        "name": "Set up Terraform",
        "uses": uses("hashicorp/setup-terraform"),
        "with": {"terraform_version": TERRAFORM_VERSION, "terraform_wrapper": False},
    }


def run(name: str, script: str, env: dict[str, str] | None = None, **extra: Any) -> dict[str, Any]:
    """A shell step: ``script`` is a fixed text; whatever varies arrives in ``env``."""
    step: dict[str, Any] = {"name": name, **extra}
    if env:
        step["env"] = env
    step["run"] = script if script.endswith("\n") else script + "\n"
    return step
