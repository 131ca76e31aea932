"""One Terraform step through python-terraform, run as a child process of ``mlopsgen deploy``.

``python -m mlopsgen.deploy.driver STEP --terraform BIN --dir INFRA [--plan-file NAME]``
runs one step (``init``, ``plan``, ``plan-destroy``, ``show``, ``apply``, ``output``) and
prints one JSON object: ``{"code": int, "stdout": str, "stderr": str, "data": ...}``. The
parent decides what comes next (and asks the user in between), so each step is a process of
its own and the compiler never imports python-terraform.

python-terraform 0.10 quirks handled here: ``plan`` adds ``-detailed-exitcode`` (exit 2 means
"changes", not failure); ``destroy()`` passes the removed ``-force`` flag, so a destroy is a
``plan -destroy`` to a saved plan file, applied like any other plan; ``output()`` does not
return the exit code, so ``output_cmd`` is used; and ``apply(plan)`` adds
``-auto-approve=false``, which a saved plan does not prompt for anyway.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from typing import Any

STEPS = ("init", "plan", "plan-destroy", "show", "apply", "output")


def summarize(show: dict[str, Any]) -> dict[str, Any]:
    """Counts by action and by (action, resource type) from ``terraform show -json PLAN``.

    ``no-op`` and ``read`` changes are left out: they change nothing. A replacement
    (``["delete", "create"]`` or the reverse) counts as ``replace``.
    """
    actions: Counter[str] = Counter()
    types: Counter[tuple[str, str]] = Counter()
    for change in show.get("resource_changes") or []:
        verbs = change.get("change", {}).get("actions") or []
        if set(verbs) == {"delete", "create"}:
            action = "replace"
        elif len(verbs) == 1 and verbs[0] in ("create", "update", "delete"):
            action = verbs[0]
        else:
            continue
        actions[action] += 1
        types[(action, str(change.get("type", "?")))] += 1
    return {
        "actions": dict(sorted(actions.items())),
        "types": [[a, t, n] for (a, t), n in sorted(types.items())],
        "outputs": sorted((show.get("output_changes") or {}).keys()),
    }


def _run(step: str, binary: str, directory: str, plan_file: str) -> dict[str, Any]:
    from python_terraform import IsFlagged, Terraform

    tf = Terraform(working_dir=directory, terraform_bin_path=binary)
    data: Any = None
    if step == "init":
        code, out, err = tf.init(input=False, no_color=IsFlagged)
    elif step in ("plan", "plan-destroy"):
        destroy = IsFlagged if step == "plan-destroy" else None
        code, out, err = tf.plan(out=plan_file, input=False, destroy=destroy)
    elif step == "show":
        code, out, err = tf.show_cmd(plan_file, json=IsFlagged, no_color=IsFlagged)
        if code == 0:
            data = summarize(json.loads(out))
            out = ""
    elif step == "apply":
        code, out, err = tf.apply(plan_file, input=False)
    else:
        code, out, err = tf.output_cmd(json=IsFlagged, no_color=IsFlagged)
        if code == 0:
            data = {name: value.get("value") for name, value in json.loads(out or "{}").items()}
            out = ""
    return {"code": code, "stdout": out or "", "stderr": err or "", "data": data}


def main(argv: list[str] | None = None) -> int:
    """Run one step and print its result as JSON; exit 0 unless the driver itself failed."""
    parser = argparse.ArgumentParser(prog="python -m mlopsgen.deploy.driver")
    parser.add_argument("step", choices=STEPS)
    parser.add_argument("--terraform", required=True, help="the terraform executable")
    parser.add_argument("--dir", required=True, help="the Terraform root")
    parser.add_argument("--plan-file", default="mlopsgen.tfplan")
    args = parser.parse_args(argv)
    try:
        result = _run(args.step, args.terraform, args.dir, args.plan_file)
    except OSError as exc:  # the executable vanished or cannot run
        result = {"code": 127, "stdout": "", "stderr": str(exc), "data": None}
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
