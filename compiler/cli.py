"""The ``mlopsgen`` command: a thin typer app over the library stages.

This is the only module that prints. Each command imports what it needs inside its body, so
``mlopsgen --help`` and ``mlopsgen validate`` start without loading Jinja, the planner or the
formatters. Library errors arrive as :class:`~mlopsgen.diagnostics.MlopsgenError` and leave
as exit codes: 0 ok, 1 spec errors (or hand-edited output), 2 usage or IO errors, including a
failure to print (a full disk); ``run`` and ``up`` add 3 (a gate kept a model out) and 4 (the
run, or serving, failed); an internal error is 70 (``EX_SOFTWARE``), distinct from all of
them. A reader that goes away (``| head``) ends the process quietly by SIGPIPE, as other
command-line tools do.
"""

from __future__ import annotations

import enum
import errno
import json
import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

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
from mlopsgen.wording import count

if TYPE_CHECKING:
    from rich.console import Console

    from mlopsgen.build import BuildReport
    from mlopsgen.deploy.session import Prepared
    from mlopsgen.run import Event, RunOptions, RunOutcome
    from mlopsgen.spec.loader import LoadedSpec
    from mlopsgen.up import Server, UpOptions
    from mlopsgen.up.stack import ServingSummary

#: Exit code of a bug in mlopsgen (sysexits' EX_SOFTWARE): never one a command means something by.
INTERNAL_ERROR = 70

app = typer.Typer(
    name="mlopsgen",
    help="Compile one YAML spec of an ML system into a runnable, explained MLOps stack.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain help: rich panels show flags as taking a value (``--json <bool>``) and read
    # ``[...]`` in help texts as markup, which swallowed the documented defaults.
    rich_markup_mode=None,
)

SpecArg = Annotated[
    Path, typer.Argument(metavar="SPEC", help="Path to the spec YAML file.", show_default=False)
]
OutOption = Annotated[
    Path | None,
    typer.Option("--out", metavar="DIR", help="Output directory.  [default: generated/<system>]"),
]

RowsOption = Annotated[
    int | None,
    typer.Option("--rows", metavar="N", min=1, help="Rows of synthetic data per source."),
]
PythonOption = Annotated[
    Path | None,
    typer.Option(
        "--python",
        metavar="PATH",
        envvar="MLOPSGEN_STACK_PYTHON",
        help="Run with this interpreter instead of the stack environment mlopsgen caches.",
    ),
]


class OutputFormat(enum.StrEnum):
    """What ``validate`` prints."""

    TEXT = "text"
    JSON = "json"


