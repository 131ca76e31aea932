"""A language stack fine-tunes for real: LoRA on CPU, gated by held-out perplexity, released merged.

The support-assistant spec is built and its ``train_assistant`` pipeline run once for the
module on a small synthetic chat set: the stand-in base model is built, a LoRA adapter of the
plan's rank trained, and the version promoted through the spec's perplexity gate with the
adapter as its artifact. ``pipelines.release.merged_model`` then writes the merged folder,
which loads with ``AutoModelForCausalLM`` and answers a training question unlike the base
does, closer to the trained answer. Rebuilt with a gate no model can pass (perplexity <= 1),
the next run registers its version in staging, exits 3, and production stays on version 1.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import REPO
from tests.functional.stack_env import run_in_stack, run_json, stack_python
from tests.functional.zenml_stacks import assert_lint_clean, build, last_run, model_registry

pytestmark = pytest.mark.slow

SPEC = REPO / "specs" / "llm" / "support-assistant.yaml"
ROWS = "120"
STEPS = ("ingest", "prepare_base", "validate", "fine_tune", "evaluate", "register")

ADAPTER = """
import json
from pipelines.models import adapter_folder, model_version
version = model_version("assistant")
folder = adapter_folder("assistant")
print(json.dumps({
    "number": str(version.number),
    "stage": str(getattr(version.stage, "value", version.stage)),
    "files": sorted(p.name for p in folder.iterdir()),
    "adapter_config": json.loads((folder / "adapter_config.json").read_text()),
    "base_model": version.run_metadata.get("base_model"),
}))
"""

MERGED = """
import json, os
from pathlib import Path
from pipelines.release import merged_model
from pipelines.chats import TRAIN, conversation, make_chats, split
from pipelines.language_plan import language_model
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

out = Path(os.environ["OUT"])
info = merged_model("assistant", out)
try:
    merged_model("assistant", out.parent / "none", stage="archived")
    missing = None
except LookupError as error:
    missing = str(error)
spec = language_model("assistant")
question, answer = split(spec, make_chats(spec, int(os.environ["ROWS"])), TRAIN)[0]

def greedy(folder):
    tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
    model = AutoModelForCausalLM.from_pretrained(str(folder), local_files_only=True)
    ids = tokenizer.apply_chat_template(
        conversation(question), add_generation_prompt=True, tokenize=True, return_dict=False
    )
    with torch.inference_mode():
        out_ids = model.generate(
            input_ids=torch.tensor([ids]), attention_mask=torch.ones(1, len(ids), dtype=torch.long),
            max_new_tokens=40, do_sample=False,
        )
    return tokenizer.decode(out_ids[0][len(ids):], skip_special_tokens=True)

