"""The AWS JSON 1.1 protocol: dispatch by X-Amz-Target, the POST envelope, JSON bodies, null and unknown
members, timestamps, SigV4, and the shape of every error response — sent raw, judged by suites/_wire.py."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from urllib.parse import urlsplit

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.parsers import create_parser

from meterconform.strategies._model import service_model
from meterconform.transport.clients import CONTENT_TYPE, OPERATIONS, TARGET_PREFIX

from . import _wire as wire
from ._batch import account_record

ORACLES = wire.ORACLE_CLAUSES
USAGE_OPERATIONS = ("MeterUsage", "BatchMeterUsage")
SCHEMA_CLAUSE = {
    "MeterUsage": "OUT.MU.SCHEMA",
    "BatchMeterUsage": "OUT.BMU.SCHEMA",
    "RegisterUsage": "OUT.RU.SCHEMA",
    "ResolveCustomer": "OUT.RC.SCHEMA",
}
JSON_MEDIA_TYPES = ("application/x-amz-json-1.1", "application/json")


def _operation_params(*, schema: bool = False, usage_only: bool = False):
    """One pytest param per operation; MeterUsage and BatchMeterUsage may record usage when they succeed."""
    out = []
    for op in USAGE_OPERATIONS if usage_only else OPERATIONS:
        marks = [pytest.mark.records_usage] if op in USAGE_OPERATIONS else []
        if schema:
            marks.append(pytest.mark.clause(SCHEMA_CLAUSE[op]))
        out.append(pytest.param(op, marks=marks, id=op))
    return out


def _path_params(required: bool, *, records_usage: bool):
    """(operation, member path) params from the botocore model: required or optional members."""
    out = []
    for op in OPERATIONS:
        for m in wire.member_paths(op):
            if m.required == required:
                marks = [pytest.mark.records_usage] if records_usage and op in USAGE_OPERATIONS else []
                out.append(pytest.param(op, m.path, marks=marks, id=f"{op}-{m.text}"))
    return out


def _register_usage(metering) -> wire.Base:
    """A valid RegisterUsage request: the envelope checks' body (it records no usage)."""
    return wire.base_request(metering, "RegisterUsage")


# -- dispatch ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("operation", _operation_params(schema=True))
@pytest.mark.clause("PROTO.TARGET.DISPATCH", "PROTO.CONTENT_TYPE.RESPONSE", "PROTO.CONTENT_TYPE.JSON", "PROTO.TIMEOUT")
def test_each_operation_is_dispatched_by_its_target(metering, operation):
    ex = wire.send(metering, wire.base_request(metering, operation))
    wire.answered(metering, ex)
    wire.skip_if_unimplemented(metering, ex)
    wire.has_content_type(metering, ex)
    metering.expect_success(ex, "PROTO.TARGET.DISPATCH")
    parsed = create_parser("json").parse(
        {"status_code": ex.status, "headers": dict(ex.headers), "body": ex.body},
        service_model().operation_model(operation).output_shape,
    )
    metering.expect(
        "Error" not in parsed,
        "PROTO.TARGET.DISPATCH",
        expected=f"botocore parses the answer as a {operation} result",
        actual=f"botocore reads an error {parsed.get('Error')}",
        exchange=ex,
    )
    media = (ex.headers.get("content-type") or "").split(";")[0].strip().lower()
    metering.expect(
        media in JSON_MEDIA_TYPES,
        "PROTO.CONTENT_TYPE.JSON",
        expected=f"Content-Type {' or '.join(JSON_MEDIA_TYPES)}",
        actual=f"Content-Type {ex.headers.get('content-type')!r}",
        exchange=ex,
    )