def _console(*, stderr: bool = False) -> Console:
    """A rich console for tables and progress; plain output goes through ``typer.echo``."""
    from rich.console import Console

    return Console(highlight=False, soft_wrap=True, stderr=stderr)


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
        typer.echo(count(errors, "errors"), err=True)
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
    specs: Annotated[
        list[Path], typer.Argument(metavar="SPEC", help="Spec files.", show_default=False)
    ],
    output_format: Annotated[
        OutputFormat, typer.Option("--format", help="Text for people, JSON for machines.")
    ] = OutputFormat.TEXT,
) -> None:
    """Check specs and print a summary of each, or every error found."""
    from mlopsgen.validation import validate_specs

    results = validate_specs(specs)
    if output_format is OutputFormat.JSON:
        typer.echo(json.dumps([r.to_dict() for r in results], indent=2))
    else:
        for result in results:
            _print_diagnostics(result.diagnostics, result.sources)
            typer.echo(result.headline())
            if result.hint:
                typer.echo(f"  hint: {result.hint}")
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
        str | None,
        typer.Option(
            "--from", metavar="EXAMPLE", help="Start from a reference spec (see `examples`)."
        ),
    ] = None,
    output_dir: Annotated[
        Path, typer.Option("--out", metavar="DIR", help="Parent directory.")
    ] = Path("."),
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
    as_json: Annotated[
        bool,
        typer.Option("--json", help="Print the Plan, or what --explain selects, as JSON."),
    ] = False,
    explain_name: Annotated[
        str | None,
        typer.Option(
            "--explain",
            metavar="NAME",
            help="Print how one decision (names: --list-decisions) or every decision under "
            "a dotted prefix such as serving.hpa was derived.",
        ),
    ] = None,
    list_decisions: Annotated[
        bool, typer.Option("--list-decisions", help="List every decision name with its value.")
    ] = False,
) -> None:
    """Derive every decision from the spec and show its formula and source."""
    from mlopsgen.plan import build_plan
    from mlopsgen.plan.lookup import (
        decision_list,
        decision_names_json,
        decisions_json,
        select_decisions,
    )
    from mlopsgen.plan.report import explain, plan_json, plan_report

    with _handle_errors():
        if list_decisions and explain_name is not None:
            raise UsageError(
                "--list-decisions and --explain do not combine",
                "list the names first, then explain one of them",
            )
        loaded = _load(spec)
        result = build_plan(loaded)
        _print_diagnostics(result.diagnostics, {loaded.file: loaded.source_map.text})
        if any(d.is_error for d in result.diagnostics):
            raise typer.Exit(1)
        locate = loaded.source_map.locate
        console = _console()
        if list_decisions:
            names = decision_names_json if as_json else decision_list
            typer.echo(names(result.plan), nl=False)
        elif explain_name is not None:
            try:
                chosen = select_decisions(result.plan, explain_name)
            except KeyError as exc:
                raise UsageError(
                    str(exc.args[0]),
                    f"`mlopsgen plan {spec} --list-decisions` lists every decision name",
                ) from None
            if as_json:
                typer.echo(decisions_json(chosen), nl=False)
            else:
                typer.echo(explain(result.plan, explain_name, locate, console.width), nl=False)
        elif as_json:
            typer.echo(plan_json(result.plan), nl=False)
        else:
            report = plan_report(result.plan, locate, console.width)
            if isinstance(report, str):
                typer.echo(report, nl=False)
            else:
                console.print(report)


@app.command()
def build(
    spec: SpecArg,
    out: OutOption = None,
    check: Annotated[
        bool, typer.Option("--check", help="Exit 1 with a diff if the output is stale.")
    ] = False,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Overwrite hand-edited files, or the stack of another system in the directory.",
        ),
    ] = False,
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
    out: OutOption = None,
) -> None:
    """Show what a rebuild would change, as a unified diff."""
    from mlopsgen.build import diff_stack

    with _handle_errors():
        text = diff_stack(spec, out)
    typer.echo(text or "no changes", nl=not text)


@app.command()
def deploy(
    spec: SpecArg,
    out: OutOption = None,
    plan_only: Annotated[
        bool, typer.Option("--plan-only", help="Plan and summarize; change nothing.")
    ] = False,
    destroy: Annotated[
        bool,
        typer.Option("--destroy", help="Destroy the infrastructure (asks for the system name)."),
    ] = False,
    auto_approve: Annotated[
        bool, typer.Option("--auto-approve", help="Apply the plan without asking.")
    ] = False,
) -> None:
    """Provision the stack's infra/ with Terraform: init, plan, confirm, apply the saved plan.

    Exit codes: 0 applied (or nothing to change, or --plan-only), 1 cancelled at the
    confirmation (nothing changed), 2 no infra/, no terraform or a Terraform step failed.
    """
    from mlopsgen.build import default_out_dir
    from mlopsgen.deploy import session

    with _handle_errors():
        loaded = _load(spec)
        system = loaded.spec.system.name
        cloud = loaded.spec.infrastructure.cloud
        root = out if out is not None else default_out_dir(system)
        infra = root / "infra"
        if not infra.is_dir():
            if cloud == "local":
                raise UsageError(
                    f"{spec} targets the local profile (infrastructure.cloud: local): "
                    "there is no infra/ to deploy",
                    hint="name a cloud (aws or gcp) in the spec and rebuild, or run locally",
                )
            raise UsageError(
                f"no infra/ in {root}", hint=f"build the stack first: mlopsgen build {spec}"
            )
        terraform = session.find_terraform()
        typer.echo(f"terraform: {terraform.path}", err=True)
        prepared = session.prepare(terraform, infra, cloud, destroy=destroy)
        _print_summary(prepared, destroy)
        if plan_only or not prepared.changes:
            raise typer.Exit(0)
        if not _confirmed(system, destroy, auto_approve):
            typer.echo("cancelled: nothing changed", err=True)
            raise typer.Exit(1)
        session.apply(terraform, infra, cloud, prepared)
        typer.echo("destroyed" if destroy else "applied")
        if not destroy:
            for name, value in session.outputs(terraform, infra, cloud):
                typer.echo(f"  {name}: {value}")


