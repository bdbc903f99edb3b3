"""The reading switch: each named reading changes the endpoint's answer as it says, over real HTTP."""

from __future__ import annotations

import base64
import http.client
import json
import re
import socket
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from meterconform.reference import READINGS, ReferenceEndpoint, readings
from meterconform.reference.responses import ERROR_TYPE_SUFFIX, EXTRA_MEMBER, NAMESPACE

from .conftest import (
    HOUR,
    PRODUCT,
    REGION,
    SECRET,
    T0,
    TARGET,
    _session,
    make_client,
    new_identity,
    raw,
    record,
    sign,
    usage,
)
from .test_serve import run, serving


def outcome(call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """'ok' or (error code, HTTP status) of a client call."""
    try:
        call(*args, **kwargs)
    except ClientError as error:
        return error.response["Error"]["Code"], error.response["ResponseMetadata"]["HTTPStatusCode"]
    return "ok"


def batch(client: Any, records: list[dict]) -> dict:
    return client.batch_meter_usage(ProductCode=PRODUCT, UsageRecords=records)


# --- one probe per reading: what it observes over HTTP --------------------------------------------------------


def token_shared_by_callers(endpoint: ReferenceEndpoint):
    make_client(endpoint.url).meter_usage(**usage(ClientToken="shared-token"))
    return outcome(make_client(endpoint.url).meter_usage, **usage(ClientToken="shared-token", UsageQuantity=6))


def conflict_status(endpoint: ReferenceEndpoint):
    client = make_client(endpoint.url)
    client.meter_usage(**usage(ClientToken="reused"))
    return outcome(client.meter_usage, **usage(ClientToken="reused", Timestamp=T0 - HOUR))


def future_timestamps(endpoint: ReferenceEndpoint):
    client = make_client(endpoint.url)
    ten_minutes = outcome(client.meter_usage, **usage(Timestamp=T0 + 600))
    one_minute = outcome(client.meter_usage, **usage(Timestamp=T0 + 60))
    whole_batch = outcome(batch, client, [record(), record(CustomerIdentifier="cust-bravo", Timestamp=T0 + 600)])
    return ten_minutes, one_minute, whole_batch, endpoint.model.record_count()


def unknown_members(endpoint: ReferenceEndpoint):
    top = raw(endpoint.url, "MeterUsage", {**usage(), "Surprise": 1})
    nested = raw(
        endpoint.url, "BatchMeterUsage", {"ProductCode": PRODUCT, "UsageRecords": [{**record(), "Extra": "x"}]}
    )
    return [(r.status, r.json.get("__type")) for r in (top, nested)]


def non_post(endpoint: ReferenceEndpoint):
    answers = []
    for method in ("GET", "PUT", "DELETE", "PATCH", "HEAD"):
        response = raw(endpoint.url, "MeterUsage", b"", method=method)
        answers.append(
            (
                method,
                response.status,
                response.headers.get("x-amzn-errortype"),
                response.json["__type"] if response.body else None,
            )
        )
    return answers


def dry_run(endpoint: ReferenceEndpoint):
    try:
        answer: Any = sorted(
            k for k in make_client(endpoint.url).meter_usage(**usage(DryRun=True)) if k != "ResponseMetadata"
        )
    except ClientError as error:
        answer = error.response["Error"]["Code"], error.response["ResponseMetadata"]["HTTPStatusCode"]
    return answer, endpoint.model.record_count()


def register(client: Any, i: int):
    return outcome(client.register_usage, ProductCode=PRODUCT, PublicKeyVersion=1, Nonce=f"nonce-{i}")


def client_with(url: str, **retries: Any) -> Any:
    """A client with these retry settings (conftest's max_attempts=1 still retries once: botocore counts retries)."""
    return _session.create_client(
        "meteringmarketplace",
        region_name=REGION,
        endpoint_url=url,
        aws_access_key_id=new_identity(),
        aws_secret_access_key=SECRET,
        config=Config(retries=retries),
    )


def transient(endpoint: ReferenceEndpoint):
    """Twenty distinct requests: which were refused and how; then the first refused one sent again."""
    client = client_with(endpoint.url, total_max_attempts=1)
    outcomes = [register(client, i) for i in range(20)]
    refused = [i for i, o in enumerate(outcomes) if o != "ok"]
    return refused, sorted({outcomes[i] for i in refused}), register(client, refused[0]) if refused else "ok"


def unprocessed(endpoint: ReferenceEndpoint):
    client = make_client(endpoint.url)
    answers = [batch(client, [record(Timestamp=T0 - i)]) for i in range(6)]
    shapes = [(len(a["Results"]), len(a["UnprocessedRecords"])) for a in answers]
    recorded = endpoint.model.record_count()
    resend = batch(client, [record(Timestamp=T0 - 2)])
    return shapes, recorded, (len(resend["Results"]), len(resend["UnprocessedRecords"])), endpoint.model.record_count()


def result_order(endpoint: ReferenceEndpoint):
    answer = batch(make_client(endpoint.url), [record(), record(CustomerIdentifier="cust-bravo")])
    return [r["UsageRecord"]["CustomerIdentifier"] for r in answer["Results"]]


def echo_spelling(endpoint: ReferenceEndpoint):
    body = raw(endpoint.url, "BatchMeterUsage", {"ProductCode": PRODUCT, "UsageRecords": [record()]}).body.decode()
    return re.search(r'"Timestamp":([0-9.e+]+)', body)[1], re.search(r'"Quantity":([0-9.e+]+)', body)[1]


def error_type(endpoint: ReferenceEndpoint):
    response = raw(endpoint.url, "ResolveCustomer", {"RegistrationToken": "nope"})
    code = outcome(make_client(endpoint.url).resolve_customer, RegistrationToken="nope")
    return response.json["__type"], response.headers["x-amzn-errortype"], code


def message_key(endpoint: ReferenceEndpoint):
    response = raw(endpoint.url, "ResolveCustomer", {"RegistrationToken": "nope"})
    try:
        make_client(endpoint.url).resolve_customer(RegistrationToken="nope")
    except ClientError as error:
        botocore_reads = error.response["Error"]["Message"] == "The registration token is not valid."
    return sorted(response.json), botocore_reads


def response_members(endpoint: ReferenceEndpoint):
    meter = raw(endpoint.url, "MeterUsage", usage()).json
    answer = raw(endpoint.url, "BatchMeterUsage", {"ProductCode": PRODUCT, "UsageRecords": [record()]}).json
    return sorted(meter), sorted(answer), sorted(answer["Results"][0])


def request_ids(endpoint: ReferenceEndpoint):
    ok = raw(endpoint.url, "MeterUsage", usage())
    error = raw(endpoint.url, "ResolveCustomer", {"RegistrationToken": "nope"})
    return ok.status, "x-amzn-requestid" in ok.headers, error.status, "x-amzn-requestid" in error.headers


def empty_lists(endpoint: ReferenceEndpoint):
    one = raw(endpoint.url, "BatchMeterUsage", {"ProductCode": PRODUCT, "UsageRecords": [record()]}).json
    none = raw(endpoint.url, "BatchMeterUsage", {"ProductCode": PRODUCT, "UsageRecords": []}).json
    return sorted(one), sorted(none)


def record_id_format(endpoint: ReferenceEndpoint):
    record_id = make_client(endpoint.url).meter_usage(**usage())["MeteringRecordId"]
    return bool(re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", record_id)), bool(
        record_id
    )


def jwt_claims(endpoint: ReferenceEndpoint):
    signature = make_client(endpoint.url).register_usage(ProductCode=PRODUCT, PublicKeyVersion=1, Nonce="n")[
        "Signature"
    ]
    header, payload = (
        json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))) for part in signature.split(".")[:2]
    )
    return sorted(header), sorted(payload)


