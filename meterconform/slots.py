"""Batch isolation: hand out (customer, dimension, timestamp) keys that no other check of the run uses.

BatchMeterUsage de-duplicates by customer, dimension and time, so two checks that happened to pick the
same key with different quantities would see a DuplicateRecord neither caused. Every key comes from here:
within a process a set remembers what was taken; across xdist workers each worker owns the seconds
congruent to its index; across runs the cursor starts at the run's own "now" and walks back, so runs a few
minutes apart use disjoint seconds (see the README's "Isolation")."""

from __future__ import annotations

import random
import threading
import time
from typing import Sequence


class SlotsExhausted(RuntimeError):
    """Every (customer, dimension, time unit) key in the allowed ages is taken."""


class Slots:
    def __init__(self, worker_index: int = 0, worker_count: int = 1, *, clock=time.time, granularity: int = 1):
        """`granularity` is the de-duplication unit in seconds: 1 for the model's exact time, 3600 when the
        profile reads de-duplication as per hour (contract.batch_dedup = "hour")."""
        if not 0 <= worker_index < max(worker_count, 1):
            raise ValueError(f"worker_index {worker_index} is outside 0..{worker_count - 1}")
        self.worker_index = worker_index
        self.worker_count = max(worker_count, 1)
        self.clock = clock
        self.granularity = max(1, int(granularity))
        self._used: set[tuple[str, str, int]] = set()
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
                                    self._used.add((customer, dimension, self._unit(second)))
                                    self._cursor = second
                                    return (customer, dimension, second)
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
                    self._used.add((customer, dimension, self._unit(second)))
                    return (customer, dimension, second)
            raise SlotsExhausted(f"no free batch key between {min_age:g} and {max_age:g} seconds ago")

    def claim(self, key: tuple[str, str, int]) -> bool:
        """Mark a key chosen elsewhere as used; False when some check already had it."""
        customer, dimension, second = key
        unit_key = (customer, dimension, self._unit(int(second)))
        with self._lock:
            if unit_key in self._used:
                return False
            self._used.add(unit_key)
            return True
