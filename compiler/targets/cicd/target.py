"""The CI/CD target: ``.github/workflows/`` with the stack's checks and its deploys.

Workflows are data dumped with :func:`yaml_dump` under the generated header; the release of
each pinned action is then added as a comment. ``ci.yml`` is in every stack; ``deploy.yml``
only in a stack with a cloud. The README gets what each does and what to configure.
"""

from __future__ import annotations

from dataclasses import dataclass

from mlopsgen import __version__
from mlopsgen.plan.ir.root import Plan
from mlopsgen.render.header import generated_header
from mlopsgen.targets.base import Rendered
from mlopsgen.targets.cicd.actions import annotate_pins
from mlopsgen.targets.cicd.ci_workflow import ci_workflow
from mlopsgen.targets.cicd.deploy_workflow import deploy_workflow
from mlopsgen.targets.cicd.readme import HEADING, cicd_section
from mlopsgen.targets.dumps import yaml_dump

__all__ = ["CI", "DEPLOY", "CicdTarget"]

CI = ".github/workflows/ci.yml"
DEPLOY = ".github/workflows/deploy.yml"


@dataclass(frozen=True)
class CicdTarget:
    """``.github/workflows/``: what every change must pass, and how main reaches production."""

    name: str = "cicd"

    def render(self, plan: Plan) -> Rendered:
        """``ci.yml``, ``deploy.yml`` where the stack has a cloud, and the README section."""
        header = generated_header("#", __version__, plan.system.spec_sha256)
        workflows = {CI: ci_workflow(plan)}
        deploy = deploy_workflow(plan)
        if deploy is not None:
            workflows[DEPLOY] = deploy
        files = {path: header + annotate_pins(yaml_dump(data)) for path, data in workflows.items()}
        purposes = {
            CI: "GitHub Actions checks of every change: staleness, Terraform, alerts, training",
            DEPLOY: "GitHub Actions deploy of main: gated models, staging, then production",
        }
        builds_image = deploy is not None and "build" in deploy["jobs"]
        return Rendered(
            files=files,
            purposes={path: purposes[path] for path in files},
            sections={HEADING: cicd_section(plan, deploy is not None, builds_image)},
        )
