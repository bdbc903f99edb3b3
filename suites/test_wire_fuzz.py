"""The wire-level fuzzer: Hypothesis over the envelope and the body (corrupted JSON, wrong JSON types for every
member of the model, unknown members, header and method games), and the limits botocore does not enforce,
sent raw. Every answer is judged by the shared oracles of suites/_wire.py, then the endpoint must still serve
a valid request."""

from __future__ import annotations

import functools
import json
import math
import string

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from meterconform.harness.current import current_metering
from meterconform.strategies._model import (
    CLIENT_TOKEN_MAX,
    NONCE_MAX,
    PRODUCT_CODE_MAX,
    RECORDS_MAX,
    TAG_KEY_MAX,
    TAG_VALUE_MAX,
    TAGS_MAX,
)
from meterconform.strategies.products import ANY_CHARACTERS
from meterconform.transport.clients import CONTENT_TYPE, TARGET_PREFIX

from . import _wire as wire

ORACLES = wire.ORACLE_CLAUSES
USAGE_OPERATIONS = ("MeterUsage", "BatchMeterUsage")
LETTERS = string.ascii_letters


# -- strategies --------------------------------------------------------------------------------------------


def _strict_json(data: bytes) -> bool:
    """Whether `data` is strict JSON text (UTF-8, no NaN/Infinity, nothing trailing)."""

    def reject(name):
        raise ValueError(name)

    try:
        json.loads(data.decode("utf-8"), parse_constant=reject)
        return True
    except (UnicodeDecodeError, ValueError, RecursionError):
        return False


GARBAGE = st.one_of(
    st.binary(min_size=1, max_size=8),
    st.sampled_from(
        [
            b"{",
            b"}",
            b"[",
            b"]",
            b",",
            b":",
            b'"',
            b"\\",
            b"NaN",
            b"Infinity",
            b"-Infinity",
            b"\xff",
            b"\xc0\xaf",
            b"\xed\xa0\x80",
            b"\x00",
            b"/*",
            b"'",
            b"undefined",
            b"\x01",
        ]
    ),
)


@st.composite
def corrupted_bodies(draw, body: bytes) -> bytes:
    """`body` (a valid request's JSON) broken so that it is no longer strict JSON: truncated, with bytes
    inserted, replaced or deleted, garbage appended, a number turned into NaN/Infinity, or an invalid UTF-8
    sequence inside a string. Examples that stay valid JSON are rejected. Shrinks toward short cuts and
    single-byte edits near the start."""
    kind = draw(st.sampled_from(["truncate", "insert", "replace", "delete", "append", "constant", "bad-utf8"]))
    # A position drawn independently of the body's length (which depends on the clock and the batch key),
    # so that Hypothesis replays the same choices whatever the body is.
    at = 1 + draw(st.integers(0, 10_000)) * (len(body) - 2) // 10_000
    if kind == "truncate":
        out = body[:at]
    elif kind == "insert":
        out = body[:at] + draw(GARBAGE) + body[at:]
    elif kind == "replace":
        out = body[:at] + draw(GARBAGE) + body[at + 1 :]
    elif kind == "delete":
        out = body[:at] + body[at + 1 :]
    elif kind == "append":
        out = body + draw(GARBAGE)
    elif kind == "constant":
        out = (
            body[:-1]
            + b',"MeterconformNumber":'
            + draw(st.sampled_from([b"NaN", b"Infinity", b"-Infinity", b"nan", b"inf"]))
            + b"}"
        )
    else:
        quote = body.find(b'":"') + 3
        out = (
            body[:quote]
            + draw(
                st.sampled_from([b"\xff", b"\xfe\xff", b"\xc0\xaf", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80", b"\x80"])
            )
            + body[quote:]
        )
    assume(not _strict_json(out) and out.strip())
    return out


@functools.cache  # built once: a strategy built in every example is validated in every example
def _small_json() -> st.SearchStrategy:
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**40), 2**40),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(ANY_CHARACTERS, max_size=20),
    )
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=3), st.dictionaries(st.text(LETTERS, max_size=8), inner, max_size=3)
        ),
        max_leaves=8,
    )


def _non_integral_floats() -> st.SearchStrategy[float]:
    return st.floats(allow_nan=False, allow_infinity=False).filter(lambda f: math.isfinite(f) and not f.is_integer())


def _containers() -> st.SearchStrategy:
    return st.one_of(
        st.dictionaries(st.text(LETTERS, max_size=6), st.integers(0, 9), max_size=2),
        st.lists(st.integers(0, 9), max_size=2),
    )


