"""The admin surface for test suites in other languages: read the ledger and requests, set the clock and chaos,
reset; plain JSON under /meterconform-admin/ on the endpoint's own port, only when switched on (`serve --admin`)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from . import ledger
from .chaos import Chaos
from .clock import Clock
from .responses import Reply

if TYPE_CHECKING:
    from . import ReferenceEndpoint

PREFIX = "/meterconform-admin/"


class AdminError(Exception):
    """A request the admin surface refuses: HTTP `status` and a sentence naming the fix."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def _json(status: int, value: Any) -> Reply:
    body = json.dumps(value, separators=(",", ":")).encode()
    return Reply(status, (("Content-Type", "application/json"),), body)


def _when(value: Any) -> float | datetime:
    """Epoch seconds, or an ISO 8601 date-time string (without a zone: UTC)."""
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise AdminError(400, f"{value!r} is not an ISO 8601 date-time; send e.g. 2026-01-01T12:00:00Z") from None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise AdminError(400, f"{value!r} is not a time; send epoch seconds or an ISO 8601 date-time string")
    return value


class Admin:
    """Answers GET and POST requests under /meterconform-admin/ (see docs/testing-your-integration.md)."""

    def __init__(self, endpoint: ReferenceEndpoint):
        assert endpoint.journal is not None, "the admin surface reads the request journal"
        self.endpoint = endpoint
        self.model = endpoint.model
        self.journal = endpoint.journal
        self.clock = endpoint.clock
        self._routes: dict[tuple[str, str], Callable[[dict[str, list[str]], Any], Any]] = {
            ("GET", "records"): self._records,
            ("GET", "requests"): lambda query, body: {"requests": [e.to_json() for e in self.journal.exchanges()]},
            ("GET", "seed"): self._seed,
            ("GET", "clock"): lambda query, body: self._clock_state(),
            ("POST", "clock"): self._set_clock,
            ("GET", "chaos"): lambda query, body: self._chaos_state(),
            ("POST", "chaos"): self._set_chaos,
            ("POST", "reset"): self._reset,
        }

    @staticmethod
    def owns(path: str) -> bool:
        return path.startswith(PREFIX)

    def handle(self, method: str, raw_path: str, body: bytes) -> Reply:
        parts = urlsplit(raw_path)
        name = parts.path[len(PREFIX) :].strip("/")
        route = self._routes.get((method, name))
        if route is None:
            known = ", ".join(f"{m} {PREFIX}{n}" for m, n in self._routes)
            return _json(404, {"error": f"no admin route {method} {parts.path}; routes: {known}"})
        try:
            payload = json.loads(body) if body.strip() else {}
            if not isinstance(payload, dict):
                raise AdminError(400, "the body must be a JSON object")
            return _json(200, route(parse_qs(parts.query), payload))
        except ValueError as error:  # bad JSON, bad chaos settings
            return _json(400, {"error": str(error)})
        except AdminError as error:
            return _json(error.status, {"error": str(error)})

    def _records(self, query: dict[str, list[str]], body: Any) -> Any:
        filters: dict[str, Any] = {k: v[-1] for k, v in query.items()}
        unknown = sorted(set(filters) - set(ledger.FILTERS))
        if unknown:
            raise AdminError(400, f"unknown filter(s) {', '.join(unknown)}; filters: {', '.join(ledger.FILTERS)}")
        for bound in ("since", "until"):
            if bound in filters:
                text = filters[bound]
                filters[bound] = _when(float(text) if text.replace(".", "", 1).isdigit() else text)
        return {"records": [r.to_json() for r in ledger.select(self.model.ledger(), **filters)]}

    def _seed(self, query: Any, body: Any) -> Any:
        seed = self.model.seed
        return {
            "region": seed.region,
            "product_code": seed.product_code,
            "dimensions": sorted(seed.dimensions),
            "customers": sorted(seed.subscribed),
            "unsubscribed_customers": sorted(seed.unsubscribed),
            "accounts": {a: seed.licenses.get(a) for a in sorted(seed.subscribed_accounts)},
            "registration_tokens": sorted(seed.valid_tokens),
            "expired_tokens": sorted(seed.expired_tokens),
            "meter_window_hours": seed.meter_window_hours,
            "batch_window_hours": seed.batch_window_hours,
        }

    def _settable_clock(self) -> Clock:
        if not isinstance(self.clock, Clock):
            raise AdminError(409, "this endpoint was started with a fixed clock; it cannot be set")
        return self.clock

    def _clock_state(self) -> Any:
        frozen = isinstance(self.clock, Clock) and self.clock.frozen
        return {"now": self.clock(), "frozen": frozen}

    def _set_clock(self, query: Any, body: dict[str, Any]) -> Any:
        clock = self._settable_clock()
        chosen = [k for k in ("now", "advance_seconds", "reset") if k in body]
        if len(chosen) != 1:
            raise AdminError(
                400, 'send exactly one of {"now": epoch or ISO 8601}, {"advance_seconds": n}, {"reset": true}'
            )
        if "now" in body:
            clock.set(_when(body["now"]))
        elif "advance_seconds" in body:
            step = body["advance_seconds"]
            if isinstance(step, bool) or not isinstance(step, (int, float)):
                raise AdminError(400, f"advance_seconds must be a number, got {step!r}")
            clock.advance(seconds=step)
        else:
            clock.reset()
        return self._clock_state()

    def _chaos_state(self) -> Any:
        chaos = self.model.trouble.chaos
        return {"chaos": chaos.as_dict() if chaos else None}

    def _set_chaos(self, query: Any, body: dict[str, Any]) -> Any:
        self.model.trouble.set_chaos(Chaos.of(body) if body else None)
        return self._chaos_state()

    def _reset(self, query: Any, body: Any) -> Any:
        self.endpoint.reset()
        return {"reset": True}
