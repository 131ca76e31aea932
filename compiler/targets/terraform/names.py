"""Terraform resource, variable, output and module names, valid at construction.

Written ahead of the Terraform target, which names the resources of a stack's infrastructure.
"""

from __future__ import annotations

import re

from mlopsgen.plan.names import Identifier

__all__ = ["TERRAFORM_RESERVED", "TerraformName"]

# Names Terraform refuses for variables, plus HCL literals that would read as values.
_TERRAFORM_RESERVED_TEXT = (
    "source version providers count for_each lifecycle depends_on locals true false null"
)
TERRAFORM_RESERVED = frozenset(_TERRAFORM_RESERVED_TEXT.split())


class TerraformName(Identifier):
    """A Terraform resource, variable, output or module name (snake_case when sanitised).

    Terraform accepts letters, digits, ``_`` and ``-`` starting with a letter or ``_``; names
    reserved for variables (``count``, ``source``, ...) and HCL literals are refused.
    """

    pattern = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
    rule = "letters, digits, '_' and '-', starting with a letter or '_'; not a reserved word"
    reserved = TERRAFORM_RESERVED