def _print_summary(prepared: Prepared, destroy: bool) -> None:
    if not prepared.changes:
        typer.echo("no changes: the infrastructure matches the configuration")
        return
    what = ", ".join(f"{n} to {a}" for a, n in prepared.actions.items()) or "output changes only"
    typer.echo(f"{'destroy' if destroy else 'plan'}: {what}")
    for action, kind, number in prepared.types:
        typer.echo(f"  {action:<8} {number:>4}  {kind}")


def _confirmed(system: str, destroy: bool, auto_approve: bool) -> bool:
    """Ask before changing anything; a destroy always asks for the system's name."""
    if destroy:
        typed = typer.prompt(f"Type the system name ({system}) to destroy its infrastructure")
        return bool(typed.strip() == system)
    if auto_approve:
        return True
    return typer.confirm("Apply this plan?", default=False)


@app.command()
def run(
    spec: SpecArg,
    pipeline: Annotated[
        str | None,
        typer.Option(
            "--pipeline",
            metavar="NAME",
            help="One pipeline: train_<model>, batch_<model> or materialize_features.  "
            "[default: every training pipeline]",
        ),
    ] = None,
    rows: RowsOption = None,
    out: OutOption = None,
    python: PythonOption = None,
) -> None:
    """Train the stack's models locally: build if stale, then run its pipelines.

    Exit codes: 0 every model promoted, 3 a gate kept a model out, 4 the run failed.
    """
    from mlopsgen.run import RunOptions

    console, progress = _console(), _console(stderr=True)
    with _handle_errors():
        outcome = _run_with_progress(RunOptions(spec, out, pipeline, rows, python), progress)
    _report_run(outcome, console)
    raise typer.Exit(outcome.exit_code)


def _run_with_progress(options: RunOptions, progress: Console) -> RunOutcome:
    """Build, get the environment and run pipelines, with a status line and event lines."""
    from mlopsgen.run import run_stack
    from mlopsgen.run.display import event_line, running_line

    with progress.status("building the stack") as status:

        def on_status(text: str) -> None:
            progress.print(f"\N{MIDDLE DOT} {text}")
            status.update(text)

        def on_event(event: Event) -> None:
            line = event_line(event)
            if line is None:
                status.update(running_line(event))
            else:
                progress.print(line)

        def on_build(report: BuildReport) -> None:
            _print_diagnostics(report.warnings, report.sources)
            write = report.write
            done = write.summary() if write is not None and write.changed else "up to date"
            progress.print(f"\N{MIDDLE DOT} stack {report.out_dir}: {done}")

        return run_stack(options, on_build=on_build, on_status=on_status, on_event=on_event)


def _report_run(outcome: RunOutcome, console: Console) -> None:
    """The models' table and the closing line, or the error with the end of the run's log."""
    from mlopsgen.run.display import log_tail, outcome_line, results_table

    result = outcome.result
    if result is not None and result.models:
        console.print(results_table(result))
    if outcome.problem is None and result is not None and result.status != "failed":
        typer.echo(outcome_line(result))
    else:
        reason = outcome.problem or (outcome_line(result) if result else "the run failed")
        typer.echo(f"error: {reason}", err=True)
        typer.echo(f"--- the end of {outcome.log}:", err=True)
        typer.echo(log_tail(outcome.log), err=True)


