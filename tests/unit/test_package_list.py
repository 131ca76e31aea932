"""Every package under compiler/ is listed in pyproject.toml, or the wheel would miss it."""

from __future__ import annotations

import tomllib

from tests.conftest import REPO


def test_pyproject_lists_every_package() -> None:
    setuptools = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    root = REPO / setuptools["package-dir"]["mlopsgen"]
    found = {
        ".".join(("mlopsgen", *init.parent.relative_to(root).parts))
        for init in root.rglob("__init__.py")
        if "templates" not in init.relative_to(root).parts
    }
    assert sorted(found) == sorted(setuptools["packages"]), "update [tool.setuptools] packages"