@functools.cache
def wrong_values(kind: str) -> st.SearchStrategy:
    """JSON values whose type is wrong for a member of the model kind `kind` (never null, never a value some
    reading could take as right: strings for timestamps are letters only, so never a date; integers are out
    of 64-bit range or not integral). Shrinks toward the simplest value of the first wrong type."""
    overflow = st.one_of(st.integers(min_value=2**63), st.integers(max_value=-(2**63) - 1))
    table = {
        "string": st.one_of(st.integers(), _non_integral_floats(), st.booleans(), _containers()),
        "integer": st.one_of(
            st.text(ANY_CHARACTERS, max_size=12), _non_integral_floats(), st.booleans(), _containers(), overflow
        ),
        "timestamp": st.one_of(st.text(LETTERS, max_size=12), st.booleans(), _containers()),
        "boolean": st.one_of(st.text(ANY_CHARACTERS, max_size=8), st.integers(), _non_integral_floats(), _containers()),
        "list": st.one_of(
            st.dictionaries(st.text(LETTERS, max_size=6), st.integers(0, 9), max_size=2),
            st.text(ANY_CHARACTERS, max_size=8),
            st.integers(),
            st.booleans(),
        ),
        "structure": st.one_of(
            st.lists(st.integers(0, 9), max_size=2), st.text(ANY_CHARACTERS, max_size=8), st.integers(), st.booleans()
        ),
    }
    if kind not in table:
        raise ValueError(
            f"kind={kind!r}: the model has a member type the fuzzer does not know; add it to wrong_values()"
        )
    return table[kind]


@functools.cache
def unknown_member_names(operation: str, path: wire.Path) -> st.SearchStrategy[str]:
    """Member names the model does not give the structure at `path` (letters, digits, `_`; case-near misses
    of real names included). Shrinks toward "A"."""
    known = wire.members_of(operation, path)
    near = [n.lower() for n in known] + [n.upper() for n in known] + [n + "s" for n in known]
    return st.one_of(
        st.text(LETTERS + string.digits + "_", min_size=1, max_size=30), st.sampled_from(near or ["x"])
    ).filter(lambda n: n not in known)


TARGET_VARIANTS = [
    "valid",
    "absent",
    "empty",
    "lowercase",
    "uppercase",
    "wrong-prefix",
    "no-prefix",
    "unknown-operation",
    "other-operation-case",
]
CONTENT_TYPES = [
    CONTENT_TYPE,
    "application/json",
    "application/x-amz-json-1.0",
    "text/plain",
    None,
    "application/x-amz-json-1.1; charset=utf-8",
]
METHODS = ["POST", "POST", "GET", "PUT", "DELETE", "PATCH"]
SIGNING = [True, True, False, "bad"]


def _target(variant: str, operation: str) -> str | None:
    return {
        "valid": f"{TARGET_PREFIX}.{operation}",
        "absent": None,
        "empty": "",
        "lowercase": f"{TARGET_PREFIX}.{operation}".lower(),
        "uppercase": f"{TARGET_PREFIX}.{operation}".upper(),
        "wrong-prefix": f"AWSMPMetering.{operation}",
        "no-prefix": operation,
        "unknown-operation": f"{TARGET_PREFIX}.{operation}V2",
        "other-operation-case": f"{TARGET_PREFIX}.{operation[0].lower()}{operation[1:]}",
    }[variant]


envelopes = st.fixed_dictionaries(
    {
        "target": st.sampled_from(TARGET_VARIANTS),
        "content_type": st.sampled_from(CONTENT_TYPES),
        "method": st.sampled_from(METHODS),
        "sign": st.sampled_from(SIGNING),
    }
)
"""Request envelopes: an X-Amz-Target variant, a Content-Type, a method and a signing mode. Shrinks toward
the canonical envelope. The body is a valid RegisterUsage or ResolveCustomer request (neither records usage)."""


# -- the fuzzed checks -------------------------------------------------------------------------------------


@given(data=st.data())
@pytest.mark.clause("PROTO.JSON.MALFORMED", *ORACLES)
def test_fuzzed_corrupt_json_is_a_client_error(data):
    metering = current_metering()
    operation = data.draw(st.sampled_from(wire.implemented_operations(metering)), label="operation")
    base = wire.base_request(metering, operation, rich=data.draw(st.booleans(), label="rich"))
    body = data.draw(corrupted_bodies(wire.json_bytes(base.request)), label="body")
    wire.judge(metering, wire.send(metering, base, body), "PROTO.JSON.MALFORMED")


