"""The AWS JSON 1.1 protocol of the reference endpoint, over plain HTTP: routing, bodies, types, framing, headers."""

from __future__ import annotations

import json
import socket
from urllib.parse import urlsplit

import pytest

from .conftest import PRODUCT, T0, TARGET, raw, record, sign, usage

BATCH = {"ProductCode": PRODUCT, "UsageRecords": [record()]}


def assert_json_error(response, status: int, code: str) -> None:
    assert response.status == status, response.body
    assert response.headers["content-type"] == "application/x-amz-json-1.1"
    assert response.headers["x-amzn-errortype"] == code
    assert response.headers["x-amzn-requestid"]
    assert response.json["__type"] == code and response.json["message"]


def test_success_carries_content_type_and_request_id(endpoint):
    response = raw(endpoint.url, "MeterUsage", usage())
    assert response.status == 200
    assert response.headers["content-type"] == "application/x-amz-json-1.1"
    assert len(response.headers["x-amzn-requestid"]) == 36
    assert "x-amzn-errortype" not in response.headers
    assert set(response.json) == {"MeteringRecordId"}


@pytest.mark.parametrize("body", [b"", b"{}", b"  \n", b'{"RegistrationToken": null}'])
def test_empty_body_and_empty_object_are_empty_input(endpoint, body):
    assert_json_error(raw(endpoint.url, "ResolveCustomer", body), 400, "ValidationException")


def test_null_optional_member_is_absent(endpoint):
    response = raw(
        endpoint.url,
        "MeterUsage",
        {**usage(), "UsageQuantity": None, "UsageAllocations": None, "ClientToken": None, "DryRun": None},
    )
    assert response.status == 200, response.body


def test_unknown_members_are_ignored(endpoint):
    response = raw(endpoint.url, "MeterUsage", {**usage(), "Surprise": {"deep": [1, 2]}, "usageQuantity": "x"})
    assert response.status == 200, response.body


@pytest.mark.parametrize("content_type", ["application/x-amz-json-1.1", "application/json", "text/plain", None])
def test_any_content_type_is_accepted(endpoint, content_type):
    headers = {"Content-Type": content_type} if content_type else {}
    response = raw(endpoint.url, "ResolveCustomer", {"RegistrationToken": "valid-token-alpha"}, headers=headers)
    assert response.status == 200, response.body


def test_fractional_timestamps_are_accepted(endpoint):
    response = raw(endpoint.url, "MeterUsage", usage(Timestamp=T0 - 0.5))
    assert response.status == 200, response.body


MALFORMED = {
    "truncated": b'{"RegistrationToken": "abc',
    "trailing-garbage": b'{"RegistrationToken": "abc"} x',
    "two-objects": b"{} {}",
    "invalid-utf8": b'{"RegistrationToken": "\xff\xfe"}',
    "utf8-bom": b'\xef\xbb\xbf{"RegistrationToken": "abc"}',
    "nan": b'{"UsageQuantity": NaN}',
    "infinity": b'{"UsageQuantity": Infinity}',
    "minus-infinity": b'{"UsageQuantity": -Infinity}',
    "huge-float": b'{"UsageQuantity": 1e400}',
    "huge-integer": b'{"UsageQuantity": ' + b"9" * 5000 + b"}",
    "deep-nesting": b'{"a":' * 100000 + b"1" + b"}" * 100000,
    "deep-arrays": b"[" * 50000 + b"]" * 50000,
    "single-quotes": b"{'RegistrationToken': 'abc'}",
    "control-char": b'{"RegistrationToken": "a\x01b"}',
    "top-level-array": b"[]",
    "top-level-string": b'"RegistrationToken"',
    "top-level-null": b"null",
    "bare-word": b"hello",
}