@app.command()
def up(
    spec: SpecArg,
    once: Annotated[
        bool,
        typer.Option("--once", help="Stop the service after the check instead of serving on."),
    ] = False,
    out: OutOption = None,
    port: Annotated[
        int | None,
        typer.Option("--port", metavar="P", help="Port on 127.0.0.1.  [default: a free one]"),
    ] = None,
    rows: RowsOption = None,
    python: PythonOption = None,
) -> None:
    """Train the stack, serve it on 127.0.0.1 and check that it answers in time.

    Build if stale, train (as `run`), export the production models, start `bentoml serve`,
    send sample requests, and print predictions and measured latency beside the Plan's
    objective; then serve until Ctrl-C (or stop at once with --once). A batch-only spec runs
    its batch pipelines instead. Exit codes: 0 served (or batch-scored), 3 no model reached
    production, 4 a step failed.
    """
    from mlopsgen.run import EXIT_FAILED
    from mlopsgen.up import UpOptions, check_port
    from mlopsgen.up.stack import ServingSummary

    options = UpOptions(spec, out, once, port, rows, python)
    console, progress = _console(), _console(stderr=True)
    with _handle_errors():
        if port is not None:
            check_port(port)  # before training: a busy port is known now
        outcome = _run_with_progress(options.run_options(), progress)
    _report_run(outcome, console)
    if outcome.exit_code == EXIT_FAILED:
        raise typer.Exit(outcome.exit_code)
    with _handle_errors():
        serving = ServingSummary.read(outcome.stack)
        if not serving.realtime:
            _batch_instead(options, serving, outcome.stack, console, progress)
        else:
            _serve(options, serving, outcome.stack, outcome.python, console, progress)


def _batch_instead(
    options: UpOptions, serving: ServingSummary, stack: Path, console: Console, progress: Console
) -> None:
    """A batch-only spec has no service: run its batch pipelines after training."""
    from mlopsgen.up import batch_pipelines

    names = batch_pipelines(stack)
    typer.echo(
        f"serving.mode is {serving.mode}: no realtime service to start; "
        + (f"running {', '.join(names)} instead" if names else "and no batch pipeline to run")
    )
    for name in names:
        outcome = _run_with_progress(options.run_options(name), progress)
        _report_run(outcome, console)
        if outcome.exit_code != 0:
            raise typer.Exit(outcome.exit_code)


def _serve(
    options: UpOptions,
    serving: ServingSummary,
    stack: Path,
    python: Path,
    console: Console,
    progress: Console,
) -> None:
    """Export, serve, check with the samples, then stop (--once) or serve until Ctrl-C."""
    from concurrent.futures import ThreadPoolExecutor

    from mlopsgen.run.runner import RUNTIME_DIR
    from mlopsgen.up import Client, Server, export_models, free_port, measure, sample_bodies
    from mlopsgen.up.display import (
        latency_table,
        predictions_table,
    )
    from mlopsgen.up.server import SERVE_LOG, local_workers, serve_command, serve_environment
    from mlopsgen.up.stack import service_import_path
    from mlopsgen.up.steps import LATENCY_REQUESTS, READY_TIMEOUT_SECONDS, SAMPLE_BODIES

    import_path = service_import_path(stack)  # before the export: no service, nothing to do
    # the sample requests are written while the models are exported and the service starts:
    # each step is a process that mostly imports, and the machine has more than one core
    pool = ThreadPoolExecutor(max_workers=1)
    samples = pool.submit(sample_bodies, stack, python, SAMPLE_BODIES, rows=options.rows)
    pool.shutdown(wait=False)
    with progress.status("exporting the production models"):
        for line in export_models(stack, python):
            progress.print(f"\N{MIDDLE DOT} {line}")
    port = options.port or free_port()
    command = serve_command(python, import_path, port)
    workers = local_workers(serving.workers)
    if workers is not None and workers != serving.workers:
        progress.print(
            f"\N{MIDDLE DOT} {workers} workers: the plan's {serving.workers} per replica, "
            f"at most one per core of this machine"
        )
    environment = serve_environment(stack, workers)
    server = Server(command, stack, environment, port, stack / RUNTIME_DIR / SERVE_LOG)
    with server:
        with progress.status(f"starting {' '.join(command[2:])}"):
            seconds = server.wait_ready(READY_TIMEOUT_SECONDS)
        progress.print(f"\N{MIDDLE DOT} ready at {server.url} in {seconds:.1f} s")
        with progress.status("writing sample requests"):
            bodies = samples.result()
        if serving.language:
            _converse(server.url, port, import_path, bodies, serving, console, progress)
            _serve_on(options, server, console, server.url, import_path, python, stack)
            return
        rows = [row for body in bodies[:5] for row in body["rows"]]
        with Client(port) as client:
            answers = client.predict({"rows": rows})
            with progress.status(f"measuring {LATENCY_REQUESTS} sequential requests"):
                latency = measure(client, bodies, LATENCY_REQUESTS)
        console.print(predictions_table(rows, answers, serving.id_fields))
        console.print(latency_table(latency, serving))
        _serve_on(options, server, console, server.url, import_path, python, stack)