@given(data=st.data())
@pytest.mark.clause("PROTO.JSON.WRONG_TYPE", *ORACLES)
def test_fuzzed_wrong_json_types_are_client_errors(data):
    """One or two members of a valid request (every nested structure present) get a value of the wrong JSON
    type; member paths come from the botocore model."""
    metering = current_metering()
    operation = data.draw(st.sampled_from(wire.implemented_operations(metering)), label="operation")
    base = wire.base_request(metering, operation, rich=True)
    members = data.draw(
        st.lists(st.sampled_from(wire.member_paths(operation)), min_size=1, max_size=2, unique_by=lambda m: m.path),
        label="members",
    )
    request = base.request
    for m in members:
        if wire.containers_exist(request, m.path):
            request = wire.set_path(request, m.path, data.draw(wrong_values(m.kind), label=m.text))
    assume(request != base.request)
    wire.judge(metering, wire.send(metering, base, request), "PROTO.JSON.WRONG_TYPE")


@pytest.mark.records_usage
@given(data=st.data())
@pytest.mark.clause("PROTO.UNKNOWN_MEMBER.NO_5XX", "PROTO.UNKNOWN_MEMBER.HANDLING", *ORACLES)
def test_fuzzed_unknown_members_never_provoke_a_server_error(data):
    """Unknown members (any JSON value) in any structure of a valid request: served or refused, never a 5xx.
    A valid request may then be recorded: each example has its own instance / batch key."""
    metering = current_metering()
    operation = data.draw(st.sampled_from(wire.implemented_operations(metering)), label="operation")
    base = wire.base_request(metering, operation, rich=True)
    request = base.request
    for path in data.draw(
        st.lists(st.sampled_from(wire.structure_paths(operation)), min_size=1, max_size=3), label="where"
    ):
        name = data.draw(unknown_member_names(operation, path), label="name")
        request = wire.set_path(request, path + (name,), data.draw(_small_json(), label="value"))
    ex = wire.send(metering, base, request)
    wire.answered(metering, ex)
    wire.skip_if_unimplemented(metering, ex)
    wire.has_content_type(metering, ex)
    wire.no_5xx(metering, ex, "PROTO.UNKNOWN_MEMBER.NO_5XX")
    if wire.is_error(ex):
        wire.error_body(metering, ex)
        wire.client_error_status(metering, ex)
    wire.still_alive(metering, ex)
    seen = f"refused: HTTP {ex.status} {ex.error_code}" if wire.is_error(ex) else f"ignored (HTTP {ex.status})"
    text = f"{operation}: unknown members are {seen}"
    if text not in {o["text"] for o in metering.observations}:
        metering.observe("PROTO.UNKNOWN_MEMBER.HANDLING", text, ex)


@given(data=st.data())
@pytest.mark.clause(
    "PROTO.TARGET.DISPATCH",
    "PROTO.TARGET.MISSING",
    "PROTO.TARGET.UNKNOWN",
    "PROTO.AUTH.UNSIGNED",
    "PROTO.AUTH.BAD_SIGNATURE",
    "PROTO.METHOD.POST_ONLY",
    "OUT.RU.SCHEMA",
    "OUT.RC.SCHEMA",
    *ORACLES,
)
def test_fuzzed_envelopes_are_dispatched_only_when_canonical(data):
    """A request whose target is not exactly the operation's, or whose signature is missing or wrong, is a
    4xx (MUST); one sent without POST is a 4xx (SHOULD); a canonical one is served; other header games
    (Content-Type) are only judged by the protocol oracles."""
    metering = current_metering()
    operation = data.draw(
        st.sampled_from(wire.implemented_operations(metering, ("RegisterUsage", "ResolveCustomer"))), label="operation"
    )
    envelope = data.draw(envelopes, label="envelope")
    base = wire.base_request(metering, operation)
    ex = wire.send(
        metering,
        base,
        target=_target(envelope["target"], operation),
        content_type=envelope["content_type"],
        method=envelope["method"],
        sign=envelope["sign"],
    )
    must = None
    if envelope["target"] in ("absent", "empty"):
        must = "PROTO.TARGET.MISSING"
    elif envelope["target"] != "valid":
        must = "PROTO.TARGET.UNKNOWN"
    elif envelope["sign"] is False:
        must = "PROTO.AUTH.UNSIGNED"
    elif envelope["sign"] == "bad":
        must = "PROTO.AUTH.BAD_SIGNATURE"
    if must:
        wire.judge(metering, ex, must, operation_known=False)
    elif envelope["method"] != "POST":
        wire.judge(metering, ex, "PROTO.METHOD.POST_ONLY", operation_known=False)
    elif envelope["content_type"] == CONTENT_TYPE:
        wire.answered(metering, ex)
        wire.skip_if_unimplemented(metering, ex)
        wire.has_content_type(metering, ex)
        metering.expect_success(ex, "PROTO.TARGET.DISPATCH")
    else:
        wire.judge(metering, ex, None)


# -- limits botocore does not enforce, sent raw ------------------------------------------------------------


def _tagged_allocations(count: int) -> list[dict]:
    return [{"AllocatedUsageQuantity": 1, "Tags": [{"Key": "meterconform", "Value": f"a{i}"}]} for i in range(count)]


