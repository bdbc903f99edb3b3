"""The fault switch: each named fault changes what it says when on, and nothing when off."""

from __future__ import annotations

import base64
import http.client
import json
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

import pytest
from botocore.exceptions import ClientError

from meterconform.reference import FAULTS, ReferenceEndpoint, faults

from .conftest import DEFAULT, HOUR, PRODUCT, T0, account_record, make_client, raw, record, sign, usage


def outcome(call: Callable[..., Any], *args: Any, **kwargs: Any) -> str:
    """'ok' or the error code of a client call."""
    try:
        call(*args, **kwargs)
    except ClientError as error:
        return error.response["Error"]["Code"]
    return "ok"


def batch(client, records):
    return client.batch_meter_usage(ProductCode=PRODUCT, UsageRecords=records)


def retry_ids(endpoint):
    client = make_client(endpoint.url)
    return client.meter_usage(**usage())["MeteringRecordId"] == client.meter_usage(**usage())["MeteringRecordId"]


def duplicate_status(endpoint):
    client = make_client(endpoint.url)
    first = batch(client, [record(Quantity=3)])["Results"][0]
    second = batch(client, [record(Quantity=4)])["Results"][0]
    return second["Status"], second.get("MeteringRecordId") not in (None, first["MeteringRecordId"])


def stale_batch(endpoint):
    client = make_client(endpoint.url)
    code = outcome(batch, client, [record(), record(CustomerIdentifier="cust-bravo", Timestamp=T0 - 10 * HOUR)])
    return code, endpoint.model.record_count()


def dry_run(endpoint):
    return outcome(make_client(endpoint.url).meter_usage, **usage(DryRun=True)), endpoint.model.record_count()


def token_reuse(endpoint):
    client = make_client(endpoint.url)
    client.meter_usage(**usage(ClientToken="reused"))
    return outcome(client.meter_usage, **usage(ClientToken="reused", Timestamp=T0 - HOUR))


def status_of_error(endpoint):
    response = raw(endpoint.url, "ResolveCustomer", {"RegistrationToken": "nope"})
    return response.status, response.json["__type"]


def malformed(endpoint):
    response = raw(endpoint.url, "MeterUsage", b'{"truncated": ')
    return response.status, response.headers["content-type"]


def six_tags(endpoint):
    allocation = [{"AllocatedUsageQuantity": 5, "Tags": [{"Key": f"k{i}", "Value": "v"} for i in range(6)]}]
    return outcome(make_client(endpoint.url).meter_usage, **usage(UsageAllocations=allocation))


def short_sum(endpoint):
    allocation = [{"AllocatedUsageQuantity": 4, "Tags": [{"Key": "k", "Value": "v"}]}]
    return outcome(make_client(endpoint.url).meter_usage, **usage(UsageAllocations=allocation))


def batch_of(count: int):
    def scenario(endpoint):
        return outcome(batch, make_client(endpoint.url), [record(Timestamp=T0 - i) for i in range(count)])

    return scenario


def tags_of(count: int, key: str = "k") -> list[dict]:
    return [{"Key": f"{key}{i}", "Value": "v"} for i in range(count)]


def tagged_as(key: str) -> list[dict]:
    """The whole quantity 5 in one allocation with one tag."""
    return [{"AllocatedUsageQuantity": 5, "Tags": tags_of(1, key)}]


def meter_allocations(*allocations: dict, hours_back: int = 0) -> Callable[[ReferenceEndpoint], str]:
    """A scenario metering quantity 5 split into `allocations` (each {"quantity": n, "tags": [...] or None}),
    `hours_back` hours before T0 (scenarios sending two use two hours, so no fault can make them one slot)."""

    def scenario(endpoint):
        allocation = [{"AllocatedUsageQuantity": a["quantity"]} for a in allocations]
        for a, out in zip(allocations, allocation, strict=True):
            if a.get("tags") is not None:
                out["Tags"] = a["tags"]
        return outcome(
            make_client(endpoint.url).meter_usage,
            **usage(UsageAllocations=allocation, Timestamp=T0 - hours_back * HOUR),
        )

    return scenario


def one_tag(key: str, value: str = "v", hours_back: int = 0) -> Callable[[ReferenceEndpoint], str]:
    return meter_allocations({"quantity": 5, "tags": [{"Key": key, "Value": value}]}, hours_back=hours_back)


def second_request(first: dict, second: dict, *, same_instance: bool = True) -> Callable[[ReferenceEndpoint], str]:
    """A scenario metering `first`, then `second` from the same instance (or another one): the second's outcome."""

    def scenario(endpoint):
        client = make_client(endpoint.url)
        client.meter_usage(**usage(**first))
        return outcome((client if same_instance else make_client(endpoint.url)).meter_usage, **usage(**second))

    return scenario


