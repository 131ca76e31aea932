"""``mlopsgen run`` reads the stack's progress events and result as the stack contract has them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rich.console import Console

from mlopsgen.run import EXIT_FAILED, EXIT_KEPT_OUT, EXIT_PROMOTED, Event, EventReader
from mlopsgen.run.display import event_line, outcome_line, results_table
from mlopsgen.run.result import RESULT_FILE, read_result


def _line(**fields: str) -> str:
    return json.dumps(fields) + "\n"


def test_events_arrive_once_and_a_half_written_line_waits(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    reader = EventReader(path)
    assert reader.poll() == []  # the run has not created the file yet
    first = _line(event="pipeline", name="train_m", status="started", pipeline="train_m")
    second = _line(event="step", name="ingest", status="completed", pipeline="train_m")
    path.write_text(first + second[:10], encoding="utf-8")
    assert reader.poll() == [Event("pipeline", "train_m", "started", "train_m")]
    with path.open("a", encoding="utf-8") as handle:
        handle.write(second[10:])
    assert reader.poll() == [Event("step", "ingest", "completed", "train_m")]
    assert reader.poll() == []


@pytest.mark.parametrize(
    "line",
    [
        "not json",
        "[1, 2]",
        _line(event="model", name="m", status="started", pipeline="p"),
        _line(event="step", name="m", status="running", pipeline="p"),
        json.dumps({"event": "step", "name": 3, "status": "started"}),
    ],
    ids=["text", "list", "kind", "status", "name"],
)
def test_lines_that_are_not_events_are_skipped(tmp_path: Path, line: str) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text(line.rstrip("\n") + "\n", encoding="utf-8")
    assert EventReader(path).poll() == []


def test_a_pipeline_event_without_its_pipeline_names_itself() -> None:
    event = Event.parse(json.dumps({"event": "pipeline", "name": "p", "status": "failed"}))
    assert event == Event("pipeline", "p", "failed", "p")
    assert event_line(event) == "\N{BALLOT X} pipeline p failed"


def _write(stack: Path, data: object) -> None:
    (stack / RESULT_FILE).parent.mkdir(parents=True, exist_ok=True)
    (stack / RESULT_FILE).write_text(json.dumps(data), encoding="utf-8")


MODEL = {
    "name": "fraud_xgb",
    "version": "2",
    "stage": "staging",
    "promoted": False,
    "metrics": {"roc_auc": 0.97, "false_positive_rate": 0.03, "bad": "x"},
    "gates": [{"metric": "false_positive_rate", "value": 0.03, "max": 0.01, "passed": False}],
    "oracle": {"roc_auc": 0.98},
}


@pytest.mark.parametrize(
    ("status", "code"),
    [("promoted", EXIT_PROMOTED), ("kept_out", EXIT_KEPT_OUT), ("failed", EXIT_FAILED)],
)
def test_the_result_gives_the_exit_code(tmp_path: Path, status: str, code: int) -> None:
    _write(tmp_path, {"status": status, "error": None, "models": [MODEL]})
    assert read_result(tmp_path).exit_code == code


def test_a_kept_out_model_reads_with_its_failed_gate(tmp_path: Path) -> None:
    _write(tmp_path, {"status": "kept_out", "error": None, "models": [MODEL]})
    result = read_result(tmp_path)
    (model,) = result.models
    assert model.metrics == {"false_positive_rate": 0.03, "roc_auc": 0.97}
    assert [g.metric for g in model.failed_gates] == ["false_positive_rate"]
    assert outcome_line(result) == "a gate kept fraud_xgb out of production (exit code 3)"
    assert results_table(result).row_count == 1


def test_a_gate_without_its_metric_reads_with_the_reason(tmp_path: Path) -> None:
    reason = "the evaluation produced no top_3_accuracy (it produced: accuracy)"
    gate = {"metric": "top_3_accuracy", "value": None, "min": 0.9, "passed": False}
    model = {**MODEL, "gates": [{**gate, "reason": reason}]}
    _write(tmp_path, {"status": "kept_out", "error": None, "models": [model]})
    (failed,) = read_result(tmp_path).models[0].failed_gates
    assert failed.value is None and failed.reason == reason
    console = Console(width=400, record=True)
    console.print(results_table(read_result(tmp_path)))
    assert reason in console.export_text()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (None, "wrote no"),
        ({"status": "done"}, "no status"),
        ({"status": "promoted", "models": [{"version": "1"}]}, "lacks 'name'"),
    ],
    ids=["missing", "status", "model"],
)
def test_a_result_off_the_contract_is_refused_with_the_reason(
    tmp_path: Path, data: object, message: str
) -> None:
    if data is not None:
        _write(tmp_path, data)
    with pytest.raises(ValueError, match=message):
        read_result(tmp_path)


def test_the_events_file_is_found_from_the_stack_root_when_out_is_relative(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pipelines run from the stack root: a relative --out must not make them write
    their progress to a path that means something only from the caller's folder."""
    import sys
    from collections.abc import Mapping
    from types import SimpleNamespace

    from mlopsgen.run import runner

    monkeypatch.chdir(tmp_path)
    stack = Path("out") / "stack"
    (stack / "pipelines").mkdir(parents=True)
    (stack / "pipelines" / "run.py").write_text("", encoding="utf-8")
    monkeypatch.setattr(runner, "build_stack", lambda spec, out: SimpleNamespace(out_dir=stack))
    seen: dict[str, str] = {}

    def follow(command: list[str], cwd: Path, env: Mapping[str, str], *rest: object) -> int:
        seen.update(env)
        return EXIT_FAILED

    monkeypatch.setattr(runner, "_follow", follow)
    runner.run_stack(runner.RunOptions(Path("spec.yaml"), stack, python=Path(sys.executable)))
    events = Path(seen["MLOPSGEN_EVENTS"])
    assert events.is_absolute()
    assert events == (tmp_path / stack / runner.RUNTIME_DIR / runner.EVENTS_FILE)
