"""The build pipeline: ``load_spec -> build_plan -> render -> format -> write``.

Each stage is a library function; this module only sequences them and decides where the
output goes (``generated/<system>/`` under the current directory unless ``--out`` says
otherwise). Nothing touches the disk before every stage has succeeded in memory, so an
invalid spec or a template error leaves the previous output exactly as it was.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePath

from mlopsgen.diagnostics import Diagnostic, OutputError, SpecError, error, has_errors
from mlopsgen.output.writer import HandEditedError, WriteReport, diff_tree, write_tree
from mlopsgen.plan import Plan, build_plan
from mlopsgen.render.formatting import format_tree
from mlopsgen.spec.loader import LoadedSpec, load_spec
from mlopsgen.targets.base import Target
from mlopsgen.targets.registry import TARGETS, render_stack


@dataclass(frozen=True)
class CompiledStack:
    """A plan and its formatted files, in memory, ready to write or compare."""

    loaded: LoadedSpec
    plan: Plan
    tree: dict[str, str]
    out_dir: Path
    diagnostics: list[Diagnostic] = field(default_factory=list)


@dataclass(frozen=True)
class BuildReport:
    """What a build did, for the CLI to print."""

    out_dir: Path
    write: WriteReport | None = None
    diff: str = ""
    exit_code: int = 0
    warnings: list[Diagnostic] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)
    verdict: tuple[str, ...] = ()
    """For ``--check``: what is wrong with a stale output and what to do about it."""

    def lines(self) -> list[str]:
        """One line per file changed plus a summary line."""
        if self.write is None:
            if self.exit_code == 0:
                return [f"{self.out_dir}: up to date"]
            verdict = self.verdict or ("stale: rebuild to update",)
            return [v if v.startswith(" ") else f"{self.out_dir}: {v}" for v in verdict]
        return [*self.write.lines(), f"{self.out_dir}: {self.write.summary()}"]


def compile_stack(
    spec_path: Path, out: Path | None = None, *, targets: Sequence[Target] = TARGETS
) -> CompiledStack:
    """Run every in-memory stage for one spec.

    The plan names the spec by its path relative to the output directory, so the output does
    not depend on the working directory the build ran from, and the stack's own ``make check``
    finds its spec.

    Raises:
        SpecError: the spec is invalid or cannot be planned.
        UsageError: the spec path cannot be read.
        RenderError: a target failed; nothing has been written.
    """
    loaded = load_spec(spec_path)
    out_dir = out if out is not None else default_out_dir(loaded.spec.system.name)
    display = PurePath(os.path.relpath(spec_path.resolve(), out_dir.resolve())).as_posix()
    renamed = replace(loaded, source_map=replace(loaded.source_map, file=display))
    result = build_plan(renamed)
    if has_errors(result.diagnostics):
        raise SpecError(result.diagnostics, {loaded.file: loaded.source_map.text})
    unrendered = _embedding_models(loaded)
    if unrendered:
        raise SpecError(unrendered, {loaded.file: loaded.source_map.text})
    tree = format_tree(render_stack(result.plan, targets))
    return CompiledStack(
        loaded, result.plan, tree, out_dir, [*loaded.warnings, *result.diagnostics]
    )


def _embedding_models(loaded: LoadedSpec) -> list[Diagnostic]:
    """E510: an embedding model is planned (``mlopsgen plan``), but its stack is not rendered.

    A language stack fine-tunes a generator with LoRA and serves chat completions; an
    embedding model needs contrastive fine-tuning and an embeddings route, which this version
    does not generate. Building it as a generator would serve the wrong API, so the build
    says so instead."""
    return [
        error(
            "E510",
            f"model {model.name!r} (embedding) is planned, but this version renders stacks for "
            "text_generation models only",
            loaded.source_map.key_span(("models", index, "task")),
            "run `mlopsgen plan` on the spec for its GPU sizing, engine settings and cost; "
            "build the stacks of its text_generation models from a spec of their own",
            ("models", index, "task"),
        )
        for index, model in enumerate(loaded.spec.models)
        if model.llm is not None and model.task == "embedding"
    ]


def default_out_dir(system_name: str) -> Path:
    """``generated/<system-name>`` relative to the current directory."""
    return Path("generated") / system_name


def build_stack(
    spec_path: Path,
    out: Path | None = None,
    *,
    check: bool = False,
    force: bool = False,
    targets: Sequence[Target] = TARGETS,
) -> BuildReport:
    """Build the stack of one spec, or with ``check`` compare it against the disk.

    Returns:
        A report; its exit code is 1 when ``check`` finds the output stale.
    """
    compiled = compile_stack(spec_path, out, targets=targets)
    out_dir = compiled.out_dir
    sources = {compiled.loaded.file: compiled.loaded.source_map.text}
    if check:
        text = diff_tree(compiled.tree, out_dir)
        verdict = _stale_verdict(compiled) if text else ()
        return BuildReport(
            out_dir, None, text, 1 if text else 0, compiled.diagnostics, sources, verdict
        )
    report = write_tree(
        compiled.tree,
        out_dir,
        spec_sha256=compiled.loaded.sha256,
        system=compiled.plan.system.name,
        force=force,
    )
    return BuildReport(out_dir, report, "", 0, compiled.diagnostics, sources)


def _stale_verdict(compiled: CompiledStack) -> tuple[str, ...]:
    """Why a stale output is stale, as a rebuild without ``--force`` would find it.

    A plain "rebuild to update" is wrong when the rebuild would refuse (a file edited by
    hand, another system's stack): the check then says what is in the way and what to do.
    """
    try:
        write_tree(
            compiled.tree,
            compiled.out_dir,
            spec_sha256=compiled.loaded.sha256,
            system=compiled.plan.system.name,
            dry_run=True,
        )
    except HandEditedError as exc:
        return _conflict_verdict(exc.report)
    except OutputError as exc:
        hint = getattr(exc, "hint", None)
        refusal = f"stale, and a rebuild would refuse: {exc}"
        return (refusal, f"  hint: {hint}") if hint else (refusal,)
    return ("stale: rebuild to update",)


def _conflict_verdict(report: WriteReport) -> tuple[str, ...]:
    conflicts = [c for c in report.changes if c.path in report.conflicts]
    edited = [c.path for c in conflicts if not c.foreign]
    foreign = [c.path for c in conflicts if c.foreign]
    lines: list[str] = []
    if edited:
        lines += [
            f"stale, and edited by hand since the last build: {', '.join(edited)}",
            "  hint: rebuild with --force to discard the edits, or move the change into the "
            "spec and rebuild",
        ]
    if foreign:
        lines += [
            f"stale, and not written by mlopsgen: {', '.join(foreign)}",
            "  hint: move them out of the output directory and rebuild, or rebuild with "
            "--force to overwrite them",
        ]
    return tuple(lines)


def diff_stack(spec_path: Path, out: Path | None = None) -> str:
    """The unified diff a rebuild would apply to the output directory."""
    compiled = compile_stack(spec_path, out)
    return diff_tree(compiled.tree, compiled.out_dir)