def distinct_ids_under_concurrency(endpoint, threads: int = 8, attempts: int = 5) -> bool:
    """Whether `threads` identical MeterUsage requests sent together ever get more than one MeteringRecordId
    (each attempt from a fresh instance, so in a fresh slot)."""
    for _ in range(attempts):
        client = make_client(endpoint.url)
        barrier = threading.Barrier(threads)

        def one(_: int, barrier=barrier, client=client) -> str:
            barrier.wait(timeout=10)
            return client.meter_usage(**usage())["MeteringRecordId"]

        with ThreadPoolExecutor(threads) as pool:
            if len(set(pool.map(one, range(threads)))) > 1:
                return True
    return False


def batch_result(endpoint, *records: dict) -> list[dict]:
    return batch(make_client(endpoint.url), list(records))["Results"]


def echoed_quantity(endpoint):
    echo = batch_result(endpoint, record(Quantity=None, QuantityAsDecimal="17.42"))[0]["UsageRecord"]
    return echo.get("QuantityAsDecimal"), echo.get("Quantity")


def jwt_payload(endpoint) -> dict:
    client = make_client(endpoint.url)
    segment = client.register_usage(ProductCode=PRODUCT, PublicKeyVersion=1, Nonce="n-1")["Signature"].split(".")[1]
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


def error_header(name: str) -> Callable[[ReferenceEndpoint], bool]:
    """A scenario: whether an error response (an unknown registration token) carries header `name`."""
    return lambda endpoint: name in raw(endpoint.url, "ResolveCustomer", {"RegistrationToken": "nope"}).headers


def answer_or_silence(url: str, target: str, body: bytes, timeout: float) -> Any:
    """The status of a signed request, or "no answer" when none arrives within `timeout` seconds (a closed
    connection without a response is no answer either)."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        connection.request("POST", "/", body=body, headers=sign(url, "AWSMPMeteringService." + target, body))
        return connection.getresponse().status
    except (TimeoutError, http.client.RemoteDisconnected, ConnectionError):
        return "no answer"
    finally:
        connection.close()


LARGE_BODY = json.dumps({"RegistrationToken": "t" * (600 * 1024)}).encode()


def status_and_type(response) -> tuple[int, str | None]:
    """A raw response's status and the __type of its JSON body (None for a body without one)."""
    return response.status, response.json.get("__type")


def null_client_token(endpoint):
    return status_and_type(raw(endpoint.url, "MeterUsage", {**usage(), "ClientToken": None}))


def decimal_split(quantity: str, *parts: str, hours_back: int = 0) -> Callable[[ReferenceEndpoint], str]:
    """A scenario metering the decimal `quantity` split into decimal `parts`, each with its own tag."""

    def scenario(endpoint):
        allocation = [
            {"AllocatedUsageQuantityAsDecimal": p, "Tags": [{"Key": "k", "Value": str(i)}]} for i, p in enumerate(parts)
        ]
        return outcome(
            make_client(endpoint.url).meter_usage,
            **usage(
                UsageQuantity=None,
                UsageQuantityAsDecimal=quantity,
                UsageAllocations=allocation,
                Timestamp=T0 - hours_back * HOUR,
            ),
        )

    return scenario


