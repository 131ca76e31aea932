"""Compile benchmark: whole-process `mlopsgen build` time against a cookiecutter baseline.

For each reference spec and for synthetic specs with 10 / 100 / 1,000 models, time the whole
process (`mlopsgen build SPEC --out DIR --force`, interpreter start included)
over several repetitions and keep the median. In the same run, time cookiecutter rendering a
template tree with the same number of files and bytes as mlopsgen's output, so the ratio is
measured on the same noisy machine at the same moment. Each spec is also compiled in a warm
process, to separate the compiler's own work from interpreter start and imports. Results go
to ``bench/results/compile.json``; targets: under 0.3 s per reference spec (whole process and
in process are both reported), 1,000 models under 5 s, growth no worse than linear, and
faster than the cookiecutter baseline.

Run with ``make bench``.
"""

from __future__ import annotations

import itertools
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results" / "compile.json"
REPEATS = 5
SYNTHETIC_SIZES = (10, 100, 1000)
#: The console script of the environment running the benchmark: what a user runs.
MLOPSGEN = str(Path(sys.executable).parent / "mlopsgen")


def _time_command(args: list[str], cwd: Path, repeats: int = REPEATS) -> float:
    """Median wall time of a whole process, in seconds."""
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(args, cwd=cwd, check=True, capture_output=True)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def synthetic_spec(models: int, directory: Path) -> Path:
    """A valid spec with ``models`` trained models (the first one served)."""
    base = yaml.safe_load((REPO / "specs" / "fraud-detection.yaml").read_text(encoding="utf-8"))
    template = dict(base["models"][2])
    base["system"]["name"] = f"synthetic-{models}"
    base["models"] = [{**template, "name": f"model_{i:04d}"} for i in range(models)]
    base["serving"] = {"mode": "realtime", "models": ["model_0000"]}
    base["monitoring"]["quality"] = []
    path = directory / f"synthetic-{models}.yaml"
    path.write_text(yaml.safe_dump(base, sort_keys=False), encoding="utf-8")
    return path


def _tree_size(out: Path) -> tuple[int, int]:
    files = [p for p in out.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def cookiecutter_baseline(name: str, files: int, size: int, work: Path) -> float:
    """Time cookiecutter rendering ``files`` files of ``size`` total bytes with variables."""
    template = work / f"cc-{name}"
    body_dir = template / "{{cookiecutter.project_slug}}"
    body_dir.mkdir(parents=True)
    (template / "cookiecutter.json").write_text(
        json.dumps({"project_slug": "baseline", "owner": "team", "replicas": "3"})
    )
    line = "value_{{ cookiecutter.owner }} = {{ cookiecutter.replicas }}  # padding text\n"
    per_file = max(size // max(files, 1), len(line))
    text = line * max(per_file // len(line), 1)
    for index in range(files):
        (body_dir / f"file_{index:05d}.txt").write_text(text)
    out = work / f"cc-out-{name}"
    args = [
        sys.executable,
        "-m",
        "cookiecutter",
        "--no-input",
        "--overwrite-if-exists",
        "-o",
        str(out),
        str(template),
    ]
    return _time_command(args, work)


def in_process_seconds(spec: Path, work: Path) -> float:
    """Median time of the in-memory stages (load, plan, render, format) in a warm process.

    This is the compiler's own work, without the interpreter start and imports that every
    whole-process run pays once.
    """
    code = (
        "import statistics, sys, time\n"
        "from pathlib import Path\n"
        "from mlopsgen.build import compile_stack\n"
        "spec, out = Path(sys.argv[1]), Path(sys.argv[2])\n"
        "compile_stack(spec, out)\n"
        "samples = []\n"
        f"for _ in range({REPEATS}):\n"
        "    start = time.perf_counter(); compile_stack(spec, out)\n"
        "    samples.append(time.perf_counter() - start)\n"
        "print(statistics.median(samples))\n"
    )
    args = [sys.executable, "-c", code, str(spec), str(work / "in-process")]
    result = subprocess.run(args, check=True, capture_output=True, text=True)
    return float(result.stdout.strip())


def measure(spec: Path, work: Path, interpreter: float) -> dict[str, object]:
    """Time one spec's build and its same-size cookiecutter baseline."""
    out = work / f"out-{spec.stem}"
    args = [MLOPSGEN, "build", str(spec), "--out", str(out), "--force"]
    subprocess.run(args, check=True, capture_output=True)
    seconds = _time_command(args, work)
    files, size = _tree_size(out)
    baseline = cookiecutter_baseline(spec.stem, files, size, work)
    shutil.rmtree(out)
    return {
        "spec": spec.name,
        "files": files,
        "bytes": size,
        "seconds": round(seconds, 4),
        "compile_seconds": round(max(seconds - interpreter, 0.0), 4),
        "in_process_seconds": round(in_process_seconds(spec, work), 4),
        "cookiecutter_seconds": round(baseline, 4),
        "speedup_vs_cookiecutter": round(baseline / seconds, 2),
    }


def main() -> int:
    """Run every measurement and write the results file."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        interpreter = _time_command([sys.executable, "-c", "pass"], work)
        reference = [measure(s, work, interpreter) for s in sorted((REPO / "specs").glob("*.yaml"))]
        synthetic = [measure(synthetic_spec(n, work), work, interpreter) for n in SYNTHETIC_SIZES]
    # Marginal seconds per added model between consecutive sizes: linear growth keeps it flat
    # (a quadratic step would multiply it by ~10 from one size to the next).
    times = [float(r["seconds"]) for r in synthetic]
    marginal = [
        (t2 - t1) / (n2 - n1)
        for (t1, n1), (t2, n2) in itertools.pairwise(zip(times, SYNTHETIC_SIZES, strict=True))
    ]
    results = {
        "python_startup_seconds": round(interpreter, 4),
        "reference": reference,
        "synthetic": synthetic,
        "marginal_seconds_per_model": [round(m, 6) for m in marginal],
        "targets": {
            "reference_whole_process_under_0_3s": all(float(r["seconds"]) < 0.3 for r in reference),
            "reference_in_process_under_0_3s": all(
                float(r["in_process_seconds"]) < 0.3 for r in reference
            ),
            "thousand_models_under_5s": float(synthetic[-1]["seconds"]) < 5.0,
            "growth_at_most_linear": marginal[-1] <= max(marginal[0], 0.0005) * 2,
            "faster_than_cookiecutter": all(
                float(r["speedup_vs_cookiecutter"]) > 1.0 for r in reference + synthetic
            ),
        },
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(results, indent=2))
    return 0 if all(results["targets"].values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
