"""Bento names (BentoML tags), valid at construction.

Written ahead of the BentoML target, which names each service's Bento.
"""

from __future__ import annotations

import re

from mlopsgen.plan.names import Identifier

__all__ = ["BentoName"]


class BentoName(Identifier):
    """A BentoML tag name: lower-case alphanumerics, ``_``, ``-``, ``.``; at most 63 characters.

    The rule is bentoml's ``tag_fmt``: it must start and end with an alphanumeric character.
    """

    pattern = re.compile(r"[a-z0-9](?:[-._a-z0-9]*[a-z0-9])?")
    rule = "lower-case alphanumerics, '_', '-' and '.', starting and ending alphanumeric, <= 63"
    max_length = 63
