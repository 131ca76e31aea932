"""LoRA or full fine-tuning and perplexity of a causal language model on chats, with peft.

:func:`fine_tune` trains a LoRA adapter on every attention and MLP projection for a fixed
number of AdamW steps on shuffled mini-batches (the loss counts the assistant's answer only)
and saves it with ``save_pretrained`` (``adapter_config.json`` +
``adapter_model.safetensors``). :func:`fine_tune_full` trains every weight the same way, at a
learning rate a full update takes, and saves the whole model folder with its tokenizer.
:func:`load_tuned` loads either back onto its base. :func:`perplexity` is ``exp`` of the mean negative
log-likelihood of the answers' tokens, the measure the gates read. Nothing is downloaded:
every folder is loaded with ``local_files_only``.
"""

from __future__ import annotations

import math
import os
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

# Set before transformers / huggingface_hub are imported anywhere in the process.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

from pipelines.chats import conversation

__all__ = [
    "BATCH_SIZE",
    "FULL_LEARNING_RATE",
    "LEARNING_RATE",
    "STEPS",
    "TARGET_MODULES",
    "encode",
    "fine_tune",
    "fine_tune_full",
    "is_adapter",
    "load_base",
    "load_tuned",
    "perplexity",
]

#: Every attention and MLP projection of a Llama-style block.
TARGET_MODULES = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
STEPS = 40
BATCH_SIZE = 16
LEARNING_RATE = 2e-2
#: Every weight moves in a full fine-tune: a step a tenth of the adapter's keeps it stable.
FULL_LEARNING_RATE = 2e-3
IGNORED = -100

Pairs = Sequence[tuple[str, str]]


def load_base(base_dir: Path | str) -> tuple[Any, Any]:
    """The base model (in evaluation mode) and its tokenizer, from a local folder."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(base_dir), local_files_only=True)
    model: Any = AutoModelForCausalLM.from_pretrained(str(base_dir), local_files_only=True)
    model.eval()
    return model, tokenizer


def encode(tokenizer: Any, question: str, answer: str) -> tuple[list[int], list[int]]:
    """Token ids of the whole chat, and labels that mask all but the answer's tokens."""
    ids = [int(i) for i in tokenizer.apply_chat_template(
        conversation(question, answer), tokenize=True, return_dict=False
    )]
    prompt = tokenizer.apply_chat_template(
        conversation(question), add_generation_prompt=True, tokenize=True, return_dict=False
    )
    return ids, [IGNORED] * len(prompt) + ids[len(prompt) :]


def _batch(tokenizer: Any, encoded: Sequence[tuple[list[int], list[int]]]) -> dict[str, Any]:
    """Right-padded tensors of one batch: input ids, attention mask, labels."""
    import torch

    width = max(len(ids) for ids, _ in encoded)
    pad = int(tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0)
    return {
        "input_ids": torch.tensor([ids + [pad] * (width - len(ids)) for ids, _ in encoded]),
        "attention_mask": torch.tensor(
            [[1] * len(ids) + [0] * (width - len(ids)) for ids, _ in encoded]
        ),
        "labels": torch.tensor([lab + [IGNORED] * (width - len(lab)) for _, lab in encoded]),
    }


def _train(
    model: Any,
    tokenizer: Any,
    pairs: Pairs,
    *,
    steps: int,
    batch_size: int,
    learning_rate: float,
    seed: int,
) -> list[float]:
    """AdamW over the trainable parameters on shuffled mini-batches; every step's loss."""
    import torch

    encoded = [encode(tokenizer, question, answer) for question, answer in pairs]
    order = random.Random(seed)
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=learning_rate)
    model.train()
    losses = []
    queue: list[int] = []
    for _ in range(steps):
        if len(queue) < batch_size:
            more = list(range(len(encoded)))
            order.shuffle(more)
            queue += more
        chosen, queue = queue[:batch_size], queue[batch_size:]
        optimizer.zero_grad()
        loss = model(**_batch(tokenizer, [encoded[i] for i in chosen])).loss
        loss.backward()
        optimizer.step()
        losses.append(float(loss.item()))
    model.eval()
    return losses


