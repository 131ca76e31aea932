"""YAML and JSON files dumped from data, never templated: for the targets that write them.

Terraform variables (``terraform.tfvars.json``), ZenML stack configurations, Prometheus rules
and Grafana dashboards are data; a templated ``key: {{ x }}`` would turn ``yes``, ``1e3`` or
``- a`` into something else, so those targets build the data and dump it with these.
"""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

from mlopsgen.targets.literals import as_lists, plain

__all__ = ["YAML_WIDTH", "json_dump", "yaml_dump"]

# Scalars YAML 1.2 resolves to numbers that PyYAML (YAML 1.1) would leave unquoted; GitHub
# Actions, Kubernetes and Prometheus read YAML 1.2, where plain `1e3` is a float.
_YAML12_NUMBER = re.compile(
    r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|0o[0-7]+|[-+]?0x[0-9a-fA-F]+"
)
_YAML_UNICODE_BREAK = re.compile("[\x85\u2028\u2029]")
YAML_WIDTH = 4096
"""Line width for YAML scalars: wide enough that long strings stay on one line, for greppable,
stable diffs; a fixed number so the output never depends on a library default."""


class _YamlDumper(yaml.SafeDumper):
    """SafeDumper that never emits anchors, quotes YAML-1.2 numbers and keeps scripts readable."""

    def ignore_aliases(self, data: Any) -> bool:
        return True

    def represent_str(self, data: str) -> yaml.ScalarNode:
        if _YAML_UNICODE_BREAK.search(data):
            # PyYAML treats NEL, LS and PS as line breaks and folds them in plain, single-quoted
            # and block scalars; only double quotes (escapes \N \L \P) keep them.
            return self.represent_scalar("tag:yaml.org,2002:str", data, style='"')
        if _YAML12_NUMBER.fullmatch(data):
            return self.represent_scalar("tag:yaml.org,2002:str", data, style="'")
        if "\n" in data:
            # Literal block style when the emitter allows it (it falls back to a quoted
            # scalar for text a block cannot hold, such as trailing spaces on a line).
            return self.represent_scalar("tag:yaml.org,2002:str", data, style="|")
        return super().represent_str(data)


_YamlDumper.add_representer(str, _YamlDumper.represent_str)


def yaml_dump(data: object) -> str:
    """A YAML document for ``data``, deterministic and safe to read with any YAML parser.

    Mapping keys keep their insertion order: the plan builds every mapping in a fixed order,
    and the order that reads best (``name`` before ``steps``) is not the alphabetical one.
    Block style, Unicode kept as is, no anchors, a fixed width; strings that YAML 1.1 or 1.2
    would read as another type are quoted.

    Raises:
        TypeError: for values without a literal form (objects, non-str keys).
        ValueError: for NaN, infinities and lone surrogates.
    """
    return yaml.dump(
        as_lists(plain(data)),
        Dumper=_YamlDumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=YAML_WIDTH,
        indent=2,
        explicit_start=False,
    )


def json_dump(data: object) -> str:
    """A JSON document for ``data``: two-space indent, insertion order, UTF-8, final newline.

    Insertion order for the same reason as :func:`yaml_dump`; the manifest, whose keys are
    paths, sorts its own keys.

    Raises:
        TypeError: for values without a literal form (objects, non-str keys).
        ValueError: for NaN, infinities and lone surrogates.
    """
    text = json.dumps(as_lists(plain(data)), indent=2, ensure_ascii=False, allow_nan=False)
    return text + "\n"
