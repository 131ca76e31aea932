"""OpenAI's chat and text completion wire format: requests, answers, stream chunks, errors.

Requests are pydantic models that ignore fields they do not know (clients send many) and
refuse, naming the field, the ones the service cannot honour (``n`` above 1, log-probabilities,
tools). An error is OpenAI's body, ``{"error": {"message", "type", "param", "code"}}``, where
``param`` names the field at fault.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "ApiError",
    "ChatMessage",
    "ChatRequest",
    "CompletionRequest",
    "error_body",
    "sse",
]

Role = Literal["system", "user", "assistant"]


class ApiError(Exception):
    """A request the service refuses: HTTP ``status`` and OpenAI's error fields."""

    def __init__(
        self,
        message: str,
        *,
        param: str | None,
        status: int = 400,
        code: str | None = None,
        kind: str = "invalid_request_error",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        self.status = status
        self.code = code
        self.kind = kind

    def body(self) -> dict[str, Any]:
        """OpenAI's error body."""
        return error_body(self.message, param=self.param, code=self.code, kind=self.kind)


def error_body(
    message: str, *, param: str | None, code: str | None = None, kind: str = "invalid_request_error"
) -> dict[str, Any]:
    """``{"error": {"message", "type", "param", "code"}}``."""
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


class ChatMessage(BaseModel):
    """One message; content is text (OpenAI's content parts are not supported)."""

    model_config = ConfigDict(extra="ignore")
    role: Role
    content: str


class StreamOptions(BaseModel):
    """``stream_options``: ``include_usage`` adds a last chunk with the token counts."""

    model_config = ConfigDict(extra="ignore")
    include_usage: bool = False


class _Common(BaseModel):
    model_config = ConfigDict(extra="ignore")
    model: str | None = None
    max_tokens: int | None = Field(default=None, ge=1)
    temperature: float = Field(default=1.0, ge=0.0, le=2.0)
    top_p: float = Field(default=1.0, gt=0.0, le=1.0)
    seed: int | None = None
    stop: str | list[str] | None = None
    stream: bool = False
    stream_options: StreamOptions | None = None
    n: int = Field(default=1, ge=1)
    logprobs: Any = None

    def stops(self) -> tuple[str, ...]:
        """``stop`` as a tuple of strings."""
        if self.stop is None:
            return ()
        return (self.stop,) if isinstance(self.stop, str) else tuple(self.stop)

    def refuse_unsupported(self) -> None:
        """Raise :class:`ApiError` for a field the service cannot honour."""
        if self.n != 1:
            raise ApiError("only n=1 is supported", param="n")
        if self.logprobs not in (None, False):
            raise ApiError("log-probabilities are not supported", param="logprobs")
        if len(self.stops()) > 4:
            raise ApiError("at most 4 stop sequences are allowed", param="stop")


class ChatRequest(_Common):
    """``POST /v1/chat/completions``."""

    messages: list[ChatMessage]
    max_completion_tokens: int | None = Field(default=None, ge=1)
    tools: list[Any] | None = None

    def refuse_unsupported(self) -> None:
        """As for completions, plus empty ``messages`` and ``tools``."""
        super().refuse_unsupported()
        if not self.messages:
            raise ApiError("messages must hold at least one message", param="messages")
        if self.tools:
            raise ApiError("tools are not supported", param="tools")

    def token_limit(self) -> tuple[int | None, str]:
        """The requested completion length and the field that asked for it."""
        if self.max_completion_tokens is not None:
            return self.max_completion_tokens, "max_completion_tokens"
        return self.max_tokens, "max_tokens"


class CompletionRequest(_Common):
    """``POST /v1/completions``: one prompt string."""

    prompt: str | list[str]
    echo: bool = False
    suffix: str | None = None

    def refuse_unsupported(self) -> None:
        """As for chat, plus prompt lists of other than one string, ``echo`` and ``suffix``."""
        super().refuse_unsupported()
        if isinstance(self.prompt, list) and len(self.prompt) != 1:
            raise ApiError("exactly one prompt string is supported", param="prompt")
        if self.echo:
            raise ApiError("echo is not supported", param="echo")
        if self.suffix:
            raise ApiError("suffix is not supported", param="suffix")

    def prompt_text(self) -> str:
        """The one prompt."""
        return self.prompt[0] if isinstance(self.prompt, list) else self.prompt

    def token_limit(self) -> tuple[int | None, str]:
        """The requested completion length and the field that asked for it."""
        return self.max_tokens, "max_tokens"


def new_id(prefix: str) -> str:
    """An answer id as OpenAI shapes them (``chatcmpl-...``, ``cmpl-...``)."""
    return f"{prefix}-{uuid.uuid4().hex}"


def now() -> int:
    """``created``: Unix seconds."""
    return int(time.time())


def usage(prompt_tokens: int, completion_tokens: int) -> dict[str, int]:
    """OpenAI's ``usage`` object."""
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }


def sse(data: dict[str, Any] | str) -> bytes:
    """One Server-Sent Event: ``data: <json>`` and a blank line."""
    text = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"))
    return f"data: {text}\n\n".encode()
