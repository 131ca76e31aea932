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


def test_every_folder_of_modules_is_a_package() -> None:
    """A folder of modules without ``__init__.py`` imports from the checkout (a namespace
    package) but is left out of the package list, so the wheel would miss it."""
    root = REPO / "compiler"
    folders = {
        module.parent
        for module in root.rglob("*.py")
        if "templates" not in module.relative_to(root).parts
    }
    missing = sorted(str(f.relative_to(REPO)) for f in folders if not (f / "__init__.py").exists())
    assert not missing, f"add an __init__.py to: {', '.join(missing)}"
