"""A tiny causal language model and its tokenizer, the local stand-in for the base model.

The tokenizer is a byte-level BPE trained with ``tokenizers`` on a few sentences held here,
wrapped as a ``PreTrainedTokenizerFast`` with a chat template; the model is a two-layer Llama
with random weights (seeded, so the same call makes the same model). Both are saved with
``save_pretrained`` to one folder, which ``AutoTokenizer`` / ``AutoModelForCausalLM`` then load
with ``local_files_only``. Greedy decoding of such a model is deterministic; its text is noise.

``python -m pipelines.base_model OUT_DIR`` builds the folder and prints it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

# Set before transformers / huggingface_hub are imported anywhere in the process.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

__all__ = ["CHAT_TEMPLATE", "SPECIAL_TOKENS", "build_model", "build_tokenizer", "save_tiny_model"]

#: Roles the template (and the service) accept.
ROLES = ("system", "user", "assistant")
BOS, EOS, PAD, UNK = "<|bos|>", "<|end|>", "<|pad|>", "<|unk|>"
SPECIAL_TOKENS = [PAD, UNK, BOS, EOS, *(f"<|{role}|>" for role in ROLES)]

#: One turn per message, ``<|role|>content<|end|>``; the generation prompt opens the
#: assistant's turn, which the model closes with ``<|end|>`` (its end-of-sequence token).
CHAT_TEMPLATE = (
    "{{ bos_token }}"
    "{% for message in messages %}"
    "{{ '<|' + message['role'] + '|>' + message['content'] + eos_token }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|assistant|>' }}{% endif %}"
)

CORPUS = [
    "The service answers questions about orders, payments and deliveries.",
    "A model is trained every night on the labels of the previous day.",
    "Latency objectives are stated in milliseconds at the ninety-fifth percentile.",
    "Hello! How can I help you today? Please describe the problem in a sentence.",
    "Refunds are issued within five working days after the parcel is returned.",
    "The quick brown fox jumps over the lazy dog; 0123456789 and some punctuation: ,.;:!?",
    "Drift in the input features triggers retraining; promotion passes through the gates.",
    "Thank you for your message. Your ticket number is 4821 and we will reply soon.",
]


def build_tokenizer(vocab_size: int = 512, model_max_length: int = 256) -> Any:
    """A byte-level BPE tokenizer trained on :data:`CORPUS`, with the chat template.

    Returns a ``PreTrainedTokenizerFast``; ``model_max_length`` is the longest input it
    accepts (the model's positions).
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.BPE(unk_token=UNK))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(CORPUS * 4, trainer=trainer)
    # transformers types its tokenizer classes' constructors loosely: called through Any.
    fast_class: Any = PreTrainedTokenizerFast
    fast = fast_class(
        tokenizer_object=tokenizer,
        bos_token=BOS,
        eos_token=EOS,
        pad_token=PAD,
        unk_token=UNK,
        model_max_length=model_max_length,
    )
    fast.chat_template = CHAT_TEMPLATE
    return fast


def build_model(tokenizer: Any, *, seed: int = 0, max_position_embeddings: int = 256) -> Any:
    """A two-layer Llama with random weights sized to ``tokenizer``'s vocabulary."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=max_position_embeddings,
        # Wider than the default 0.02, so greedy decoding wanders instead of repeating a token.
        initializer_range=0.2,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=False,
    )
    torch.manual_seed(seed)
    model: Any = LlamaForCausalLM(config)
    model.eval()
    return model


def save_tiny_model(
    out_dir: Path | str, *, seed: int = 0, max_position_embeddings: int = 256
) -> Path:
    """Build the tokenizer and model and save both to ``out_dir`` (created); returns it.

    ``max_position_embeddings`` is the context the model takes (the plan's, for the stack's
    stand-in), so the limits a service reads off the folder are the plan's.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tokenizer = build_tokenizer(model_max_length=max_position_embeddings)
    model = build_model(tokenizer, seed=seed, max_position_embeddings=max_position_embeddings)
    model.generation_config.do_sample = False
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


if __name__ == "__main__":  # a manual aid and the entry point of the local stand-in
    if len(sys.argv) != 2:
        sys.exit("usage: python -m pipelines.base_model OUT_DIR")
    print(save_tiny_model(sys.argv[1]))
