"""Batch isolation: hand out (customer, dimension, timestamp) keys that no other check of the run uses.

BatchMeterUsage de-duplicates by customer, dimension and time, so two checks that happened to pick the
same key with different quantities would see a DuplicateRecord neither caused. Every key comes from here:
within a process a set remembers what was taken; across xdist workers each worker owns the seconds
congruent to its index; across runs against a long-lived endpoint a per-endpoint history file is the ledger
of the keys every run from this machine used, earlier or at the same time (see docs/isolation.md)."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import random
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path


def endpoint_digest(url: str) -> str:
    """A short stable name for an endpoint URL (its history file, its set in a shared ledger)."""
    return hashlib.sha1(url.rstrip("/").encode()).hexdigest()[:16]


class KeyHistory:
    """The batch keys runs from this machine used against one long-lived endpoint, kept in a small file per
    endpoint URL (in $METERCONFORM_STATE_DIR, else ~/.cache/meterconform) so that no run reuses another's: not
    a later run, and not one running at the same time (a campaign and a `run`, two CI jobs, xdist workers).

    The file is a shared ledger. Every key is chosen and appended while holding its flock (`locked`), after
    reading the keys other processes appended since this one last looked. Its first line names its
    generation: when `load` rewrites the file to forget old keys it starts a new one, and every other process
    then reads the file again from the start."""

    STALE_AFTER = 3 * 86400  # a history file untouched this long holds no key any window still reaches

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._descriptor: int | None = None
        self._generation: bytes | None = None  # the file's first line when this process last read it
        self._offset = 0  # how far this process has read
        self._thread_lock = threading.Lock()

    @classmethod
    def for_endpoint(cls, url: str) -> KeyHistory:
        base = Path(
            os.environ.get("METERCONFORM_STATE_DIR")
            or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "meterconform"
        )
        forget_stale_histories(base, cls.STALE_AFTER)
        return cls(base / f"batch-keys-{endpoint_digest(url)}.tsv")

    def _fd(self) -> int:
        if self._descriptor is None:  # unbuffered: a buffer could hold what another process has since changed
            self._descriptor = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
        return self._descriptor

    def close(self) -> None:
        if self._descriptor is not None:
            os.close(self._descriptor)
            self._descriptor = None

    @staticmethod
    def _parse(data: bytes) -> list[tuple[str, str, int]]:
        keys = []
        for line in data.decode("utf-8", errors="replace").splitlines():
            parts = line.split("\t")
            if len(parts) == 3 and parts[2].lstrip("-").isdigit():
                keys.append((parts[0], parts[1], int(parts[2])))
        return keys

    def _first_line(self, fd: int) -> bytes:
        head = os.pread(fd, 256, 0)
        return head[: head.find(b"\n") + 1] if b"\n" in head else head

    @contextlib.contextmanager
    def locked(self) -> Iterator[list[tuple[str, str, int]]]:
        """Hold the ledger; yields the keys appended since this process last looked (all of them after another
        process started a new generation). `write` appends while it is held."""
        with self._thread_lock:
            fd = self._fd()
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                first = self._first_line(fd)
                if first != self._generation:  # rewritten by another process, or new: read it all
                    self._generation, self._offset = first, 0
                size = os.fstat(fd).st_size
                data = os.pread(fd, max(size - self._offset, 0), self._offset)
                complete = data.rfind(b"\n") + 1  # a line is whole once its newline is written
                self._offset += complete
                yield self._parse(data[:complete])
                self._offset = os.fstat(fd).st_size  # past what this process wrote meanwhile
                self._generation = self._first_line(fd)
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)

    def write(self, key: tuple[str, str, int]) -> None:
        """Append one key; only while `locked` is held."""
        customer, dimension, second = key
        fd = self._fd()
        line = f"{customer}\t{dimension}\t{int(second)}\n".encode()
        os.write(fd, (self._generation_line() + line) if os.fstat(fd).st_size == 0 else line)

    @staticmethod
    def _generation_line() -> bytes:
        return f"# meterconform batch keys, generation {uuid.uuid4().hex}\n".encode()

    def load(self, oldest: int) -> list[tuple[str, str, int]]:
        """Every key used since `oldest` (older ones are outside every window and are forgotten: the file is
        rewritten without them, as a new generation)."""
        self._generation = None  # read it all, whatever this process read before
        with self.locked() as keys:
            kept = [k for k in keys if k[2] >= oldest]
            if len(kept) < len(keys):
                fd = self._fd()
                os.ftruncate(fd, 0)
                os.write(fd, self._generation_line() + b"".join(f"{c}\t{d}\t{t}\n".encode() for c, d, t in kept))
        return kept

    def add(self, key: tuple[str, str, int]) -> None:
        with self.locked():
            self.write(key)


def forget_stale_histories(directory: Path, age: float) -> None:
    """Delete the history files in `directory` nobody has written for `age` seconds: each `serve` on a free port
    is an endpoint of its own, and their files would otherwise pile up."""
    cutoff = time.time() - age
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return
    for entry in entries:
        if entry.name.startswith("batch-keys-") and entry.name.endswith(".tsv"):
            try:
                if entry.stat().st_mtime < cutoff:
                    os.unlink(entry.path)
            except OSError:
                pass


REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


class SharedKeyLedger:
    """The batch keys every machine took against one endpoint, in a campaign's Redis (`--database redis://...`).

    The history file keeps the runs of one machine apart; machines share no file, and a campaign on several
    machines would walk the same seconds (each machine's worker 1 owns the same share). Here a key belongs to
    the process whose SADD added it: one set per endpoint, de-duplication unit and day, kept three days."""

    PREFIX = "meterconform-batch-keys:"
    KEEP_SECONDS = 3 * 86400

    def __init__(self, client, endpoint_url: str, where: str = "redis"):
        self.client, self.where = client, where
        self.digest = endpoint_digest(endpoint_url)

    @classmethod
    def for_database(cls, database_url: str | None, endpoint_url: str) -> SharedKeyLedger | None:
        """The ledger in the campaign's Redis; None for a directory database (one machine: the file suffices)."""
        if not database_url or not database_url.startswith(REDIS_SCHEMES):
            return None
        import redis

        return cls(
            redis.Redis.from_url(database_url, socket_connect_timeout=3, socket_timeout=10), endpoint_url, database_url
        )

    def claim(self, customer: str, dimension: str, unit: int, granularity: int) -> bool:
        """True when this process is the first anywhere to take (customer, dimension, unit)."""
        import redis

        name = f"{self.PREFIX}{self.digest}:{granularity}:{unit * granularity // 86400}"
        try:
            pipe = self.client.pipeline()
            pipe.sadd(name, f"{customer}\t{dimension}\t{unit}")
            pipe.expire(name, self.KEEP_SECONDS)
            added, _ = pipe.execute()
        except redis.exceptions.RedisError as exc:
            raise SharedLedgerUnavailable(
                f"the shared batch-key ledger in {self.where} cannot be reached ({exc}); the "
                "machines of this campaign could take the same keys, so no key is taken"
            ) from None
        return bool(added)


class SharedLedgerUnavailable(RuntimeError):
    """The campaign's Redis stopped answering while a batch key was being taken."""


class SlotsExhausted(RuntimeError):
    """Every (customer, dimension, time unit) key in the allowed ages is taken."""


class Slots:
    def __init__(
        self,
        worker_index: int = 0,
        worker_count: int = 1,
        *,
        clock=time.time,
        granularity: int = 1,
        history: KeyHistory | None = None,
        ledger: SharedKeyLedger | None = None,
    ):
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
        self.ledger = ledger  # other machines' keys (a campaign's Redis)
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

    def take(
        self,
        customers: Sequence[str],
        dimensions: Sequence[str],
        *,
        min_age: float = 60,
        max_age: float | None = None,
        rng: random.Random | None = None,
        limit_age: float | None = None,
    ) -> tuple[str, str, int]:
        """A fresh key whose timestamp is between `min_age` and `max_age` seconds ago.

        Without `max_age` the key comes from the cursor (the youngest free second at least `min_age`
        old, walking back, never older than `limit_age`); with it, from a random free second in the range
        (for edge cases). SlotsExhausted when no free key is left."""
        if not customers or not dimensions:
            raise ValueError("take() needs at least one customer and one dimension")
        now = int(self.clock())
        with self._lock, self._shared():
            if max_age is None:
                if self._cursor is None or self._cursor > now - min_age:
                    self._cursor = int(now - min_age)
                second = self._cursor
                oldest = now - (limit_age if limit_age is not None else 10**9)
                while second > oldest:
                    if self._own(second):
                        for customer in customers:
                            for dimension in dimensions:
                                if self._free((customer, dimension, second)):
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
                if self._free((customer, dimension, second)):
                    return self._taken((customer, dimension, second))
            raise SlotsExhausted(f"no free batch key between {min_age:g} and {max_age:g} seconds ago")

    @contextlib.contextmanager
    def _shared(self) -> Iterator[None]:
        """Choose while holding the history's ledger, knowing every key other processes took meanwhile."""
        if self.history is None:
            yield
            return
        with self.history.locked() as others:
            for customer, dimension, second in others:
                self._used.add((customer, dimension, self._unit(second)))
            yield

    def _free(self, key: tuple[str, str, int]) -> bool:
        """No process of this machine has the key, and (with a shared ledger) no other machine: claimed there
        now. A key another machine holds is remembered as taken."""
        customer, dimension, second = key
        unit_key = (customer, dimension, self._unit(second))
        if unit_key in self._used:
            return False
        if self.ledger is not None and not self.ledger.claim(customer, dimension, unit_key[2], self.granularity):
            self._used.add(unit_key)
            return False
        return True

    def _taken(self, key: tuple[str, str, int]) -> tuple[str, str, int]:
        customer, dimension, second = key
        self._used.add((customer, dimension, self._unit(second)))
        if self.history is not None:
            self.history.write(key)
        return key

    def claim(self, key: tuple[str, str, int]) -> bool:
        """Mark a key chosen elsewhere as used; False when some check already had it."""
        customer, dimension, second = key
        with self._lock, self._shared():
            if not self._free((customer, dimension, int(second))):
                return False
            self._taken((customer, dimension, int(second)))
            return True
