"""Wire-level oracles shared by the protocol, wire-fuzz, RegisterUsage and ResolveCustomer suites.

Three things live here, each a small set of functions:
- member paths of every operation's input, derived from the botocore model (never hand-copied), with the
  JSON values of the wrong type for each kind of shape;
- valid base requests (plain, and "rich" ones that reach every nested structure), isolated per call:
  MeterUsage under a fresh identity, BatchMeterUsage with keys from `metering.batch_key()`;
- oracles over one raw exchange: answered in time, a Content-Type, a well-formed awsJson1_1 error body that
  botocore's own parser reads the same way, HTTP 400 for modelled client errors, no 5xx for hostile input,
  and a liveness probe (the endpoint still serves a valid request afterwards).
"""

from __future__ import annotations

import copy
import functools
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from botocore.parsers import create_parser

from meterconform.contract.catalog import load_catalog
from meterconform.contract.response_schemas import error_body_errors
from meterconform.harness.checks import clause_info, unimplemented_evidence
from meterconform.harness.failures import skip_throttled, skip_unimplemented
from meterconform.resources import schema_json
from meterconform.strategies._model import service_model
from meterconform.transport.clients import OPERATIONS, Exchange, error_name

TIMEOUT = "PROTO.TIMEOUT"
CONTENT_TYPE = "PROTO.CONTENT_TYPE.RESPONSE"
ERROR_TYPE = "PROTO.ERROR.TYPE"
CLIENT_ERROR_STATUS = "PROTO.STATUS.CLIENT_ERROR"
NO_5XX = "PROTO.HOSTILE.NO_5XX"
LIVENESS = "PROTO.HOSTILE.LIVENESS"
# Every clause `judge` can fail besides the check's own: a check using it cites all of them.
ORACLE_CLAUSES = (TIMEOUT, CONTENT_TYPE, NO_5XX, ERROR_TYPE, CLIENT_ERROR_STATUS, LIVENESS)
IDEMPOTENCY_CONFLICT = "IdempotencyConflictException"
# A well-formed code that is no seller's product (matches the ProductCode pattern).
UNKNOWN_PRODUCT_CODE = "prod-meterconform-no-such-product"

# ---------------------------------------------------------------------------------------------------------
# Member paths, from the model.

Path = tuple  # ("UsageRecords", 0, "UsageAllocations", 0, "Tags", 0, "Key")


@dataclass(frozen=True)
class MemberPath:
    """One member of an operation's input, reached through the first item of every list on the way."""

    operation: str
    path: Path
    kind: str  # the botocore type name: string | integer | timestamp | boolean | list | structure
    shape: str
    required: bool

    @property
    def text(self) -> str:
        """`UsageRecords[0].Timestamp` — the path as a person reads it (and as a test id)."""
        out = ""
        for part in self.path:
            out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
        return out


def _walk(operation: str, shape: Any, prefix: Path) -> Iterator[MemberPath]:
    for name, member in shape.members.items():
        path = prefix + (name,)
        yield MemberPath(operation, path, member.type_name, member.name, name in shape.required_members)
        if member.type_name == "structure":
            yield from _walk(operation, member, path)
        elif member.type_name == "list" and member.member.type_name == "structure":
            yield from _walk(operation, member.member, path + (0,))


@functools.cache
def member_paths(operation: str) -> tuple[MemberPath, ...]:
    """Every member of `operation`'s input shape, nested ones included (lists through their first item)."""
    return tuple(_walk(operation, service_model().operation_model(operation).input_shape, ()))


@functools.cache
def structure_paths(operation: str) -> tuple[Path, ...]:
    """The paths of every structure of the input (the top level is `()`), where an unknown member can go."""
    found: list[Path] = [()]
    for m in member_paths(operation):
        if m.kind == "structure":
            found.append(m.path)
        elif m.kind == "list" and service_model().shape_for(m.shape).member.type_name == "structure":
            found.append(m.path + (0,))
    return tuple(found)


def members_of(operation: str, path: Path) -> frozenset[str]:
    """The member names the model gives the structure at `path`."""
    shape = service_model().operation_model(operation).input_shape
    for part in path:
        shape = shape.member if isinstance(part, int) else shape.members[part]
    return frozenset(shape.members)


