"""A 1-character ClientToken cannot be unique across runs: against a long-lived endpoint an earlier run may have
sent it with other parameters. The length-boundary check, which owns its short token, draws another when the
endpoint says the token is taken; it fails only when every try conflicts."""

from __future__ import annotations

import json
import threading

import pytest

from meterconform.harness.profile import load_profile
from meterconform.reference import ReferenceEndpoint
from tests.suites.runner import errors, run_suites
from tests.suites.test_protocol_faults import DeviantProxy, Deviation

CONFLICT = b'{"__type":"IdempotencyConflictException","message":"the token was used with other parameters"}'


@pytest.fixture(scope="module")
def upstream():
    """One faithful reference endpoint behind every proxied run of this module."""
    with ReferenceEndpoint(dict(load_profile(None).raw)) as endpoint:
        yield endpoint.url


class ShortTokensTaken(Deviation):
    """Answers the first `taken` MeterUsage requests with a 1-character ClientToken IdempotencyConflict, as an
    endpoint that remembers the tokens of earlier runs would."""

    def __init__(self, taken: int):
        self.taken, self.lock = taken, threading.Lock()

    def response(self, request, status, headers, body):
        try:
            data = json.loads(request[2] or b"{}")
        except ValueError:
            return status, headers, body
        token = data.get("ClientToken") if isinstance(data, dict) else None
        if isinstance(token, str) and len(token) == 1:
            with self.lock:
                if self.taken > 0:
                    self.taken -= 1
                    return (
                        400,
                        [
                            ("Content-Type", "application/x-amz-json-1.1"),
                            ("x-amzn-ErrorType", "IdempotencyConflictException"),
                        ],
                        CONFLICT,
                    )
        return status, headers, body


def _length_checks(upstream, taken: int) -> dict[str, dict]:
    with DeviantProxy(upstream, ShortTokensTaken(taken)) as url:
        events = run_suites(
            "suites/test_meter_usage.py", extra=["--endpoint-url", url, "-k", "client_token_length_boundaries"]
        )
    assert errors(events) == []
    return {e["nodeid"].rsplit("[", 1)[1].rstrip("]"): e for e in events}


def test_a_short_token_taken_by_an_earlier_run_is_redrawn(upstream):
    events = _length_checks(upstream, taken=2)
    assert {k: e["verdict"] for k, e in events.items()} == {"1": "PASS", "64": "PASS"}


def test_an_endpoint_that_conflicts_on_every_short_token_fails(upstream):
    events = _length_checks(upstream, taken=100)
    assert events["64"]["verdict"] == "PASS"
    assert events["1"]["verdict"] == "FAIL" and events["1"]["failed_clause"] == "MU.CLIENT_TOKEN.LENGTH"
