"""The reference endpoint as a seller's test double: `MeteringEndpoint` and the `metering_endpoint` pytest fixture.

Imported lazily: the pytest11 entry point loads only `meterconform.testing.pytest_plugin`, which imports nothing
heavy until a test asks for a fixture."""

from __future__ import annotations

from typing import Any

__all__ = ["Allocation", "Chaos", "Clock", "Exchange", "MeteringEndpoint", "Record"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from . import endpoint

        return getattr(endpoint, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
