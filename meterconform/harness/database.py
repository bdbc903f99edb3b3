"""Hypothesis example databases: a local directory by default, a shared Redis for campaigns across machines.

`meterconform fuzz --database redis://...` writes what it finds into the shared database; a plain run given
the same URL reads it (replaying every stored failure first, Hypothesis's reuse phase) but writes only to
its local directory, so local runs never pollute the shared corpus — the multiplexed, read-only
arrangement Hypothesis documents."""

from __future__ import annotations

from pathlib import Path

from hypothesis.database import (
    DirectoryBasedExampleDatabase,
    ExampleDatabase,
    MultiplexedDatabase,
    ReadOnlyDatabase,
)

from ..errors import UsageError

LOCAL_DIR = ".hypothesis/examples"
REDIS_PREFIX = b"meterconform-examples:"


class DatabaseError(UsageError):
    """A --database value that cannot be used; the message says how to fix it."""


def shared_database(url: str) -> ExampleDatabase:
    """The database a URL names: redis://host:port/db, or a directory path (dir:PATH or a plain path)."""
    if url.startswith(("redis://", "rediss://", "unix://")):
        try:
            import redis
            from hypothesis.extra.redis import RedisExampleDatabase
        except ImportError:
            raise DatabaseError(
                "a redis:// database needs the redis client: pip install 'meterconform[fuzz]'"
            ) from None
        client = redis.Redis.from_url(url, socket_connect_timeout=3)
        try:
            client.ping()
        except redis.exceptions.RedisError as exc:
            # redis-py says "Error 111 connecting to host:port. Connection refused."; keep the reason only.
            reason = str(exc).strip().rstrip(".").rsplit(". ", 1)[-1].lower() or type(exc).__name__
            raise DatabaseError(
                f"cannot reach the example database {url} ({reason}); start redis-server there or fix --database"
            ) from None
        return RedisExampleDatabase(client, key_prefix=REDIS_PREFIX)
    path = url.removeprefix("dir:")
    Path(path).mkdir(parents=True, exist_ok=True)
    return DirectoryBasedExampleDatabase(path)


def example_database(url: str | None, *, writable: bool = False, local_dir: str = LOCAL_DIR) -> ExampleDatabase:
    """What a run uses: the local directory alone, the shared database (fuzzing, `writable`), or the local
    directory plus a read-only view of the shared one (a plain run)."""
    local = DirectoryBasedExampleDatabase(local_dir)
    if not url:
        return local
    shared = shared_database(url)
    if writable:
        return MultiplexedDatabase(shared, local)
    return MultiplexedDatabase(local, ReadOnlyDatabase(shared))


class KeepingDatabase(ExampleDatabase):
    """`inner`, except that nothing is ever deleted from it (a move only copies).

    A campaign round that looks past the failures earlier rounds found rejects the examples that meet them
    again, and Hypothesis deletes a stored failure that no longer fails when it replays it. Those failures
    are not fixed, only set aside for this round: the database must keep them for `run --database` to replay."""

    def __init__(self, inner: ExampleDatabase):
        super().__init__()
        self.inner = inner

    def __repr__(self) -> str:
        return f"KeepingDatabase({self.inner!r})"

    def save(self, key: bytes, value: bytes) -> None:
        self.inner.save(key, value)

    def fetch(self, key: bytes):
        return self.inner.fetch(key)

    def delete(self, key: bytes, value: bytes) -> None:
        pass

    def move(self, src: bytes, dest: bytes, value: bytes) -> None:
        self.inner.save(dest, value)
