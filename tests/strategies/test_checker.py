"""The independent checker itself: fixed invalid requests it must catch, so the other tests can fail."""

from __future__ import annotations

import datetime
import time

import pytest

from meterconform.harness.profile import from_dict
from tests.strategies.checker import rules
from tests.strategies.helpers import PROFILE

NOW = int(time.time())
CODE = PROFILE.product.code
DIM = PROFILE.product.dimensions[0]


def mu(**changes):
    request = {"ProductCode": CODE, "Timestamp": NOW - 60, "UsageDimension": DIM, "UsageQuantity": 3}
    request.update(changes)
    return {k: v for k, v in request.items() if v is not None}


def alloc(quantity, *pairs):
    a = {"AllocatedUsageQuantity": quantity}
    if pairs:
        a["Tags"] = [{"Key": k, "Value": v} for k, v in pairs]
    return a


ACCOUNT = PROFILE.customers.subscribed_accounts[0]
LICENSE = PROFILE.customers.licenses[ACCOUNT]
OTHER_LICENSE = PROFILE.customers.licenses[PROFILE.customers.subscribed_accounts[1]]


def record(**changes):
    r = {"Timestamp": NOW - 60, "CustomerIdentifier": PROFILE.customers.subscribed[0], "Dimension": DIM, "Quantity": 1}
    r.update(changes)
    return {k: v for k, v in r.items() if v is not None}


def account_record(**changes):
    return record(**{"CustomerIdentifier": None, "CustomerAWSAccountId": ACCOUNT, "LicenseArn": LICENSE, **changes})


def bmu(*records, code=CODE):
    body = {"UsageRecords": list(records)}
    if code is not None:
        body["ProductCode"] = code
    return body


