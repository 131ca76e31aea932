"""Trace a value from ``terraform.tfvars.json`` through a module call into a resource.

This module holds no tests. :func:`instances` evaluates a module call's arguments from the
root's tfvars, then the resource's ``for_each`` in the module, and returns each instance with
the scope its attributes evaluate in, so a test reads the provisioned value where it is set.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tests.terraform_eval import evaluate
from tests.terraform_support import META_ARGUMENTS, load_config, module_folder

Instance = tuple[str, Mapping[str, Any], dict[str, Any]]


def instances(stack: Path, module: str, rtype: str, rname: str = "this") -> list[Instance]:
    """Every instance of one module resource: (for_each key, scope, body), values traced."""
    root = load_config(stack / "infra")
    tfvars = json.loads((stack / "infra/terraform.tfvars.json").read_text(encoding="utf-8"))
    call = root.modules[module]
    arguments = {}
    for key, value in call.items():
        if key in META_ARGUMENTS or key == "__is_block__":
            continue
        text = str(value)
        if text.startswith("${var.") or not text.startswith("${"):
            arguments[key] = evaluate(value, {"var": tfvars})
    config = load_config(module_folder(root, module))
    body = config.resources[(rtype, rname)]
    scope: dict[str, Any] = {"var": arguments, "local": config.locals}
    if "for_each" not in body:
        return [("", scope, body)]
    each = evaluate(body["for_each"], scope)
    keys = each.items() if isinstance(each, dict) else ((item, item) for item in each)
    return [(key, {**scope, "each": {"key": key, "value": value}}, body) for key, value in keys]


def block(body: dict[str, Any], *path: str) -> dict[str, Any]:
    """A nested block of a resource body (the first of each name)."""
    for name in path:
        body = body[name][0]
    return body


def taint(text: str) -> dict[str, str]:
    head, _, effect = text.rpartition(":")
    key, _, value = head.partition("=")
    effects = {"NoSchedule": "NO_SCHEDULE", "NoExecute": "NO_EXECUTE"}
    return {"key": key, "value": value, "effect": effects[effect]}
