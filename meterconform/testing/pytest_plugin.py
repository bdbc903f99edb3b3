"""The `metering_endpoint` fixtures, loaded by the pytest11 entry point: nothing is imported or started until a
test asks for one (no options, no hooks)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:  # for readers and type checkers only: importing it here would load botocore in every run
    from .endpoint import MeteringEndpoint


@pytest.fixture(scope="session")
def metering_endpoint_options() -> dict[str, Any]:
    """The keywords every metering_endpoint is built with (MeteringEndpoint's); override this fixture in your
    conftest.py to change the seed, switch on chaos or faults for a whole directory."""
    return {}


@pytest.fixture
def metering_endpoint(metering_endpoint_options: dict[str, Any]) -> Iterator[MeteringEndpoint]:
    """A fresh reference Marketplace Metering endpoint on loopback for this test: its own port, empty ledger."""
    from .endpoint import MeteringEndpoint

    with MeteringEndpoint(**metering_endpoint_options) as endpoint:
        yield endpoint


@pytest.fixture(scope="session")
def metering_endpoint_session(metering_endpoint_options: dict[str, Any]) -> Iterator[MeteringEndpoint]:
    """One endpoint for the whole session (per xdist worker); nothing is reset between tests (call `.reset()`
    yourself)."""
    from .endpoint import MeteringEndpoint

    with MeteringEndpoint(**metering_endpoint_options) as endpoint:
        yield endpoint


@pytest.fixture
def metering_endpoint_factory(metering_endpoint_options: dict[str, Any]) -> Iterator[Callable[..., MeteringEndpoint]]:
    """`make(**keywords)`: start another endpoint for this test (the options, then the keywords); each is
    stopped at the end of the test."""
    from .endpoint import MeteringEndpoint

    started: list[MeteringEndpoint] = []

    def make(**keywords: Any) -> MeteringEndpoint:
        endpoint = MeteringEndpoint(**{**metering_endpoint_options, **keywords}).start()
        started.append(endpoint)
        return endpoint

    try:
        yield make
    finally:
        for endpoint in reversed(started):
            endpoint.stop()