CASES = [
    # (description, operation, request, expected rules)
    ("valid MeterUsage", "MeterUsage", mu(), set()),
    ("trailing newline in a tag key", "MeterUsage", mu(UsageAllocations=[alloc(3, ("a\n", "b"))]), {"TAG.KEY.PATTERN"}),
    ("'>' in a tag value", "MeterUsage", mu(UsageAllocations=[alloc(3, ("a", "b>"))]), {"TAG.VALUE.PATTERN"}),
    (
        "every char from space to '=' is allowed",
        "MeterUsage",
        mu(UsageAllocations=[alloc(3, (" !\"#$%&'()*+,-./0123456789:;<=", "x"))]),
        set(),
    ),
    ("101-char key", "MeterUsage", mu(UsageAllocations=[alloc(3, ("k" * 101, "v"))]), {"TAG.KEY.LENGTH"}),
    ("six tags", "MeterUsage", mu(UsageAllocations=[alloc(3, *[(str(i), "v") for i in range(6)])]), {"TAG.COUNT.MAX"}),
    ("a repeated tag key", "MeterUsage", mu(UsageAllocations=[alloc(3, ("k", "1"), ("k", "2"))]), {"TAG.KEY.REPEATED"}),
    ("sum off by one", "MeterUsage", mu(UsageAllocations=[alloc(1, ("a", "b")), alloc(1)]), {"ALLOC.SUM"}),
    (
        "allocations for an absent quantity",
        "MeterUsage",
        mu(UsageQuantity=None, UsageAllocations=[alloc(0, ("a", "b"))]),
        {"X.ALLOC.IMPLICIT_QUANTITY"},
    ),
    (
        "reordered duplicate tag set",
        "MeterUsage",
        mu(UsageAllocations=[alloc(1, ("a", "1"), ("b", "2")), alloc(2, ("b", "2"), ("a", "1"))]),
        {"ALLOC.UNIQUE_TAGS"},
    ),
    ("two untagged", "MeterUsage", mu(UsageAllocations=[alloc(1), alloc(2)]), {"ALLOC.ONE_UNTAGGED"}),
    (
        "empty tag list",
        "MeterUsage",
        mu(UsageAllocations=[{"AllocatedUsageQuantity": 3, "Tags": []}]),
        {"TAG.COUNT.MIN"},
    ),
    (
        "an allocation of -1 keeping the sum",
        "MeterUsage",
        mu(UsageAllocations=[alloc(-1, ("a", "b")), alloc(4)]),
        {"ALLOC.QUANTITY.RANGE"},
    ),
    (
        "an allocation with no quantity",
        "MeterUsage",
        mu(UsageAllocations=[alloc(3, ("a", "b")), {"Tags": [{"Key": "c", "Value": "d"}]}]),
        {"ALLOC.QUANTITY.EXACTLY_ONE"},
    ),
    (
        "a decimal allocation for a whole quantity",
        "MeterUsage",
        mu(UsageAllocations=[{"AllocatedUsageQuantityAsDecimal": "3", "Tags": [{"Key": "a", "Value": "b"}]}]),
        {"ALLOC.QUANTITY_TYPE"},
    ),
    ("both quantity forms", "MeterUsage", mu(UsageQuantityAsDecimal="3"), {"MU.USAGE_QUANTITY.EXCLUSIVE"}),
    ("2^31", "MeterUsage", mu(UsageQuantity=2**31), {"MU.USAGE_QUANTITY.RANGE"}),
    ("quantity as a string", "MeterUsage", mu(UsageQuantity="3"), {"PROTO.JSON.WRONG_TYPE"}),
    ("stale", "MeterUsage", mu(Timestamp=NOW - 7 * 3600), {"MU.WINDOW.STALE"}),
    ("future", "MeterUsage", mu(Timestamp=NOW + 3600), {"MU.WINDOW.FUTURE"}),
    ("unknown dimension", "MeterUsage", mu(UsageDimension=DIM.lower()), {"MU.USAGE_DIMENSION.UNKNOWN"}),
    ("empty dimension", "MeterUsage", mu(UsageDimension=""), {"MU.USAGE_DIMENSION.LENGTH"}),
    ("65-char client token", "MeterUsage", mu(ClientToken="t" * 65), {"MU.CLIENT_TOKEN.LENGTH"}),
    ("missing timestamp", "MeterUsage", mu(Timestamp=None), {"MU.TIMESTAMP.REQUIRED"}),
    ("null product code", "MeterUsage", {**mu(), "ProductCode": None}, {"PROTO.NULL.REQUIRED"}),
    ("null optional member is absent", "MeterUsage", {**mu(), "ClientToken": None}, set()),
    ("unknown member", "MeterUsage", mu(Extra=1), {"PROTO.UNKNOWN_MEMBER.HANDLING"}),
    ("product code with a space", "MeterUsage", mu(ProductCode=CODE + " "), {"MU.PRODUCT_CODE.PATTERN"}),
    ("valid batch", "BatchMeterUsage", bmu(record(), account_record()), set()),
    ("26 records", "BatchMeterUsage", bmu(*[record(Timestamp=NOW - i) for i in range(26)]), {"BMU.RECORDS.MAX"}),
    ("two records with one key", "BatchMeterUsage", bmu(record(), record(Quantity=2)), {"X.RECORDS.DUPLICATE_KEY"}),
    ("record without dimension", "BatchMeterUsage", bmu(record(Dimension=None)), {"BMU.DIMENSION.REQUIRED"}),
    (
        "legacy records without product code",
        "BatchMeterUsage",
        bmu(record(), code=None),
        {"BMU.PRODUCT_CODE.LEGACY_REQUIRED"},
    ),
    ("account records without product code", "BatchMeterUsage", bmu(account_record(), code=None), set()),
    (
        "Arabic-Indic digit in an account",
        "BatchMeterUsage",
        bmu(account_record(CustomerAWSAccountId=ACCOUNT[:-1] + "\u0661")),
        {"BMU.ACCOUNT_ID.PATTERN"},
    ),
    (
        "another account's license",
        "BatchMeterUsage",
        bmu(account_record(LicenseArn=OTHER_LICENSE)),
        {"BMU.LICENSE.INVALID"},
    ),
    ("malformed license", "BatchMeterUsage", bmu(account_record(LicenseArn="license")), {"BMU.LICENSE_ARN.PATTERN"}),
    ("a record naming no customer", "BatchMeterUsage", bmu(record(CustomerIdentifier=None)), {"BMU.CUSTOMER.MISSING"}),
    (
        "an account without its license",
        "BatchMeterUsage",
        bmu(account_record(LicenseArn=None)),
        {"BMU.CUSTOMER.MISSING"},
    ),
    (
        "both customer members",
        "BatchMeterUsage",
        bmu(record(CustomerAWSAccountId=ACCOUNT, LicenseArn=LICENSE)),
        {"BMU.CUSTOMER.EXCLUSIVE"},
    ),
    (
        "nonce of 256",
        "RegisterUsage",
        {"ProductCode": CODE, "PublicKeyVersion": 1, "Nonce": "n" * 256},
        {"RU.NONCE.LENGTH"},
    ),
    ("key version 0", "RegisterUsage", {"ProductCode": CODE, "PublicKeyVersion": 0}, {"RU.PUBLIC_KEY_VERSION.MIN"}),
    (
        "unknown key version",
        "RegisterUsage",
        {"ProductCode": CODE, "PublicKeyVersion": 99},
        {"RU.PUBLIC_KEY_VERSION.UNKNOWN"},
    ),
    (
        "unknown product",
        "RegisterUsage",
        {"ProductCode": CODE + "x", "PublicKeyVersion": 1},
        {"RU.PRODUCT_CODE.UNKNOWN"},
    ),
    ("empty token", "ResolveCustomer", {"RegistrationToken": ""}, {"RC.TOKEN.NON_EMPTY"}),
    ("never issued token", "ResolveCustomer", {"RegistrationToken": "nope"}, {"RC.TOKEN.INVALID"}),
]


@pytest.mark.parametrize("description, operation, request_body, expected", CASES, ids=[c[0] for c in CASES])
def test_checker_names_the_broken_rule(description, operation, request_body, expected):
    assert rules(operation, request_body, PROFILE) == expected


def test_the_month_end_rule_applies_from_six_on_the_first():
    first = datetime.datetime(2026, 12, 1, tzinfo=datetime.UTC).timestamp()
    body = bmu(record(Timestamp=first - 3600))
    assert rules("BatchMeterUsage", body, PROFILE, now=first + 4 * 3600) == set()
    # Seen at 06:00 on the first, a record a second before the month is stale in a 6-hour window, whatever the month...
    body = bmu(record(Timestamp=first - 1))
    assert rules("BatchMeterUsage", body, PROFILE, now=first + 6 * 3600) == {"BMU.WINDOW.STALE"}
    # ... and inside a 24-hour window, closed by the month-end rule from 06:00 on.
    day_window = from_dict({**PROFILE.raw, "contract": {**PROFILE.raw["contract"], "batch_window_hours": 24}})
    assert rules("BatchMeterUsage", body, day_window, now=first + 6 * 3600 - 1) == set()
    assert rules("BatchMeterUsage", body, day_window, now=first + 6 * 3600) == {"BMU.WINDOW.MONTH_END"}