print(json.dumps({
    "info": info,
    "missing": missing,
    "files": sorted(p.name for p in out.iterdir()),
    "answer": answer,
    "merged": greedy(out),
    "base": greedy(info["base"]),
}))
"""


def _words(text: str) -> set[str]:
    return set(text.lower().replace(".", " ").replace(",", " ").split())


@pytest.fixture(scope="module")
def llm_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any], list[Any]]:
    """One support-assistant stack, fine-tuned once; its outcome and progress events."""
    stack_python()
    root = tmp_path_factory.mktemp("llm")
    stack = build(SPEC, root / "stack")
    events = root / "events.jsonl"
    done = run_in_stack(
        stack,
        ["-m", "pipelines.run", "--rows", ROWS],
        extra_env={"MLOPSGEN_EVENTS": str(events)},
        check=False,
    )
    assert done.returncode == 0, done.stderr[-6000:]
    lines = [json.loads(line) for line in events.read_text().splitlines()]
    return stack, last_run(stack), lines


def test_the_run_promotes_a_version_whose_perplexity_fell_under_its_gate(
    llm_run: tuple[Path, dict[str, Any], list[Any]],
) -> None:
    _, outcome, events = llm_run
    assert outcome["status"] == "promoted" and outcome["error"] is None
    (model,) = outcome["models"]
    assert model["name"] == "assistant" and model["version"] == "1"
    assert model["promoted"] and model["stage"] == "production"
    metrics = model["metrics"]
    assert metrics["perplexity"] < metrics["perplexity_base"]
    assert metrics["loss_last"] < metrics["loss_first"]
    (gate,) = model["gates"]
    assert gate["metric"] == "perplexity" and gate["max"] == 12.0
    assert gate["passed"] and gate["value"] == metrics["perplexity"]
    assert model["oracle"] == {"perplexity": 1.0}
    steps = [(e["name"], e["status"]) for e in events if e["event"] == "step"]
    assert steps == [(s, status) for s in STEPS for status in ("started", "completed")]


def test_the_production_version_holds_the_adapter_of_the_plans_rank(
    llm_run: tuple[Path, dict[str, Any], list[Any]],
) -> None:
    stack, _, _ = llm_run
    found = run_json(stack, ADAPTER)
    assert found["number"] == "1" and found["stage"] == "production"
    assert {"adapter_config.json", "adapter_model.safetensors"} <= set(found["files"])
    config = found["adapter_config"]
    assert config["r"] == 16
    assert set(config["target_modules"]) == {
        "q_proj",
        "k_proj",
        "v_proj",
        "o_proj",
        "gate_proj",
        "up_proj",
        "down_proj",
    }
    assert found["base_model"] == str(stack.resolve() / ".mlopsgen" / "llm" / "base" / "assistant")


def test_the_merged_release_loads_and_answers_closer_to_the_training_answer(
    llm_run: tuple[Path, dict[str, Any], list[Any]], tmp_path: Path
) -> None:
    stack, _, _ = llm_run
    out = tmp_path / "merged"
    found = run_json(stack, MERGED, extra_env={"OUT": str(out), "ROWS": ROWS})
    assert found["info"]["version"] == "1"
    assert found["info"]["base"].endswith("/.mlopsgen/llm/base/assistant")
    assert found["missing"] and "no version at stage 'archived'" in found["missing"]
    assert {"config.json", "model.safetensors", "tokenizer.json"} <= set(found["files"])
    assert not any(name.startswith("adapter_") for name in found["files"])
    answer, merged, base = found["answer"], found["merged"], found["base"]
    assert merged != base
    assert len(_words(merged) & _words(answer)) > len(_words(base) & _words(answer))


def test_a_gate_no_model_can_pass_keeps_the_next_version_out(
    llm_run: tuple[Path, dict[str, Any], list[Any]], tmp_path: Path
) -> None:
    stack, _, _ = llm_run
    data = yaml.safe_load(SPEC.read_text())
    data["models"][0]["gates"] = [{"metric": "perplexity", "max": 1.0}]
    strict = tmp_path / "support-assistant.yaml"
    strict.write_text(yaml.safe_dump(data, sort_keys=False))
    build(strict, stack)
    done = run_in_stack(stack, ["-m", "pipelines.run", "--rows", ROWS], check=False)
    assert done.returncode == 3, done.stderr[-6000:]
    outcome = last_run(stack)
    assert outcome["status"] == "kept_out"
    (model,) = outcome["models"]
    assert not model["promoted"] and model["stage"] == "staging" and model["version"] == "2"
    (gate,) = model["gates"]
    assert not gate["passed"] and gate["value"] > 1.0
    versions = model_registry(stack, "assistant")
    assert versions["1"]["stage"] == "production" and versions["2"]["stage"] == "staging"


def test_the_language_pipelines_pass_ruff_and_mypy(tmp_path: Path) -> None:
    stack_python()
    assert_lint_clean(build(SPEC, tmp_path / "stack"), "pipelines", packages=("pipelines",))


FULL = """
import json, os
from pathlib import Path
from pipelines.models import adapter_folder, model_version
from pipelines.release import merged_model
version = model_version("assistant")
folder = adapter_folder("assistant")
out = Path(os.environ["OUT"])
info = merged_model("assistant", out)
print(json.dumps({
    "number": str(version.number),
    "tuning": version.run_metadata.get("fine_tuning"),
    "tuned_files": sorted(p.name for p in folder.iterdir()),
    "info": info,
    "files": sorted(p.name for p in out.iterdir()),
}))
"""


def test_a_full_fine_tune_trains_every_weight_and_releases_them(tmp_path: Path) -> None:
    """``fine_tuning.method: full``: the version's artifact is the whole model (no adapter),
    it passes the same perplexity gate, and the release copies it with its tokenizer."""
    stack_python()
    data = yaml.safe_load(SPEC.read_text())
    data["models"][0]["llm"]["fine_tuning"] = {"method": "full", "cadence": "weekly"}
    spec = tmp_path / "specs" / "llm" / "support-assistant.yaml"
    spec.parent.mkdir(parents=True)
    spec.write_text(yaml.safe_dump(data, sort_keys=False))
    stack = build(spec, tmp_path / "stack")
    done = run_in_stack(stack, ["-m", "pipelines.run", "--rows", ROWS], check=False)
    assert done.returncode == 0, done.stderr[-6000:]
    (model,) = last_run(stack)["models"]
    assert (
        model["promoted"] and model["metrics"]["perplexity"] < model["metrics"]["perplexity_base"]
    )
    found = run_json(stack, FULL, extra_env={"OUT": str(tmp_path / "released")})
    assert found["tuning"]["method"] == "full"
    assert {"config.json", "model.safetensors", "tokenizer.json"} <= set(found["tuned_files"])
    assert "adapter_config.json" not in found["tuned_files"]
    assert found["info"]["version"] == "1" and found["info"]["adapter_rank"] == ""
    assert {"config.json", "model.safetensors", "tokenizer.json"} <= set(found["files"])
