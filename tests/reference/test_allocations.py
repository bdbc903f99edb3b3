"""UsageAllocations and tags on MeterUsage and BatchMeterUsage: counts, lengths, the tag pattern, sums, unique sets."""

from __future__ import annotations

import pytest

from .conftest import PRODUCT, client_error, make_client, record, usage


def tags(n: int, key: str = "k", value: str = "v") -> list[dict[str, str]]:
    return [{"Key": f"{key}{i}", "Value": value} for i in range(n)]


def one(allocation_tags, quantity: int = 5) -> list[dict]:
    allocation = {"AllocatedUsageQuantity": quantity}
    if allocation_tags is not None:
        allocation["Tags"] = allocation_tags
    return [allocation]


# Characters of the tag pattern ^[a-zA-Z0-9+ -=._:\/@]+$ : ' -=' is the range 0x20..0x3D.
ALLOWED = list(" !\"#$%&'()*+,-./0123456789:;<=@_aZ")
REFUSED = list(">?[]{}~`^|\\\t\n") + ["é", "中", "\u00a0"]


@pytest.mark.parametrize(
    "allocations",
    [
        one(tags(1)),
        one(tags(5)),
        one(None),
        one([{"Key": "k" * 100, "Value": "v" * 256}]),
        [{"AllocatedUsageQuantity": 2, "Tags": tags(1)}, {"AllocatedUsageQuantity": 3}],
        [{"AllocatedUsageQuantity": 2, "Tags": tags(1)}, {"AllocatedUsageQuantity": 3, "Tags": tags(2)}],
        [{"AllocatedUsageQuantity": 5, "Tags": tags(1)}, {"AllocatedUsageQuantity": 0, "Tags": tags(1, "x")}],
    ],
    ids=["1-tag", "5-tags", "untagged", "longest", "one-untagged", "distinct-sets", "zero-share"],
)
def test_valid_allocations_are_accepted(client, allocations):
    assert client.meter_usage(**usage(UsageAllocations=allocations))["MeteringRecordId"]


@pytest.mark.parametrize("char", ALLOWED, ids=[f"0x{ord(c):02x}" for c in ALLOWED])
def test_tag_pattern_allows_the_whole_space_to_equals_range(client, char):
    allocation = one([{"Key": f"k{char}k", "Value": f"v{char}"}])
    assert client.meter_usage(**usage(UsageAllocations=allocation))["MeteringRecordId"]


@pytest.mark.parametrize("char", REFUSED, ids=[f"U+{ord(c):04x}" for c in REFUSED])
@pytest.mark.parametrize("where", ["Key", "Value"])
def test_tag_pattern_refuses_other_characters(client, char, where):
    tag = {"Key": "k", "Value": "v"}
    tag[where] += char
    assert client_error(client.meter_usage, **usage(UsageAllocations=one([tag])))[:2] == ("InvalidTagException", 400)


@pytest.mark.parametrize(
    "bad_tags",
    [
        tags(6),
        [],
        [{"Key": "", "Value": "v"}],
        [{"Key": "k", "Value": ""}],
        [{"Key": "k" * 101, "Value": "v"}],
        [{"Key": "k", "Value": "v" * 257}],
    ],
    ids=["6-tags", "no-tags", "empty-key", "empty-value", "key-101", "value-257"],
)
def test_bad_tags_are_invalid_tag(endpoint, client, bad_tags):
    assert client_error(client.meter_usage, **usage(UsageAllocations=one(bad_tags)))[:2] == ("InvalidTagException", 400)
    assert endpoint.model.record_count() == 0


@pytest.mark.parametrize(
    "allocations",
    [
        one(tags(1), quantity=4),
        [{"AllocatedUsageQuantity": 2, "Tags": tags(1)}, {"AllocatedUsageQuantity": 2, "Tags": tags(1, "x")}],
        [
            {"AllocatedUsageQuantity": 2, "Tags": tags(2)},
            {"AllocatedUsageQuantity": 3, "Tags": list(reversed(tags(2)))},
        ],
        [{"AllocatedUsageQuantity": 2}, {"AllocatedUsageQuantity": 3}],
        [],
        [{"AllocatedUsageQuantityAsDecimal": "5", "Tags": tags(1)}],
    ],
    ids=["sum-low", "sum-low-2", "same-tag-set", "two-untagged", "empty-list", "decimal-share-of-whole-quantity"],
)
def test_bad_allocations_are_invalid_usage_allocations(endpoint, client, allocations):
    error = client_error(client.meter_usage, **usage(UsageAllocations=allocations))
    assert error[:2] == ("InvalidUsageAllocationsException", 400)
    assert endpoint.model.record_count() == 0


