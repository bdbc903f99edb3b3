"""A client-side request-rate limiter shared by every process of a run through one lock file."""

from __future__ import annotations

import fcntl
import os
import struct
import tempfile
import threading
import time


class RateLimiter:
    """At most `rate` requests per second across all processes that share `path`.

    Each acquire reserves the next free slot (a monotonic wall-clock time stored in the file under an
    exclusive flock) and sleeps until it; processes of one run pass the same path (xdist workers get it
    from the controller)."""

    def __init__(self, rate: float, path: str | None = None):
        if not rate or rate <= 0:
            raise ValueError(f"rate must be a positive number of requests per second, not {rate!r}")
        self.rate = float(rate)
        self.interval = 1.0 / self.rate
        if path is None:
            fd, path = tempfile.mkstemp(prefix="meterconform-rate-")
            os.close(fd)
        self.path = path
        self._lock = threading.Lock()
        self.waited = 0.0

    def acquire(self, operation: str | None = None) -> float:
        """Block until this request may go; returns the seconds waited."""
        with self._lock, open(self.path, "a+b") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                fh.seek(0)
                raw = fh.read(8)
                next_free = struct.unpack("d", raw)[0] if len(raw) == 8 else 0.0
                now = time.time()
                slot = max(now, next_free)
                fh.seek(0)
                fh.truncate()
                fh.write(struct.pack("d", slot + self.interval))
                fh.flush()
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)
        wait = slot - time.time()
        if wait > 0:
            time.sleep(wait)
            self.waited += wait
            return wait
        return 0.0