def _usage(base: wire.Base) -> dict:
    """The dict carrying the usage: the MeterUsage request, or the batch's one record."""
    return base.request if base.operation == "MeterUsage" else base.request["UsageRecords"][0]


def _quantity_member(base: wire.Base) -> str:
    return "UsageQuantity" if base.operation == "MeterUsage" else "Quantity"


def _over_limit(metering, case: str, operation: str) -> wire.Base:
    """The base request of `operation` with the limit of `case` exceeded by one."""
    base = wire.base_request(metering, operation, rich=True)
    usage = _usage(base) if operation in USAGE_OPERATIONS else base.request
    if case == "records-26":
        base.request["UsageRecords"] += [
            wire.base_request(metering, operation).request["UsageRecords"][0] for _ in range(RECORDS_MAX)
        ]
    elif case == "tags-6":
        usage["UsageAllocations"][0]["Tags"] = [{"Key": f"k{i}", "Value": "v"} for i in range(TAGS_MAX + 1)]
    elif case == "allocations-max+1":
        count = metering.profile.contract.max_allocations + 1
        usage[_quantity_member(base)] = count
        usage["UsageAllocations"] = _tagged_allocations(count)
    elif case == "product-code-256":
        base.request["ProductCode"] = "p" * (PRODUCT_CODE_MAX + 1)
    elif case == "client-token-65":
        base.request["ClientToken"] = "t" * (CLIENT_TOKEN_MAX + 1)
    elif case == "tag-key-101":
        usage["UsageAllocations"][0]["Tags"][0]["Key"] = "k" * (TAG_KEY_MAX + 1)
    elif case == "tag-value-257":
        usage["UsageAllocations"][0]["Tags"][0]["Value"] = "v" * (TAG_VALUE_MAX + 1)
    elif case == "nonce-256":
        base.request["Nonce"] = "n" * (NONCE_MAX + 1)
    elif case == "body-over-1mb":
        if operation == "RegisterUsage":
            base.request["Nonce"] = "n" * (1024 * 1024 + 1)
        else:  # 9 records of 2500 tagged allocations each: every rule but the size is kept
            records = [wire.base_request(metering, operation).request["UsageRecords"][0] for _ in range(9)]
            for record in records:
                record["Quantity"] = 2500
                record["UsageAllocations"] = _tagged_allocations(2500)
            base.request["UsageRecords"] = records
    else:
        raise ValueError(case)
    return base


OVER_LIMITS = [
    ("records-26", "BatchMeterUsage", "BMU.RECORDS.MAX"),
    ("tags-6", "MeterUsage", "TAG.COUNT.MAX"),
    ("tags-6", "BatchMeterUsage", "TAG.COUNT.MAX"),
    ("allocations-max+1", "MeterUsage", "ALLOC.COUNT.MAX"),
    ("allocations-max+1", "BatchMeterUsage", "ALLOC.COUNT.MAX"),
    ("product-code-256", "MeterUsage", "MU.PRODUCT_CODE.LENGTH"),
    ("product-code-256", "BatchMeterUsage", "BMU.PRODUCT_CODE.LENGTH"),
    ("product-code-256", "RegisterUsage", "RU.PRODUCT_CODE.LENGTH"),
    ("client-token-65", "MeterUsage", "MU.CLIENT_TOKEN.LENGTH"),
    ("tag-key-101", "MeterUsage", "TAG.KEY.LENGTH"),
    ("tag-key-101", "BatchMeterUsage", "TAG.KEY.LENGTH"),
    ("tag-value-257", "MeterUsage", "TAG.VALUE.LENGTH"),
    ("tag-value-257", "BatchMeterUsage", "TAG.VALUE.LENGTH"),
    ("nonce-256", "RegisterUsage", "RU.NONCE.LENGTH"),
    ("body-over-1mb", "RegisterUsage", "RU.NONCE.LENGTH"),
    ("body-over-1mb", "BatchMeterUsage", "BMU.REQUEST.SIZE"),
]


@pytest.mark.parametrize(
    "case,operation,clause",
    [
        pytest.param(case, op, clause, marks=pytest.mark.clause(clause), id=f"{op}-{case}")
        for case, op, clause in OVER_LIMITS
    ],
)
@pytest.mark.clause(*ORACLES)
def test_values_over_a_limit_botocore_does_not_enforce_are_refused(metering, case, operation, clause):
    """Sent raw (botocore would send them too: it enforces only `min`). The error names are the clause's;
    an over-1-MB body may be refused by size (any 4xx, e.g. 413) before its content is read."""
    base = _over_limit(metering, case, operation)
    ex = wire.send(metering, base)
    wire.judge(metering, ex, clause, errors=None if case == "body-over-1mb" else "<catalog>")