def response_head(endpoint: ReferenceEndpoint, target: str = "ResolveCustomer", body: dict | None = None):
    """The header names as sent (case kept) and the decoded body of one request over http.client."""
    payload = json.dumps(body or {"RegistrationToken": "nope"}).encode()
    headers = sign(endpoint.url, TARGET + target, payload)
    parts = urlsplit(endpoint.url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        connection.request("POST", "/", body=payload, headers=headers)
        response = connection.getresponse()
        return dict(response.getheaders()), json.loads(response.read())
    finally:
        connection.close()


def connection_header(endpoint: ReferenceEndpoint):
    return [
        raw(endpoint.url, "ResolveCustomer", {"RegistrationToken": t}).headers.get("connection")
        for t in ("nope", "valid-token-alpha")
    ]


def header_case(endpoint: ReferenceEndpoint):
    names, _ = response_head(endpoint)
    return sorted(n for n in names if n.lower() in ("content-type", "x-amzn-errortype", "x-amzn-requestid"))


def framing(endpoint: ReferenceEndpoint):
    headers, body = response_head(endpoint, "BatchMeterUsage", {"ProductCode": PRODUCT, "UsageRecords": [record()]})
    headers = {k.lower(): v for k, v in headers.items()}
    return headers.get("transfer-encoding"), "content-length" in headers, body["Results"][0]["Status"]


def content_type(endpoint: ReferenceEndpoint):
    return sorted(
        {
            raw(endpoint.url, "MeterUsage", usage()).headers["content-type"],
            raw(endpoint.url, "ResolveCustomer", {"RegistrationToken": "nope"}).headers["content-type"],
        }
    )


def slow_answers(endpoint: ReferenceEndpoint):
    times = []
    for _ in range(readings.SLOW_EVERY):
        started = time.perf_counter()
        raw(endpoint.url, "ResolveCustomer", {"RegistrationToken": "nope"})
        times.append(time.perf_counter() - started)
    return [i for i, t in enumerate(times) if t >= readings.SLOW_SECONDS * 0.9]


def status_line(endpoint: ReferenceEndpoint):
    payload = b'{"RegistrationToken": "nope"}'
    parts = urlsplit(endpoint.url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as conn:
        head = "".join(f"{k}: {v}\r\n" for k, v in sign(endpoint.url, TARGET + "ResolveCustomer", payload).items())
        conn.sendall(f"POST / HTTP/1.1\r\n{head}Content-Length: {len(payload)}\r\n\r\n".encode() + payload)
        line = conn.makefile("rb").readline().decode()
    status = make_client(endpoint.url).meter_usage(**usage())["ResponseMetadata"]["HTTPStatusCode"]
    return line, status


def idle_connection(endpoint: ReferenceEndpoint):
    """Is a keep-alive connection still open after 1.5 s idle? And does a client reconnect transparently?"""
    parts = urlsplit(endpoint.url)
    payload = b'{"RegistrationToken": "nope"}'
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        connection.request("POST", "/", body=payload, headers=sign(endpoint.url, TARGET + "ResolveCustomer", payload))
        connection.getresponse().read()
        time.sleep(readings.IDLE_SECONDS * 1.5)
        connection.sock.setblocking(False)
        closed = connection.sock.recv(1, socket.MSG_PEEK) == b""  # readable at EOF once the server closed it
    except BlockingIOError:
        closed = False
    finally:
        connection.close()
    return closed


def echo_defaults(endpoint: ReferenceEndpoint):
    answer = batch(make_client(endpoint.url), [record(Quantity=None), record(CustomerIdentifier="cust-bravo")])
    return [r["UsageRecord"].get("Quantity") for r in answer["Results"]]


def echo_decimals(endpoint: ReferenceEndpoint):
    records = [
        record(Quantity=None, QuantityAsDecimal=q, CustomerIdentifier=c)
        for q, c in (("17.50", "cust-alpha"), ("3.000", "cust-bravo"), ("100", "cust-charlie"))
    ]
    return [r["UsageRecord"].get("QuantityAsDecimal") for r in batch(make_client(endpoint.url), records)["Results"]]


IDS = ["Results", "UnprocessedRecords"]
JSON_TYPE = "application/x-amz-json-1.1"
NS_TYPE = f"{NAMESPACE}#InvalidTokenException"
NON_POST = ("GET", "PUT", "DELETE", "PATCH", "HEAD")
# reading -> (probe, its answer without the reading, its answer with it)
PROBES: dict[str, tuple[Callable[[ReferenceEndpoint], Any], Any, Any]] = {
    "token-scope-endpoint": (token_shared_by_callers, "ok", ("IdempotencyConflictException", 400)),
    "idempotency-conflict-409": (
        conflict_status,
        ("IdempotencyConflictException", 400),
        ("IdempotencyConflictException", 409),
    ),
    "future-timestamps-refused": (
        future_timestamps,
        ("ok", "ok", "ok", 3),
        (("TimestampOutOfBoundsException", 400), "ok", ("TimestampOutOfBoundsException", 400), 1),
    ),
    "unknown-members-refused": (
        unknown_members,
        [(200, None), (200, None)],
        [(400, "SerializationException"), (400, "SerializationException")],
    ),
    "non-post-404": (
        non_post,
        [(m, 405, "MethodNotAllowedException", None if m == "HEAD" else "MethodNotAllowedException") for m in NON_POST],
        [(m, 404, "UnknownOperationException", None if m == "HEAD" else "UnknownOperationException") for m in NON_POST],
    ),
    "dryrun-200-empty": (dry_run, (("DryRunOperation", 412), 0), ([], 0)),
    "throttle-sometimes": (transient, ([], [], "ok"), ([9, 19], [("ThrottlingException", 400)], "ok")),
    "internal-error-sometimes": (transient, ([], [], "ok"), ([4, 14], [("InternalServiceErrorException", 500)], "ok")),
    "unprocessed-sometimes": (
        unprocessed,
        ([(1, 0)] * 6, 6, (1, 0), 6),
        ([(1, 0), (1, 0), (0, 1), (1, 0), (1, 0), (1, 0)], 5, (1, 0), 6),
    ),
    "results-reversed": (result_order, ["cust-alpha", "cust-bravo"], ["cust-bravo", "cust-alpha"]),
    "echo-numbers-as-float": (echo_spelling, (str(T0), "3"), (f"{T0}.0", "3.0")),
    "error-type-namespaced": (
        error_type,
        ("InvalidTokenException", "InvalidTokenException", ("InvalidTokenException", 400)),
        (NS_TYPE, "InvalidTokenException" + ERROR_TYPE_SUFFIX, ("InvalidTokenException", 400)),
    ),
    "message-capitalised": (message_key, (["__type", "message"], True), (["Message", "__type"], True)),
    "extra-response-members": (
        response_members,
        (["MeteringRecordId"], IDS, ["MeteringRecordId", "Status", "UsageRecord"]),
        (
            sorted(["MeteringRecordId", EXTRA_MEMBER[0]]),
            sorted(IDS + [EXTRA_MEMBER[0]]),
            ["MeteringRecordId", "RecordedAt", "Status", "UsageRecord"],
        ),
    ),
    "request-id-missing": (request_ids, (200, True, 400, True), (200, False, 400, False)),
    "empty-lists-omitted": (empty_lists, (IDS, IDS), (["Results"], [])),
    "echo-defaults-filled": (echo_defaults, [None, 3], [0, 3]),
    "echo-decimals-normalised": (echo_decimals, ["17.50", "3.000", "100"], ["17.5", "3", "100"]),
    "record-ids-opaque": (record_id_format, (True, True), (False, True)),
    "jwt-extra-claims": (
        jwt_claims,
        (["alg", "typ"], ["iat", "nonce", "productCode", "publicKeyVersion"]),
        (["alg", "kid", "typ"], ["exp", "iat", "iss", "nonce", "productCode", "publicKeyVersion"]),
    ),
    "connection-close": (connection_header, [None, None], ["close", "close"]),
    "header-names-lowercase": (
        header_case,
        ["Content-Type", "x-amzn-ErrorType", "x-amzn-RequestId"],
        ["content-type", "x-amzn-errortype", "x-amzn-requestid"],
    ),
    "chunked-responses": (framing, (None, True, "Success"), ("chunked", False, "Success")),
    "content-type-with-charset": (content_type, [JSON_TYPE], [JSON_TYPE + "; charset=utf-8"]),
    "error-type-suffixed": (
        error_type,
        ("InvalidTokenException", "InvalidTokenException", ("InvalidTokenException", 400)),
        ("InvalidTokenException" + ERROR_TYPE_SUFFIX, "InvalidTokenException", ("InvalidTokenException", 400)),
    ),
    "reason-phrase-empty": (status_line, ("HTTP/1.1 400 Bad Request\r\n", 200), ("HTTP/1.1 400 \r\n", 200)),
    "idle-connections-closed": (idle_connection, False, True),
    "slow-sometimes": (slow_answers, [], [6]),  # the 7th request (the counter's offset)
}


def test_every_reading_has_a_probe():
    assert set(PROBES) == set(READINGS)


@pytest.mark.parametrize("name", sorted(PROBES))
def test_each_reading_changes_the_answer_as_it_says(make_endpoint, name):
    probe, without, with_reading = PROBES[name]
    assert without != with_reading
    assert probe(make_endpoint()) == without
    assert probe(make_endpoint(readings=(name,))) == with_reading


@pytest.mark.parametrize("name", ["throttle-sometimes", "internal-error-sometimes", "unprocessed-sometimes"])
def test_the_occasional_trouble_passes_on_a_retry(make_endpoint, name):
    """botocore's own retries (legacy mode, 3 attempts) get every one of thirty requests through."""
    endpoint = make_endpoint(readings=(name,))
    client = client_with(endpoint.url, max_attempts=3, mode="legacy")
    if name == "unprocessed-sometimes":
        answers = [batch(client, [record(Timestamp=T0 - i)]) for i in range(10)]
        resent = [batch(client, a["UnprocessedRecords"]) for a in answers if a["UnprocessedRecords"]]
        assert len(resent) == 2 and all(len(a["Results"]) == 1 for a in resent)
        assert endpoint.model.record_count() == 10
    else:
        assert all(register(client, i) == "ok" for i in range(30))


def test_the_sometimes_counter_never_refuses_a_resend_twice():
    trouble = readings.Sometimes(every=1)  # every request is trouble ...
    first = readings.Sometimes.fingerprint("op", "body")
    assert [trouble.hit(first), trouble.hit(first), trouble.hit(first)] == [True, False, True]  # ... but a resend


def test_unknown_reading_names_are_refused_naming_the_valid_ones():
    with pytest.raises(ValueError) as info:
        ReferenceEndpoint(readings=["results-reversed", "no-such-reading"])
    assert "no-such-reading" in str(info.value) and "results-reversed" not in str(info.value).split(";")[0]
    assert "token-scope-endpoint" in str(info.value) and "--list-readings" in str(info.value)
    with pytest.raises(KeyError):
        readings.on(frozenset(), "no-such-reading")


def test_serve_lists_the_readings():
    result = run("--list-readings")
    assert result.returncode == 0
    assert [line.split()[0] for line in result.stdout.splitlines()] == sorted(READINGS)


def test_serve_refuses_an_unknown_reading_in_one_sentence():
    result = run("--reading", "no-such-reading")
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
    assert "no-such-reading" in result.stderr and "results-reversed" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_says_which_readings_are_on_and_serves_them():
    with serving("--reading", "results-reversed", "--reading", "message-capitalised") as line:
        assert line.rstrip().endswith("(faults: none; readings: message-capitalised, results-reversed)"), line
        url = line.split()[5]
        assert json.loads(raw(url, "ResolveCustomer", {"RegistrationToken": "nope"}).body).keys() == {
            "__type",
            "Message",
        }