# fault -> (scenario(endpoint) -> observation, observation when off, observation when on)
CASES: dict[str, tuple[Callable[[ReferenceEndpoint], Any], Any, Any]] = {
    "meter-window-7h": (
        lambda e: outcome(make_client(e.url).meter_usage, **usage(Timestamp=T0 - 6.5 * HOUR)),
        "TimestampOutOfBoundsException",
        "ok",
    ),
    "batch-window-7h": (
        lambda e: outcome(batch, make_client(e.url), [record(Timestamp=T0 - 6.5 * HOUR)]),
        "TimestampOutOfBoundsException",
        "ok",
    ),
    "batch-cap-26": (
        lambda e: (batch_of(26)(e), batch_of(27)(e)),
        ("ValidationException", "ValidationException"),
        ("ok", "ValidationException"),
    ),
    "new-id-on-retry": (retry_ids, True, False),
    "allocation-sum-unchecked": (short_sum, "InvalidUsageAllocationsException", "ok"),
    "six-tags-accepted": (six_tags, "InvalidTagException", "ok"),
    "duplicate-record-as-success": (duplicate_status, ("DuplicateRecord", False), ("Success", True)),
    "unknown-dimension-wrong-error": (
        lambda e: outcome(make_client(e.url).meter_usage, **usage(UsageDimension="Nope")),
        "InvalidUsageDimensionException",
        "InvalidProductCodeException",
    ),
    "errors-with-200": (status_of_error, (400, "InvalidTokenException"), (200, "InvalidTokenException")),
    "malformed-json-500": (malformed, (400, "application/x-amz-json-1.1"), (500, "text/html")),
    "partial-batch-on-stale": (stale_batch, ("TimestampOutOfBoundsException", 0), ("TimestampOutOfBoundsException", 1)),
    "dryrun-records": (dry_run, ("DryRunOperation", 0), ("DryRunOperation", 1)),
    "dimension-case-insensitive": (
        lambda e: outcome(make_client(e.url).meter_usage, **usage(UsageDimension="hOURS")),
        "InvalidUsageDimensionException",
        "ok",
    ),
    "client-token-ignored": (token_reuse, "IdempotencyConflictException", "ok"),
    "expired-token-as-invalid": (
        lambda e: outcome(make_client(e.url).resolve_customer, RegistrationToken="expired-token-0001"),
        "ExpiredTokenException",
        "InvalidTokenException",
    ),
    "meter-window-5h": (
        lambda e: outcome(make_client(e.url).meter_usage, **usage(Timestamp=T0 - 5.5 * HOUR)),
        "ok",
        "TimestampOutOfBoundsException",
    ),
    "batch-window-5h": (
        lambda e: outcome(batch, make_client(e.url), [record(Timestamp=T0 - 5.5 * HOUR)]),
        "ok",
        "TimestampOutOfBoundsException",
    ),
    "batch-cap-24": (lambda e: (batch_of(25)(e), batch_of(24)(e)), ("ok", "ok"), ("ValidationException", "ok")),
    "five-tags-rejected": (meter_allocations({"quantity": 5, "tags": tags_of(5)}), "ok", "InvalidTagException"),
    "tag-key-100-rejected": (
        lambda e: (one_tag("k" * 100)(e), one_tag("k" * 99, hours_back=1)(e)),
        ("ok", "ok"),
        ("InvalidTagException", "ok"),
    ),
    "allocations-cap-500": (
        lambda e: outcome(
            make_client(e.url).meter_usage,
            **usage(
                UsageQuantity=501,
                UsageAllocations=[
                    {"AllocatedUsageQuantity": 1, "Tags": [{"Key": "n", "Value": str(i)}]} for i in range(501)
                ],
            ),
        ),
        "ok",
        "InvalidUsageAllocationsException",
    ),
    "client-token-length-unchecked": (
        lambda e: outcome(make_client(e.url).meter_usage, **usage(ClientToken="c" * 65)),
        "ValidationException",
        "ok",
    ),
    "both-quantities-accepted": (
        lambda e: outcome(make_client(e.url).meter_usage, **usage(UsageQuantityAsDecimal="5")),
        "ValidationException",
        "ok",
    ),
    "stale-as-validation-error": (
        lambda e: outcome(make_client(e.url).meter_usage, **usage(Timestamp=T0 - 10 * HOUR)),
        "TimestampOutOfBoundsException",
        "ValidationException",
    ),
    "invalid-product-code-as-500": (
        lambda e: status_and_type(raw(e.url, "MeterUsage", usage(ProductCode="prod-other"))),
        (400, "InvalidProductCodeException"),
        (500, "InvalidProductCodeException"),
    ),
    "token-replay-ignores-parameters": (
        second_request({"ClientToken": "reused"}, {"ClientToken": "reused", "UsageQuantity": 6}),
        "IdempotencyConflictException",
        "ok",
    ),
    "token-conflict-ignores-allocations": (
        second_request(
            {"ClientToken": "reused", "UsageAllocations": tagged_as("a")},
            {"ClientToken": "reused", "UsageAllocations": tagged_as("b")},
        ),
        "IdempotencyConflictException",
        "ok",
    ),
    "idempotency-by-exact-time": (second_request({}, {"Timestamp": T0 + 60}), "ok", "DuplicateRequestException"),
    "hour-slot-ignores-dimension": (
        second_request({}, {"UsageDimension": "Requests", "UsageQuantity": 6}),
        "ok",
        "DuplicateRequestException",
    ),
    "identity-ignored": (
        second_request({}, {"UsageQuantity": 6}, same_instance=False),
        "ok",
        "DuplicateRequestException",
    ),
    "race-on-identical-requests": (distinct_ids_under_concurrency, False, True),
    "quantity-compared-as-text": (
        second_request({"UsageQuantity": 17}, {"UsageQuantity": None, "UsageQuantityAsDecimal": "17.0"}),
        "ok",
        "DuplicateRequestException",
    ),
    # 0.1 + 0.2 is 0.3 in decimal but not in binary floats; 5000000000.000000 + 4999999999.999998 is not
    # 9999999999.999999 in decimal, but is as floats.
    "decimal-sums-as-float": (
        lambda e: (
            decimal_split("0.3", "0.1", "0.2")(e),
            decimal_split("9999999999.999999", "5000000000.000000", "4999999999.999998", hours_back=1)(e),
        ),
        ("ok", "InvalidUsageAllocationsException"),
        ("InvalidUsageAllocationsException", "ok"),
    ),
    "decimal-compared-as-float": (
        second_request(
            {"UsageQuantity": None, "UsageQuantityAsDecimal": "9999999999.999999"},
            {"UsageQuantity": None, "UsageQuantityAsDecimal": "9999999999.999998"},
        ),
        "DuplicateRequestException",
        "ok",
    ),
    "tag-range-literal": (
        lambda e: (one_tag("a!b")(e), one_tag("k", "v<w", hours_back=1)(e)),
        ("ok", "ok"),
        ("InvalidTagException", "InvalidTagException"),
    ),
    "tag-pattern-unchecked": (
        lambda e: (one_tag("a>b")(e), one_tag("k", "v~", hours_back=1)(e)),
        ("InvalidTagException", "InvalidTagException"),
        ("ok", "ok"),
    ),
    "two-untagged-accepted": (
        meter_allocations({"quantity": 2, "tags": None}, {"quantity": 3, "tags": None}),
        "InvalidUsageAllocationsException",
        "ok",
    ),
    "tag-sets-compared-ordered": (
        meter_allocations({"quantity": 2, "tags": tags_of(2)}, {"quantity": 3, "tags": tags_of(2)[::-1]}),
        "InvalidUsageAllocationsException",
        "ok",
    ),
    "unsubscribed-as-success": (
        lambda e: batch_result(e, record(CustomerIdentifier="cust-lapsed"))[0]["Status"],
        "CustomerNotSubscribed",
        "Success",
    ),
    "license-unchecked": (
        lambda e: outcome(
            make_client(e.url).batch_meter_usage,
            UsageRecords=[account_record(LicenseArn=DEFAULT.licenses["444455556666"])],
        ),
        "InvalidLicenseException",
        "ok",
    ),
    "batch-echo-missing": (lambda e: "UsageRecord" in batch_result(e, record())[0], True, False),
    "batch-echo-mangled": (echoed_quantity, ("17.42", None), (None, 17)),
    "unsubscribed-results-dropped": (
        lambda e: [r["Status"] for r in batch_result(e, record(), record(CustomerIdentifier="cust-lapsed"))],
        ["Success", "CustomerNotSubscribed"],
        ["Success"],
    ),
    "wrong-product-code-in-resolve": (
        lambda e: make_client(e.url).resolve_customer(RegistrationToken="valid-token-alpha")["ProductCode"],
        PRODUCT,
        f"{PRODUCT}-v0",
    ),
    "jwt-payload-missing-nonce": (lambda e: jwt_payload(e).get("nonce"), "n-1", None),
    "unknown-target-200": (
        lambda e: status_and_type(raw(e.url, "AWSMPMeteringService.NoSuchOperation", b"{}")),
        (400, "UnknownOperationException"),
        (200, None),
    ),
    "missing-content-type": (error_header("content-type"), True, False),
    "error-type-header-missing": (error_header("x-amzn-errortype"), True, False),
    "hang-on-large-body": (
        lambda e: answer_or_silence(e.url, "ResolveCustomer", LARGE_BODY, timeout=2),
        400,
        "no answer",
    ),
    "empty-body-rejected": (
        lambda e: (raw(e.url, "MeterUsage", b"").error, raw(e.url, "MeterUsage", b"{}").error),
        ("ValidationException", "ValidationException"),
        ("SerializationException", "ValidationException"),
    ),
    "fractional-timestamp-rejected": (
        lambda e: outcome(make_client(e.url).meter_usage, **usage(Timestamp=T0 + 0.5)),
        "ok",
        "SerializationException",
    ),
    # DryRun "false", UsageQuantity "6", ProductCode as a number (refused as unknown once it is a string).
    "lenient-json-types": (
        lambda e: tuple(
            raw(e.url, "MeterUsage", body).json.get("__type")
            for body in (
                {**usage(), "DryRun": "false"},
                {**usage(Timestamp=T0 - HOUR), "UsageQuantity": "6"},
                {**usage(Timestamp=T0 - 2 * HOUR), "ProductCode": 17},
            )
        ),
        ("SerializationException",) * 3,
        (None, None, "InvalidProductCodeException"),
    ),
    "string-booleans": (
        lambda e: tuple(
            raw(e.url, "MeterUsage", body).json.get("__type")
            for body in ({**usage(), "DryRun": "false"}, {**usage(Timestamp=T0 - HOUR), "UsageQuantity": "6"})
        ),
        ("SerializationException",) * 2,
        (None, "SerializationException"),
    ),
    "null-optional-rejected": (null_client_token, (200, None), (400, "SerializationException")),
}