def _converse(
    url: str,
    port: int,
    import_path: str,
    bodies: list[dict[str, Any]],
    serving: ServingSummary,
    console: Console,
    progress: Console,
) -> None:
    """A language service: answer a few sample questions, then time streamed answers."""
    from mlopsgen.up.chat import ChatClient, measure_tokens
    from mlopsgen.up.display import answers_table, token_latency_table
    from mlopsgen.up.steps import STREAMED_ANSWERS

    shown = bodies[:3]
    with ChatClient(port) as client:
        with progress.status(f"asking {len(shown)} sample questions"):
            answers = [client.answer(body) for body in shown]
        with progress.status(f"streaming {STREAMED_ANSWERS} answers one after another"):
            latency = measure_tokens(client, bodies, STREAMED_ANSWERS)
    console.print(answers_table(shown, answers))
    console.print(token_latency_table(latency, serving))


def _serve_on(
    options: UpOptions,
    server: Server,
    console: Console,
    url: str,
    import_path: str,
    python: Path,
    stack: Path,
) -> None:
    """Stop at once (--once), or say what is served where and serve until Ctrl-C."""
    import shlex
    import time

    from mlopsgen.up.display import chat_serving_line, loadtest_line, serving_line
    from mlopsgen.up.stack import ServingSummary

    if options.once:
        typer.echo("stopping the service (--once)")
        return
    language = ServingSummary.read(stack).language
    try:  # from the first line that invites Ctrl-C, Ctrl-C is the normal way out
        if language:
            typer.echo(chat_serving_line(url, import_path))
        else:
            typer.echo(serving_line(url, import_path))
            typer.echo(loadtest_line(shlex.quote(str(python)), shlex.quote(str(stack)), url))
        typer.echo(f"logs: {server.log}; Ctrl-C stops it")
        while server.alive():
            time.sleep(0.5)
    except KeyboardInterrupt:
        typer.echo("stopping the service", err=True)
        return
    raise server.failure("the service stopped on its own")


def main() -> None:
    """Entry point of the console script."""
    if hasattr(signal, "SIGPIPE"):  # `mlopsgen plan x | head -1`: end quietly, like cat does
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    try:
        try:
            app()
        finally:
            # Flush here, not at interpreter exit, where a failure escapes every handler.
            sys.stdout.flush()
    except KeyboardInterrupt:
        sys.exit(130)
    except OSError as exc:  # printing failed (a full disk): an IO error, not a bug
        _exit_io_error(exc)
    except Exception as exc:  # the last line of defence: a user never sees a traceback
        if os.environ.get("MLOPSGEN_DEBUG"):
            raise
        print(f"mlopsgen: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        print(
            "  hint: rerun with MLOPSGEN_DEBUG=1 for the traceback and report it", file=sys.stderr
        )
        sys.exit(INTERNAL_ERROR)


def _exit_io_error(exc: OSError) -> NoReturn:
    """Report an OS error that escaped the commands, and exit 2.

    Reading specs and writing stacks report their own IO errors with the path; what arrives
    here failed on a stream, almost always standard output.
    """
    _discard_stdout()
    if exc.errno == errno.EPIPE:  # where SIGPIPE does not exist: end quietly all the same
        sys.exit(2)
    where = exc.filename if exc.filename is not None else "standard output"
    try:
        print(f"mlopsgen: cannot write to {where}: {exc.strerror or exc}", file=sys.stderr)
        print("  hint: free space on the device or write the output elsewhere", file=sys.stderr)
        sys.stderr.flush()
    except OSError:
        pass  # standard error fails too; the exit code still tells
    sys.exit(2)


def _discard_stdout() -> None:
    """Point standard output at the null device so unwritten text is not retried at exit."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)
    except (OSError, ValueError):
        pass
