"""The dated table of model families: parameter counts and the facts that size a KV cache.

Each row is read from the family's published ``config.json`` (num_hidden_layers,
num_attention_heads, num_key_value_heads, hidden_size / num_attention_heads,
max_position_embeddings) and its model card's parameter count, so a spec can say
``family: llama-3.1-8b`` instead of copying them.
"""

from __future__ import annotations

from dataclasses import dataclass

FAMILY_TABLE_DATE = "2026-11"
FAMILY_SOURCES = "each family's config.json and model card on its publisher's model page"


@dataclass(frozen=True)
class Family:
    """A model family's published facts."""

    parameters: int
    layers: int
    attention_heads: int
    kv_heads: int
    head_dim: int
    max_context_tokens: int
    generative: bool = True


FAMILIES: dict[str, Family] = {
    "llama-2-7b": Family(6_738_415_616, 32, 32, 32, 128, 4096),
    "llama-2-13b": Family(13_015_864_320, 40, 40, 40, 128, 4096),
    "llama-2-70b": Family(68_976_648_192, 80, 64, 8, 128, 4096),
    "llama-3.1-8b": Family(8_030_261_248, 32, 32, 8, 128, 131072),
    "llama-3.1-70b": Family(70_553_706_496, 80, 64, 8, 128, 131072),
    "mistral-7b": Family(7_248_023_552, 32, 32, 8, 128, 32768),
    "qwen2.5-0.5b": Family(494_032_768, 24, 14, 2, 64, 32768),
    "qwen2.5-7b": Family(7_615_616_512, 28, 28, 4, 128, 32768),
    "bge-large-en-v1.5": Family(335_141_888, 24, 16, 16, 64, 512, generative=False),
}