def test_every_fault_has_a_case():
    assert set(CASES) == set(FAULTS)


@pytest.mark.parametrize("name", sorted(CASES))
def test_fault_deviates_only_when_on(make_endpoint, name):
    scenario, when_off, when_on = CASES[name]
    assert scenario(make_endpoint()) == when_off
    assert scenario(make_endpoint(faults=(name,))) == when_on


# Faults whose deviation another case observes by design: errors-with-200 changes every error's status, and an
# unknown dimension answered with the wrong error is what a case-insensitive dimension case sees when off; a
# stale timestamp named ValidationException is what the window cases see; a ClientToken ignored or replayed
# whatever the parameters hides every conflict; a dropped or missing result hides its status or echo; a new id
# on every retry is what the race case looks for; the malformed-JSON case reads an error's Content-Type; an
# unchecked sum hides a sum checked as floats; a binder coercing every type coerces booleans too.
INTERACTING = {
    "errors-with-200": set(FAULTS),
    "dimension-case-insensitive": {"unknown-dimension-wrong-error"},
    "stale-as-validation-error": {
        "meter-window-7h",
        "batch-window-7h",
        "partial-batch-on-stale",
        "meter-window-5h",
        "batch-window-5h",
    },
    "client-token-ignored": {"token-replay-ignores-parameters", "token-conflict-ignores-allocations"},
    "token-replay-ignores-parameters": {"client-token-ignored", "token-conflict-ignores-allocations"},
    "unsubscribed-results-dropped": {"unsubscribed-as-success"},
    "batch-echo-missing": {"batch-echo-mangled"},
    "new-id-on-retry": {"race-on-identical-requests"},
    "missing-content-type": {"malformed-json-500"},
    "allocation-sum-unchecked": {"decimal-sums-as-float"},
    "lenient-json-types": {"string-booleans"},
}