# JSON values of the wrong type for each kind of shape (never null: null is "absent", see PROTO.NULL.*).
# "1.5" for an integer and a 24-digit integer (an overflow) follow Smithy's malformed-request tests.
WRONG_VALUES: dict[str, tuple[Any, ...]] = {
    "string": (7, 1.5, True, {}, []),
    "integer": ("1", 1.5, True, {}, [], 123000000000000000000000),
    "timestamp": ("soon", True, {}, []),
    "boolean": ("true", 1, {}, []),
    "list": ({}, "x", 1, True),
    "structure": ([], "x", 1, True),
}


def set_path(request: dict, path: Path, value: Any) -> dict:
    """A deep copy of `request` with the member at `path` set to `value` (the containers must exist)."""
    out = copy.deepcopy(request)
    node: Any = out
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return out


def drop_path(request: dict, path: Path) -> dict:
    """A deep copy of `request` without the member at `path` (absent already: unchanged)."""
    out = copy.deepcopy(request)
    node: Any = out
    for part in path[:-1]:
        node = node[part]
    node.pop(path[-1], None)
    return out


def has_path(request: Any, path: Path) -> bool:
    node = request
    for part in path:
        if isinstance(part, int):
            if not isinstance(node, list) or len(node) <= part:
                return False
        elif not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def containers_exist(request: dict, path: Path) -> bool:
    """Whether every container above `path` is in `request` (so set_path can place the member)."""
    return has_path(request, path[:-1])


# ---------------------------------------------------------------------------------------------------------
# Valid requests.

ALLOCATION_TAG = {"Key": "meterconform", "Value": "wire"}


@dataclass
class Base:
    """A valid request and the identity to send it as (MeterUsage: a fresh instance per request)."""

    operation: str
    request: dict
    identity: str | None


def base_request(metering, operation: str, *, rich: bool = False, quantity: int = 1) -> Base:
    """A valid request of `operation` from the profile, isolated from every other check.

    `rich` adds a UsageAllocations list with one tagged allocation (MeterUsage, BatchMeterUsage) and a
    Nonce (RegisterUsage), so that every nested structure of the input is present."""
    p = metering.profile
    if operation == "MeterUsage":
        request = {
            "ProductCode": p.need("product.code"),
            "Timestamp": int(metering.now()) - 60,
            "UsageDimension": p.need("product.dimensions")[0],
            "UsageQuantity": quantity,
        }
        if rich:
            request["UsageAllocations"] = [{"AllocatedUsageQuantity": quantity, "Tags": [dict(ALLOCATION_TAG)]}]
        return Base(operation, request, metering.fresh_identity())
    if operation == "BatchMeterUsage":
        customer, dimension, ts = metering.batch_key()
        record = {"Timestamp": ts, "CustomerIdentifier": customer, "Dimension": dimension, "Quantity": quantity}
        if rich:
            record["UsageAllocations"] = [{"AllocatedUsageQuantity": quantity, "Tags": [dict(ALLOCATION_TAG)]}]
        return Base(operation, {"ProductCode": p.need("product.code"), "UsageRecords": [record]}, metering.identity)
    if operation == "RegisterUsage":
        request = {"ProductCode": p.need("product.code"), "PublicKeyVersion": p.need("product.public_key_versions")[0]}
        if rich:
            request["Nonce"] = "meterconform-nonce"
        return Base(operation, request, metering.identity)
    if operation == "ResolveCustomer":
        return Base(operation, {"RegistrationToken": p.need("registration_tokens.valid")[0].token}, metering.identity)
    raise ValueError(f"unknown operation {operation!r}; use one of {', '.join(OPERATIONS)}")


def error_request(metering, operation: str) -> dict:
    """A well-formed request of `operation` that a conformant endpoint refuses without recording anything
    (an unknown product code; for ResolveCustomer a token nobody issued)."""
    p = metering.profile
    if operation == "ResolveCustomer":
        return {"RegistrationToken": "meterconform-never-issued-token"}
    if operation == "RegisterUsage":
        return {"ProductCode": UNKNOWN_PRODUCT_CODE, "PublicKeyVersion": 1}
    if operation == "MeterUsage":
        return {
            "ProductCode": UNKNOWN_PRODUCT_CODE,
            "Timestamp": int(metering.now()) - 60,
            "UsageDimension": p.need("product.dimensions")[0],
            "UsageQuantity": 1,
        }
    customer, dimension, ts = metering.batch_key()
    return {
        "ProductCode": UNKNOWN_PRODUCT_CODE,
        "UsageRecords": [{"Timestamp": ts, "CustomerIdentifier": customer, "Dimension": dimension, "Quantity": 1}],
    }


