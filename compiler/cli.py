"""The ``mlopsgen`` command: a thin typer app over the library stages.

This is the only module that prints. Each command imports what it needs inside its body, so
``mlopsgen --help`` and ``mlopsgen validate`` start without loading Jinja, the planner or the
formatters. Library errors arrive as :class:`~mlopsgen.diagnostics.MlopsgenError` and leave
as exit codes: 0 ok, 1 spec errors (or hand-edited output), 2 usage or IO errors.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from mlopsgen import __version__
from mlopsgen.diagnostics import (
    Diagnostic,
    MlopsgenError,
    SpecError,
    UsageError,
    format_diagnostic,
    sorted_diagnostics,
)

if TYPE_CHECKING:
    from rich.console import Console

    from mlopsgen.spec.loader import LoadedSpec

app = typer.Typer(
    name="mlopsgen",
    help="Compile one YAML spec of an ML system into a runnable, explained MLOps stack.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

SpecArg = Annotated[Path, typer.Argument(help="Path to the spec YAML file.", show_default=False)]


def _console() -> Console:
    """A rich console for the plan table; plain output goes through ``typer.echo``."""
    from rich.console import Console

    return Console(highlight=False, soft_wrap=True)


def _print_diagnostics(diagnostics: list[Diagnostic], sources: dict[str, str]) -> None:
    for diagnostic in sorted_diagnostics(diagnostics):
        source = sources.get(diagnostic.span.file) if diagnostic.span else None
        typer.echo(format_diagnostic(diagnostic, source), err=True)


@contextmanager
def _handle_errors() -> Iterator[None]:
    """Turn library errors into printed diagnostics and exit codes, never tracebacks."""
    try:
        yield
    except SpecError as exc:
        _print_diagnostics(exc.diagnostics, exc.sources)
        errors = sum(d.is_error for d in exc.diagnostics)
        typer.echo(f"{errors} error(s)", err=True)
        raise typer.Exit(exc.exit_code) from None
    except MlopsgenError as exc:
        hint = getattr(exc, "hint", None)
        text = f"error: {exc}" + (f"\n  hint: {hint}" if hint else "")
        typer.echo(text, err=True)
        raise typer.Exit(exc.exit_code) from None


def _load(path: Path) -> LoadedSpec:
    from mlopsgen.spec.loader import load_spec

    loaded = load_spec(path)
    if loaded.warnings:
        _print_diagnostics(loaded.warnings, {loaded.file: loaded.source_map.text})
    return loaded


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"mlopsgen {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version_callback, is_eager=True, help="Show version."),
    ] = False,
) -> None:
    """Compile one YAML spec of an ML system into a runnable, explained MLOps stack."""


@app.command()
def validate(
    specs: Annotated[list[Path], typer.Argument(help="Spec files.", show_default=False)],
    output_format: Annotated[
        str, typer.Option("--format", help="text or json.", case_sensitive=False)
    ] = "text",
) -> None:
    """Check specs and print a summary of each, or every error found."""
    from mlopsgen.validation import validate_specs

    if output_format not in ("text", "json"):
        typer.echo("error: --format is text or json", err=True)
        raise typer.Exit(2)
    results = validate_specs(specs)
    if output_format == "json":
        typer.echo(json.dumps([r.to_dict() for r in results], indent=2))
    else:
        for result in results:
            _print_diagnostics(result.diagnostics, result.sources)
            typer.echo(result.headline())
    raise typer.Exit(max((r.exit_code for r in results), default=0))


@app.command()
def schema() -> None:
    """Print the JSON Schema of the spec (also checked in as specs/schema.json)."""
    from mlopsgen.spec.schema import schema_text

    typer.echo(schema_text(), nl=False)


@app.command()
def examples() -> None:
    """List the reference specs shipped with mlopsgen, one line each."""
    from mlopsgen.spec.examples import list_examples

    for example in list_examples():
        typer.echo(f"{example.name:<26} {example.summary}")


@app.command()
def init(
    name: Annotated[str, typer.Argument(help="kebab-case name of the new system.")],
    from_example: Annotated[
        str | None, typer.Option("--from", help="Start from a reference spec (see `examples`).")
    ] = None,
    output_dir: Annotated[Path, typer.Option("--out", help="Parent directory.")] = Path("."),
    no_input: Annotated[bool, typer.Option("--no-input", help="Do not prompt.")] = False,
) -> None:
    """Scaffold a new spec project (spec.yaml, README.md, Makefile)."""
    from mlopsgen.scaffold import scaffold_project

    with _handle_errors():
        project = scaffold_project(name, output_dir, from_example, no_input=no_input)
    typer.echo(f"created {project}")


@app.command()
def plan(
    spec: SpecArg,
    as_json: Annotated[bool, typer.Option("--json", help="Print the Plan as JSON.")] = False,
    explain_name: Annotated[
        str | None, typer.Option("--explain", help="Print one decision's full derivation.")
    ] = None,
) -> None:
    """Derive every decision from the spec and show its formula and source."""
    from mlopsgen.plan import build_plan
    from mlopsgen.plan.report import explain, plan_json, plan_table

    with _handle_errors():
        loaded = _load(spec)
        result = build_plan(loaded)
        _print_diagnostics(result.diagnostics, {loaded.file: loaded.source_map.text})
        if any(d.is_error for d in result.diagnostics):
            raise typer.Exit(1)
        locate = loaded.source_map.locate
        if explain_name is not None:
            try:
                typer.echo(explain(result.plan, explain_name, locate), nl=False)
            except KeyError as exc:
                raise UsageError(str(exc.args[0])) from None
        elif as_json:
            typer.echo(plan_json(result.plan), nl=False)
        else:
            _console().print(plan_table(result.plan, locate))


@app.command()
def build(
    spec: SpecArg,
    out: Annotated[
        Path | None, typer.Option("--out", help="Output directory [generated/<system>].")
    ] = None,
    check: Annotated[
        bool, typer.Option("--check", help="Exit 1 with a diff if the output is stale.")
    ] = False,
    force: Annotated[bool, typer.Option("--force", help="Overwrite hand-edited files.")] = False,
) -> None:
    """Validate, plan, render and write the stack."""
    from mlopsgen.build import build_stack

    with _handle_errors():
        report = build_stack(spec, out, check=check, force=force)
    _print_diagnostics(report.warnings, report.sources)
    if report.diff:
        typer.echo(report.diff, nl=False)
    for line in report.lines():
        typer.echo(line)
    raise typer.Exit(report.exit_code)


@app.command()
def diff(
    spec: SpecArg,
    out: Annotated[
        Path | None, typer.Option("--out", help="Output directory [generated/<system>].")
    ] = None,
) -> None:
    """Show what a rebuild would change, as a unified diff."""
    from mlopsgen.build import diff_stack

    with _handle_errors():
        text = diff_stack(spec, out)
    typer.echo(text or "no changes", nl=not text)


def main() -> None:
    """Entry point of the console script."""
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:  # the last line of defence: a user never sees a traceback
        if os.environ.get("MLOPSGEN_DEBUG"):
            raise
        print(f"mlopsgen: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        print(
            "  hint: rerun with MLOPSGEN_DEBUG=1 for the traceback and report it", file=sys.stderr
        )
        sys.exit(3)
