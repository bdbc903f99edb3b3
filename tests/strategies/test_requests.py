"""Valid strategies always satisfy the model (three ways) and the profile."""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from meterconform.harness.profile import MissingProfileData, from_dict
from meterconform.strategies import (
    batch_meter_usage_requests,
    meter_usage_requests,
    register_usage_requests,
    resolve_customer_requests,
)
from tests.strategies.checker import duplicate_keys, findings, record_identity_problems
from tests.strategies.helpers import PROFILE, botocore_report, request_schema, schema_errors, wire_round_trip

SETTINGS = settings(max_examples=12, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

STRATEGIES = [
    ("MeterUsage", "default", meter_usage_requests(PROFILE)),
    (
        "MeterUsage",
        "allocations, drawn token, dry run",
        meter_usage_requests(PROFILE, with_quantity=True, with_allocations=True, client_token="drawn", dry_run=None),
    ),
    (
        "MeterUsage",
        "edge inside, fractional",
        meter_usage_requests(PROFILE, where="edge_inside", fractional=True, client_token="absent"),
    ),
    ("MeterUsage", "hour boundary", meter_usage_requests(PROFILE, where="hour_boundary")),
    ("BatchMeterUsage", "subscribed", batch_meter_usage_requests(PROFILE, max_size=6)),
    (
        "BatchMeterUsage",
        "accounts, no product code",
        batch_meter_usage_requests(PROFILE, max_size=6, customers="accounts", with_product_code=None),
    ),
    (
        "BatchMeterUsage",
        "unsubscribed, all members",
        batch_meter_usage_requests(
            PROFILE, max_size=4, customers="unsubscribed", with_quantity=True, with_allocations=True
        ),
    ),
    (
        "BatchMeterUsage",
        "25 records",
        batch_meter_usage_requests(PROFILE, min_size=25, max_size=25, with_allocations=False),
    ),
    ("RegisterUsage", "default", register_usage_requests(PROFILE)),
    ("ResolveCustomer", "valid", resolve_customer_requests(PROFILE)),
    ("ResolveCustomer", "expired", resolve_customer_requests(PROFILE, "expired")),
    ("ResolveCustomer", "invalid", resolve_customer_requests(PROFILE, "invalid")),
]


@pytest.mark.parametrize("operation, label, strategy", STRATEGIES, ids=[f"{o}-{label}" for o, label, _ in STRATEGIES])
@SETTINGS
@given(data=st.data())
def test_valid_requests_satisfy_the_model_and_the_profile(operation, label, strategy, data):
    request = data.draw(strategy)
    assert wire_round_trip(request) == request, "the request does not survive JSON encoding"
    assert botocore_report(operation, request) == ""
    assert schema_errors(operation, request) == []
    assert findings(operation, request, PROFILE) == []


def test_the_generated_json_schemas_are_used_when_present():
    # Once schemas/<Op>.request.json exist they must reject what the model rejects, or the check above is empty.
    schema = request_schema("MeterUsage")
    if schema is None:
        pytest.skip("schemas/MeterUsage.request.json not generated yet")
    assert schema_errors(
        "MeterUsage", {"ProductCode": "p", "Timestamp": 1, "UsageDimension": "d", "UsageQuantity": 2**31}
    )


@SETTINGS
@given(request=meter_usage_requests(PROFILE, fractional=None))
def test_meter_usage_wire_form(request):
    ts = request["Timestamp"]
    assert type(ts) is int or (type(ts) is float and ts != math.floor(ts))
    assert all(v is not None for v in request.values())
    if "UsageAllocations" in request:
        assert sum(a["AllocatedUsageQuantity"] for a in request["UsageAllocations"]) == request.get("UsageQuantity", 0)
    assert request.get("DryRun") in (None, False)


@SETTINGS
@given(a=meter_usage_requests(PROFILE), b=meter_usage_requests(PROFILE))
def test_fresh_client_tokens_never_repeat(a, b):
    assert a["ClientToken"] != b["ClientToken"]


@pytest.mark.parametrize("customers", ["subscribed", "unsubscribed", "accounts"])
@SETTINGS
@given(data=st.data())
def test_batches_name_the_customers_asked_for_with_distinct_keys(customers, data):
    request = data.draw(batch_meter_usage_requests(PROFILE, max_size=8, customers=customers))
    records = request["UsageRecords"]
    assert 1 <= len(records) <= 8
    for record in records:
        assert record_identity_problems(record, PROFILE, customers) == []
    assert duplicate_keys(records, per_hour=False) == []


def test_hour_dedup_profiles_get_records_in_distinct_hours():
    raw = dict(PROFILE.raw)
    raw["contract"] = {**raw["contract"], "batch_dedup": "hour"}
    hourly = from_dict(raw)

    @SETTINGS
    @given(request=batch_meter_usage_requests(hourly, max_size=10))
    def check(request):
        assert duplicate_keys(request["UsageRecords"], per_hour=True) == []

    check()


@SETTINGS
@given(request=register_usage_requests(PROFILE))
def test_register_usage_uses_the_profile_versions(request):
    assert request["ProductCode"] == PROFILE.product.code
    assert request["PublicKeyVersion"] in PROFILE.product.public_key_versions


def test_resolve_customer_tokens_come_from_the_profile_kind():
    valid = {t.token for t in PROFILE.registration_tokens.valid}

    @SETTINGS
    @given(v=resolve_customer_requests(PROFILE, "valid"), e=resolve_customer_requests(PROFILE, "expired"))
    def check(v, e):
        assert v["RegistrationToken"] in valid
        assert e["RegistrationToken"] in PROFILE.registration_tokens.expired

    check()


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: meter_usage_requests(PROFILE, client_token="uuid"), "client_token="),
        (lambda: meter_usage_requests(PROFILE, with_quantity="yes"), "with_quantity="),
        (lambda: meter_usage_requests(PROFILE, where="inisde"), "where="),
        (lambda: meter_usage_requests(PROFILE, quantity=5), "quantity="),
        (lambda: batch_meter_usage_requests(PROFILE, max_size=26), "max_size=26"),
        (lambda: batch_meter_usage_requests(PROFILE, customers="everyone"), "customers="),
        (lambda: resolve_customer_requests(PROFILE, "stale"), "kind="),
        (lambda: meter_usage_requests({"product": {}}), "profile="),
    ],
)
def test_bad_arguments_are_refused_up_front_naming_the_argument(make, match):
    with pytest.raises((ValueError, TypeError), match=match):
        make()


@pytest.mark.parametrize(
    "make, key",
    [
        (lambda p: meter_usage_requests(p), "product.code"),
        (lambda p: register_usage_requests(p), "product.public_key_versions"),
        (lambda p: batch_meter_usage_requests(p, customers="accounts"), "customers.subscribed_accounts"),
        (lambda p: resolve_customer_requests(p), "registration_tokens.valid"),
    ],
)
def test_missing_profile_data_is_named(make, key):
    with pytest.raises(MissingProfileData) as info:
        make(from_dict({}))
    assert info.value.key == key
