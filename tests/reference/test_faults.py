"""The fault switch: each named fault changes what it says when on, and nothing when off."""

from __future__ import annotations

from typing import Any, Callable

import pytest
from botocore.exceptions import ClientError

from meterconform.reference import FAULTS, ReferenceEndpoint, faults

from .conftest import HOUR, PRODUCT, T0, make_client, raw, record, usage


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


# fault -> (scenario(endpoint) -> observation, observation when off, observation when on)
CASES: dict[str, tuple[Callable[[ReferenceEndpoint], Any], Any, Any]] = {
    "meter-window-7h": (
        lambda e: outcome(make_client(e.url).meter_usage, **usage(Timestamp=T0 - 6.5 * HOUR)),
        "TimestampOutOfBoundsException", "ok"),
    "batch-window-7h": (
        lambda e: outcome(batch, make_client(e.url), [record(Timestamp=T0 - 6.5 * HOUR)]),
        "TimestampOutOfBoundsException", "ok"),
    "batch-cap-26": (lambda e: (batch_of(26)(e), batch_of(27)(e)),
                     ("ValidationException", "ValidationException"), ("ok", "ValidationException")),
    "new-id-on-retry": (retry_ids, True, False),
    "allocation-sum-unchecked": (short_sum, "InvalidUsageAllocationsException", "ok"),
    "six-tags-accepted": (six_tags, "InvalidTagException", "ok"),
    "duplicate-record-as-success": (duplicate_status, ("DuplicateRecord", False), ("Success", True)),
    "unknown-dimension-wrong-error": (
        lambda e: outcome(make_client(e.url).meter_usage, **usage(UsageDimension="Nope")),
        "InvalidUsageDimensionException", "InvalidProductCodeException"),
    "errors-with-200": (status_of_error, (400, "InvalidTokenException"), (200, "InvalidTokenException")),
    "malformed-json-500": (malformed, (400, "application/x-amz-json-1.1"), (500, "text/html")),
    "partial-batch-on-stale": (stale_batch, ("TimestampOutOfBoundsException", 0), ("TimestampOutOfBoundsException", 1)),
    "dryrun-records": (dry_run, ("DryRunOperation", 0), ("DryRunOperation", 1)),
    "dimension-case-insensitive": (
        lambda e: outcome(make_client(e.url).meter_usage, **usage(UsageDimension="hOURS")),
        "InvalidUsageDimensionException", "ok"),
    "client-token-ignored": (token_reuse, "IdempotencyConflictException", "ok"),
    "expired-token-as-invalid": (
        lambda e: outcome(make_client(e.url).resolve_customer, RegistrationToken="expired-token-0001"),
        "ExpiredTokenException", "InvalidTokenException"),
}


def test_every_fault_has_a_case():
    assert set(CASES) == set(FAULTS)


@pytest.mark.parametrize("name", sorted(CASES))
def test_fault_deviates_only_when_on(make_endpoint, name):
    scenario, when_off, when_on = CASES[name]
    assert scenario(make_endpoint()) == when_off
    assert scenario(make_endpoint(faults=(name,))) == when_on


# Faults whose deviation another case observes by design: errors-with-200 changes every error's status, and an
# unknown dimension answered with the wrong error is what a case-insensitive dimension case sees when off.
INTERACTING = {"errors-with-200": set(FAULTS), "dimension-case-insensitive": {"unknown-dimension-wrong-error"}}


def test_other_faults_do_not_disturb_a_case(make_endpoint):
    """Every other independent fault on: a case still sees conformant behaviour (faults do not leak)."""
    for name, (scenario, when_off, _) in CASES.items():
        if name == "errors-with-200":
            continue
        others = tuple(n for n in FAULTS if n != name and name not in INTERACTING.get(n, ())
                       and n not in INTERACTING.get(name, ()))
        assert scenario(make_endpoint(faults=others)) == when_off, name


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
