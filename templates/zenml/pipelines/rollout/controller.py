"""Carry out the plan's rollout: ``python -m pipelines.rollout`` and its six commands.

Run from the stack root (locally, from cron, or as a Kubernetes CronJob every few minutes):

* ``start --model M [--version N]``: version N (default: the newest ``staging`` version that
  passed its gates; ``python -m pipelines.run`` starts this itself after such a run) becomes
  the candidate at the first step's share, production keeps the rest. ``--ignore-gates``
  rolls out a version the gates never passed (a hand-made fix): recorded as such.
* ``step [--model M]``: judge every running rollout (or M's) on its signals
  (:mod:`pipelines.rollout.judge`): roll back on a breach, hold, advance to the next share,
  or make the candidate production after the last step. ``--scheduled`` (the cluster's
  CronJob) exits 0 when there is nothing to do or a step holds: only a rollback by a breach
  (4) or a failure fails the run.
* ``status``: the state as JSON. ``rollback --model M [--reason TEXT]``: stop now, by hand.
  ``promote --model M``: finish now, by hand (production at once, recorded as such).
* ``adopt --from FILE``: take over the running rollouts of another state file (a training
  run's, e.g. the one CI trained in, whose state stays on its runner) into this state (the
  cluster's ConfigMap). Each adopted rollout's current step starts again now, with no counter
  reading, since its traffic is the cluster's from here on. A model whose rollout of the same
  version is already here is kept as it is (adopting twice changes nothing, and a rollout
  rolled back or promoted here is not started again); a model rolling out *another* version
  here is refused, and then nothing is adopted.

``--now`` sets the clock (ISO 8601) and ``--step-minutes`` overrides the plan's step length,
for drills and tests. The state is the file :mod:`pipelines.rollout.state` names, or the
ConfigMap ``MLOPSGEN_ROLLOUT_CONFIGMAP`` names (:mod:`pipelines.rollout.configmap`); a change
is applied to the state as saved, and refused when another writer moved the same rollout
since it was judged. The service reads the state on its next request; after ``start``, run
``python -m services.export`` so the service's store holds the candidate. Exit codes: 0 done
(started, advanced, promoted, rolled back by hand, adopted, status), 1 the state or the
outcome table could not be read or saved, 2 refused (no such rollout or candidate, one already
running, usage), 3 held (the step is not over or has too little traffic), 4 rolled back by a
breach.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from pipelines.rollout import registry
from pipelines.rollout.configmap import StateError
from pipelines.rollout.judge import ADVANCE, HOLD, PROMOTE, ROLL_BACK, judge
from pipelines.rollout.policy import error_bound, online, quality_bounds, rollout_settings
from pipelines.rollout.signals import (
    OutcomesUnreadable,
    canary_quality,
    read_counters,
    step_counters,
)
from pipelines.rollout.state import (
    PROMOTED,
    ROLLED_BACK,
    RUNNING,
    Rollout,
    decode_rollouts,
    open_store,
)
from pipelines.stack_plan import StackPlan, load_plan, stack_root

__all__ = [
    "ADOPTED",
    "EXIT_BREACH",
    "EXIT_DONE",
    "EXIT_FAILED",
    "EXIT_HELD",
    "EXIT_REFUSED",
    "Refused",
    "adopt",
    "main",
    "start",
    "step",
]

EXIT_DONE = 0
EXIT_FAILED = 1
EXIT_REFUSED = 2
EXIT_HELD = 3
EXIT_BREACH = 4
SERVICE_URL = "http://127.0.0.1:3000"
#: Labelled canary predictions a quality metric needs before it can breach.
MIN_OUTCOMES = 100
#: The reason an adopted rollout's history gives for its step starting again.
ADOPTED = "adopted from a training run's state: the step starts again"


class Refused(Exception):
    """The command cannot act (the message says why)."""


def _now(text: str | None) -> datetime:
    if not text:
        return datetime.now(UTC)
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _summary(rollout: Rollout) -> dict[str, object]:
    """What the Model Control Plane keeps of a rollout (its version's ``rollout`` metadata)."""
    return {
        "status": rollout.status,
        "step": rollout.step + 1,
        "percent": rollout.percent,
        "reason": rollout.reason or "",
        "baseline": rollout.baseline or "",
        "gates_bypassed": rollout.gates_bypassed,
    }


def start(
    plan: StackPlan,
    root: Path,
    model: str,
    version: str | None,
    now: datetime,
    ignore_gates: bool = False,
    service_url: str = SERVICE_URL,
) -> Rollout:
    """Start the rollout of ``model``'s candidate (see the module docstring).

    Raises:
        Refused: the model has no online traffic, production or candidate, the candidate
            did not pass its gates, or a rollout of the model is already running.
    """
    settings = rollout_settings(plan)
    if settings["strategy"] == "all_at_once" or not online(plan, model):
        raise Refused(f"{model}: the plan promotes it at once (no online rollout)")
    store = open_store(root)
    _not_running(store.load(), model)
    baseline = registry.production_number(model)
    if baseline is None:
        raise Refused(f"{model}: no production version to roll out against")
    candidate = version or registry.latest_candidate(model)
    if candidate is None:
        raise Refused(f"{model}: no staging version passed its gates")
    if candidate == baseline:
        raise Refused(f"{model}: version {candidate} is production already")
    if not ignore_gates and not registry.gates_passed(model, candidate):
        raise Refused(f"{model}: version {candidate} did not pass its gates (--ignore-gates)")
    at = now.isoformat()
    counters = read_counters(model, candidate, service_url)
    rollout = Rollout(
        model=model,
        candidate=candidate,
        baseline=baseline,
        strategy=str(settings["strategy"]),
        steps_percent=tuple(float(p) for p in settings["steps_percent"]),
        step_minutes=int(settings["step_minutes"]),
        step=0,
        step_started=at,
        status=RUNNING,
        salt=f"{model}:{candidate}",
        gates_bypassed=ignore_gates,
        counters={} if counters is None else counters.to_json(),
        history=({"status": RUNNING, "step": 0, "at": at},),
    )
    registry.record(model, candidate, _summary(rollout), stage="staging")

    def started(current: dict[str, Rollout]) -> dict[str, Rollout]:
        _not_running(current, model)
        return {**current, model: rollout}

    store.update(started)
    return rollout


def _not_running(rollouts: dict[str, Rollout], model: str) -> None:
    if model in rollouts and rollouts[model].status == RUNNING:
        raise Refused(f"{model}: version {rollouts[model].candidate} is already rolling out")


def _same_step(a: Rollout | None, b: Rollout) -> bool:
    """Whether ``a`` is still the rollout ``b`` was judged from (no other writer moved it)."""
    return a is not None and (a.candidate, a.status, a.step, a.step_started) == (
        b.candidate,
        b.status,
        b.step,
        b.step_started,
    )


def _step_one(
    plan: StackPlan, root: Path, rollout: Rollout, args: argparse.Namespace
) -> tuple[Rollout, str, str]:
    """Judge one running rollout; the rollout after the verdict, the action and its reason."""
    now = _now(args.now)
    if args.step_minutes is not None:
        rollout = replace(rollout, step_minutes=args.step_minutes)
    seconds = (now - datetime.fromisoformat(rollout.step_started)).total_seconds()
    counters, reading = step_counters(rollout, args.service_url, seconds)
    bound = error_bound(plan, rollout.step_minutes)
    quality = canary_quality(root, plan.raw, rollout, tuple(quality_bounds(plan, rollout.model)))
    min_rows = args.min_rows if args.min_rows is not None else (bound.min_rows if bound else 1)
    verdict = judge(rollout, counters, bound, quality, now, min_rows, args.min_outcomes)
    at = now.isoformat()
    kept = {} if reading is None else reading.to_json()
    if verdict.action == ROLL_BACK:
        rollout = rollout.moved(status=ROLLED_BACK, reason=verdict.reason, at=at)
    elif verdict.action == PROMOTE:
        rollout = rollout.moved(status=PROMOTED, reason=verdict.reason, at=at)
    elif verdict.action == ADVANCE:
        rollout = rollout.moved(step=rollout.step + 1, reason=verdict.reason, at=at, counters=kept)
    return rollout, verdict.action, verdict.reason


def _apply(root: Path, before: Rollout, rollout: Rollout, action: str) -> None:
    """Write the new state, then tell the Model Control Plane (traffic moves first).

    Raises:
        Refused: another writer moved the rollout since ``before`` was read.
    """

    def moved(current: dict[str, Rollout]) -> dict[str, Rollout]:
        if not _same_step(current.get(rollout.model), before):
            raise Refused(f"{rollout.model}: the rollout changed while it was judged")
        return {**current, rollout.model: rollout}

    open_store(root).update(moved)
    if action == ROLL_BACK:
        registry.archive(rollout.model, rollout.candidate, _summary(rollout))
    elif action == PROMOTE:
        registry.promote(rollout.model, rollout.candidate, _summary(rollout))
    elif action == ADVANCE:
        registry.record(rollout.model, rollout.candidate, _summary(rollout))


def step(plan: StackPlan, root: Path, args: argparse.Namespace) -> int:
    """Judge every running rollout (or the one of ``--model``); the exit code."""
    rollouts = open_store(root).load()
    running = [r for r in rollouts.values() if r.status == RUNNING]
    if args.model is not None:
        running = [r for r in running if r.model == args.model]
    if not running:
        message = f"no running rollout{'' if args.model is None else ' of ' + args.model}"
        if args.scheduled:
            print(f"{message}: nothing to do")
            return EXIT_DONE
        raise Refused(message)
    code = EXIT_DONE
    for rollout in running:
        after, action, reason = _step_one(plan, root, rollout, args)
        if action != HOLD:
            _apply(root, rollout, after, action)
        print(f"{rollout.model} version {rollout.candidate}: {action}: {reason}")
        code = max(code, {ROLL_BACK: EXIT_BREACH, HOLD: EXIT_HELD}.get(action, EXIT_DONE))
    return EXIT_DONE if args.scheduled and code == EXIT_HELD else code


def _by_hand(root: Path, model: str, action: str, reason: str, now: datetime) -> Rollout:
    rollout = open_store(root).load().get(model)
    if rollout is None or rollout.status != RUNNING:
        raise Refused(f"{model}: no running rollout")
    status = ROLLED_BACK if action == ROLL_BACK else PROMOTED
    after = rollout.moved(status=status, reason=reason, at=now.isoformat())
    _apply(root, rollout, after, action)
    return after


def adopt(plan: StackPlan, root: Path, source: Path, now: datetime) -> list[str]:
    """Take over the running rollouts in the state file ``source`` (see the module docstring);
    one line per running rollout in it, saying what became of it.

    Raises:
        Refused: ``source`` is no state file, names a model the plan does not roll out, or
            another version of one of its models is rolling out here already.
    """
    try:
        incoming = decode_rollouts(source.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise Refused(f"{source}: no such state file") from None
    except (ValueError, KeyError, TypeError) as err:
        raise Refused(f"{source}: not a rollout state ({type(err).__name__}: {err})") from None
    running = {model: r for model, r in sorted(incoming.items()) if r.status == RUNNING}
    for model in running:
        if not online(plan, model):
            raise Refused(f"{source}: {model} is not a model this stack rolls out")
    if not running:
        return [f"{source}: no running rollout to adopt"]
    store = open_store(root)
    lines: list[str] = []

    def adopted(current: dict[str, Rollout]) -> dict[str, Rollout]:
        lines.clear()
        after = dict(current)
        for model, rollout in running.items():
            held = current.get(model)
            if held is not None and held.candidate == rollout.candidate:
                lines.append(
                    f"{model} version {held.candidate}: already here ({held.status}): kept"
                )
                continue
            if held is not None and held.status == RUNNING:
                raise Refused(
                    f"{model}: version {held.candidate} is rolling out here already, so "
                    f"version {rollout.candidate} from {source} is not adopted (nothing was): "
                    f"promote or roll back version {held.candidate} first"
                )
            after[model] = rollout.moved(
                step=rollout.step, reason=ADOPTED, at=now.isoformat(), counters={}
            )
            lines.append(
                f"{model} version {rollout.candidate}: adopted at {rollout.percent:g}% of units "
                f"against production version {rollout.baseline}"
            )
        return after

    current = store.load()
    if adopted(current) != current:  # something to adopt: save it (against a fresh read)
        store.update(adopted)
    return lines


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m pipelines.rollout", description=__doc__)
    parser.add_argument(
        "command", choices=("start", "step", "status", "rollback", "promote", "adopt")
    )
    parser.add_argument("--model", help="the model (step: every running rollout without it)")
    parser.add_argument("--version", help="start: the candidate version number")
    parser.add_argument("--ignore-gates", action="store_true", help="start: skip the gate check")
    parser.add_argument("--reason", default="rolled back by hand", help="rollback: why")
    parser.add_argument(
        "--from", dest="source", type=Path, help="adopt: the state file to take rollouts from"
    )
    parser.add_argument("--now", help="the time to act at (ISO 8601; default: now)")
    parser.add_argument("--step-minutes", type=int, help="override the plan's step minutes")
    parser.add_argument("--min-rows", type=int, help="canary rows a step needs to advance")
    parser.add_argument("--min-outcomes", type=int, default=MIN_OUTCOMES)
    parser.add_argument("--service-url", default=SERVICE_URL, help="the local service's URL")
    parser.add_argument(
        "--scheduled",
        action="store_true",
        help="step: run from a schedule (nothing to do and a held step exit 0)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """The command line (see the module docstring)."""
    root = stack_root()
    args = _arguments(argv)
    plan = load_plan(root)
    try:
        if args.command == "status":
            rollouts = open_store(root).load()
            data = {name: r.to_json() for name, r in sorted(rollouts.items())}
            print(json.dumps(data, indent=2, sort_keys=True))
            return EXIT_DONE
        if args.command == "step":
            return step(plan, root, args)
        if args.command == "adopt":
            if args.source is None:
                raise Refused("adopt needs --from FILE")
            for line in adopt(plan, root, args.source, _now(args.now)):
                print(line)
            return EXIT_DONE
        if args.model is None:
            raise Refused(f"{args.command} needs --model")
        now = _now(args.now)
        if args.command == "start":
            rollout = start(
                plan, root, args.model, args.version, now, args.ignore_gates, args.service_url
            )
            print(
                f"{rollout.model} version {rollout.candidate}: rolling out, "
                f"{rollout.percent:g}% of units; production version {rollout.baseline} keeps "
                "the rest (run `python -m services.export` for the service to hold it)"
            )
            return EXIT_DONE
        action = ROLL_BACK if args.command == "rollback" else PROMOTE
        reason = args.reason if action == ROLL_BACK else "promoted by hand"
        after = _by_hand(root, args.model, action, reason, now)
        print(f"{after.model} version {after.candidate}: {after.status}: {reason}")
        return EXIT_DONE
    except Refused as err:
        print(f"rollout: {err}", file=sys.stderr)
        return EXIT_REFUSED
    except StateError as err:
        print(f"rollout: the state: {err}", file=sys.stderr)
        return EXIT_FAILED
    except OutcomesUnreadable as err:
        print(f"rollout: {err}", file=sys.stderr)
        return EXIT_FAILED