UNKNOWN_TARGETS = {
    "no-such-operation": f"{TARGET_PREFIX}.MeterconformNoSuchOperation",
    "operation-lowercase": f"{TARGET_PREFIX}.registerusage",
    "operation-uppercase": f"{TARGET_PREFIX}.REGISTERUSAGE",
    "prefix-lowercase": f"{TARGET_PREFIX.lower()}.RegisterUsage",
    "another-service-prefix": "AWSMPEntitlementService.RegisterUsage",
    "no-prefix": "RegisterUsage",
    "empty-operation": f"{TARGET_PREFIX}.",
    "slash-separator": f"{TARGET_PREFIX}/RegisterUsage",
    "trailing-dot": f"{TARGET_PREFIX}.RegisterUsage.",
    "prefix-only": TARGET_PREFIX,
}


@pytest.mark.parametrize("target", list(UNKNOWN_TARGETS.values()), ids=list(UNKNOWN_TARGETS))
@pytest.mark.clause("PROTO.TARGET.UNKNOWN", *ORACLES)
def test_a_target_naming_no_operation_is_a_client_error(metering, target):
    """The body is a valid RegisterUsage request, so a target matched loosely would show as a success."""
    ex = wire.raw(metering, _register_usage(metering).request, operation=None, target=target)
    wire.judge(metering, ex, "PROTO.TARGET.UNKNOWN", operation_known=False)


@pytest.mark.parametrize("target", [None, ""], ids=["absent", "empty"])
@pytest.mark.clause("PROTO.TARGET.MISSING", *ORACLES)
def test_a_request_without_a_target_is_a_client_error(metering, target):
    ex = wire.raw(metering, _register_usage(metering).request, operation=None, target=target)
    wire.judge(metering, ex, "PROTO.TARGET.MISSING", operation_known=False)


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH"])
@pytest.mark.clause("PROTO.METHOD.POST_ONLY", *ORACLES)
def test_an_operation_sent_without_post_is_refused(metering, method):
    base = _register_usage(metering)
    ex = wire.send(metering, base, method=method)
    wire.judge(metering, ex, "PROTO.METHOD.POST_ONLY", operation_known=False)


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "application/x-amz-json-1.0", "text/plain", None],
    ids=["json", "amz-json-1.0", "text-plain", "none"],
)
@pytest.mark.clause(*ORACLES)
def test_another_request_content_type_is_answered_without_a_server_error(metering, content_type):
    """Undocumented: the endpoint may serve or refuse; only a 5xx, a hang or a malformed error fails."""
    ex = wire.send(metering, _register_usage(metering), content_type=content_type)
    name = wire.judge(metering, ex, None)
    metering.observe(
        wire.NO_5XX,
        f"RegisterUsage with Content-Type {content_type!r}: "
        + (f"refused, HTTP {ex.status} {name}" if name else f"served, HTTP {ex.status}"),
        ex,
    )


@pytest.mark.clause("PROTO.ENDPOINT.HOST")
def test_the_endpoint_host_is_reported(metering):
    host = urlsplit(metering.transport.url).hostname or ""
    region = metering.profile.endpoint.region
    aws = f"metering.marketplace.{region}.amazonaws.com"
    metering.observe(
        "PROTO.ENDPOINT.HOST",
        f"endpoint host {host!r}"
        + (" (the AWS endpoint)" if host == aws else f"; the AWS endpoint for {region} is {aws}"),
    )


# -- bodies ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("operation", _operation_params())
@pytest.mark.clause("PROTO.BODY.EMPTY", *ORACLES)
def test_an_empty_body_is_the_same_input_as_an_empty_object(metering, operation):
    empty = wire.raw(metering, b"", operation=operation)
    wire.answered(metering, empty)
    wire.skip_if_unimplemented(metering, empty)
    braces = wire.raw(metering, b"{}", operation=operation)
    for ex in (empty, braces):
        wire.judge(metering, ex, "PROTO.BODY.EMPTY", live=False)
    metering.expect(
        wire.outcome_of(empty) == wire.outcome_of(braces),
        "PROTO.BODY.EMPTY",
        expected=f"the same answer to an empty body as to {{}}: {braces.summary()}",
        actual=empty.summary(),
        exchange=empty,
    )
    wire.still_alive(metering, braces)


