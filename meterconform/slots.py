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


class Slots:
    def __init__(self, worker_index: int = 0, worker_count: int = 1, *, clock=time.time):
        if not 0 <= worker_index < max(worker_count, 1):
            raise ValueError(f"worker_index {worker_index} is outside 0..{worker_count - 1}")
        self.worker_index = worker_index
        self.worker_count = max(worker_count, 1)
        self.clock = clock
        self._used: set[tuple[str, str, int]] = set()
        self._lock = threading.Lock()
        self._cursor: int | None = None

    def _own(self, second: int) -> bool:
        return second % self.worker_count == self.worker_index

    def take(self, customers: Sequence[str], dimensions: Sequence[str], *, min_age: float = 60,
             max_age: float | None = None, rng: random.Random | None = None) -> tuple[str, str, int]:
        """A fresh key whose timestamp is between `min_age` and `max_age` seconds ago.

        Without `max_age` the key comes from the cursor (the youngest free second at least `min_age`
        old, walking back); with it, from a random free second in the range (for edge cases)."""
        if not customers or not dimensions:
            raise ValueError("take() needs at least one customer and one dimension")
        now = int(self.clock())
        with self._lock:
            if max_age is None:
                if self._cursor is None or self._cursor > now - min_age:
                    self._cursor = int(now - min_age)
                second = self._cursor
                while True:
                    if self._own(second):
                        for customer in customers:
                            for dimension in dimensions:
                                key = (customer, dimension, second)
                                if key not in self._used:
                                    self._used.add(key)
                                    self._cursor = second
                                    return key
                    second -= 1
            rng = rng or random.Random()
            lo, hi = int(now - max_age) + 1, int(now - min_age)
            if hi < lo:
                raise ValueError(f"empty age range: min_age={min_age}, max_age={max_age}")
            for _ in range(2000):
                second = rng.randint(lo, hi)
                second -= (second - self.worker_index) % self.worker_count
                if second < lo:
                    continue
                key = (rng.choice(list(customers)), rng.choice(list(dimensions)), second)
                if key not in self._used:
                    self._used.add(key)
                    return key
            raise RuntimeError(f"no free batch key between {min_age} and {max_age} seconds ago; widen the range or add customers")

    def claim(self, key: tuple[str, str, int]) -> bool:
        """Mark a key chosen elsewhere as used; False when some check already had it."""
        with self._lock:
            if key in self._used:
                return False
            self._used.add(key)
            return True
