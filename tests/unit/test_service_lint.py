"""The services' request-path modules and a generated ``rules.py`` pass the stack's lint:
``ruff check`` and ``ruff format --check`` under the stack's own ``pyproject.toml``, then
``mypy --strict``, run from this checkout's tools on a folder laid out like a stack."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from mlopsgen.expr import parse_expression
from mlopsgen.render.formatting import ruff_binary
from tests.conftest import REPO
from tests.unit import plan_support
from tests.unit.service_support import MODULES, SERVICES, rules_source, with_rules
from tests.unit.test_service_rules import rule_plan

TOOLS = {"ruff": [ruff_binary()], "mypy": [sys.executable, "-m", "mypy"]}


def _tool(cwd: Path, name: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RUFF_", "MYPY"))}
    return subprocess.run(
        [*TOOLS[name], *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )


def test_services_pass_the_stack_lint(tmp_path: Path) -> None:
    stack = tmp_path / "stack"
    services = stack / "services"
    services.mkdir(parents=True)
    shutil.copy(REPO / "generated" / plan_support.FRAUD / "pyproject.toml", stack)
    (services / "__init__.py").write_text('"""Services."""\n', encoding="utf-8")
    for name in MODULES:
        shutil.copy(SERVICES / f"{name}.py", services / f"{name}.py")
    fraud = plan_support.plan(plan_support.FRAUD)
    (services / "rules.py").write_text(rules_source(fraud), encoding="utf-8")
    # Every operator, a boolean comparison, negated membership and long conditions.
    texts = [
        "channel == 'web' and not (country in ['KP', 'IR']) or -amount_usd % 3 != 1.5",
        "not amount_usd == 1 or not amount_usd != 2 or not not country == 'KP' or 1 == 1",
        "-(-amount_usd) > 0 and amount_usd > 1 and amount_usd < 5",
        "country not in ['FR', 'DE'] and amount_usd * 2 - 1 >= user_velocity.txn_count_1h / 4",
        " or ".join(f"amount_usd > {n}" for n in range(40)),
    ]
    edited = with_rules(
        fraud, [rule_plan(parse_expression(t), name=f"r{i}") for i, t in enumerate(texts)]
    )
    (services / "more_rules.py").write_text(rules_source(edited), encoding="utf-8")
    # The generated rules are what the decision policy takes.
    (services / "wiring.py").write_text(
        '"""Rules feed the policy."""\n\n'
        "from services.decision import RuleCheck\n"
        "from services.rules import RULES\n\n"
        "CHECKS: tuple[RuleCheck, ...] = RULES\n",
        encoding="utf-8",
    )
    for args in (
        ("check", "--no-cache", "services"),
        ("format", "--check", "--no-cache", "services"),
    ):
        result = _tool(stack, "ruff", *args)
        assert result.returncode == 0, result.stdout + result.stderr
    cache = tmp_path / "mypy-cache"
    result = _tool(stack, "mypy", "--strict", "--cache-dir", str(cache), "services")
    assert result.returncode == 0, result.stdout + result.stderr