def _batch_status(ex) -> str | None:
    body = ex.json
    results = body.get("Results") if isinstance(body, dict) else None
    return results[0].get("Status") if isinstance(results, list) and results and isinstance(results[0], dict) else None


@pytest.mark.parametrize("operation,path", _path_params(False, records_usage=True))
@pytest.mark.clause(
    "PROTO.NULL.OPTIONAL", "PROTO.TIMEOUT", "PROTO.CONTENT_TYPE.RESPONSE", "PROTO.HOSTILE.NO_5XX", "PROTO.ERROR.TYPE"
)
def test_an_optional_member_sent_as_null_is_absent(metering, operation, path):
    """Each variant goes to its own slot (a fresh instance, a fresh batch key), so neither sees the other.
    Both are legitimate input: a 5xx to either is judged first (PROTO.HOSTILE.NO_5XX)."""
    absent_base, null_base = (
        wire.base_request(metering, operation, rich=True),
        wire.base_request(metering, operation, rich=True),
    )
    absent = wire.send(metering, absent_base, wire.drop_path(absent_base.request, path))
    wire.answered(metering, absent)
    wire.skip_if_unimplemented(metering, absent)
    null = wire.send(metering, null_base, wire.set_path(null_base.request, path, None))
    wire.answered(metering, null)
    for ex in (absent, null):
        wire.has_content_type(metering, ex)
        wire.no_5xx(metering, ex)
    dotted = wire.MemberPath(operation, path, "", "", False).text
    want, got = wire.outcome_of(absent) + (_batch_status(absent),), wire.outcome_of(null) + (_batch_status(null),)
    metering.expect(
        want == got,
        "PROTO.NULL.OPTIONAL",
        expected=f"{dotted}: null answered as when absent: {absent.summary()}",
        actual=null.summary(),
        exchange=null,
    )
    for ex in (absent, null):
        if wire.is_error(ex):
            wire.error_body(metering, ex)


@pytest.mark.parametrize("operation,path", _path_params(True, records_usage=False))
@pytest.mark.clause("PROTO.NULL.REQUIRED", *ORACLES)
def test_a_required_member_sent_as_null_is_a_client_error(metering, operation, path):
    base = wire.base_request(metering, operation, rich=True)
    ex = wire.send(metering, base, wire.set_path(base.request, path, None))
    wire.judge(metering, ex, "PROTO.NULL.REQUIRED")


def _structure_params():
    out = []
    for op in OPERATIONS:
        for path in wire.structure_paths(op):
            where = wire.MemberPath(op, path, "", "", False).text or "top"
            marks = [pytest.mark.records_usage] if op in USAGE_OPERATIONS else []
            out.append(pytest.param(op, path, marks=marks, id=f"{op}-{where}"))
    return out


UNKNOWN_MEMBER = "MeterconformUnknownMember"


@pytest.mark.parametrize("operation,path", _structure_params())
@pytest.mark.clause(
    "PROTO.UNKNOWN_MEMBER.NO_5XX",
    "PROTO.UNKNOWN_MEMBER.HANDLING",
    "PROTO.TIMEOUT",
    "PROTO.CONTENT_TYPE.RESPONSE",
    "PROTO.ERROR.TYPE",
    "PROTO.STATUS.CLIENT_ERROR",
)
def test_an_unknown_member_is_ignored_or_refused_never_a_server_error(metering, operation, path):
    base = wire.base_request(metering, operation, rich=True)
    ex = wire.send(metering, base, wire.set_path(base.request, path + (UNKNOWN_MEMBER,), "x"))
    wire.answered(metering, ex)
    wire.skip_if_unimplemented(metering, ex)
    wire.has_content_type(metering, ex)
    wire.no_5xx(metering, ex, "PROTO.UNKNOWN_MEMBER.NO_5XX")
    where = wire.MemberPath(operation, path, "", "", False).text or "the top level"
    if wire.is_error(ex):
        name = wire.error_body(metering, ex)
        wire.client_error_status(metering, ex)
        metering.observe(
            "PROTO.UNKNOWN_MEMBER.HANDLING",
            f"{operation}: an unknown member at {where} is refused: HTTP {ex.status} {name}",
            ex,
        )
    else:
        metering.observe(
            "PROTO.UNKNOWN_MEMBER.HANDLING",
            f"{operation}: an unknown member at {where} is ignored (HTTP {ex.status})",
            ex,
        )