def fine_tune(
    base_dir: Path | str,
    adapter_dir: Path | str,
    pairs: Pairs,
    *,
    rank: int,
    steps: int = STEPS,
    batch_size: int = BATCH_SIZE,
    learning_rate: float = LEARNING_RATE,
    seed: int = 0,
) -> list[float]:
    """Train a LoRA adapter of ``rank`` on the (question, answer) ``pairs``; save it to
    ``adapter_dir``; return the loss of every step."""
    import torch
    from peft import LoraConfig, get_peft_model

    torch.manual_seed(seed)
    model, tokenizer = load_base(base_dir)
    config = LoraConfig(
        r=rank,
        lora_alpha=2 * rank,
        lora_dropout=0.0,
        target_modules=list(TARGET_MODULES),
        task_type="CAUSAL_LM",
    )
    model = get_peft_model(model, config)
    losses = _train(
        model,
        tokenizer,
        pairs,
        steps=steps,
        batch_size=batch_size,
        learning_rate=learning_rate,
        seed=seed,
    )
    model.save_pretrained(str(adapter_dir))
    return losses


def fine_tune_full(
    base_dir: Path | str,
    out_dir: Path | str,
    pairs: Pairs,
    *,
    steps: int = STEPS,
    batch_size: int = BATCH_SIZE,
    learning_rate: float = FULL_LEARNING_RATE,
    seed: int = 0,
) -> list[float]:
    """Train every weight of the base on the ``pairs``; save the model and its tokenizer to
    ``out_dir``; return the loss of every step."""
    import torch

    torch.manual_seed(seed)
    model, tokenizer = load_base(base_dir)
    model.requires_grad_(True)
    losses = _train(
        model,
        tokenizer,
        pairs,
        steps=steps,
        batch_size=batch_size,
        learning_rate=learning_rate,
        seed=seed,
    )
    model.save_pretrained(str(out_dir))
    tokenizer.save_pretrained(str(out_dir))
    return losses


def is_adapter(folder: Path | str) -> bool:
    """Whether a fine-tuned folder is a LoRA adapter (else a whole model)."""
    return (Path(folder) / "adapter_config.json").is_file()


def load_tuned(base: Any, tuned_dir: Path | str) -> Any:
    """The fine-tuned model in evaluation mode: ``base`` with the adapter in ``tuned_dir``,
    or the whole model saved there by a full fine-tune."""
    if is_adapter(tuned_dir):
        from peft import PeftModel

        model: Any = PeftModel.from_pretrained(base, str(tuned_dir))
    else:
        from transformers import AutoModelForCausalLM

        model = AutoModelForCausalLM.from_pretrained(str(tuned_dir), local_files_only=True)
    model.eval()
    return model


def perplexity(model: Any, tokenizer: Any, pairs: Pairs, batch_size: int = 64) -> float:
    """``exp`` of the mean negative log-likelihood of the answers' tokens under ``model``."""
    import torch

    total, count = 0.0, 0
    encoded = [encode(tokenizer, question, answer) for question, answer in pairs]
    with torch.inference_mode():
        for start in range(0, len(encoded), batch_size):
            batch = _batch(tokenizer, encoded[start : start + batch_size])
            logits = model(
                input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]
            ).logits
            labels = batch["labels"][:, 1:]
            loss = torch.nn.functional.cross_entropy(
                logits[:, :-1].reshape(-1, logits.shape[-1]).float(),
                labels.reshape(-1),
                ignore_index=IGNORED,
                reduction="sum",
            )
            total += float(loss.item())
            count += int((labels != IGNORED).sum().item())
    return math.exp(total / count) if count else math.nan
