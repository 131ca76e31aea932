"""Identifiers made valid once, in the plan, so renderers never sanitise names themselves.

Spec names are snake_case (models, views) or kebab-case (the system); Kubernetes objects
need DNS-1123 labels and Python modules need identifiers. Converting here, in one place,
means every target spells a resource the same way and a collision is found at planning time.
"""

from __future__ import annotations

import keyword
import re

_NOT_DNS = re.compile(r"[^a-z0-9-]+")
_NOT_IDENT = re.compile(r"[^a-z0-9_]+")


def kube_name(*parts: str) -> str:
    """A DNS-1123 label (lowercase, digits, dashes; at most 63 characters) from name parts.

    Raises:
        ValueError: nothing usable is left after cleaning.
    """
    text = "-".join(p.lower().replace("_", "-") for p in parts if p)
    text = _NOT_DNS.sub("-", text).strip("-")
    text = re.sub(r"-{2,}", "-", text)[:63].rstrip("-")
    if not text or not text[0].isalpha():
        raise ValueError(f"cannot make a Kubernetes name from {parts!r}")
    return text


def python_name(*parts: str) -> str:
    """A Python identifier (snake_case, not a keyword) from name parts.

    Raises:
        ValueError: nothing usable is left after cleaning.
    """
    text = "_".join(p.lower().replace("-", "_") for p in parts if p)
    text = _NOT_IDENT.sub("_", text).strip("_")
    if not text or not text[0].isalpha():
        raise ValueError(f"cannot make a Python name from {parts!r}")
    return f"{text}_" if keyword.iskeyword(text) else text
