"""UsageRecords name the customers asked for and, in a list, have distinct keys."""

from __future__ import annotations

import pytest
from hypothesis import find, given, settings
from hypothesis import strategies as st

from meterconform.harness.profile import MissingProfileData, from_dict
from meterconform.strategies import usage_record_lists, usage_records
from tests.strategies.checker import duplicate_keys, record_identity_problems, rules
from tests.strategies.helpers import FIND, PROFILE

SETTINGS = settings(max_examples=15, deadline=None, database=None)


@pytest.mark.parametrize("customers", ["subscribed", "unsubscribed", "accounts"])
@SETTINGS
@given(data=st.data())
def test_records_are_valid_and_name_the_customers_asked_for(customers, data):
    record = data.draw(usage_records(PROFILE, customers))
    assert record_identity_problems(record, PROFILE, customers) == []
    assert rules("BatchMeterUsage", {"ProductCode": PROFILE.product.code, "UsageRecords": [record]}, PROFILE) == set()
    if "UsageAllocations" in record:
        assert sum(a["AllocatedUsageQuantity"] for a in record["UsageAllocations"]) == record["Quantity"]


def test_optional_members_are_both_present_and_absent():
    find(usage_records(PROFILE), lambda r: "Quantity" not in r, settings=FIND)
    find(usage_records(PROFILE), lambda r: "UsageAllocations" in r, settings=FIND)
    find(usage_records(PROFILE), lambda r: r.get("Quantity") == 2**31 - 1, settings=FIND)


@SETTINGS
@given(records=usage_record_lists(PROFILE, 2, 12))
def test_lists_have_distinct_keys(records):
    assert 2 <= len(records) <= 12
    assert duplicate_keys(records, per_hour=False) == []


def test_twenty_five_records_are_reachable():
    assert (
        len(find(usage_record_lists(PROFILE, 20, 25, with_allocations=False), lambda rs: len(rs) == 25, settings=FIND))
        == 25
    )


def test_an_hourly_profile_too_small_for_the_list_is_refused():
    raw = dict(PROFILE.raw)
    raw["contract"] = {**raw["contract"], "batch_dedup": "hour"}
    raw["customers"] = {**raw["customers"], "subscribed": ["only-one"]}
    raw["product"] = {**raw["product"], "dimensions": ["Hours"]}
    with pytest.raises(ValueError, match="min_size=25"):
        usage_record_lists(from_dict(raw), 25, 25)


@pytest.mark.parametrize(
    "customers, key",
    [
        ("subscribed", "customers.subscribed"),
        ("unsubscribed", "customers.unsubscribed"),
        ("accounts", "customers.subscribed_accounts"),
    ],
)
def test_missing_customers_are_named(customers, key):
    raw = {"product": {"code": "p", "dimensions": ["d"]}}
    with pytest.raises(MissingProfileData) as info:
        usage_records(from_dict(raw), customers)
    assert info.value.key == key


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: usage_records(PROFILE, "vip"), "customers="),
        (lambda: usage_records(PROFILE, with_quantity=1), "with_quantity="),
        (lambda: usage_records(PROFILE, with_quantity=False, with_allocations=True), "with_allocations=True"),
        (lambda: usage_record_lists(PROFILE, 0, 26), "max_size=26"),
        (lambda: usage_record_lists(PROFILE, 3, 2), "min_size=3"),
    ],
)
def test_bad_arguments_name_the_argument(make, match):
    with pytest.raises((ValueError, TypeError), match=match):
        make()