def send(metering, base: Base, body: Any = "<request>", **kwargs: Any) -> Exchange:
    """Send `body` (default: the base request) raw and signed as the base's identity (see raw())."""
    kwargs.setdefault("operation", base.operation)
    kwargs.setdefault("identity", base.identity)
    return raw(metering, base.request if body == "<request>" else body, **kwargs)


def raw(metering, body: Any, **kwargs: Any) -> Exchange:
    """`metering.raw`, after the liveness probe has been chosen while the endpoint is still untouched by
    this process's hostile input (a probe chosen afterwards could not tell a dead endpoint from one whose
    valid requests never succeed)."""
    liveness_operation(metering)
    return metering.raw(body, **kwargs)


# ---------------------------------------------------------------------------------------------------------
# Oracles over one exchange.


def is_error(ex: Exchange) -> bool:
    """A non-2xx answer, or a 2xx whose JSON body names an error."""
    body = ex.json
    return ex.status is not None and (not 200 <= ex.status < 300 or (isinstance(body, dict) and "__type" in body))


def answered(metering, ex: Exchange) -> None:
    """PROTO.TIMEOUT: an HTTP answer arrived within endpoint.read_timeout (the harness's verdict)."""
    metering.expect_answered(ex)


def has_content_type(metering, ex: Exchange) -> None:
    """PROTO.CONTENT_TYPE.RESPONSE: every response carries a non-empty Content-Type."""
    value = (ex.headers.get("content-type") or "").strip()
    metering.expect(
        bool(value),
        CONTENT_TYPE,
        expected="a Content-Type header on the response",
        actual=f"{ex.summary()} without Content-Type (headers: {sorted(ex.headers)})",
        exchange=ex,
    )


def botocore_error_code(ex: Exchange) -> str | None:
    """The error code botocore's own awsJson parser reads from this response (None for a success)."""
    shape = None
    if ex.operation in OPERATIONS:
        shape = service_model().operation_model(ex.operation).output_shape
    response = {"status_code": ex.status, "headers": dict(ex.headers), "body": ex.body}
    try:
        parsed = create_parser("json").parse(response, shape)
    except Exception as exc:  # a body botocore cannot read at all is evidence too
        return f"<botocore could not parse the response: {type(exc).__name__}: {exc}>"
    error = parsed.get("Error") if isinstance(parsed, dict) else None
    return (error or {}).get("Code") or None


def error_body(metering, ex: Exchange) -> str:
    """PROTO.ERROR.TYPE: the body is a JSON object with `__type` naming the error (after stripping a
    namespace `#` and a `:` suffix), and botocore's parser reads the same name. Returns the name."""
    body = ex.json
    problems = error_body_errors(body) if isinstance(body, dict) else ["the body is not a JSON object"]
    name = error_name(body.get("__type")) if isinstance(body, dict) else None
    metering.expect(
        not problems and bool(name),
        ERROR_TYPE,
        expected='an error body {"__type": "<ErrorName>", "message": "..."} (schemas/error.json)',
        actual=f"{ex.summary()}; "
        + ("; ".join(problems) if problems else f"__type {body.get('__type')!r} names nothing"),
        exchange=ex,
    )
    if ex.status is not None and ex.status >= 301:
        sdk = ex.sdk_error_code if ex.via == "boto3" and ex.sdk_error_code else botocore_error_code(ex)
        metering.expect(
            sdk == name,
            ERROR_TYPE,
            expected=f"botocore's parser reads the error as {name!r}, as __type says",
            actual=f"botocore reads {sdk!r} from {ex.summary()}",
            exchange=ex,
        )
    return name or ""


