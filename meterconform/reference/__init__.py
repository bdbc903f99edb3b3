"""The reference endpoint: an independent, fault- and reading-switchable Marketplace Metering service on loopback."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from .chaos import Chaos, Trouble
from .clock import Clock
from .faults import FAULTS, validated
from .journal import Journal
from .models import MeteringModel
from .readings import READINGS
from .readings import validated as validated_readings
from .responses import Protocol
from .seed import Seed, seed_from_profile
from .server import MeteringHTTPServer

__all__ = ["FAULTS", "READINGS", "Chaos", "Clock", "ReferenceEndpoint", "running_endpoint"]


class ReferenceEndpoint:
    """One reference endpoint: its seed, model (for white-box self-tests), protocol and HTTP server. `clock`
    is a callable for epoch seconds (default: a settable Clock on real time); `chaos` deals out seeded transient
    trouble; `journal` keeps every request and its answer; `admin` serves /meterconform-admin/ (and keeps the
    journal): both are off by default, so the suite meets an endpoint with nothing but the service on it."""

    def __init__(
        self,
        profile: Mapping[str, Any] | None = None,
        faults: Iterable[str] = (),
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Callable[[], float] | None = None,
        verbose: bool = False,
        readings: Iterable[str] = (),
        chaos: Chaos | Mapping[str, Any] | None = None,
        journal: bool = False,
        admin: bool = False,
    ):
        self.faults = validated(faults)
        self.readings = validated_readings(readings)
        self.seed: Seed = seed_from_profile(profile)
        self.clock: Callable[[], float] = clock if clock is not None else Clock()
        self.trouble = Trouble(self.readings, chaos)
        self.model = MeteringModel(self.seed, self.faults, self.clock, self.readings, self.trouble)
        self.protocol = Protocol(self.model, self.faults, self.readings)
        self.journal = Journal() if journal or admin else None
        self.admin = None
        if admin:
            from .admin import Admin

            self.admin = Admin(self)
        self.host, self.port, self.verbose = host, port, verbose
        self._server: MeteringHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The base URL, e.g. http://127.0.0.1:PORT (only once started)."""
        if self._server is None:
            raise RuntimeError("the reference endpoint is not started; call start() first")
        host = self._server.server_name
        netloc = f"[{host}]" if ":" in host else host
        return f"http://{netloc}:{self._server.server_port}"

    def start(self) -> str:
        """Bind the port and serve in a daemon thread; return the base URL."""
        if self._server is not None:
            return self.url
        self._server = MeteringHTTPServer((self.host, self.port), self.protocol, self.verbose, self.journal, self.admin)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name="meterconform-reference",
            daemon=True,
        )
        self._thread.start()
        return self.url

    def stop(self) -> None:
        """Stop serving, close open connections and release the port."""
        server, self._server = self._server, None
        if server is None:
            return
        # shutdown() waits for the serve loop's next poll (up to 20 ms); a throwaway connection wakes it at once,
        # which is what makes a fresh endpoint per test cheap.
        stopper = threading.Thread(target=server.shutdown, name="meterconform-reference-stop", daemon=True)
        stopper.start()
        _wake(server.server_name, server.server_port)
        stopper.join()
        server.close_connections()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def reset(self) -> None:
        """Back to the start: nothing recorded or received, the chaos given at start, the clock on real time."""
        self.model.reset()
        if self.journal is not None:
            self.journal.clear()
        if isinstance(self.clock, Clock):
            self.clock.reset()

    def __enter__(self) -> ReferenceEndpoint:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _wake(host: str, port: int) -> None:
    """Connect once to a listening socket (its wildcard address as loopback) and hang up."""
    host = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}.get(host, host)
    try:
        socket.create_connection((host, port), timeout=0.5).close()
    except OSError:
        pass


@contextlib.contextmanager
def running_endpoint(
    profile: Mapping[str, Any] | None = None,
    faults: Iterable[str] = (),
    host: str = "127.0.0.1",
    port: int = 0,
    clock: Callable[[], float] | None = None,
    verbose: bool = False,
    readings: Iterable[str] = (),
) -> Iterator[str]:
    """Run a reference endpoint for the `with` block (faults and readings on); yield its base URL."""
    endpoint = ReferenceEndpoint(profile, faults, host, port, clock, verbose, readings)
    endpoint.start()
    try:
        yield endpoint.url
    finally:
        endpoint.stop()
