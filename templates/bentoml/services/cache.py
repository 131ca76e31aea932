"""The prediction cache: answers keyed by the spec's cache fields, kept for a TTL, bounded in size.

Built from ``plan.json``'s ``serving.cache`` (``key`` fields, ``ttl_seconds``,
``max_entries``). Each worker process holds its own :class:`TTLCache` in memory; the plan's
``backend`` (Redis in a cluster) shares entries across replicas, which an in-process cache does
not, so a local run's hit ratio is a lower bound of the planned one.

A key is the SHA-256 of the key fields' values as canonical JSON, so long fields (a message's
text) cost 64 characters each, ``1``, ``1.0``, ``True`` and ``"1"`` stay four different keys,
and the same request always gives the same key in every process. Standard library only: this
runs on the request path of every prediction.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

__all__ = ["CachePolicy", "TTLCache"]

V = TypeVar("V")


def _canonical(value: object) -> object:
    """A JSON-encodable stand-in for a value JSON cannot hold, kept apart by its type."""
    return {"__type__": type(value).__qualname__, "repr": repr(value)}


@dataclass(frozen=True)
class CachePolicy:
    """Which request fields key the cache, how long an answer stays and how many are kept."""

    key: tuple[str, ...]
    ttl_seconds: float
    max_entries: int
    backend: str = "memory"

    @classmethod
    def from_plan(cls, serving: Mapping[str, Any]) -> CachePolicy | None:
        """The cache of ``plan.json``'s ``serving`` section; None when absent or disabled."""
        cache = serving.get("cache")
        if cache is None or not cache.get("enabled", True):
            return None
        return cls(
            key=tuple(str(field) for field in cache["key"]),
            ttl_seconds=float(cache["ttl_seconds"]),
            max_entries=int(cache["max_entries"]),
            backend=str(cache.get("backend", "memory")),
        )

    def key_of(self, row: Mapping[str, object], *extra: object) -> str:
        """The cache key of a request row: its key fields (a missing one reads as null).

        ``extra`` adds what else changes the answer, such as the experiment arm serving it.
        """
        values = [[field, row.get(field)] for field in self.key]
        text = json.dumps(
            [values, list(extra)],
            sort_keys=True,
            ensure_ascii=True,
            allow_nan=True,
            separators=(",", ":"),
            default=_canonical,
        )
        return hashlib.sha256(text.encode("ascii")).hexdigest()

    def new_cache(self) -> TTLCache[Any]:
        """An empty in-process cache sized by this policy."""
        return TTLCache(self.max_entries, self.ttl_seconds)


class TTLCache(Generic[V]):
    """A thread-safe cache that forgets entries after ``ttl_seconds`` and keeps at most
    ``max_entries``, evicting the least recently used first.

    ``clock`` returns seconds (``time.monotonic`` by default, so wall-clock jumps do not
    expire entries); tests pass a fake one.
    """

    def __init__(
        self,
        max_entries: int,
        ttl_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_entries < 1:
            raise ValueError(f"max_entries must be at least 1, not {max_entries}")
        if not ttl_seconds > 0:
            raise ValueError(f"ttl_seconds must be above 0, not {ttl_seconds}")
        self.max_entries = max_entries
        self.ttl_seconds = ttl_seconds
        self._clock = clock
        self._entries: OrderedDict[Hashable, tuple[float, V]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable) -> V | None:
        """The value stored under ``key``, or None when absent or expired."""
        now = self._clock()
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry[0] <= now:
                if entry is not None:
                    del self._entries[key]
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return entry[1]

    def put(self, key: Hashable, value: V) -> None:
        """Store ``value`` for ``ttl_seconds``, evicting the least recently used beyond the bound."""
        expires = self._clock() + self.ttl_seconds
        with self._lock:
            self._entries[key] = (expires, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        """Entries held, expired ones not yet dropped included."""
        with self._lock:
            return len(self._entries)

    def clear(self) -> None:
        """Forget every entry."""
        with self._lock:
            self._entries.clear()