@functools.cache
def _modelled_client_errors() -> frozenset[str]:
    return frozenset(
        n
        for n in schema_json("error.json")["x-modelled-errors"]
        if not service_model().shape_for(n).metadata.get("fault")
    )


def client_error_status(metering, ex: Exchange) -> None:
    """PROTO.STATUS.CLIENT_ERROR: a modelled client error (every modelled error but the fault) is HTTP 400
    (IdempotencyConflictException: the profile's contract.idempotency_conflict_status)."""
    name = ex.error_code
    if name not in _modelled_client_errors():
        return
    allowed = tuple(metering.profile.contract.idempotency_conflict_status) if name == IDEMPOTENCY_CONFLICT else (400,)
    metering.expect(
        ex.status in allowed,
        CLIENT_ERROR_STATUS,
        expected=f"{name} with HTTP {' or '.join(map(str, allowed))}",
        actual=ex.summary(),
        exchange=ex,
    )


def no_5xx(metering, ex: Exchange, clause: str = NO_5XX) -> None:
    """PROTO.HOSTILE.NO_5XX: client input is served (a 2xx that is not an error body) or refused with a 4xx,
    never a 5xx, another status, or an error sent as a success."""
    served = ex.status is not None and 200 <= ex.status < 300 and not is_error(ex)
    refused = ex.status is not None and 400 <= ex.status < 500
    metering.expect(
        served or refused,
        clause,
        expected="a 2xx result or a 4xx error for client input",
        actual=ex.summary(),
        exchange=ex,
        note="an error body sent with a 2xx status" if ex.status and 200 <= ex.status < 300 else "",
    )


def error_names_allowed(operation: str | None) -> frozenset[str]:
    """The error names an operation may answer: its modelled errors and the catalog's protocol/auth errors."""
    modelled = (
        {e.name for e in service_model().operation_model(operation).error_shapes} if operation in OPERATIONS else set()
    )
    return frozenset(modelled | set(load_catalog().unmodelled_errors))


# -- unimplemented operations ---------------------------------------------------------------------------


def skip_if_unimplemented(metering, ex: Exchange) -> None:
    """Skip the check (UNIMPLEMENTED) when the endpoint lacks `ex.operation` altogether (the harness's
    evidence: 501, UnknownOperation, or a non-JSON 5xx to both an empty and a well-formed request)."""
    if ex.operation in OPERATIONS:
        evidence = unimplemented_evidence(metering.transport, ex)
        if evidence:
            skip_unimplemented(ex.operation, evidence)


_implemented: dict[str, tuple[str, ...]] = {}


def implemented_operations(metering, candidates=OPERATIONS) -> list[str]:
    """The operations of `candidates` the endpoint implements (the harness's evidence on a well-formed request
    that records nothing), cached per endpoint: a fuzzer draws only from these, since a skip inside
    Hypothesis would end the whole check at the first example drawing an unimplemented operation."""
    url = metering.transport.url
    with _lock:
        known = _implemented.get(url)
    if known is None:
        found = []
        for operation in OPERATIONS:
            ex = metering.raw(error_request(metering, operation), operation=operation, allow_unimplemented=True)
            if not unimplemented_evidence(metering.transport, ex):
                found.append(operation)
        known = tuple(found)
        with _lock:
            _implemented[url] = known
    usable = [op for op in candidates if op in known]
    if not usable:
        skip_unimplemented(" / ".join(candidates), "every one answers like an operation the endpoint lacks")
    return usable


# -- liveness ---------------------------------------------------------------------------------------------

_probes: dict[str, str | None] = {}
_lock = threading.Lock()


def _probe_request(metering, operation: str) -> tuple[dict, str | None]:
    base = base_request(metering, operation)
    return base.request, base.identity


def _probe_candidates(metering) -> list[str]:
    """Operations whose valid request may serve as the liveness probe, billing-free first. ResolveCustomer
    only on an emulator whose profile says a token resolves every time (contract.token_reuse = "allowed";
    otherwise a token may expire once resolved), BatchMeterUsage (which records usage) only on an emulator."""
    out = []
    p = metering.profile
    if p.product.code and p.product.public_key_versions:
        out.append("RegisterUsage")
    if not p.endpoint.is_real and p.registration_tokens.valid and p.contract.token_reuse == ("allowed",):
        out.append("ResolveCustomer")
    if not p.endpoint.is_real and p.product.code and p.product.dimensions and p.customers.subscribed:
        out.append("BatchMeterUsage")
    return out


