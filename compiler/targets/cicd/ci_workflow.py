"""``ci.yml``: the checks every pull request and every push to main must pass.

Jobs, each only where the stack has what it checks: ``staleness`` (the directory is what the
spec generates: ``make check``), ``terraform`` (``terraform fmt -check`` and checkov over
``infra/``), ``monitoring`` (the alert rules, their promtool tests and the routing) and
``train`` (the training pipelines on a small synthetic sample). Every job reads the
repository and nothing else: no job holds a cloud identity or a write token.
"""

from __future__ import annotations

from typing import Any

from mlopsgen import __version__
from mlopsgen.plan.ir.root import Plan
from mlopsgen.targets.cicd.steps import (
    CHECKOV_VERSION,
    RUNNER,
    TOOL_ENV,
    checkout,
    run,
    setup_python,
    setup_terraform,
)

__all__ = ["CI_ROWS", "GATE_KEPT_OUT", "ci_workflow"]

#: Rows per source for the pull-request training run: enough for every family's hold-out.
CI_ROWS = 4000
#: ``pipelines.run``'s exit code when the run worked but a gate kept a candidate out.
GATE_KEPT_OUT = 3

_CHECK = """\
python -m pip install --quiet "${MLOPSGEN_REQUIREMENT:-mlopsgen==%s}"
make check ${MLOPSGEN_SPEC:+"SPEC=${MLOPSGEN_SPEC}"}
"""

_CHECKOV = """\
python -m venv "${RUNNER_TEMP}/checkov"
"${RUNNER_TEMP}/checkov/bin/python" -m pip install --quiet "checkov==${CHECKOV_VERSION}"
"${RUNNER_TEMP}/checkov/bin/checkov" --directory infra --framework terraform \\
  --skip-download --compact --quiet
"""

_MONITORING_TOOLS = """\
sudo apt-get update --quiet
sudo apt-get install --yes --quiet --no-install-recommends prometheus prometheus-alertmanager
"""

# A gate keeping a candidate out on a small synthetic sample is a result to see, not a broken
# pipeline: the job passes with a warning; any other failure fails it.
_TRAIN = """\
status=0
make train ROWS="${ROWS}" || status=$?
if [ -f .mlopsgen/last-run.json ]; then
  {
    echo '### Training run'
    echo '```json'
    cat .mlopsgen/last-run.json
    echo '```'
  } >> "${GITHUB_STEP_SUMMARY}"
fi
if [ "${status}" -eq %d ]; then
  echo "::warning title=Promotion gate::a gate kept a candidate out (see the job summary)"
  exit 0
fi
exit "${status}"
"""


def _job(name: str, minutes: int, steps: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "name": name,
        "runs-on": RUNNER,
        "timeout-minutes": minutes,
        "permissions": {"contents": "read"},
        "steps": [checkout(), *steps],
    }


def ci_jobs(plan: Plan) -> dict[str, Any]:
    """The jobs this stack needs, in a fixed order."""
    jobs: dict[str, Any] = {
        "staleness": _job(
            "Generated files match the spec",
            15,
            [
                setup_python(),
                run(
                    "make check",
                    _CHECK % __version__,
                    env={
                        "MLOPSGEN_REQUIREMENT": "${{ vars.MLOPSGEN_REQUIREMENT }}",
                        "MLOPSGEN_SPEC": "${{ vars.MLOPSGEN_SPEC }}",
                    },
                ),
            ],
        )
    }
    if plan.infrastructure.cloud in ("aws", "gcp"):
        jobs["terraform"] = _job(
            "Terraform format and checkov",
            20,
            [
                setup_terraform(),
                run("terraform fmt", "terraform fmt -check -recursive -diff infra\n"),
                setup_python(),
                run("checkov", _CHECKOV, env={"CHECKOV_VERSION": CHECKOV_VERSION}),
            ],
        )
    if plan.serving.realtime:
        jobs["monitoring"] = _job(
            "Alert rules, their tests and routing",
            15,
            [
                run("Install promtool and amtool", _MONITORING_TOOLS),
                run("make check-monitoring", "make check-monitoring\n"),
            ],
        )
    if plan.models:
        jobs["train"] = _job(
            "Train on a small sample",
            60,
            [
                setup_python(),
                run("make install", "make install\n"),
                run(
                    "Train; promotion only through the gates",
                    _TRAIN % GATE_KEPT_OUT,
                    env={"ROWS": str(CI_ROWS), **TOOL_ENV},
                ),
            ],
        )
    return jobs


def ci_workflow(plan: Plan) -> dict[str, Any]:
    """``.github/workflows/ci.yml`` as data."""
    return {
        "name": "CI",
        "on": {"pull_request": {}, "push": {"branches": ["main"]}},
        "permissions": {},
        "concurrency": {
            "group": "ci-${{ github.ref }}",
            "cancel-in-progress": True,
        },
        "jobs": ci_jobs(plan),
    }
