"""Generation engines behind the OpenAI-compatible service: one interface, two implementations.

Both take prompt token ids (the service tokenizes, so it can enforce the length limits before
an engine sees a request) and yield :class:`Piece` events: text deltas, then one with the
finish reason. Streaming and non-streaming answers are the same events, joined or not.

- :class:`CpuEngine`: transformers on CPU, a manual decode loop with a KV cache, each forward
  step in a thread so the event loop stays free. Greedy when ``temperature`` is 0, else seeded
  sampling with top-p. Used everywhere there is no GPU (tests, local runs).
- :class:`VllmEngine`: vLLM's ``AsyncLLM`` with engine arguments built by
  :func:`vllm_engine_args` (a plain dict, which mlopsgen's tests check against vLLM 0.33's
  own argument classes). Imports vLLM only when started.

:func:`load_engine` starts the engine :func:`services.config.choose_engine` picked.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from services.config import ServiceConfig

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

__all__ = [
    "CpuEngine",
    "Engine",
    "Piece",
    "Sampling",
    "VllmEngine",
    "load_engine",
    "load_model",
    "vllm_engine_args",
]


@dataclass(frozen=True)
class Sampling:
    """How to pick tokens: greedy at ``temperature == 0``; ``seed`` makes sampling repeatable."""

    max_tokens: int
    temperature: float = 1.0
    top_p: float = 1.0
    seed: int | None = None
    stop: tuple[str, ...] = ()


@dataclass(frozen=True)
class Piece:
    """A text delta; the last piece of a generation carries ``finish_reason`` (stop, length)."""

    text: str
    completion_tokens: int
    finish_reason: str | None = None


class Engine(Protocol):
    """What the service needs from an engine."""

    max_num_seqs: int
    tokenizer: Any

    def stream(self, prompt_ids: Sequence[int], sampling: Sampling) -> AsyncIterator[Piece]:
        """Generate after ``prompt_ids``; the last piece has a finish reason."""
        ...


def load_model(config: ServiceConfig) -> tuple[Any, Any]:
    """The tokenizer and the model (base, with the LoRA adapter merged in when one is set)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(config.model_dir, local_files_only=True)
    # transformers' loaders are typed loosely and differ between releases: held as Any.
    model: Any = AutoModelForCausalLM.from_pretrained(config.model_dir, local_files_only=True)
    if config.adapter_dir is not None:
        from peft import PeftModel

        model = PeftModel.from_pretrained(model, config.adapter_dir).merge_and_unload()
    model.eval()
    return tokenizer, model


class TextDeltas:
    """Incremental detokenization whose deltas always join to the full decode.

    Decodes all ids so far and emits what was added, holding text back while it ends in an
    incomplete UTF-8 sequence (U+FFFD) or could be the start of a stop string.
    """

    def __init__(self, tokenizer: Any, stop: Sequence[str]) -> None:
        self.tokenizer = tokenizer
        self.stop = tuple(s for s in stop if s)
        self.ids: list[int] = []
        self.emitted = ""
        self.stopped = False

    def _text(self) -> str:
        return str(
            self.tokenizer.decode(
                self.ids, skip_special_tokens=True, clean_up_tokenization_spaces=False
            )
        )

    def add(self, token_id: int) -> str:
        """The new text after ``token_id`` (maybe empty); sets :attr:`stopped` on a stop string."""
        self.ids.append(token_id)
        text = self._text()
        for stop in self.stop:
            at = text.find(stop, max(0, len(self.emitted) - len(stop)))
            if at != -1:
                self.stopped = True
                return self._take(text[:at])
        if text.endswith("\ufffd"):
            return ""
        held = max(
            (k for s in self.stop for k in range(1, len(s)) if text.endswith(s[:k])), default=0
        )
        return self._take(text[: len(text) - held])

    def flush(self) -> str:
        """What is still held back, at the end of generation (never past a stop string)."""
        return "" if self.stopped else self._take(self._text())

    def _take(self, text: str) -> str:
        if not text.startswith(self.emitted) or len(text) <= len(self.emitted):
            return ""
        delta = text[len(self.emitted) :]
        self.emitted = text
        return delta


@dataclass
class _Sequence:
    ids: list[int]
    past: Any = None
    generator: Any = None
    produced: list[int] = field(default_factory=list)


