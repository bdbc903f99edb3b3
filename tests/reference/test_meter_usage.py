"""MeterUsage on the reference endpoint: validation, window, hourly slots, ClientToken, DryRun, through boto3."""

from __future__ import annotations

import pytest

from .conftest import HOUR, T0, client_error, make_client, usage


def test_meter_usage_answers_a_record_id_and_stores_one_record(endpoint, client):
    result = client.meter_usage(**usage())
    assert len(result["MeteringRecordId"]) == 36
    assert endpoint.model.record_count() == 1


def test_identical_requests_in_the_same_hour_are_idempotent(endpoint, client):
    first = client.meter_usage(**usage(Timestamp=T0 - 1800))  # start of the hour
    second = client.meter_usage(**usage(Timestamp=T0 + 1799))  # end of the same hour, a fresh ClientToken
    assert first["MeteringRecordId"] == second["MeteringRecordId"]
    assert endpoint.model.record_count() == 1


def test_a_different_quantity_in_the_same_hour_is_a_duplicate_request(endpoint, client):
    client.meter_usage(**usage(UsageQuantity=5))
    assert client_error(client.meter_usage, **usage(UsageQuantity=6, Timestamp=T0 - 60))[:2] == (
        "DuplicateRequestException",
        400,
    )
    assert endpoint.model.record_count() == 1


@pytest.mark.parametrize(
    "change",
    [
        {"UsageDimension": "Requests"},
        {"Timestamp": T0 - HOUR},
    ],
)
def test_another_dimension_or_hour_is_another_record(endpoint, client, change):
    first = client.meter_usage(**usage())
    second = client.meter_usage(**usage(**change))
    assert first["MeteringRecordId"] != second["MeteringRecordId"]
    assert endpoint.model.record_count() == 2


def test_slots_are_per_identity(endpoint):
    first = make_client(endpoint.url).meter_usage(**usage())
    second = make_client(endpoint.url).meter_usage(**usage(UsageQuantity=9))  # another instance, same hour
    assert first["MeteringRecordId"] != second["MeteringRecordId"]


def test_quantity_defaults_to_zero(endpoint, client):
    first = client.meter_usage(**usage(UsageQuantity=None))
    assert client.meter_usage(**usage(UsageQuantity=0))["MeteringRecordId"] == first["MeteringRecordId"]
    assert client_error(client.meter_usage, **usage(UsageQuantity=1))[0] == "DuplicateRequestException"


def test_decimal_and_whole_quantities_compare_by_value(client):
    first = client.meter_usage(**usage(UsageQuantity=17))
    again = client.meter_usage(**usage(UsageQuantity=None, UsageQuantityAsDecimal="17.00"))
    assert again["MeteringRecordId"] == first["MeteringRecordId"]
    error = client_error(client.meter_usage, **usage(UsageQuantity=None, UsageQuantityAsDecimal="17.5"))
    assert error[0] == "DuplicateRequestException"


@pytest.mark.parametrize(
    "params, code",
    [
        (usage(ProductCode=None), "ValidationException"),
        (usage(Timestamp=None), "ValidationException"),
        (usage(UsageDimension=None), "ValidationException"),
        (usage(ProductCode="prod-other"), "InvalidProductCodeException"),
        (usage(ProductCode=""), "InvalidProductCodeException"),
        (usage(ProductCode="p" * 256), "InvalidProductCodeException"),
        (usage(ProductCode="prod meter!"), "InvalidProductCodeException"),
        (usage(UsageDimension="Gigabytes"), "InvalidUsageDimensionException"),
        (usage(UsageDimension="hours"), "InvalidUsageDimensionException"),
        (usage(UsageDimension=""), "InvalidUsageDimensionException"),
        (usage(UsageQuantity=-1), "ValidationException"),
        (usage(UsageQuantity=2147483648), "ValidationException"),
        (usage(UsageQuantityAsDecimal="1.5"), "ValidationException"),  # both quantity members
        (usage(UsageQuantity=None, UsageQuantityAsDecimal="01.5"), "ValidationException"),
        (usage(UsageQuantity=None, UsageQuantityAsDecimal="1.1234567"), "ValidationException"),
        (usage(ClientToken=""), "ValidationException"),
        (usage(ClientToken="t" * 65), "ValidationException"),
    ],
)
def test_invalid_input_is_rejected_with_the_documented_error(endpoint, client, params, code):
    assert client_error(client.meter_usage, **params)[:2] == (code, 400)
    assert endpoint.model.record_count() == 0


@pytest.mark.parametrize("quantity", [0, 2147483647])
def test_quantity_bounds_are_inclusive(client, quantity):
    assert client.meter_usage(**usage(UsageQuantity=quantity))["MeteringRecordId"]


def test_client_token_length_bounds_are_inclusive(client):
    assert client.meter_usage(**usage(ClientToken="t" * 64))["MeteringRecordId"]
    assert client.meter_usage(**usage(ClientToken="u", UsageDimension="Requests"))["MeteringRecordId"]


