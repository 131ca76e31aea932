"""``mlopsgen init``: scaffold a spec project with cookiecutter.

The template lives in ``templates/init`` (a cookiecutter template: prompts come from its
``cookiecutter.json``). The project name is validated *before* cookiecutter runs, since it
becomes a directory name and a YAML value; it is passed as a private variable so the user
is not prompted for it again. Free-text answers reach YAML only through the ``jsonify``
filter. The new spec is validated right away; an invalid result is removed again, so a
failed ``init`` leaves nothing behind and never touches an existing directory.
"""

from __future__ import annotations

import re
import shutil
from importlib.resources import as_file, files
from pathlib import Path

from mlopsgen.diagnostics import SpecError, UsageError
from mlopsgen.spec.examples import find_example
from mlopsgen.spec.loader import load_spec, load_spec_text
from mlopsgen.spec.schema import schema_text

_SLUG = re.compile(r"^[a-z][a-z0-9-]{0,38}[a-z0-9]$")


def scaffold_project(
    name: str, parent: Path, from_example: str | None = None, *, no_input: bool = False
) -> Path:
    """Create ``parent/name`` with spec.yaml, its schema.json, README.md and Makefile.

    Args:
        name: kebab-case system name; also the directory name.
        parent: directory to create the project in.
        from_example: reference spec to start from instead of the minimal template.
        no_input: use defaults instead of prompting.

    Returns:
        The created project directory.

    Raises:
        UsageError: bad name, existing target, unknown example.
        SpecError: the answers produce an invalid spec (the directory is removed again).
    """
    if not _SLUG.match(name):
        raise UsageError(
            f"invalid project name {name!r}",
            "use kebab-case: lowercase letters, digits and dashes, 2-40 characters",
        )
    target = parent / name
    if target.exists():
        raise UsageError(f"{target} already exists", "choose another name or --out directory")
    if not parent.is_dir():
        raise UsageError(f"{parent} is not a directory")
    example_text = find_example(from_example).path.read_text("utf-8") if from_example else None
    _run_cookiecutter(parent, name, no_input=no_input or example_text is not None)
    try:
        if example_text is not None:
            _write_example(target / "spec.yaml", example_text, name)
        load_spec(target / "spec.yaml")
        (target / "schema.json").write_text(schema_text(), encoding="utf-8")
    except SpecError:
        shutil.rmtree(target, ignore_errors=True)
        raise
    return target


def _run_cookiecutter(parent: Path, name: str, *, no_input: bool) -> None:
    """Render the packaged init template into ``parent/name``; remove it again on failure."""
    from cookiecutter.exceptions import CookiecutterException
    from cookiecutter.main import cookiecutter

    with as_file(files("mlopsgen") / "templates" / "init") as template:
        try:
            cookiecutter(
                str(template),
                no_input=no_input,
                extra_context={"__slug": name},
                output_dir=str(parent),
            )
        except (CookiecutterException, KeyboardInterrupt, EOFError) as exc:
            shutil.rmtree(parent / name, ignore_errors=True)
            raise UsageError(f"init failed: {exc}") from None


def _write_example(spec_path: Path, text: str, name: str) -> None:
    """Write a reference spec renamed to ``name``, editing only the name's exact span."""
    loaded = load_spec_text(text, spec_path.name)
    span = loaded.source_map.value_span(("system", "name"))
    if span is None:
        raise UsageError("reference spec has no system.name")
    lines = text.splitlines(keepends=True)
    line = lines[span.line - 1]
    old = loaded.spec.system.name
    start = span.column - 1
    lines[span.line - 1] = line[:start] + line[start:].replace(old, name, 1)
    spec_path.write_text("".join(lines), encoding="utf-8")
