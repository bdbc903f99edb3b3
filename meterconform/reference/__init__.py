"""The reference endpoint: an independent, fault- and reading-switchable Marketplace Metering service on loopback."""

from __future__ import annotations

import contextlib
import threading
from typing import Any, Callable, Iterable, Iterator, Mapping

from .faults import FAULTS, validated
from .readings import READINGS
from .readings import validated as validated_readings
from .models import MeteringModel
from .responses import Protocol
from .seed import Seed, seed_from_profile
from .server import MeteringHTTPServer

__all__ = ["FAULTS", "READINGS", "ReferenceEndpoint", "running_endpoint"]


class ReferenceEndpoint:
    """One reference endpoint: its seed, model (for white-box self-tests), protocol and HTTP server."""

    def __init__(
        self,
        profile: Mapping[str, Any] | None = None,
        faults: Iterable[str] = (),
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Callable[[], float] | None = None,
        verbose: bool = False,
        readings: Iterable[str] = (),
    ):
        self.faults = validated(faults)
        self.readings = validated_readings(readings)
        self.seed: Seed = seed_from_profile(profile)
        self.model = MeteringModel(self.seed, self.faults, clock, self.readings)
        self.protocol = Protocol(self.model, self.faults, self.readings)
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
        self._server = MeteringHTTPServer((self.host, self.port), self.protocol, self.verbose)
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
        server.shutdown()
        server.close_connections()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> "ReferenceEndpoint":
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


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