@pytest.mark.parametrize("body", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_json_is_a_serialization_exception(endpoint, body):
    assert_json_error(raw(endpoint.url, "MeterUsage", body), 400, "SerializationException")


WRONG_TYPES = {
    "string-for-integer": ("MeterUsage", usage(UsageQuantity="5")),
    "float-for-integer": ("MeterUsage", usage(UsageQuantity=5.0)),
    "bool-for-integer": ("MeterUsage", usage(UsageQuantity=True)),
    "string-timestamp": ("MeterUsage", usage(Timestamp=str(T0))),
    "iso-timestamp": ("MeterUsage", usage(Timestamp="2024-01-01T00:00:00Z")),
    "bool-timestamp": ("MeterUsage", usage(Timestamp=False)),
    "integer-for-string": ("MeterUsage", usage(ProductCode=123)),
    "object-for-string": ("MeterUsage", usage(UsageDimension={"x": 1})),
    "string-for-boolean": ("MeterUsage", usage(DryRun="true")),
    "integer-for-boolean": ("MeterUsage", usage(DryRun=1)),
    "object-for-list": ("MeterUsage", usage(UsageAllocations={"AllocatedUsageQuantity": 5})),
    "string-for-structure": ("MeterUsage", usage(UsageAllocations=["x"])),
    "null-in-list": ("BatchMeterUsage", {"ProductCode": PRODUCT, "UsageRecords": [None]}),
    "list-for-tags-entry": ("MeterUsage", usage(UsageAllocations=[{"AllocatedUsageQuantity": 5, "Tags": [[]]}])),
    "object-for-records": ("BatchMeterUsage", {"ProductCode": PRODUCT, "UsageRecords": {}}),
    "integer-for-token": ("ResolveCustomer", {"RegistrationToken": 7}),
    "string-for-key-version": ("RegisterUsage", {"ProductCode": PRODUCT, "PublicKeyVersion": "1"}),
}


@pytest.mark.parametrize("operation, body", WRONG_TYPES.values(), ids=WRONG_TYPES.keys())
def test_wrong_json_types_are_a_serialization_exception(endpoint, operation, body):
    assert_json_error(raw(endpoint.url, operation, body), 400, "SerializationException")
    assert endpoint.model.record_count() == 0


def test_types_are_checked_before_required_members(endpoint):
    assert_json_error(raw(endpoint.url, "MeterUsage", {"UsageQuantity": "x"}), 400, "SerializationException")


def test_required_members_are_checked_before_constraints(endpoint):
    body = {"ProductCode": "p" * 300, "Timestamp": T0}
    assert_json_error(raw(endpoint.url, "MeterUsage", body), 400, "ValidationException")


@pytest.mark.parametrize(
    "target",
    [
        None,
        "",
        "AWSMPMeteringService.DeleteEverything",
        "AWSMPMeteringService.meterUsage",
        "AWSMPMeteringService.",
        "OtherService.MeterUsage",
        "MeterUsage",
        "AWSMPMeteringService.MeterUsage.Extra",
    ],
)
def test_unknown_targets_are_unknown_operation(endpoint, target):
    headers = {}
    if target is not None:
        headers["X-Amz-Target"] = target
    response = raw(endpoint.url, None, usage(), headers=headers)
    assert_json_error(response, 400, "UnknownOperationException")


@pytest.mark.parametrize("method, status", [("GET", 405), ("PUT", 405), ("DELETE", 405), ("PATCH", 405)])
def test_methods_other_than_post_are_a_json_error(endpoint, method, status):
    response = raw(endpoint.url, "MeterUsage", b"", method=method)
    assert_json_error(response, status, "MethodNotAllowedException")


def test_head_gets_headers_only(endpoint):
    response = raw(endpoint.url, "MeterUsage", b"", method="HEAD")
    assert response.status == 405 and response.body == b""


@pytest.mark.parametrize("path", ["/foo", "//", "/MeterUsage", "/index.html"])
def test_paths_other_than_root_are_a_json_error(endpoint, path):
    assert_json_error(raw(endpoint.url, "MeterUsage", usage(), path=path), 404, "NotFoundException")


def test_a_query_string_on_root_is_signed_and_accepted(endpoint):
    response = raw(endpoint.url, "MeterUsage", usage(), path="/?b=2&a=1")
    assert response.status == 200, response.body


def test_a_body_over_1_mib_is_413(endpoint):
    body = json.dumps({**usage(), "Padding": "x" * (1024 * 1024)})
    assert_json_error(raw(endpoint.url, "MeterUsage", body), 413, "RequestEntityTooLargeException")
    assert endpoint.model.record_count() == 0


def test_a_body_of_exactly_1_mib_is_read(endpoint):
    body = json.dumps(usage())
    body = body[:-1] + ', "Padding": "' + "x" * (1024 * 1024 - len(body) - 15) + '"}'
    assert len(body) == 1024 * 1024
    assert raw(endpoint.url, "MeterUsage", body).status == 200


# --- HTTP framing, over a raw socket ------------------------------------------------------------------------------


def exchange(url: str, data: bytes, timeout: float = 5) -> bytes:
    """Send bytes on one connection and read until the server closes it or goes quiet."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=timeout) as sock:
        sock.sendall(data)
        chunks = []
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
                if b"Connection: close" in b"".join(chunks) and b"\r\n\r\n" in b"".join(chunks):
                    head, _, rest = b"".join(chunks).partition(b"\r\n\r\n")
                    length = int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0])
                    if len(rest) >= length:
                        break
        except TimeoutError:
            pass
    return b"".join(chunks)


def signed_bytes(url: str, operation: str, body: bytes, extra: dict[str, str] | None = None) -> bytes:
    headers = {"Host": urlsplit(url).netloc, **sign(url, TARGET + operation, body)}
    headers.update(extra or {})
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return f"POST / HTTP/1.1\r\n{head}".encode()


def test_keep_alive_serves_several_requests_on_one_connection(endpoint):
    body = json.dumps({"RegistrationToken": "valid-token-alpha"}).encode()
    one = signed_bytes(endpoint.url, "ResolveCustomer", body, {"Content-Length": str(len(body))}) + b"\r\n" + body
    last = (
        signed_bytes(endpoint.url, "ResolveCustomer", body, {"Content-Length": str(len(body)), "Connection": "close"})
        + b"\r\n"
        + body
    )
    answer = exchange(endpoint.url, one + one + last)
    assert answer.count(b"HTTP/1.1 200 OK") == 3


def test_a_chunked_body_is_read(endpoint):
    body = json.dumps({"RegistrationToken": "valid-token-alpha"}).encode()
    chunked = b"%x\r\n%s\r\n%x\r\n%s\r\n0\r\n\r\n" % (5, body[:5], len(body) - 5, body[5:])
    request = (
        signed_bytes(endpoint.url, "ResolveCustomer", body, {"Transfer-Encoding": "chunked", "Connection": "close"})
        + b"\r\n"
        + chunked
    )
    answer = exchange(endpoint.url, request)
    assert answer.startswith(b"HTTP/1.1 200 OK") and b"cust-alpha" in answer


@pytest.mark.parametrize(
    "request_bytes, status",
    [
        (b"POST / HTTP/1.1\r\nContent-Length: nope\r\n\r\n", 400),
        (b"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400),
        (b"POST / HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}", 400),
        (b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 400),
        (b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400),
        (b"GARBAGE\r\n\r\n", 400),
        (b"POST / HTTP/9.9\r\n\r\n", 505),
        (b"POST /" + b"a" * 70000 + b" HTTP/1.1\r\n\r\n", 414),
        (b"POST / HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\n", 413),
    ],
    ids=[
        "length-word",
        "length-negative",
        "length-twice",
        "gzip",
        "bad-chunk",
        "garbage",
        "version",
        "long-line",
        "length-huge",
    ],
)
def test_broken_framing_gets_a_json_error_then_close(endpoint, request_bytes, status):
    answer = exchange(endpoint.url, request_bytes)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 %d " % status), answer[:200]
    assert b"Content-Type: application/x-amz-json-1.1" in head and b"Connection: close" in head
    assert json.loads(body)["__type"]


def test_each_response_is_one_write(endpoint, monkeypatch):
    from meterconform.reference import server

    writes = []
    original = server._Handler._write

    def counting(self, reply):
        real = self.wfile.write
        self.wfile.write = lambda data: (writes.append(len(data)), real(data))[1]
        try:
            original(self, reply)
        finally:
            self.wfile.write = real

    monkeypatch.setattr(server._Handler, "_write", counting)
    raw(endpoint.url, "MeterUsage", usage())
    assert len(writes) == 1 and writes[0] > 100


def test_nagle_is_off_on_server_sockets():
    from meterconform.reference.server import _Handler

    assert _Handler.disable_nagle_algorithm is True and _Handler.protocol_version == "HTTP/1.1"