# -- timestamps --------------------------------------------------------------------------------------------


def _with_timestamp(base: wire.Base, value) -> dict:
    path = ("Timestamp",) if base.operation == "MeterUsage" else ("UsageRecords", 0, "Timestamp")
    return wire.set_path(base.request, path, value)


def _timestamp_of(base: wire.Base) -> int:
    return base.request["Timestamp"] if base.operation == "MeterUsage" else base.request["UsageRecords"][0]["Timestamp"]


@pytest.mark.parametrize("operation", _operation_params(schema=True, usage_only=True))
@pytest.mark.clause("PROTO.TIMESTAMP.INTEGER", "PROTO.TIMEOUT")
def test_an_integer_epoch_timestamp_is_accepted(metering, operation):
    base = wire.base_request(metering, operation)
    ex = wire.send(metering, base, _with_timestamp(base, int(_timestamp_of(base))))
    wire.skip_if_unimplemented(metering, ex)
    metering.expect_success(ex, "PROTO.TIMESTAMP.INTEGER")


@pytest.mark.parametrize("fraction", [0.5, 0.001, 0.999999], ids=["half", "milli", "micro"])
@pytest.mark.parametrize("operation", _operation_params(schema=True, usage_only=True))
@pytest.mark.clause("PROTO.TIMESTAMP.FRACTIONAL", "PROTO.TIMEOUT")
def test_a_fractional_epoch_timestamp_is_accepted(metering, operation, fraction):
    base = wire.base_request(metering, operation)
    ex = wire.send(metering, base, _with_timestamp(base, _timestamp_of(base) + fraction))
    wire.skip_if_unimplemented(metering, ex)
    metering.expect_success(ex, "PROTO.TIMESTAMP.FRACTIONAL")


@pytest.mark.parametrize(
    "form",
    ["%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S.000Z", "%a, %d %b %Y %H:%M:%S GMT"],
    ids=["iso8601", "iso8601-millis", "http-date"],
)
@pytest.mark.parametrize("operation", _operation_params(usage_only=True))
@pytest.mark.clause("PROTO.TIMESTAMP.STRING", *ORACLES)
def test_a_timestamp_string_is_answered_without_a_server_error(metering, operation, form):
    base = wire.base_request(metering, operation)
    text = dt.datetime.fromtimestamp(_timestamp_of(base), dt.UTC).strftime(form)
    ex = wire.send(metering, base, _with_timestamp(base, text))
    name = wire.judge(metering, ex, None)
    metering.observe(
        "PROTO.TIMESTAMP.STRING",
        f"{operation} with Timestamp {text!r}: "
        + (f"refused, HTTP {ex.status} {name}" if name else f"served, HTTP {ex.status}"),
        ex,
    )


# -- malformed JSON ----------------------------------------------------------------------------------------


def _append_member(body: bytes, raw_member: bytes) -> bytes:
    """`body` (a JSON object) with one more member written as raw bytes before its closing brace."""
    return body[:-1] + b"," + raw_member + b"}"