def test_other_faults_do_not_disturb_a_case(make_endpoint):
    """Every other independent fault on: a case still sees conformant behaviour (faults do not leak)."""
    for name, (scenario, when_off, _) in CASES.items():
        if name == "errors-with-200":
            continue
        others = tuple(
            n for n in FAULTS if n != name and name not in INTERACTING.get(n, ()) and n not in INTERACTING.get(name, ())
        )
        assert scenario(make_endpoint(faults=others)) == when_off, name


def test_a_hang_on_a_large_body_is_bounded_by_the_clients_read_timeout(make_endpoint):
    """The held request's connection is closed without an answer a little after the profile's read_timeout,
    and a small request on another connection is answered meanwhile."""
    endpoint = make_endpoint({"endpoint": {"read_timeout": 0.5}}, faults=("hang-on-large-body",))
    started = time.monotonic()
    assert answer_or_silence(endpoint.url, "ResolveCustomer", LARGE_BODY, timeout=10) == "no answer"
    held = time.monotonic() - started
    assert 0.5 < held < 8, f"the large request was held {held:.1f} s"
    small = json.dumps({"RegistrationToken": "x"}).encode()
    assert answer_or_silence(endpoint.url, "ResolveCustomer", small, timeout=5) == 400


def test_an_unknown_fault_name_is_refused_naming_the_valid_ones():
    with pytest.raises(ValueError) as info:
        ReferenceEndpoint(faults=["meter-window-8h"])
    assert "meter-window-8h" in str(info.value) and "meter-window-7h" in str(info.value)


def test_a_fault_consulted_but_not_registered_is_a_programming_error():
    with pytest.raises(KeyError):
        faults.on(frozenset(), "no-such-fault")


def test_fault_names_are_kebab_case_and_described_in_one_line():
    for name, description in FAULTS.items():
        assert name == name.lower() and " " not in name and "_" not in name
        assert description and "\n" not in description
    assert faults.table().count("\n") == len(FAULTS) - 1