@pytest.mark.parametrize(
    "allocation",
    [
        {"Tags": tags(1)},
        {"AllocatedUsageQuantity": 5, "AllocatedUsageQuantityAsDecimal": "5", "Tags": tags(1)},
        {"AllocatedUsageQuantity": -1, "Tags": tags(1)},
        {"AllocatedUsageQuantity": 2147483648, "Tags": tags(1)},
    ],
    ids=["no-quantity", "both-quantities", "negative", "too-large"],
)
def test_an_allocation_quantity_breaking_the_model_is_a_validation_error(client, allocation):
    assert client_error(client.meter_usage, **usage(UsageAllocations=[allocation]))[:2] == ("ValidationException", 400)


def test_decimal_allocations_go_with_a_decimal_quantity(client):
    allocations = [
        {"AllocatedUsageQuantityAsDecimal": "1.25", "Tags": tags(1)},
        {"AllocatedUsageQuantityAsDecimal": "0.75"},
    ]
    params = usage(UsageQuantity=None, UsageQuantityAsDecimal="2.0", UsageAllocations=allocations)
    assert client.meter_usage(**params)["MeteringRecordId"]


def test_allocation_count_is_capped_by_the_profile(make_endpoint):
    endpoint = make_endpoint({"contract": {"max_allocations": 3}})
    client = make_client(endpoint.url)
    allocations = [{"AllocatedUsageQuantity": 1, "Tags": tags(1, f"a{i}-")} for i in range(4)]
    error = client_error(client.meter_usage, **usage(UsageQuantity=4, UsageAllocations=allocations))
    assert error[:2] == ("InvalidUsageAllocationsException", 400)
    assert client.meter_usage(**usage(UsageQuantity=3, UsageAllocations=allocations[:3]))["MeteringRecordId"]


def test_default_allocation_cap_is_2500(endpoint, client):
    allocations = [{"AllocatedUsageQuantity": 1, "Tags": [{"Key": "n", "Value": str(i)}]} for i in range(2501)]
    error = client_error(client.meter_usage, **usage(UsageQuantity=2501, UsageAllocations=allocations))
    assert error[0] == "InvalidUsageAllocationsException"
    assert client.meter_usage(**usage(UsageQuantity=2500, UsageAllocations=allocations[:2500]))["MeteringRecordId"]


def test_allocations_are_compared_as_a_set(endpoint, client):
    allocations = [
        {"AllocatedUsageQuantity": 2, "Tags": [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]},
        {"AllocatedUsageQuantity": 3},
    ]
    shuffled = [
        {"AllocatedUsageQuantity": 3},
        {"AllocatedUsageQuantity": 2, "Tags": [{"Key": "b", "Value": "2"}, {"Key": "a", "Value": "1"}]},
    ]
    first = client.meter_usage(**usage(UsageAllocations=allocations))
    assert client.meter_usage(**usage(UsageAllocations=shuffled))["MeteringRecordId"] == first["MeteringRecordId"]
    other = [{"AllocatedUsageQuantity": 5}]
    assert client_error(client.meter_usage, **usage(UsageAllocations=other))[0] == "DuplicateRequestException"
    assert endpoint.model.record_count() == 1


@pytest.mark.parametrize(
    "allocations, code",
    [
        (one(tags(6), quantity=3), "InvalidTagException"),
        (one(tags(1), quantity=2), "InvalidUsageAllocationsException"),
    ],
)
def test_bad_allocations_in_one_usage_record_reject_the_whole_batch(endpoint, client, allocations, code):
    records = [record(), record(CustomerIdentifier="cust-bravo", UsageAllocations=allocations)]
    assert client_error(client.batch_meter_usage, ProductCode=PRODUCT, UsageRecords=records)[:2] == (code, 400)
    assert endpoint.model.record_count() == 0
