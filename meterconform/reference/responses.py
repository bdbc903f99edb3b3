"""The AWS JSON 1.1 protocol: route by X-Amz-Target, verify SigV4, parse and type-check, call the model, serialize."""

from __future__ import annotations

import json
import logging
import math
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from . import auth
from . import exceptions as exc
from . import faults as fault
from . import readings as reading
from .models import Caller, MeteringModel
from .shapes import LENIENT_KINDS, Node, check_required, clean, input_node

TARGET_PREFIX = "AWSMPMeteringService."
CONTENT_TYPE = "application/x-amz-json-1.1"
MAX_BODY_BYTES = 1024 * 1024  # "each request must be less than 1 MB": bodies above 1 MiB are refused with 413
# error-type-namespaced: the Smithy namespace before `#` in __type, the Coral suffix after `:` in x-amzn-ErrorType.
NAMESPACE = "com.amazonaws.marketplacemetering"
ERROR_TYPE_SUFFIX = ":http://internal.amazon.com/coral/com.amazonaws.marketplacemetering/"
# extra-response-members: a member no installed model defines, in every success response.
EXTRA_MEMBER = ("ResponseRevision", "2027-01-01")

log = logging.getLogger("meterconform.reference")


@dataclass(frozen=True)
class Reply:
    """An HTTP response to send, with what the request log needs."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    operation: str | None = None
    error: str | None = None
    injected: str | None = None  # the trouble dealt out on purpose (chaos, a *-sometimes reading), if any


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number {text[:40]} is too large")
    return value


_decoder = json.JSONDecoder(parse_constant=_reject_constant, parse_float=_finite_float)


def parse_body(body: bytes, *, empty_is_input: bool = True) -> dict[str, Any]:
    """The body as a JSON object; empty means {} (a SerializationException when not `empty_is_input`, only for
    the fault switch); anything but a strict JSON object is a SerializationException."""
    if not body.strip():
        if not empty_is_input:
            raise exc.SerializationException("The body is empty; send a JSON object.")
        return {}
    try:
        value = _decoder.decode(body.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise exc.SerializationException(f"The body is not valid UTF-8 (byte {error.start}).") from None
    except RecursionError:
        raise exc.SerializationException("The body is nested too deeply to deserialize.") from None
    except ValueError as error:
        raise exc.SerializationException(f"The body is not valid JSON: {error}.") from None
    if not isinstance(value, dict):
        raise exc.SerializationException("The body must be a JSON object.")
    return value


def unknown_member(value: Any, node: Node, path: str = "") -> str | None:
    """The path of the first member of `value` (raw JSON) that the shape `node` does not define, else None."""
    if node.kind == "structure" and isinstance(value, dict):
        members = dict(node.members)
        for name, member in value.items():
            where = f"{path}.{name}" if path else name
            if name not in members:
                return where
            found = unknown_member(member, members[name], where)
            if found:
                return found
    elif node.kind == "list" and isinstance(value, list) and node.member is not None:
        for i, item in enumerate(value):
            found = unknown_member(item, node.member, f"{path}[{i}]")
            if found:
                return found
    return None


class Protocol:
    """Turns one HTTP request into one Reply, never raising."""

    def __init__(
        self, model: MeteringModel, faults: frozenset[str] = frozenset(), readings: frozenset[str] = frozenset()
    ):
        self.model = model
        self.faults = frozenset(faults)
        self.readings = frozenset(readings)
        self.trouble = model.trouble
        self.content_type = CONTENT_TYPE + ("; charset=utf-8" if self._reading("content-type-with-charset") else "")
        self.unexpected_errors = 0  # requests that reached the catch-all (a bug if a self-test sees one)
        self._count_lock = threading.Lock()
        self._handlers: dict[str, Callable[[Caller, dict[str, Any]], dict[str, Any]]] = {
            "MeterUsage": model.meter_usage,
            "BatchMeterUsage": model.batch_meter_usage,
            "RegisterUsage": model.register_usage,
            "ResolveCustomer": model.resolve_customer,
        }
        for operation in self._handlers:  # compile the input shapes now, not on the first request
            input_node(operation)

    def _lenient_kinds(self) -> frozenset[str]:
        """The shape kinds whose wrong-typed scalars the binder coerces (only under a fault)."""
        if fault.on(self.faults, "lenient-json-types"):
            return LENIENT_KINDS
        if fault.on(self.faults, "string-booleans"):
            return frozenset({"boolean"})
        return frozenset()

    def _operation(self, target: list[str] | tuple[str, ...]) -> str:
        if not target:
            raise exc.UnknownOperationException("The request has no X-Amz-Target header.")
        prefix, _, name = target[0].partition(".")
        if f"{prefix}." != TARGET_PREFIX or name not in self._handlers:
            raise exc.UnknownOperationException(
                f"X-Amz-Target {target[0]!r} names no operation; expected {TARGET_PREFIX}<Operation> with one "
                f"of {', '.join(sorted(self._handlers))}."
            )
        return name

    def handle(self, method: str, raw_path: str, get_all: auth.GetAll, body: bytes) -> Reply:
        """Answer one request: the result, a named error, or (for a bug) InternalServiceErrorException."""
        request_id = str(uuid.uuid4())
        operation = None
        try:
            path, _, query = raw_path.partition("?")
            if method != "POST" and self._reading("non-post-404"):
                raise exc.UnknownOperationException(f"No operation answers {method} {path}; send POST /.", status=404)
            if method != "POST":
                raise exc.MethodNotAllowedException(f"Method {method} is not allowed; send POST /.")
            if path != "/":
                raise exc.NotFoundException(f"Path {path!r} does not exist; send POST /.")
            if len(body) > MAX_BODY_BYTES:
                raise exc.RequestEntityTooLargeException(
                    f"The body is {len(body)} bytes; requests must be at most {MAX_BODY_BYTES} bytes."
                )
            target = get_all("x-amz-target")
            try:
                operation = self._operation(target)
            except exc.UnknownOperationException:
                if target and target[0] and fault.on(self.faults, "unknown-target-200"):
                    return Reply(200, (("Content-Type", CONTENT_TYPE), ("x-amzn-RequestId", request_id)), b"{}")
                raise
            credential = auth.verify(method, path, query, get_all, body, self.model.seed.secret_access_key, time.time())
            if not self.trouble.quiet:
                refused = self._transient(operation, credential.access_key_id, body, request_id)
                if refused is not None:
                    return replace(self.error_reply(refused[1], request_id, operation), injected=refused[0])
            try:
                params = parse_body(body, empty_is_input=not fault.on(self.faults, "empty-body-rejected"))
            except exc.SerializationException:
                if fault.on(self.faults, "malformed-json-500"):
                    page = b"<html><body><h1>500 Internal Server Error</h1></body></html>"
                    headers = (("Content-Type", "text/html"), ("x-amzn-RequestId", request_id))
                    return Reply(500, headers, page, operation)
                raise
            node = input_node(operation)
            if self._reading("unknown-members-refused"):
                unknown = unknown_member(params, node)
                if unknown:
                    raise exc.SerializationException(f"{unknown} is not a member of {operation}'s input.")
            params = clean(
                params,
                node,
                "",
                null_members=not fault.on(self.faults, "null-optional-rejected"),
                fractional_timestamps=not fault.on(self.faults, "fractional-timestamp-rejected"),
                lenient_types=self._lenient_kinds(),
            )
            check_required(params, node)
            result = self._handlers[operation](Caller(credential.access_key_id, credential.region), params)
            if self._reading("extra-response-members"):
                result = {**result, EXTRA_MEMBER[0]: EXTRA_MEMBER[1]}
            body_out = json.dumps(result, separators=(",", ":")).encode()
            injected = "unprocessed" if operation == "BatchMeterUsage" and result.get("UnprocessedRecords") else None
            return Reply(
                200,
                self._headers(("Content-Type", self.content_type), ("x-amzn-RequestId", request_id)),
                body_out,
                operation,
                injected=injected,
            )
        except exc.MeteringError as error:
            return self.error_reply(error, request_id, operation)
        except Exception:
            with self._count_lock:
                self.unexpected_errors += 1
            log.exception("unexpected error answering %s %s (%s)", method, raw_path, operation)
            return self.error_reply(
                exc.InternalServiceErrorException("An internal error has occurred. Retry your request."),
                request_id,
                operation,
            )

    def error_reply(
        self, error: exc.MeteringError, request_id: str | None = None, operation: str | None = None
    ) -> Reply:
        """The JSON 1.1 error response for `error` (HTTP 200 under the errors-with-200 fault)."""
        status = 200 if fault.on(self.faults, "errors-with-200") else error.status
        namespaced = self._reading("error-type-namespaced")
        type_name = f"{NAMESPACE}#{error.code}" if namespaced else error.code
        if self._reading("error-type-suffixed"):
            type_name += ERROR_TYPE_SUFFIX
        message_key = "Message" if self._reading("message-capitalised") else "message"
        body = json.dumps({"__type": type_name, message_key: error.message}, separators=(",", ":")).encode()
        headers = list(
            self._headers(
                ("Content-Type", self.content_type),
                ("x-amzn-RequestId", request_id or str(uuid.uuid4())),
                ("x-amzn-ErrorType", error.code + (ERROR_TYPE_SUFFIX if namespaced else "")),
            )
        )
        if fault.on(self.faults, "missing-content-type"):
            headers = [h for h in headers if h[0] != "Content-Type"]
        if fault.on(self.faults, "error-type-header-missing"):
            headers = [h for h in headers if h[0] != "x-amzn-ErrorType"]
        return Reply(status, tuple(headers), body, operation, error.code)

    def _reading(self, name: str) -> bool:
        return reading.on(self.readings, name)

    def _headers(self, *headers: tuple[str, str]) -> tuple[tuple[str, str], ...]:
        """The response headers, without x-amzn-RequestId under request-id-missing."""
        if self._reading("request-id-missing"):
            return tuple(h for h in headers if h[0] != "x-amzn-RequestId")
        return headers

    def _transient(
        self, operation: str, identity: str, body: bytes, request_id: str
    ) -> tuple[str, exc.MeteringError] | None:
        """Under chaos or a *-sometimes reading: wait the added latency, then maybe refuse the request (a reading
        never refuses a resend); return the kind of trouble and its error, or None to go on."""
        fingerprint = reading.Sometimes.fingerprint(operation, identity, body)
        kind = self.trouble.refused(fingerprint)
        delay = self.trouble.delay(request_id)
        if delay:
            time.sleep(delay)
        if kind == "throttle":
            return kind, exc.ThrottlingException("Rate exceeded; retry the request.")
        if kind == "internal_error":
            return kind, exc.InternalServiceErrorException("An internal error has occurred. Retry your request.")
        return None
