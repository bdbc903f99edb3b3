"""Batch isolation: hand out (customer, dimension, timestamp) keys that no other check of the run uses.

BatchMeterUsage de-duplicates by customer, dimension and time, so two checks that happened to pick the
same key with different quantities would see a DuplicateRecord neither caused. Every key comes from here:
within a process a set remembers what was taken; across xdist workers each worker owns the seconds
congruent to its index; across runs against a long-lived endpoint a per-endpoint history file remembers
the keys earlier runs from this machine used (see the README's "Isolation")."""

from __future__ import annotations

import fcntl
import hashlib
import os
import random
import threading
import time
from pathlib import Path
from typing import Sequence


class KeyHistory:
    """The batch keys earlier runs used against one long-lived endpoint, kept in a small file per endpoint
    URL (in $METERCONFORM_STATE_DIR, else ~/.cache/meterconform) so a later run from this machine never
    reuses them. Appends are flock-ed: xdist workers share the file."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)

    @classmethod
    def for_endpoint(cls, url: str) -> "KeyHistory":
        base = os.environ.get("METERCONFORM_STATE_DIR") or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "meterconform"
        digest = hashlib.sha1(url.rstrip("/").encode()).hexdigest()[:16]
        return cls(Path(base) / f"batch-keys-{digest}.tsv")

    def load(self, oldest: int) -> list[tuple[str, str, int]]:
        """Keys used since `oldest` (older ones are outside every window and may be forgotten)."""
        if not self.path.exists():
            return []
        with self.path.open("r+", encoding="utf-8", errors="replace") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            lines = fh.read().splitlines()
            keys = []
            for line in lines:
                parts = line.split("\t")
                if len(parts) == 3 and parts[2].lstrip("-").isdigit() and int(parts[2]) >= oldest:
                    keys.append((parts[0], parts[1], int(parts[2])))
            if len(keys) < len(lines):  # forget what no window can reach any more: the file stays small
                fh.seek(0)
                fh.truncate()
                fh.writelines(f"{c}\t{d}\t{t}\n" for c, d, t in keys)
            fcntl.flock(fh, fcntl.LOCK_UN)
        return keys

    def add(self, key: tuple[str, str, int]) -> None:
        customer, dimension, second = key
        with self.path.open("a", encoding="utf-8") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            fh.write(f"{customer}\t{dimension}\t{int(second)}\n")
            fcntl.flock(fh, fcntl.LOCK_UN)


class SlotsExhausted(RuntimeError):
    """Every (customer, dimension, time unit) key in the allowed ages is taken."""


class Slots:
    def __init__(self, worker_index: int = 0, worker_count: int = 1, *, clock=time.time, granularity: int = 1,
                 history: KeyHistory | None = None):
        """`granularity` is the de-duplication unit in seconds: 1 for the model's exact time, 3600 when the
        profile reads de-duplication as per hour (contract.batch_dedup = "hour")."""
        if not 0 <= worker_index < max(worker_count, 1):
            raise ValueError(f"worker_index {worker_index} is outside 0..{worker_count - 1}")
        self.worker_index = worker_index
        self.worker_count = max(worker_count, 1)
        self.clock = clock
        self.granularity = max(1, int(granularity))
        self._used: set[tuple[str, str, int]] = set()
        self.history = history
        if history is not None:
            # Two days back covers every window reading (24 h) with room to spare.
            for customer, dimension, second in history.load(int(clock()) - 2 * 86400):
                self._used.add((customer, dimension, self._unit(second)))
        self._lock = threading.Lock()
        self._cursor: int | None = None

    def _unit(self, second: int) -> int:
        return second // self.granularity

    def _own(self, second: int) -> bool:
        return self._unit(second) % self.worker_count == self.worker_index

    def take(self, customers: Sequence[str], dimensions: Sequence[str], *, min_age: float = 60,
             max_age: float | None = None, rng: random.Random | None = None,
             limit_age: float | None = None) -> tuple[str, str, int]:
        """A fresh key whose timestamp is between `min_age` and `max_age` seconds ago.

        Without `max_age` the key comes from the cursor (the youngest free second at least `min_age`
        old, walking back, never older than `limit_age`); with it, from a random free second in the range
        (for edge cases). SlotsExhausted when no free key is left."""
        if not customers or not dimensions:
            raise ValueError("take() needs at least one customer and one dimension")
        now = int(self.clock())
        with self._lock:
            if max_age is None:
                if self._cursor is None or self._cursor > now - min_age:
                    self._cursor = int(now - min_age)
                second = self._cursor
                oldest = now - (limit_age if limit_age is not None else 10**9)
                while second > oldest:
                    if self._own(second):
                        for customer in customers:
                            for dimension in dimensions:
                                if (customer, dimension, self._unit(second)) not in self._used:
                                    self._cursor = second
                                    return self._taken((customer, dimension, second))
                    second = self._unit(second) * self.granularity - 1  # the last second of the previous unit
                raise SlotsExhausted(f"no free batch key younger than {limit_age:g} s is left")
            rng = rng or random.Random()
            lo, hi = int(now - max_age) + 1, int(now - min_age)
            if hi < lo:
                raise ValueError(f"empty age range: min_age={min_age}, max_age={max_age}")
            for _ in range(2000):
                second = rng.randint(lo, hi)
                customer, dimension = rng.choice(list(customers)), rng.choice(list(dimensions))
                if not self._own(second):
                    continue
                if (customer, dimension, self._unit(second)) not in self._used:
                    return self._taken((customer, dimension, second))
            raise SlotsExhausted(f"no free batch key between {min_age:g} and {max_age:g} seconds ago")

    def _taken(self, key: tuple[str, str, int]) -> tuple[str, str, int]:
        customer, dimension, second = key
        self._used.add((customer, dimension, self._unit(second)))
        if self.history is not None:
            self.history.add(key)
        return key

    def claim(self, key: tuple[str, str, int]) -> bool:
        """Mark a key chosen elsewhere as used; False when some check already had it."""
        customer, dimension, second = key
        unit_key = (customer, dimension, self._unit(int(second)))
        with self._lock:
            if unit_key in self._used:
                return False
            self._taken((customer, dimension, int(second)))
            return True
