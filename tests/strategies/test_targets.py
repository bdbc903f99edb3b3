"""Target scores: each limit scores 0 at the limit and less on either side; reported only under the target phase."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from meterconform.harness.profile import from_dict
from meterconform.strategies import meter_usage_requests, tags, timestamps
from meterconform.strategies.targets import aim_at_limits, limit_scores
from tests.strategies.helpers import PROFILE

COUNT, ALLOCS, TAGS = (
    "records in the batch (to 25)",
    "allocations of a usage (to contract.max_allocations)",
    "tags of an allocation (to 5)",
)
KEY, VALUE, NONCE = "tag Key length (to 100)", "tag Value length (to 256)", "Nonce length (to 255)"
AGE, HOUR = "age to window - tolerance (seconds)", "seconds to the next hour"
NOW = 1_800_000_000.0  # 2027-01-15T08:00:00Z, on the hour
EDGE = PROFILE.contract.meter_window_hours * 3600 - PROFILE.contract.clock_tolerance_seconds


def usage(timestamp, *allocation_tags):
    record = {"Timestamp": timestamp, "CustomerIdentifier": "c", "Dimension": "d", "Quantity": len(allocation_tags)}
    if allocation_tags:
        record["UsageAllocations"] = [{"AllocatedUsageQuantity": 1, "Tags": list(t)} for t in allocation_tags]
    return record


def tag(key_length, value_length):
    return {"Key": "k" * key_length, "Value": "v" * value_length}


def test_batch_scores_are_closeness_to_each_limit():
    records = [usage(NOW - 60, [tag(100, 1)], [tag(3, 257), tag(4, 4)]), usage(NOW - 61), usage(NOW - 62)]
    scores = limit_scores("BatchMeterUsage", {"ProductCode": "p", "UsageRecords": records}, PROFILE, now=NOW)
    assert scores[COUNT] == -22
    assert scores[ALLOCS] == -(PROFILE.contract.max_allocations - 2)
    assert scores[TAGS] == -3  # the allocation with two tags is nearest 5
    assert scores[KEY] == 0  # one key of exactly 100 characters
    assert scores[VALUE] == -1  # 257 is one past 256: a broken request is scored by its distance too
    assert scores[AGE] == -(EDGE - 62)  # the oldest record is nearest the edge
    assert scores[HOUR] == -60  # 07:59:00 is a minute before the next hour


def test_the_window_edge_and_the_hour_boundary_score_zero():
    at_edge = limit_scores("MeterUsage", {"Timestamp": NOW - EDGE, "UsageQuantity": 1}, PROFILE, now=NOW)
    assert at_edge[AGE] == 0
    last_second = limit_scores("MeterUsage", {"Timestamp": NOW - 1, "UsageQuantity": 1}, PROFILE, now=NOW)
    assert last_second[HOUR] == -1 and last_second[AGE] == -(EDGE - 1)
    # The nearest usage of a batch counts; a batch's own window is batch_window_hours.
    batch_edge = PROFILE.contract.batch_window_hours * 3600 - PROFILE.contract.clock_tolerance_seconds
    scores = limit_scores(
        "BatchMeterUsage", {"UsageRecords": [usage(NOW - 5), usage(NOW - batch_edge - 7)]}, PROFILE, now=NOW
    )
    assert scores[AGE] == -7


def test_times_metering_batch_key_chose_are_not_scored():
    scores = limit_scores(
        "BatchMeterUsage", {"UsageRecords": [usage(NOW - 60)]}, PROFILE, drawn_timestamps=False, now=NOW
    )
    assert AGE not in scores and HOUR not in scores and scores[COUNT] == -24


def test_only_the_members_a_request_carries_are_scored():
    assert limit_scores("RegisterUsage", {"ProductCode": "p", "PublicKeyVersion": 1, "Nonce": "n" * 250}, PROFILE) == {
        NONCE: -5
    }
    assert limit_scores("ResolveCustomer", {"RegistrationToken": "t"}, PROFILE) == {}
    assert set(limit_scores("MeterUsage", {"ProductCode": "p", "UsageDimension": "d"}, PROFILE)) == set()


@pytest.mark.parametrize(
    "request_body",
    [
        None,
        "not a dict",
        {"UsageRecords": "x"},
        {"UsageRecords": [1, None, {"Timestamp": "soon"}]},
        {"Timestamp": True, "UsageAllocations": [{"Tags": [{"Key": 5}, "x", {"Value": None}]}, 3]},
        {"Timestamp": float("nan"), "UsageAllocations": {}},
    ],
)
def test_malformed_requests_are_scored_without_error(request_body):
    for operation in ("MeterUsage", "BatchMeterUsage"):
        assert all(isinstance(v, float) for v in limit_scores(operation, request_body, PROFILE).values())


def _aim_under(profile_name: str) -> dict:
    """What aim_at_limits returns inside a @given check decorated while `profile_name` is loaded (inside a
    test, Hypothesis's settings.default is that test's settings)."""
    before = settings.get_current_profile_name()
    settings.load_profile(profile_name)
    try:
        seen = {}

        @settings(max_examples=1, database=None)
        @given(st.just({"ProductCode": "p", "PublicKeyVersion": 1, "Nonce": "n"}))
        def check(request):
            seen["scores"] = aim_at_limits("RegisterUsage", request, PROFILE)

        check()
        return seen["scores"]
    finally:
        settings.load_profile(before)


def test_aim_reports_only_under_the_target_phase():
    assert _aim_under("meterconform-ci") == {}
    assert _aim_under("meterconform-quick") == {}
    assert _aim_under("meterconform-deep") == {NONCE: -254}


def test_strategy_functions_hand_back_the_strategy_they_built():
    """Built once per argument list: a strategy built in every example is validated in every example."""
    assert tags() is tags() and tags(1, 2) is tags(1, 2) and tags(1, 2) is not tags()
    assert meter_usage_requests(PROFILE, with_allocations=False) is meter_usage_requests(
        PROFILE, with_allocations=False
    )
    assert timestamps(PROFILE, "batch", "stale") is timestamps(PROFILE, "batch", "stale")


def test_another_profile_gets_its_own_strategy():
    """Profiles count by identity: one with other dimensions never gets the first profile's strategy."""
    raw = dict(PROFILE.raw)
    raw["product"] = {**raw["product"], "dimensions": ["OnlyThis"]}
    other = from_dict(raw)
    assert meter_usage_requests(other) is not meter_usage_requests(PROFILE)

    @settings(max_examples=10, database=None, deadline=None)
    @given(st.data())
    def check(data):
        assert data.draw(meter_usage_requests(other))["UsageDimension"] == "OnlyThis"
        assert data.draw(meter_usage_requests(PROFILE))["UsageDimension"] in PROFILE.product.dimensions

    check()