# --- window ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "offset, accepted",
    [
        (-6 * HOUR, True),
        (-6 * HOUR - 1, False),
        (-30 * 24 * HOUR, False),
        (HOUR, True),
        (HOUR + 1, False),
        (-T0, False),  # the epoch
    ],
)
def test_window_is_six_hours_back_and_one_ahead(endpoint, client, offset, accepted):
    params = usage(Timestamp=T0 + offset)
    if accepted:
        assert client.meter_usage(**params)["MeteringRecordId"]
    else:
        assert client_error(client.meter_usage, **params)[:2] == ("TimestampOutOfBoundsException", 400)
        assert endpoint.model.record_count() == 0


def test_window_follows_the_clock(endpoint, client, clock):
    clock.advance(6 * HOUR + 1)
    assert client_error(client.meter_usage, **usage())[0] == "TimestampOutOfBoundsException"


def test_window_comes_from_the_profile(make_endpoint):
    endpoint = make_endpoint({"contract": {"meter_window_hours": 1}})
    client = make_client(endpoint.url)
    assert client.meter_usage(**usage(Timestamp=T0 - HOUR))["MeteringRecordId"]
    assert client_error(client.meter_usage, **usage(Timestamp=T0 - HOUR - 1))[0] == "TimestampOutOfBoundsException"


# --- ClientToken ------------------------------------------------------------------------------------------------------


def test_same_client_token_and_parameters_returns_the_same_record(endpoint, client):
    first = client.meter_usage(**usage(ClientToken="token-1"))
    assert client.meter_usage(**usage(ClientToken="token-1"))["MeteringRecordId"] == first["MeteringRecordId"]
    assert endpoint.model.record_count() == 1


@pytest.mark.parametrize(
    "change",
    [
        {"UsageQuantity": 6},
        {"UsageDimension": "Requests"},
        {"Timestamp": T0 - 60},  # same hour, other instant: still other parameters
        {"UsageAllocations": [{"AllocatedUsageQuantity": 5, "Tags": [{"Key": "k", "Value": "v"}]}]},
    ],
)
def test_same_client_token_with_other_parameters_is_an_idempotency_conflict(endpoint, client, change):
    client.meter_usage(**usage(ClientToken="token-2"))
    assert client_error(client.meter_usage, **usage(ClientToken="token-2", **change))[:2] == (
        "IdempotencyConflictException",
        400,
    )
    assert endpoint.model.record_count() == 1


def test_client_tokens_are_per_identity(endpoint):
    make_client(endpoint.url).meter_usage(**usage(ClientToken="shared"))
    assert make_client(endpoint.url).meter_usage(**usage(ClientToken="shared", UsageQuantity=1))["MeteringRecordId"]


def test_idempotency_conflict_status_comes_from_the_profile(make_endpoint):
    endpoint = make_endpoint({"contract": {"idempotency_conflict_status": 409}})
    client = make_client(endpoint.url)
    client.meter_usage(**usage(ClientToken="token-3"))
    assert client_error(client.meter_usage, **usage(ClientToken="token-3", UsageQuantity=1))[:2] == (
        "IdempotencyConflictException",
        409,
    )


# --- DryRun -----------------------------------------------------------------------------------------------------------


def test_dry_run_records_nothing_and_answers_dry_run_operation(endpoint, client):
    code, status, message = client_error(client.meter_usage, **usage(DryRun=True, ClientToken="dry"))
    assert (code, status) == ("DryRunOperation", 412)
    assert message == "Request would have succeeded, but DryRun flag is set."
    assert endpoint.model.record_count() == 0
    # Nothing remembered: the same token and hour now meter for real, with any quantity.
    assert client.meter_usage(**usage(ClientToken="dry", UsageQuantity=7))["MeteringRecordId"]
    assert endpoint.model.record_count() == 1


@pytest.mark.parametrize(
    "params, code",
    [
        (usage(DryRun=True, UsageDimension="Nope"), "InvalidUsageDimensionException"),
        (usage(DryRun=True, Timestamp=T0 - 7 * HOUR), "TimestampOutOfBoundsException"),
    ],
)
def test_dry_run_runs_every_validation(client, params, code):
    assert client_error(client.meter_usage, **params)[0] == code


def test_dry_run_sees_a_duplicate_request(endpoint, client):
    client.meter_usage(**usage())
    assert client_error(client.meter_usage, **usage(UsageQuantity=8, DryRun=True))[0] == "DuplicateRequestException"
    assert client_error(client.meter_usage, **usage(DryRun=True))[0] == "DryRunOperation"
    assert client.meter_usage(**usage(DryRun=False))["MeteringRecordId"]
    assert endpoint.model.record_count() == 1


# --- Region -----------------------------------------------------------------------------------------------------------


def test_a_request_signed_for_another_region_is_an_invalid_endpoint_region(endpoint):
    client = make_client(endpoint.url, region="eu-west-1")
    assert client_error(client.meter_usage, **usage())[:2] == ("InvalidEndpointRegionException", 400)