def liveness_operation(metering) -> str | None:
    """The operation the liveness probe uses on this endpoint: the first candidate whose valid request gets
    a 2xx before any hostile input of the check (cached per endpoint and process)."""
    url = metering.transport.url
    with _lock:
        if url in _probes:
            return _probes[url]
    chosen = None
    for operation in _probe_candidates(metering):
        request, identity = _probe_request(metering, operation)
        ex = metering.raw(request, operation=operation, identity=identity, allow_unimplemented=True)
        if ex.status is not None and 200 <= ex.status < 300 and not ex.error_code:
            chosen = operation
            break
    with _lock:
        _probes[url] = chosen
    return chosen


def still_alive(metering, after: Exchange | None = None) -> None:
    """PROTO.HOSTILE.LIVENESS: after hostile input, a valid request still gets its normal 2xx in time."""
    operation = liveness_operation(metering)
    if operation is None:
        metering.observe(
            LIVENESS, "no valid request of the profile gets a 2xx from this endpoint; liveness is not judged"
        )
        return
    request, identity = _probe_request(metering, operation)
    ex = metering.raw(request, operation=operation, identity=identity, allow_unimplemented=True)
    if ex.error_code == "ThrottlingException":  # still throttled after the Transport's resends: no verdict
        skip_throttled(operation, len(ex.transient))
    before = (
        f" after {after.method} {after.operation or after.request_headers.get('X-Amz-Target', '-')} answered "
        f"{after.summary()}"
        if after
        else ""
    )
    metering.expect(
        ex.transport_error is None and ex.status is not None and 200 <= ex.status < 300 and not ex.error_code,
        LIVENESS,
        expected=f"a valid {operation} request still gets its 2xx{before}",
        actual=ex.summary(),
        exchange=ex,
    )


# -- the combined judgement -------------------------------------------------------------------------------


def judge(
    metering,
    ex: Exchange,
    clause: str | None = None,
    *,
    errors: Any = "<catalog>",
    status: Any = "<catalog>",
    live: bool = True,
    operation_known: bool = True,
) -> str | None:
    """Every protocol oracle over one answer to hostile or invalid input, in a fixed order:

    answered in time (PROTO.TIMEOUT) → a Content-Type (PROTO.CONTENT_TYPE.RESPONSE) → the clause's own
    outcome when given (`metering.expect_error`; else no 5xx, PROTO.HOSTILE.NO_5XX) → for an error, a
    well-formed body botocore reads alike (PROTO.ERROR.TYPE) and HTTP 400 for a modelled client error
    (PROTO.STATUS.CLIENT_ERROR) → the endpoint still serves a valid request (PROTO.HOSTILE.LIVENESS).
    A SHOULD clause is judged after every MUST oracle (NO_5XX standing in for it until then).
    Returns the error name, or None for a success. A check using it cites ORACLE_CLAUSES."""
    answered(metering, ex)
    if operation_known:
        skip_if_unimplemented(metering, ex)
    has_content_type(metering, ex)
    should = clause is not None and clause_info(clause).level != "MUST"
    if clause is None or should:
        no_5xx(metering, ex)
    else:
        metering.expect_error(ex, clause, errors=errors, status=status)
    name = None
    if is_error(ex):
        name = error_body(metering, ex)
        client_error_status(metering, ex)
    if live:
        still_alive(metering, ex)
    if should:  # a SHOULD is judged last, so that no MUST oracle is hidden behind a non-strict verdict
        metering.expect_error(ex, clause, errors=errors, status=status)
    return name


def outcome_of(ex: Exchange) -> tuple[str, str | None]:
    """The comparable outcome of an answer: "2xx" / "4xx" / "5xx" / "none", and the error name."""
    if ex.status is None:
        return "none", None
    return f"{ex.status // 100}xx", ex.error_code


def json_bytes(value: Any) -> bytes:
    """Compact JSON, keeping non-ASCII as UTF-8 (what a real client sends)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8", "surrogatepass")


def now() -> float:
    return time.time()
