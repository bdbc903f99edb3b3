"""Transient trouble, one mechanism for two switches: the *-sometimes readings (every n-th request) and seeded
chaos (a fraction of requests, the same sequence for the same seed), set at start or while serving."""

from __future__ import annotations

import random
import threading
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

from . import readings as reading

# The kinds of trouble, in the order a request meets them: refused before it is read (throttle, internal_error),
# then, for a BatchMeterUsage that passed its checks, every record handed back in UnprocessedRecords.
KINDS = ("throttle", "internal_error", "unprocessed")


@dataclass(frozen=True)
class Chaos:
    """Seeded chaos: the fraction of requests answered ThrottlingException (`throttle`) or
    InternalServiceErrorException (`internal_error`), of BatchMeterUsage calls whose records all come back in
    UnprocessedRecords, recording nothing (`unprocessed`), and `latency_ms` added to every request."""

    throttle: float = 0.0
    unprocessed: float = 0.0
    internal_error: float = 0.0
    latency_ms: float = 0.0
    seed: int = 0

    def __post_init__(self) -> None:
        for name in KINDS:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
                raise ValueError(f"chaos {name} must be a fraction from 0 to 1, got {value!r}")
        if isinstance(self.latency_ms, bool) or not isinstance(self.latency_ms, (int, float)) or self.latency_ms < 0:
            raise ValueError(f"chaos latency_ms must be a number of milliseconds >= 0, got {self.latency_ms!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise ValueError(f"chaos seed must be an integer, got {self.seed!r}")

    @classmethod
    def of(cls, settings: Chaos | Mapping[str, Any] | None) -> Chaos | None:
        """A Chaos from a Chaos, a mapping of its fields (unknown names refused) or None."""
        if settings is None or isinstance(settings, Chaos):
            return settings
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(settings) - known)
        if unknown:
            raise ValueError(f"unknown chaos setting(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        return cls(**settings)

    @classmethod
    def parse(cls, text: str, seed: int = 0) -> Chaos:
        """`throttle=0.3,unprocessed=0.2,latency_ms=50` (the `serve --chaos` spelling) with the given seed."""
        settings: dict[str, Any] = {"seed": seed}
        for part in filter(None, (p.strip() for p in text.split(","))):
            name, sep, value = part.partition("=")
            if not sep:
                raise ValueError(f"chaos setting {part!r} must be NAME=VALUE, e.g. throttle=0.3")
            try:
                settings[name.strip()] = int(value) if name.strip() == "seed" else float(value)
            except ValueError:
                raise ValueError(f"chaos setting {part!r} needs a number after '='") from None
        return cls.of(settings)  # type: ignore[return-value]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class _Fraction:
    """One kind's seeded stream: each request drawn in turn is hit with probability `rate`."""

    def __init__(self, rate: float, seed: int, kind: str):
        self.rate = rate
        self._random = random.Random(f"meterconform-chaos:{seed}:{kind}")  # a str seed: stable across runs

    def hit(self, fingerprint: str) -> bool:
        return self._random.random() < self.rate


class Trouble:
    """The transient trouble one endpoint deals out: standing (the *-sometimes readings, fixed at start) and
    chaos (replaceable while serving). Both are consulted for every request, so each keeps its own sequence."""

    def __init__(self, readings: frozenset[str] = frozenset(), chaos: Chaos | Mapping[str, Any] | None = None):
        self.readings = frozenset(readings)
        self._initial = Chaos.of(chaos)
        self._lock = threading.Lock()
        self._start(self._initial)

    def _start(self, chaos: Chaos | None) -> None:
        on = self.readings.__contains__
        standing = {
            "throttle": reading.Sometimes(reading.THROTTLE_EVERY, offset=0) if on("throttle-sometimes") else None,
            "internal_error": reading.Sometimes(reading.INTERNAL_ERROR_EVERY, offset=5)
            if on("internal-error-sometimes")
            else None,
            "unprocessed": reading.Sometimes(reading.UNPROCESSED_EVERY, offset=3)
            if on("unprocessed-sometimes")
            else None,
        }
        slow = reading.Sometimes(reading.SLOW_EVERY, offset=7) if on("slow-sometimes") else None
        drawn = {k: _Fraction(getattr(chaos, k), chaos.seed, k) for k in KINDS if chaos and getattr(chaos, k)}
        with self._lock:
            self.chaos = chaos
            self._standing = {k: v for k, v in standing.items() if v is not None}
            self._slow = slow
            self._drawn = drawn

    @property
    def quiet(self) -> bool:
        """No trouble at all: nothing to consult."""
        return not (self._standing or self._drawn or self._slow or (self.chaos and self.chaos.latency_ms))

    def set_chaos(self, chaos: Chaos | Mapping[str, Any] | None) -> None:
        """Replace the chaos (None: none); its streams start again from its seed. Standing trouble is kept."""
        chaos = Chaos.of(chaos)
        drawn = {k: _Fraction(getattr(chaos, k), chaos.seed, k) for k in KINDS if chaos and getattr(chaos, k)}
        with self._lock:
            self.chaos, self._drawn = chaos, drawn

    def reset(self) -> None:
        """Back to the start: the chaos given at start, every counter and stream from its beginning."""
        self._start(self._initial)

    def _hit(self, kind: str, fingerprint: str) -> bool:
        standing, drawn = self._standing.get(kind), self._drawn.get(kind)
        by_reading = standing.hit(fingerprint) if standing is not None else False
        by_chaos = drawn.hit(fingerprint) if drawn is not None else False
        return by_reading or by_chaos

    def refused(self, fingerprint: str) -> str | None:
        """ "throttle" or "internal_error" when this request is to be refused as such, else None. Every kind is
        drawn for every request, so one kind's sequence does not depend on the other's."""
        with self._lock:
            hits = [kind for kind in ("throttle", "internal_error") if self._hit(kind, fingerprint)]
        return hits[0] if hits else None

    def unprocessed(self, fingerprint: str) -> bool:
        """Whether this BatchMeterUsage hands every record back in UnprocessedRecords."""
        with self._lock:
            return self._hit("unprocessed", fingerprint)

    def delay(self, fingerprint: str) -> float:
        """Seconds to wait before processing this request (slow-sometimes, chaos latency)."""
        with self._lock:
            slow = reading.SLOW_SECONDS if self._slow is not None and self._slow.hit(fingerprint) else 0.0
            latency = self.chaos.latency_ms / 1000 if self.chaos else 0.0
        return slow + latency
