"""Shared fixtures, the test tiers and the one Hypothesis profile of the suite.

Tiers are folders: ``tests/unit`` (pure functions, in process), ``tests/e2e`` (the compiler as
a whole process: the CLI, a fresh interpreter, the wheel) and ``tests/functional`` (generated
stacks run for real). Each test gets its folder's marker here, so ``pytest -m unit`` (``make
unit``) and the others run one tier alone.

Hypothesis runs under one profile: no deadline and no "too slow" health check, because a cold
cache or a busy machine must never fail a test (speed targets live in ``bench/``); a fixed
number of examples; no example database, so a run depends only on its seed; and the seed is
chosen once per session, shown in the header and repeated after a failure, so
``pytest --hypothesis-seed=N`` replays the same run (``print_blob`` adds the exact example).
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

REPO = Path(__file__).resolve().parent.parent
SPECS = REPO / "specs"
REFERENCE_SPECS = sorted(SPECS.glob("*.yaml"))
#: Reference specs of language models, whose stacks are of their own kind (specs/llm/).
LANGUAGE_SPECS = sorted((SPECS / "llm").glob("*.yaml"))
TIERS = ("unit", "e2e", "functional")
SEED_OPTION = "hypothesis_seed"

settings.register_profile(
    "mlopsgen",
    deadline=None,
    max_examples=100,
    print_blob=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("mlopsgen")


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """Fix the session's Hypothesis seed before Hypothesis' own plugin reads the option."""
    if config.getoption(SEED_OPTION, default=None) is None:
        setattr(config.option, SEED_OPTION, str(random.SystemRandom().randrange(2**32)))


def pytest_report_header(config: pytest.Config) -> str:
    """Name the seed up front, so even an interrupted run can be replayed."""
    return f"hypothesis seed {config.getoption(SEED_OPTION)} (replay: --hypothesis-seed=N)"


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test with the tier of the folder it lives in, and keep each functional
    module on one worker when the tier runs in parallel (``make functional`` runs it on every
    core with pytest-xdist's ``--dist loadgroup``): a module's tests share the stack it built
    and the run it trained once. A test that needs no company names its own ``xdist_group``."""
    for item in items:
        parts = Path(str(item.path)).relative_to(REPO / "tests").parts
        if parts and parts[0] in TIERS:
            item.add_marker(getattr(pytest.mark, parts[0]))
        if parts and parts[0] == "functional" and item.get_closest_marker("xdist_group") is None:
            item.add_marker(pytest.mark.xdist_group(Path(parts[-1]).stem))


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, exitstatus: int, config: pytest.Config
) -> None:
    """After a failure, say how to replay this run's Hypothesis examples."""
    if terminalreporter.stats.get("failed") or terminalreporter.stats.get("error"):
        seed = config.getoption(SEED_OPTION)
        terminalreporter.write_line(
            f"hypothesis seed of this run: {seed}; replay with --hypothesis-seed={seed}"
        )


@pytest.fixture(scope="session")
def repo() -> Path:
    """The repository root."""
    return REPO
