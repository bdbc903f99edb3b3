"""UsageRecords for BatchMeterUsage: one customer's usage of one dimension at one time."""

from __future__ import annotations

import math
from typing import Literal

from hypothesis import strategies as st

from meterconform.profile import Profile
from meterconform.strategies._model import RECORDS_MAX, RECORDS_MIN
from meterconform.strategies.allocations import allocations
from meterconform.strategies.products import dimensions
from meterconform.strategies.quantities import quantities
from meterconform.strategies.timestamps import HOUR, Where, hour_floor, inside_limit, timestamps

Customers = Literal["subscribed", "unsubscribed", "accounts"]
CUSTOMER_KINDS = ("subscribed", "unsubscribed", "accounts")


def _check_profile(profile: object) -> None:
    if not isinstance(profile, Profile):
        raise TypeError(f"profile={profile!r} is not a Profile; pass meterconform.profile.load_profile() or the harness's profile")


def _check_optional_bool(name: str, value: object) -> None:
    if value not in (None, True, False):
        raise TypeError(f"{name}={value!r} must be True (always), False (never) or None (either)")


def customer_members(profile: Profile, customers: Customers = "subscribed") -> st.SearchStrategy[dict[str, str]]:
    """The members naming the customer of a UsageRecord, from the profile.

    "subscribed" / "unsubscribed": `{"CustomerIdentifier": ...}` from `customers.subscribed` /
    `customers.unsubscribed`; "accounts": `{"CustomerAWSAccountId": ..., "LicenseArn": ...}` from
    `customers.subscribed_accounts` and their `customers.licenses`. Shrinks toward the first listed.
    """
    _check_profile(profile)
    if customers == "subscribed":
        return st.sampled_from(list(profile.need("customers.subscribed"))).map(lambda c: {"CustomerIdentifier": c})
    if customers == "unsubscribed":
        return st.sampled_from(list(profile.need("customers.unsubscribed"))).map(lambda c: {"CustomerIdentifier": c})
    if customers == "accounts":
        accounts = list(profile.need("customers.subscribed_accounts", "records naming a customer by AWS account need its license"))
        licenses = profile.customers.licenses
        return st.sampled_from(accounts).map(lambda a: {"CustomerAWSAccountId": a, "LicenseArn": licenses[a]})
    raise ValueError(f"customers={customers!r} is not a kind of customer; pass one of {', '.join(map(repr, CUSTOMER_KINDS))}")


@st.composite
def _usage_records(draw, profile, customers, where, fractional, with_quantity, with_allocations, quantity_strategy):
    record: dict = {"Timestamp": draw(timestamps(profile, "batch", where, fractional))}
    record.update(draw(customer_members(profile, customers)))
    record["Dimension"] = draw(dimensions(profile))
    present = draw(st.booleans()) if with_quantity is None else with_quantity
    total = 0
    if present:
        total = draw(quantity_strategy)
        record["Quantity"] = total
    if (draw(st.integers(0, 2)) == 2) if with_allocations is None else with_allocations:
        record["UsageAllocations"] = draw(allocations(total, max_size=3))
    return record


def usage_records(
    profile: Profile,
    customers: Customers = "subscribed",
    where: Where = "inside",
    fractional: bool | None = None,
    with_quantity: bool | None = None,
    with_allocations: bool | None = None,
    quantity: st.SearchStrategy[int] | None = None,
) -> st.SearchStrategy[dict]:
    """UsageRecord dicts in wire form: Timestamp, the customer members, Dimension, Quantity, UsageAllocations.

    `customers` picks who (see customer_members). The Timestamp is in the batch window per `where`
    (see timestamps(window="batch")). Quantity is included always (True), never (False, meaning 0) or
    either (None), drawn from `quantity` (default quantities()). UsageAllocations (1–3, summing to the
    quantity, 0 when Quantity is absent) likewise, about one record in three under None.
    Shrinks toward the first customer and dimension, a timestamp of now, and no Quantity or allocations.
    """
    _check_profile(profile)
    if customers not in CUSTOMER_KINDS:
        raise ValueError(f"customers={customers!r} is not a kind of customer; pass one of {', '.join(map(repr, CUSTOMER_KINDS))}")
    _check_optional_bool("with_quantity", with_quantity)
    _check_optional_bool("with_allocations", with_allocations)
    if quantity is not None and not isinstance(quantity, st.SearchStrategy):
        raise TypeError(f"quantity={quantity!r} must be a strategy of ints such as quantities(0, 100), or None")
    # Fail at definition time on a profile that lacks the data.
    customer_members(profile, customers)
    dimensions(profile)
    timestamps(profile, "batch", where, fractional)
    return _usage_records(profile, customers, where, fractional, with_quantity, with_allocations, quantity or quantities())


def record_customer(record: dict) -> str | None:
    """Who a UsageRecord is for: its CustomerIdentifier, else its CustomerAWSAccountId."""
    return record.get("CustomerIdentifier", record.get("CustomerAWSAccountId"))


def record_key(record: dict, profile: Profile) -> tuple:
    """The de-duplication key of a UsageRecord: (customer, dimension, time), where time is the whole
    second, or the hour when the profile's `contract.batch_dedup` is "hour"."""
    ts = record["Timestamp"]
    when = hour_floor(ts) if profile.contract.batch_dedup == "hour" else math.floor(ts)
    return (record_customer(record), record["Dimension"], when)


def _key_capacity(profile: Profile, customers: Customers) -> float:
    """How many distinct record keys the profile allows (infinite unless de-duplication is per hour)."""
    if profile.contract.batch_dedup != "hour":
        return math.inf
    who = {"subscribed": "customers.subscribed", "unsubscribed": "customers.unsubscribed", "accounts": "customers.subscribed_accounts"}[customers]
    hours = inside_limit(profile, "batch") // HOUR  # whole hours surely inside the window
    return len(profile.need(who)) * len(profile.need("product.dimensions")) * max(hours, 1)


def usage_record_lists(
    profile: Profile,
    min_size: int = 1,
    max_size: int = RECORDS_MAX,
    customers: Customers = "subscribed",
    **record_options,
) -> st.SearchStrategy[list[dict]]:
    """Lists of min_size..max_size (default 1–25) UsageRecords with distinct (customer, dimension, time) keys.

    Distinct keys mean no record of the batch is a DuplicateRecord of another (see record_key; the
    time is per hour under `contract.batch_dedup = "hour"`). `record_options` go to usage_records().
    Records in a batch carry at most 3 allocations, keeping the request far under 1 MB.
    Shrinks toward a single record.
    """
    _check_profile(profile)
    for name, value in (("min_size", min_size), ("max_size", max_size)):
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(f"usage_record_lists: {name}={value!r} must be an int")
    if not RECORDS_MIN <= min_size <= max_size <= RECORDS_MAX:
        raise ValueError(
            f"usage_record_lists: min_size={min_size}, max_size={max_size}: need {RECORDS_MIN} <= min_size <= max_size <= {RECORDS_MAX} "
            "(the model's UsageRecordList); for 26 records use the mutation too_many_records"
        )
    records = usage_records(profile, customers, **record_options)
    capacity = _key_capacity(profile, customers)
    if capacity < min_size:
        raise ValueError(
            f"usage_record_lists: min_size={min_size} records need distinct (customer, dimension, hour) keys but the profile allows "
            f"only {capacity}; lower min_size or list more customers / dimensions in the profile"
        )
    return st.lists(records, min_size=min_size, max_size=min(max_size, capacity), unique_by=lambda r: record_key(r, profile))
