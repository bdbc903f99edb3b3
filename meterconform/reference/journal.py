"""The request journal: every request an endpoint received and its answer, credentials redacted (off by default)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

REDACTED = "<redacted>"
SECRET_HEADERS = frozenset({"authorization", "x-amz-security-token"})
MAX_EXCHANGES = 100_000  # the oldest are dropped past this (a long-running `serve --admin`)


@dataclass(frozen=True)
class Exchange:
    """One request and its answer. `body` and `answer` are the parsed JSON (the text when not JSON);
    `injected` names the trouble the endpoint dealt out on purpose ("throttle", "internal_error",
    "unprocessed"), None for an ordinary answer."""

    at: datetime
    method: str
    path: str
    operation: str | None
    headers: dict[str, str]
    body: Any
    status: int
    answer: Any
    error: str | None = None
    injected: str | None = None
    duration_ms: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "at": self.at.timestamp(),
            "method": self.method,
            "path": self.path,
            "operation": self.operation,
            "headers": self.headers,
            "body": self.body,
            "status": self.status,
            "answer": self.answer,
            "error": self.error,
            "injected": self.injected,
            "duration_ms": round(self.duration_ms, 3),
        }


def decoded(raw: bytes) -> Any:
    """The JSON a body holds, its text when it is not JSON, None when empty."""
    if not raw:
        return None
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        return raw.decode("utf-8", "replace")


def redacted(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    """The headers with credentials (Authorization, X-Amz-Security-Token) replaced by <redacted>."""
    return {name: REDACTED if name.lower() in SECRET_HEADERS else value for name, value in headers}


class Journal:
    """A thread-safe, append-only list of Exchanges."""

    def __init__(self) -> None:
        self._exchanges: list[Exchange] = []
        self._lock = threading.Lock()

    def add(
        self,
        *,
        started: float,
        method: str,
        path: str,
        operation: str | None,
        headers: Iterable[tuple[str, str]],
        body: bytes,
        status: int,
        answer: bytes,
        error: str | None,
        injected: str | None,
        duration_ms: float,
    ) -> None:
        exchange = Exchange(
            datetime.fromtimestamp(started, UTC),
            method,
            path,
            operation,
            redacted(headers),
            decoded(body),
            status,
            decoded(answer),
            error,
            injected,
            duration_ms,
        )
        with self._lock:
            self._exchanges.append(exchange)
            if len(self._exchanges) > MAX_EXCHANGES:
                del self._exchanges[: len(self._exchanges) - MAX_EXCHANGES]

    def exchanges(self) -> list[Exchange]:
        with self._lock:
            return list(self._exchanges)

    def clear(self) -> None:
        with self._lock:
            self._exchanges.clear()
