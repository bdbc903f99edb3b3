"""The endpoint's clock: windows and hour slots follow it, with no sleeping; signatures still use real time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError

from meterconform.reference.clock import Clock

NOON = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def send(endpoint, when: datetime, quantity: int = 1, customer: str = "cust-alpha") -> str:
    """Status of one BatchMeterUsage record (or the request's error code)."""
    record = {"Timestamp": when, "CustomerIdentifier": customer, "Dimension": "Hours", "Quantity": quantity}
    try:
        body = endpoint.client().batch_meter_usage(ProductCode=endpoint.product_code, UsageRecords=[record])
    except ClientError as error:
        return error.response["Error"]["Code"]
    return body["Results"][0]["Status"]


def test_set_freezes_the_endpoints_now(metering_endpoint):
    metering_endpoint.clock.set(NOON)
    assert metering_endpoint.clock.now() == NOON and metering_endpoint.clock.frozen
    assert send(metering_endpoint, NOON - timedelta(hours=5, minutes=59)) == "Success"
    assert send(metering_endpoint, NOON - timedelta(hours=6, minutes=1)) == "TimestampOutOfBoundsException"
    assert metering_endpoint.records()[0].recorded_at == NOON


def test_advance_moves_a_record_out_of_the_window(metering_endpoint):
    metering_endpoint.clock.set(NOON)
    event = NOON - timedelta(hours=1)
    assert send(metering_endpoint, event) == "Success"
    metering_endpoint.clock.advance(hours=4, minutes=59)
    assert send(metering_endpoint, event, customer="cust-bravo") == "Success"
    metering_endpoint.clock.advance(minutes=2)
    assert send(metering_endpoint, event, customer="cust-charlie") == "TimestampOutOfBoundsException"
    assert metering_endpoint.clock.now() == NOON + timedelta(hours=5, minutes=1)


def test_meter_usage_hour_slots_follow_the_clock(metering_endpoint):
    metering_endpoint.clock.set(NOON + timedelta(minutes=50))
    client = metering_endpoint.client(access_key_id="AKIDINSTANCE000002")

    def meter(when: datetime, quantity: int) -> str:
        try:
            return client.meter_usage(
                ProductCode=metering_endpoint.product_code,
                Timestamp=when,
                UsageDimension="Hours",
                UsageQuantity=quantity,
            )["MeteringRecordId"]
        except ClientError as error:
            return error.response["Error"]["Code"]

    first = meter(NOON + timedelta(minutes=10), 3)
    assert meter(NOON + timedelta(minutes=40), 3) == first  # the same hour, the same usage: the same record
    assert meter(NOON + timedelta(minutes=45), 4) == "DuplicateRequestException"
    metering_endpoint.clock.advance(hours=1)
    assert meter(NOON + timedelta(hours=1, minutes=5), 4) not in (first, "DuplicateRequestException")
    assert [r.quantity for r in metering_endpoint.records()] == [3, 4]


def test_a_running_clock_advances_with_real_time():
    ticks = iter([1000.0, 1010.0])
    clock = Clock(lambda: next(ticks))
    clock.advance(hours=1)
    assert clock() == 1000.0 + 3600 and clock() == 1010.0 + 3600 and not clock.frozen


def test_naive_datetimes_are_utc_and_reset_returns_to_real_time():
    clock = Clock(lambda: 42.0)
    clock.set(datetime(2026, 3, 1, 12, 0))
    assert clock.now() == NOON
    clock.reset()
    assert clock() == 42.0 and not clock.frozen
    with pytest.raises(TypeError, match="datetime or epoch seconds"):
        clock.set("noon")
