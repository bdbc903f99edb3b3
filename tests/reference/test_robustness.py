"""Bad input never reaches the catch-all: fuzzed bodies always get a JSON 2xx/4xx answer, never a 500 or a hang."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from meterconform.reference import ReferenceEndpoint
from meterconform.reference.shapes import Node, input_node

from .conftest import DEFAULT, HOUR, PRODUCT, T0, FakeClock, raw

OPERATIONS = ("MeterUsage", "BatchMeterUsage", "RegisterUsage", "ResolveCustomer")
KNOWN_STRINGS = [
    PRODUCT,
    "Hours",
    "Requests",
    "cust-alpha",
    "cust-lapsed",
    "111122223333",
    "valid-token-alpha",
    "expired-token-0001",
    DEFAULT.licenses["111122223333"],
    "1.5",
    "0",
    "",
    "k",
    "v",
]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)


def rarely(usual: st.SearchStrategy, other: st.SearchStrategy, odds: int = 15) -> st.SearchStrategy:
    """`usual`, but `other` about once in odds + 1 draws."""
    return st.sampled_from(range(odds + 1)).flatmap(lambda i: other if i == odds else usual)


def values(node: Node, depth: int = 0) -> st.SearchStrategy:
    """Mostly well-typed values for `node` near the rules' edges, sometimes any JSON value (a type error)."""
    if node.kind == "structure":
        members = {name: values(child, depth + 1) for name, child in node.members}
        required = {name: s for name, s in members.items() if name in node.required}
        optional = {name: s for name, s in members.items() if name not in node.required}
        typed = rarely(st.fixed_dictionaries(required, optional=optional), st.fixed_dictionaries({}, optional=members))
    elif node.kind == "list":
        typed = st.lists(values(node.member, depth + 1), max_size=3 if depth else 4)  # type: ignore[arg-type]
    elif node.kind == "string":
        typed = rarely(st.sampled_from(KNOWN_STRINGS), st.text(max_size=12), 3)
    elif node.kind == "integer":
        typed = st.sampled_from([0, 1, 2, 3, 2**31 - 1, 2**31, -1]) | st.integers()
    elif node.kind == "timestamp":
        typed = st.integers(T0 - 8 * HOUR, T0 + 2 * HOUR) | st.floats(T0 - 8 * HOUR, T0 + 2 * HOUR) | st.integers()
    else:
        typed = st.booleans()
    return rarely(typed, json_values)


requests = st.sampled_from(OPERATIONS).flatmap(
    lambda op: st.tuples(st.just(op), values(input_node(op)).map(lambda v: json.dumps(v).encode()))
)
garbage = st.tuples(st.sampled_from(OPERATIONS), st.binary(max_size=64))

ANSWERS = {200, 400, 412}


def check(endpoint: ReferenceEndpoint, operation: str, body: bytes) -> None:
    response = raw(endpoint.url, operation, body)
    assert response.status in ANSWERS, (response.status, body, response.body)
    assert response.headers["content-type"] == "application/x-amz-json-1.1"
    payload = response.json
    if response.status != 200:
        assert payload["__type"] == response.headers["x-amzn-errortype"] and payload["message"]
    assert endpoint.protocol.unexpected_errors == 0, body


FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def test_shape_guided_bodies_never_reach_the_catch_all():
    with ReferenceEndpoint(clock=FakeClock()) as endpoint:

        @FUZZ
        @given(requests)
        def probe(request):
            check(endpoint, *request)

        probe()


def test_arbitrary_bytes_never_reach_the_catch_all():
    with ReferenceEndpoint(clock=FakeClock()) as endpoint:

        @FUZZ
        @given(garbage)
        def probe(request):
            check(endpoint, *request)

        probe()
