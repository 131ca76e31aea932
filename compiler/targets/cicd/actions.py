"""Every action the workflows use, pinned by the commit of a release tag.

A tag can be moved to other code; a commit cannot, so each ``uses:`` names the commit and a
trailing comment names the release, which is what update tools such as Dependabot and
Renovate read and rewrite. The table is the one place to move a pin: read the commit of the
new tag (``git rev-list -n1 vX.Y.Z`` in a clone of the action) and change both columns.
"""

from __future__ import annotations

import re
from typing import NamedTuple

__all__ = ["ACTIONS", "Pin", "annotate_pins", "uses"]


class Pin(NamedTuple):
    """A release of an action: the commit its tag points at, and the tag."""

    sha: str
    version: str


ACTIONS: dict[str, Pin] = {
    "actions/checkout": Pin("3d3c42e5aac5ba805825da76410c181273ba90b1", "v7.0.1"),
    "actions/download-artifact": Pin("3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c", "v8.0.1"),
    "actions/setup-python": Pin("5fda3b95a4ea91299a34e894583c3862153e4b97", "v7.0.0"),
    "actions/upload-artifact": Pin("bbbca2ddaa5d8feaa63e36b76fdaad77386f024f", "v7.0.0"),
    "aws-actions/amazon-ecr-login": Pin("03f1aad4c6c7ffd436567f42f9384779290529bd", "v2.1.7"),
    "aws-actions/configure-aws-credentials": Pin(
        "e6de054238d6b7531b4efff3b6587d9aade6a06c", "v6.2.3"
    ),
    "google-github-actions/auth": Pin("7c6bc770dae815cd3e89ee6cdf493a5fab2cc093", "v3.0.0"),
    "google-github-actions/get-gke-credentials": Pin(
        "3da1e46a907576cefaa90c484278bb5b259dd395", "v3.0.0"
    ),
    "google-github-actions/setup-gcloud": Pin("aa5489c8933f4cc7a4f7d45035b3b1440c9c10db", "v3.0.1"),
    "hashicorp/setup-terraform": Pin("dfe3c3f87815947d99a8997f908cb6525fc44e9e", "v4.0.1"),
}

_USES_LINE = re.compile(
    r"^(?P<lead>\s*(?:- )?uses: )(?P<action>[\w.-]+/[\w.-]+)@(?P<sha>[0-9a-f]{40})$"
)


def uses(action: str) -> str:
    """``owner/name@<commit>`` of a pinned action (KeyError for an action not in the table)."""
    return f"{action}@{ACTIONS[action].sha}"


def annotate_pins(text: str) -> str:
    """Append ``# vX.Y.Z`` to every ``uses:`` line of a dumped workflow.

    YAML dumped from data has no comments, so the release names are added afterwards, and
    only to lines whose action and commit are both this table's own.
    """
    lines = []
    for line in text.split("\n"):
        found = _USES_LINE.match(line)
        if found and ACTIONS.get(found["action"], Pin("", "")).sha == found["sha"]:
            line = f"{line} # {ACTIONS[found['action']].version}"
        lines.append(line)
    return "\n".join(lines)