MALFORMED = {
    "truncated-half": lambda b: b[: len(b) // 2],
    "unclosed-object": lambda b: b[:-1],
    "open-brace-only": lambda b: b"{",
    "trailing-garbage": lambda b: b + b"garbage",
    "two-objects": lambda b: b + b,
    "trailing-comma": lambda b: b[:-1] + b",}",
    "single-quotes": lambda b: b.replace(b'"', b"'"),
    "unquoted-keys": lambda b: re.sub(rb'"(\w+)":', rb"\1:", b),
    "comment": lambda b: b"/* meterconform */" + b,
    "nan": lambda b: _append_member(b, b'"MeterconformNumber":NaN'),
    "infinity": lambda b: _append_member(b, b'"MeterconformNumber":Infinity'),
    "minus-infinity": lambda b: _append_member(b, b'"MeterconformNumber":-Infinity'),
    "invalid-utf8": lambda b: _append_member(b, b'"MeterconformText":"\xff\xfe"'),
    "overlong-utf8": lambda b: _append_member(b, b'"MeterconformText":"\xc0\xaf"'),
    "raw-control-character": lambda b: _append_member(b, b'"MeterconformText":"a\x01b"'),
    "bare-word": lambda b: b"meterconform",
    "deep-unclosed-arrays": lambda b: b"[" * 100_000,
}


@pytest.mark.parametrize("case", list(MALFORMED))
@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.clause("PROTO.JSON.MALFORMED", *ORACLES)
def test_a_body_that_is_not_json_is_a_client_error(metering, operation, case):
    base = wire.base_request(metering, operation)
    ex = wire.send(metering, base, MALFORMED[case](wire.json_bytes(base.request)))
    wire.judge(metering, ex, "PROTO.JSON.MALFORMED")


NOT_OBJECTS = {
    "array": b"[]",
    "array-of-request": None,
    "string": b'"meterconform"',
    "number": b"1",
    "null": b"null",
    "true": b"true",
    "deep-array": b"[" * 2000 + b"]" * 2000,
}


@pytest.mark.parametrize("case", list(NOT_OBJECTS))
@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.clause("PROTO.JSON.NOT_OBJECT", *ORACLES)
def test_a_json_body_that_is_not_an_object_is_a_client_error(metering, operation, case):
    base = wire.base_request(metering, operation)
    body = NOT_OBJECTS[case] if NOT_OBJECTS[case] is not None else b"[" + wire.json_bytes(base.request) + b"]"
    ex = wire.send(metering, base, body)
    wire.judge(metering, ex, "PROTO.JSON.NOT_OBJECT")


# -- wrong JSON types, from the model ----------------------------------------------------------------------


def _all_path_params():
    return [
        pytest.param(m.operation, m.path, id=f"{m.operation}-{m.text}")
        for op in OPERATIONS
        for m in wire.member_paths(op)
    ]


@pytest.mark.parametrize("operation,path", _all_path_params())
@pytest.mark.clause("PROTO.JSON.WRONG_TYPE", *ORACLES)
def test_a_member_of_the_wrong_json_type_is_a_client_error(metering, operation, path):
    """Every wrong JSON type for the member's shape in turn (each in its own slot), then one liveness probe."""
    kind = next(m.kind for m in wire.member_paths(operation) if m.path == path)
    last = None
    for value in wire.WRONG_VALUES[kind]:
        base = wire.base_request(metering, operation, rich=True)
        last = wire.send(metering, base, wire.set_path(base.request, path, value))
        wire.judge(metering, last, "PROTO.JSON.WRONG_TYPE", live=False)
    wire.still_alive(metering, last)


# -- coercions lenient JSON binders make, from the model -----------------------------------------------------
# Smithy servers refuse a scalar of the wrong JSON type; lenient binders read it as its spelling says. Each
# scalar member gets a value that is valid for it, spelled in another JSON type (a boolean as "true" or
# "false", a number as a numeric string or a boolean, a numeric string as a number): a binder that coerces
# it reads a valid request (or the domain error of a valid type), never the type error.

NUMERIC_TEXT = re.compile(r"(0|[1-9][0-9]*)(\.[0-9]+)?\Z")


def _decimal_quantities(request: dict) -> None:
    """Swap every whole quantity of a rich base for the decimal member with the same value (in place)."""
    for struct in [request, *request.get("UsageRecords", [])]:
        for whole, decimal in (("UsageQuantity", "UsageQuantityAsDecimal"), ("Quantity", "QuantityAsDecimal")):
            if whole in struct:
                struct[decimal] = str(struct.pop(whole))
        for allocation in struct.get("UsageAllocations", []):
            allocation["AllocatedUsageQuantityAsDecimal"] = str(allocation.pop("AllocatedUsageQuantity"))


def _base_with(metering, operation: str, path) -> wire.Base | None:
    """A valid request of `operation` that carries a valid value at `path` (None: the profile has none)."""
    base = wire.base_request(metering, operation, rich=True)
    request, name = base.request, path[-1]
    if name == "DryRun":
        request["DryRun"] = False
    elif name == "ClientToken":
        request["ClientToken"] = str(uuid.uuid4().int)  # numeric, fresh: no other check ever sends it
    elif name.endswith("AsDecimal"):
        _decimal_quantities(request)
    elif name in ("CustomerAWSAccountId", "LicenseArn"):
        if not metering.profile.customers.subscribed_accounts:
            return None
        account = account_record(metering, UsageAllocations=request["UsageRecords"][0].get("UsageAllocations"))
        request["UsageRecords"] = [{k: v for k, v in account.items() if v is not None}]
    return base if wire.has_path(request, path) else None


def _value_at(request: dict, path):
    node = request
    for part in path:
        node = node[part]
    return node


def coercions(kind: str, value) -> list:
    """`value` (valid for a member of model kind `kind`) spelled in the JSON types a lenient binder coerces."""
    if kind == "boolean":
        return ["true", "false"]
    if kind == "integer":
        return [str(value)] + ([bool(value)] if value in (0, 1) else [])
    if kind == "timestamp":
        return [str(int(value)) if float(value).is_integer() else str(value)]
    if kind == "string":
        if NUMERIC_TEXT.match(value):
            return [int(value) if value.isdigit() else float(value)]
        return [17]
    return []


def _scalar_path_params():
    return [
        pytest.param(m.operation, m.path, id=f"{m.operation}-{m.text}")
        for op in OPERATIONS
        for m in wire.member_paths(op)
        if m.kind in ("string", "integer", "timestamp", "boolean")
    ]


@pytest.mark.parametrize("operation,path", _scalar_path_params())
@pytest.mark.clause("PROTO.JSON.COERCION", *ORACLES)
def test_a_valid_value_in_another_json_type_is_not_coerced(metering, operation, path):
    """The member's valid value, spelled in each JSON type a lenient binder reads as that value (each in its
    own slot), is a type error; then one liveness probe."""
    kind = next(m.kind for m in wire.member_paths(operation) if m.path == path)
    first = _base_with(metering, operation, path)
    if first is None:
        pytest.skip(f"SKIPPED: the profile gives no valid value for {operation} {path[-1]}")
    last = None
    for value in coercions(kind, _value_at(first.request, path)):
        base = _base_with(metering, operation, path)
        last = wire.send(metering, base, wire.set_path(base.request, path, value))
        wire.judge(metering, last, "PROTO.JSON.COERCION", live=False)
    wire.still_alive(metering, last)


# -- valid JSON, hostile content: only a 5xx, a hang or a malformed answer fails ----------------------------


def _deep_object(depth: int) -> bytes:
    return b'{"a":' * depth + b"1" + b"}" * depth


HOSTILE_JSON = {
    # The first member twice, the first value wrong and the last right (RFC 8259: names SHOULD be unique).
    "duplicate-key": lambda base, ok: (
        b"{" + wire.json_bytes(next(iter(base.request))) + b':"meterconform-duplicate",' + ok[1:]
    ),
    "lone-surrogate-escape": lambda base, ok: _append_member(ok, b'"MeterconformText":"\\ud800"'),
    "utf8-bom": lambda base, ok: b"\xef\xbb\xbf" + ok,
    "deep-object-member": lambda base, ok: _append_member(ok, b'"MeterconformDeep":' + _deep_object(5000)),
    "huge-exponent-member": lambda base, ok: _append_member(ok, b'"MeterconformNumber":1e999999999'),
    "long-member-name": lambda base, ok: _append_member(ok, b'"' + b"m" * 100_000 + b'":1'),
    "many-members": lambda base, ok: _append_member(ok, b",".join(b'"m%d":%d' % (i, i) for i in range(10_000))),
}


@pytest.mark.parametrize("case", list(HOSTILE_JSON))
@pytest.mark.parametrize(
    "operation",
    [
        "RegisterUsage",
        "ResolveCustomer",
        *[pytest.param(op, marks=pytest.mark.records_usage) for op in USAGE_OPERATIONS],
    ],
)
@pytest.mark.clause(*ORACLES)
def test_hostile_json_is_answered_without_a_server_error(metering, operation, case):
    """MeterUsage and BatchMeterUsage get an unknown product code around the hostile part (a success would
    record nothing); RegisterUsage and ResolveCustomer get valid requests."""
    base = wire.base_request(metering, operation)
    ok = wire.json_bytes(base.request if operation not in USAGE_OPERATIONS else wire.error_request(metering, operation))
    ex = wire.send(metering, base, HOSTILE_JSON[case](base, ok))
    name = wire.judge(metering, ex, None)
    metering.observe(
        wire.NO_5XX,
        f"{operation} {case}: " + (f"refused, HTTP {ex.status} {name}" if name else f"served, HTTP {ex.status}"),
        ex,
    )


# -- SigV4 -------------------------------------------------------------------------------------------------


def _records_nothing(metering, operation: str, refused, base: wire.Base, clause: str) -> None:
    """After a refused request carrying quantity 5, the same slot with quantity 3 is still free: a success,
    not DuplicateRequestException / DuplicateRecord (which would mean the refused request was recorded)."""
    follow = base.request
    if operation == "MeterUsage":
        follow = {**follow, "UsageQuantity": 3}
    else:
        follow = wire.set_path(follow, ("UsageRecords", 0, "Quantity"), 3)
    ex = wire.send(metering, base, follow)
    note = (
        f"the refused request ({refused.summary()}) was recorded: the same slot with another quantity is now a "
        "duplicate"
    )
    metering.expect(
        ex.error_code != "DuplicateRequestException" and _batch_status(ex) != "DuplicateRecord",
        clause,
        expected="the slot of the refused request is still free",
        actual=ex.summary() + (f", Status {_batch_status(ex)}" if _batch_status(ex) else ""),
        exchange=ex,
        note=note,
    )
    metering.expect_success(ex, clause)


def _auth_params():
    out = []
    for op in OPERATIONS:
        for mode, clause in (("unsigned", "PROTO.AUTH.UNSIGNED"), ("bad-signature", "PROTO.AUTH.BAD_SIGNATURE")):
            marks = [pytest.mark.clause(clause)]
            if op in USAGE_OPERATIONS:
                marks += [pytest.mark.records_usage, pytest.mark.clause(SCHEMA_CLAUSE[op])]
            out.append(pytest.param(op, mode, clause, marks=marks, id=f"{op}-{mode}"))
    return out


@pytest.mark.parametrize("operation,mode,clause", _auth_params())
@pytest.mark.clause(*ORACLES)
def test_a_request_without_a_valid_signature_is_refused_and_records_nothing(metering, operation, mode, clause):
    base = wire.base_request(metering, operation, quantity=5)
    ex = wire.send(metering, base, sign=False if mode == "unsigned" else "bad")
    wire.judge(metering, ex, clause)
    # Unsigned MeterUsage carries no identity, so its slot is not ours to look at.
    if operation in USAGE_OPERATIONS and not (operation == "MeterUsage" and mode == "unsigned"):
        _records_nothing(metering, operation, ex, base, clause)


OTHER_SIGNING_NAME = "execute-api"


@pytest.mark.parametrize("operation", _operation_params())
@pytest.mark.clause("PROTO.AUTH.SIGNING_NAME", *ORACLES)
def test_a_request_signed_for_another_service_is_refused(metering, operation):
    base = wire.base_request(metering, operation)
    data = wire.json_bytes(base.request)
    headers = {"X-Amz-Target": f"{TARGET_PREFIX}.{operation}", "Content-Type": CONTENT_TYPE}
    signed = AWSRequest(method="POST", url=metering.transport.url + "/", data=data, headers=headers)
    SigV4Auth(
        metering.transport.credentials(base.identity), OTHER_SIGNING_NAME, metering.profile.endpoint.region
    ).add_auth(signed)
    ex = wire.raw(metering, data, operation=operation, sign=False, headers=dict(signed.headers.items()))
    wire.judge(metering, ex, "PROTO.AUTH.SIGNING_NAME")


# -- the form of errors: MUST oracles first, then the SHOULD each check is about ---------------------------


def _provocations(metering, operation: str):
    """The error answers of `operation` to a well-formed request a conformant endpoint refuses, `{}` and a
    body that is not JSON. Whether each must be refused is other checks' business: an answer that is not an
    error is left out here (and the check skipped if none is)."""
    answers = [
        wire.raw(metering, wire.error_request(metering, operation), operation=operation),
        wire.raw(metering, b"{}", operation=operation),
        wire.raw(metering, b"{", operation=operation),
    ]
    errors = []
    for ex in answers:
        wire.answered(metering, ex)
        wire.skip_if_unimplemented(metering, ex)
        wire.has_content_type(metering, ex)
        if wire.is_error(ex):
            wire.error_body(metering, ex)
            wire.client_error_status(metering, ex)
            errors.append(ex)
    if not errors:
        pytest.skip(f"SKIPPED: the endpoint refused none of three invalid {operation} requests; no error to look at")
    return errors


ERROR_FORM_CLAUSES = ("PROTO.TIMEOUT", "PROTO.CONTENT_TYPE.RESPONSE", "PROTO.ERROR.TYPE", "PROTO.STATUS.CLIENT_ERROR")


@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.clause(*ERROR_FORM_CLAUSES)
def test_errors_are_json_bodies_naming_their_type_with_status_400(metering, operation):
    _provocations(metering, operation)


@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.clause("PROTO.ERROR.MESSAGE", *ERROR_FORM_CLAUSES)
def test_errors_carry_a_message(metering, operation):
    for ex in _provocations(metering, operation):
        metering.expect(
            ex.message is not None,
            "PROTO.ERROR.MESSAGE",
            expected="a string member message (or Message)",
            actual=f"body {ex.body[:200]!r}",
            exchange=ex,
        )


@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.clause("PROTO.ERROR.HEADER", *ERROR_FORM_CLAUSES)
def test_errors_name_their_type_in_the_error_type_header(metering, operation):
    for ex in _provocations(metering, operation):
        metering.expect(
            ex.header_error is not None and ex.header_error == ex.error_code,
            "PROTO.ERROR.HEADER",
            expected=f"x-amzn-ErrorType naming {ex.error_code}",
            actual=f"x-amzn-ErrorType {ex.headers.get('x-amzn-errortype')!r}",
            exchange=ex,
        )


@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.clause("PROTO.STATUS.ERROR_NAME_KNOWN", *ERROR_FORM_CLAUSES)
def test_errors_are_ones_the_operation_may_return(metering, operation):
    allowed = wire.error_names_allowed(operation)
    for ex in _provocations(metering, operation):
        metering.expect(
            ex.error_code in allowed,
            "PROTO.STATUS.ERROR_NAME_KNOWN",
            expected=f"one of {operation}'s modelled errors or a protocol/authentication error",
            actual=ex.summary(),
            exchange=ex,
        )
