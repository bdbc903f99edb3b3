"""Seeded chaos: each kind of trouble as it says, the same seed the same sequence, and the readings unchanged."""

from __future__ import annotations

import time
from collections import Counter

import pytest
from botocore.exceptions import ClientError

from meterconform.reference.chaos import Chaos, Trouble
from meterconform.testing import MeteringEndpoint

NOW = int(time.time())


def answer(endpoint: MeteringEndpoint, client, i: int) -> str:
    """One BatchMeterUsage of one record: "ok", "unprocessed" or the error code."""
    record = {
        "Timestamp": NOW - i,
        "CustomerIdentifier": endpoint.customers[i % 4],
        "Dimension": "Hours",
        "Quantity": 1,
    }
    try:
        body = client.batch_meter_usage(ProductCode=endpoint.product_code, UsageRecords=[record])
    except ClientError as error:
        return error.response["Error"]["Code"]
    return "unprocessed" if body["UnprocessedRecords"] else "ok"


def sequence(endpoint: MeteringEndpoint, n: int = 60, **chaos) -> list[str]:
    client = endpoint.client()
    with endpoint.chaos(**chaos):
        return [answer(endpoint, client, i) for i in range(n)]


MIXED = {"throttle": 0.3, "unprocessed": 0.2, "internal_error": 0.1}


def test_the_same_seed_gives_the_same_sequence_of_answers(metering_endpoint_factory):
    first = sequence(metering_endpoint_factory(), seed=7, **MIXED)
    second = sequence(metering_endpoint_factory(), seed=7, **MIXED)
    assert first == second
    assert set(first) == {"ok", "ThrottlingException", "unprocessed", "InternalServiceErrorException"}
    assert sequence(metering_endpoint_factory(), seed=8, **MIXED) != first


def test_a_chaos_block_starts_its_sequence_again(metering_endpoint):
    first = sequence(metering_endpoint, seed=3, **MIXED)
    assert sequence(metering_endpoint, seed=3, **MIXED) == first


def test_one_kinds_sequence_does_not_depend_on_the_others(metering_endpoint):
    alone = [a == "ThrottlingException" for a in sequence(metering_endpoint, seed=5, throttle=0.3)]
    mixed = [a == "ThrottlingException" for a in sequence(metering_endpoint, seed=5, throttle=0.3, internal_error=0.5)]
    assert alone == mixed and any(alone)


def test_the_fractions_are_near_the_settings(metering_endpoint):
    counts = Counter(sequence(metering_endpoint, n=400, seed=11, **MIXED))
    # throttle drawn first, then internal_error (when not throttled), then unprocessed (when answered)
    assert 0.25 <= counts["ThrottlingException"] / 400 <= 0.35
    assert 0.04 <= counts["InternalServiceErrorException"] / 400 <= 0.10
    assert 0.08 <= counts["unprocessed"] / 400 <= 0.16


@pytest.mark.parametrize(
    "kind, code",
    [
        ("throttle", "ThrottlingException"),
        ("internal_error", "InternalServiceErrorException"),
        ("unprocessed", "unprocessed"),
    ],
)
def test_a_fraction_of_one_refuses_every_request_and_records_nothing(metering_endpoint, kind, code):
    assert sequence(metering_endpoint, n=5, **{kind: 1.0}) == [code] * 5
    assert metering_endpoint.records() == []
    assert [e.injected for e in metering_endpoint.requests] == [kind] * 5
    status = {"throttle": 400, "internal_error": 500, "unprocessed": 200}[kind]
    assert {e.status for e in metering_endpoint.requests} == {status}
    assert sequence(metering_endpoint, n=2) == ["ok", "ok"]  # the block is over


def test_throttling_applies_to_every_operation(metering_endpoint):
    with metering_endpoint.chaos(throttle=1.0), pytest.raises(ClientError) as info:
        metering_endpoint.client().resolve_customer(RegistrationToken="valid-token-alpha")
    assert info.value.response["Error"]["Code"] == "ThrottlingException"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_unprocessed_batches_record_nothing_and_the_resend_is_recorded(metering_endpoint):
    client = metering_endpoint.client()
    records = [
        {"Timestamp": NOW, "CustomerIdentifier": c, "Dimension": "Hours", "Quantity": 2}
        for c in metering_endpoint.customers
    ]
    with metering_endpoint.chaos(unprocessed=1.0):
        body = client.batch_meter_usage(ProductCode=metering_endpoint.product_code, UsageRecords=records)
    assert (
        body["Results"] == []
        and [r["CustomerIdentifier"] for r in body["UnprocessedRecords"]] == metering_endpoint.customers
    )
    assert metering_endpoint.records() == []
    client.batch_meter_usage(ProductCode=metering_endpoint.product_code, UsageRecords=records)
    assert len(metering_endpoint.records()) == 4


def test_latency_is_added_to_each_request(metering_endpoint):
    client = metering_endpoint.client()
    client.resolve_customer(RegistrationToken="valid-token-alpha")  # warm the connection
    with metering_endpoint.chaos(latency_ms=120):
        started = time.perf_counter()
        client.resolve_customer(RegistrationToken="valid-token-alpha")
        slow = time.perf_counter() - started
    assert slow >= 0.12
    assert metering_endpoint.requests[-1].duration_ms >= 120


def test_chaos_for_the_whole_endpoint_and_restored_after_a_block():
    with MeteringEndpoint(chaos={"throttle": 1.0}) as endpoint:
        assert sequence(endpoint, n=2, throttle=0.0) == ["ok", "ok"]  # a block replaces it ...
        assert answer(endpoint, endpoint.client(), 0) == "ThrottlingException"  # ... and gives it back
        endpoint.set_chaos()
        assert answer(endpoint, endpoint.client(), 1) == "ok"
        endpoint.set_chaos(unprocessed=1.0)
        assert answer(endpoint, endpoint.client(), 2) == "unprocessed"


@pytest.mark.parametrize(
    "settings, message",
    [
        ({"throttle": 1.5}, "throttle must be a fraction"),
        ({"latency_ms": -1}, "latency_ms must be"),
        ({"throtle": 0.1}, "unknown chaos setting"),
        ({"seed": "7"}, "seed must be an integer"),
    ],
)
def test_bad_settings_are_refused_naming_the_setting(settings, message):
    with pytest.raises(ValueError, match=message):
        Chaos.of(settings)


def test_the_serve_spelling_parses():
    assert Chaos.parse("throttle=0.3, unprocessed=0.2,latency_ms=50", seed=7) == Chaos(0.3, 0.2, 0.0, 50, 7)
    with pytest.raises(ValueError, match="NAME=VALUE"):
        Chaos.parse("throttle")


def test_readings_and_chaos_share_one_trouble_and_both_count():
    trouble = Trouble(frozenset({"throttle-sometimes"}), Chaos(internal_error=1.0))
    answers = [trouble.refused(f"request {i}") for i in range(10)]
    assert answers == ["internal_error"] * 9 + ["throttle"]  # the reading's 10th request still comes first
