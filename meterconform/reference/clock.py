"""The endpoint's clock: real time until a test sets or advances it, so windows and hour slots need no sleeping."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

When = datetime | int | float


def epoch(when: When) -> float:
    """Epoch seconds of a datetime (a naive one is read as UTC) or of a number of epoch seconds."""
    if isinstance(when, datetime):
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return when.timestamp()
    if isinstance(when, bool) or not isinstance(when, (int, float)):
        raise TypeError(f"a time must be a datetime or epoch seconds, got {when!r}")
    return float(when)


class Clock:
    """A settable clock, called for epoch seconds. Until `set`, it follows real time; `set` freezes it at an
    instant; `advance` moves it on (a frozen clock stays frozen, a running one keeps running, shifted);
    `reset` returns to real time. Signatures are still checked against real time (SigV4 allows 15 minutes)."""

    def __init__(self, source: Callable[[], float] = time.time):
        self._source = source
        self._frozen: float | None = None
        self._offset = 0.0
        self._lock = threading.Lock()

    def __call__(self) -> float:
        frozen = self._frozen
        return frozen if frozen is not None else self._source() + self._offset

    def time(self) -> float:
        """Now, in epoch seconds."""
        return self()

    def now(self) -> datetime:
        """Now, as an aware UTC datetime."""
        return datetime.fromtimestamp(self(), UTC)

    @property
    def frozen(self) -> bool:
        """Whether the clock stands still (after `set`)."""
        return self._frozen is not None

    def set(self, when: When) -> None:
        """Freeze the clock at `when`: a datetime (naive means UTC) or epoch seconds."""
        at = epoch(when)
        with self._lock:
            self._frozen = at

    def advance(
        self,
        delta: timedelta | None = None,
        *,
        days: float = 0,
        hours: float = 0,
        minutes: float = 0,
        seconds: float = 0,
    ) -> None:
        """Move the clock on by `delta` or by the given days, hours, minutes and seconds (negative goes back)."""
        step = (delta or timedelta()) + timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
        with self._lock:
            if self._frozen is not None:
                self._frozen += step.total_seconds()
            else:
                self._offset += step.total_seconds()

    def reset(self) -> None:
        """Follow real time again."""
        with self._lock:
            self._frozen, self._offset = None, 0.0

    def __repr__(self) -> str:
        state = "frozen" if self.frozen else "running"
        return f"Clock({self.now().isoformat()}, {state})"