class CpuEngine:
    """transformers on CPU: a manual decode loop, one forward step per thread hop."""

    def __init__(self, config: ServiceConfig) -> None:
        import torch

        self.torch = torch
        self.config = config
        self.tokenizer, self.model = load_model(config)
        self.max_num_seqs = config.max_num_seqs
        self.eos_ids = self._eos_ids()
        # transformers 5.21 renamed ``past_key_values`` to ``cache`` (argument and output).
        self.cache_name = (
            "cache"
            if "cache" in inspect.signature(self.model.forward).parameters
            else "past_key_values"
        )
        # Decoding slots: a request waits here, as vLLM queues past max_num_seqs.
        self.slots = asyncio.Semaphore(config.max_num_seqs)

    def _eos_ids(self) -> frozenset[int]:
        eos = self.model.generation_config.eos_token_id
        ids = eos if isinstance(eos, list) else [eos]
        return frozenset(i for i in [*ids, self.tokenizer.eos_token_id] if i is not None)

    def _pick(self, logits: Any, sampling: Sampling, generator: Any) -> int:
        torch = self.torch
        if sampling.temperature <= 0:
            return int(torch.argmax(logits).item())
        probs = torch.softmax(logits.float() / sampling.temperature, dim=-1)
        if sampling.top_p < 1.0:
            ordered, order = torch.sort(probs, descending=True)
            keep = torch.cumsum(ordered, dim=-1) - ordered < sampling.top_p
            probs = torch.zeros_like(probs).scatter(0, order[keep], ordered[keep])
        return int(torch.multinomial(probs, 1, generator=generator).item())

    def _step(self, seq: _Sequence, sampling: Sampling) -> int:
        torch = self.torch
        with torch.inference_mode():
            if seq.past is None:
                inputs = torch.tensor([seq.ids])
            else:
                inputs = torch.tensor([[seq.produced[-1]]])
            out = self.model(input_ids=inputs, use_cache=True, **{self.cache_name: seq.past})
        seq.past = getattr(out, self.cache_name)
        token = self._pick(out.logits[0, -1], sampling, seq.generator)
        seq.produced.append(token)
        return token

    async def stream(self, prompt_ids: Sequence[int], sampling: Sampling) -> AsyncIterator[Piece]:
        """Decode up to ``sampling.max_tokens`` tokens; stop early at EOS or a stop string."""
        generator = None
        if sampling.temperature > 0:
            generator = self.torch.Generator()
            seed = sampling.seed
            generator.manual_seed(
                seed if seed is not None else int.from_bytes(os.urandom(8), "little") >> 1
            )
        seq = _Sequence(ids=list(prompt_ids), generator=generator)
        deltas = TextDeltas(self.tokenizer, sampling.stop)
        async with self.slots:
            finish = "length"
            for count in range(1, sampling.max_tokens + 1):
                token = await asyncio.to_thread(self._step, seq, sampling)
                if token in self.eos_ids:
                    finish = "stop"
                    count -= 1
                    break
                text = deltas.add(token)
                if deltas.stopped:
                    finish = "stop"
                    if text:
                        yield Piece(text, count)
                    break
                if text:
                    yield Piece(text, count)
            yield Piece(deltas.flush(), count, finish)


def vllm_engine_args(config: ServiceConfig) -> dict[str, Any]:
    """vLLM's engine arguments for ``config``, as ``AsyncEngineArgs`` keyword arguments."""
    args: dict[str, Any] = {
        "model": str(config.model_dir),
        "tokenizer": str(config.model_dir),
        "served_model_name": [config.model_name],
        "max_num_seqs": config.max_num_seqs,
        "max_model_len": config.max_model_len,
        "gpu_memory_utilization": config.gpu_memory_utilization,
        "tensor_parallel_size": config.tensor_parallel_size,
        "dtype": config.dtype,
        "quantization": config.quantization,
        "seed": 0,
        "enable_log_requests": False,
    }
    if config.adapter_dir is not None:
        # vLLM serves the adapter unmerged, named per request (LoRARequest).
        args.update(enable_lora=True, max_loras=1, max_lora_rank=_lora_rank(config))
    return args


def _lora_rank(config: ServiceConfig) -> int:
    import json

    assert config.adapter_dir is not None
    rank = int(json.loads((config.adapter_dir / "adapter_config.json").read_text("utf-8"))["r"])
    return next(r for r in (1, 8, 16, 32, 64, 128, 256, 320, 512) if r >= rank)


class VllmEngine:
    """vLLM's ``AsyncLLM`` (needs a GPU and vLLM installed): prompt ids in, text deltas out."""

    def __init__(self, config: ServiceConfig) -> None:
        from transformers import AutoTokenizer
        from vllm.engine.arg_utils import AsyncEngineArgs
        from vllm.v1.engine.async_llm import AsyncLLM

        self.config = config
        self.max_num_seqs = config.max_num_seqs
        self.tokenizer = AutoTokenizer.from_pretrained(config.model_dir, local_files_only=True)
        self.args = vllm_engine_args(config)
        self.engine = AsyncLLM.from_engine_args(AsyncEngineArgs(**self.args))
        self.lora = None
        if config.adapter_dir is not None:
            from vllm.lora.request import LoRARequest

            self.lora = LoRARequest("adapter", 1, str(config.adapter_dir))

    async def stream(self, prompt_ids: Sequence[int], sampling: Sampling) -> AsyncIterator[Piece]:
        """vLLM's deltas as pieces; the last carries vLLM's finish reason."""
        from vllm import SamplingParams
        from vllm.inputs import TokensPrompt
        from vllm.sampling_params import RequestOutputKind

        params = SamplingParams(
            max_tokens=sampling.max_tokens,
            temperature=sampling.temperature,
            top_p=sampling.top_p,
            seed=sampling.seed,
            stop=list(sampling.stop) or None,
            output_kind=RequestOutputKind.DELTA,
        )
        count = 0
        async for out in self.engine.generate(
            TokensPrompt(prompt_token_ids=list(prompt_ids)),
            params,
            uuid.uuid4().hex,
            lora_request=self.lora,
        ):
            choice = out.outputs[0]
            count += len(choice.token_ids)
            yield Piece(choice.text, count, choice.finish_reason if out.finished else None)


def load_engine(config: ServiceConfig) -> Engine:
    """The engine ``config.engine`` names."""
    if config.engine == "vllm":
        return VllmEngine(config)
    return CpuEngine(config)
