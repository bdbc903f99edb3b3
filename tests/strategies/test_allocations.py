"""Allocations add up to the quantity, have distinct tag sets, at most one untagged; the count limits are reachable."""

from __future__ import annotations

import pytest
from hypothesis import find, given, settings
from hypothesis import strategies as st

from meterconform.harness.profile import from_dict
from meterconform.strategies import allocations, max_allocations_list, quantities
from tests.strategies.checker import MODEL, rules
from tests.strategies.helpers import FIND, PROFILE

SETTINGS = settings(max_examples=40, deadline=None, database=None)


def tag_set(allocation):
    return frozenset((t["Key"], t["Value"]) for t in allocation.get("Tags", ()))


def check_valid(total, allocation_list, max_count):
    assert 1 <= len(allocation_list) <= max_count
    assert sum(a["AllocatedUsageQuantity"] for a in allocation_list) == total
    tagged = [tag_set(a) for a in allocation_list if "Tags" in a]
    assert len(set(tagged)) == len(tagged)
    assert sum(1 for a in allocation_list if "Tags" not in a) <= 1
    # And as a whole MeterUsage request, the independent checker finds nothing wrong.
    request = {
        "ProductCode": PROFILE.product.code,
        "Timestamp": 0,
        "UsageDimension": PROFILE.product.dimensions[0],
        "UsageQuantity": total,
        "UsageAllocations": allocation_list,
    }
    assert rules("MeterUsage", request, PROFILE) - {"MU.WINDOW.STALE"} == set()


@SETTINGS
@given(data=st.data())
def test_allocations_are_valid_for_their_total(data):
    total = data.draw(quantities())
    check_valid(total, data.draw(allocations(total)), 5)


@SETTINGS
@given(allocation_list=allocations(7, allow_untagged=False))
def test_allow_untagged_false_tags_every_allocation(allocation_list):
    assert all(a.get("Tags") for a in allocation_list)


def test_sizes_and_untagged_are_reachable():
    assert len(find(allocations(10), lambda a: len(a) == 1, settings=FIND)) == 1
    assert len(find(allocations(10, max_size=5), lambda a: len(a) == 5, settings=FIND)) == 5
    find(allocations(10), lambda a: any("Tags" not in x for x in a), settings=FIND)
    find(allocations(2**31 - 1), lambda a: any(x["AllocatedUsageQuantity"] == 2**31 - 1 for x in a), settings=FIND)


@pytest.mark.parametrize("max_allocations", [500, 2500])
def test_max_allocations_list_builds_exactly_the_profile_maximum(max_allocations):
    raw = dict(PROFILE.raw)
    raw["contract"] = {**raw["contract"], "max_allocations": max_allocations}
    profile = from_dict(raw)

    @settings(max_examples=5, deadline=None, database=None)
    @given(data=st.data())
    def check(data):
        total = data.draw(quantities())
        exact = data.draw(max_allocations_list(total, profile))
        check_valid(total, exact, MODEL.shape_for("UsageAllocations").metadata["max"])
        assert len(exact) == max_allocations
        over = data.draw(max_allocations_list(total, profile, extra=1))
        assert len(over) == max_allocations + 1
        assert sum(a["AllocatedUsageQuantity"] for a in over) == total

    check()


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: allocations(-1), "total=-1"),
        (lambda: allocations(2**31), "total=2147483648"),
        (lambda: allocations(5, max_size=2500), "max_allocations_list"),
        (lambda: allocations(5, min_size=0), "min_size=0"),
        (lambda: max_allocations_list(5, PROFILE, extra=-1), "extra=-1"),
        (lambda: max_allocations_list(5, None), "profile="),
    ],
)
def test_bad_arguments_name_the_argument(make, match):
    with pytest.raises((ValueError, TypeError), match=match):
        make()
