"""The `metering_endpoint` fixtures, loaded by the pytest11 entry point: nothing is imported or started until a
test asks for one (no options, no hooks)."""

from __future__ import annotations

from typing import Any, Callable, Iterator

import pytest


@pytest.fixture(scope="session")
def metering_endpoint_options() -> dict[str, Any]:
    """The keywords every metering_endpoint is built with (MeteringEndpoint's); override this fixture in your
    conftest.py to change the seed, switch on chaos or faults for a whole directory."""
    return {}


@pytest.fixture
def metering_endpoint(metering_endpoint_options: dict[str, Any]) -> Iterator[Any]:
    """A fresh reference Marketplace Metering endpoint on loopback for this test: its own port, empty ledger."""
    from .endpoint import MeteringEndpoint

    with MeteringEndpoint(**metering_endpoint_options) as endpoint:
        yield endpoint


@pytest.fixture(scope="session")
def metering_endpoint_session(metering_endpoint_options: dict[str, Any]) -> Iterator[Any]:
    """One endpoint for the whole session; nothing is reset between tests (call `.reset()` yourself)."""
    from .endpoint import MeteringEndpoint

    with MeteringEndpoint(**metering_endpoint_options) as endpoint:
        yield endpoint


@pytest.fixture
def metering_endpoint_factory(metering_endpoint_options: dict[str, Any]) -> Iterator[Callable[..., Any]]:
    """`make(**keywords)`: start another endpoint for this test (the options, then the keywords); each is
    stopped at the end of the test."""
    from .endpoint import MeteringEndpoint

    started: list[Any] = []

    def make(**keywords: Any) -> Any:
        endpoint = MeteringEndpoint(**{**metering_endpoint_options, **keywords}).start()
        started.append(endpoint)
        return endpoint

    try:
        yield make
    finally:
        for endpoint in reversed(started):
            endpoint.stop()
