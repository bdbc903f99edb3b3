"""UsageRecords for BatchMeterUsage: one customer's usage of one dimension at one time."""

from __future__ import annotations

import math
import time
from typing import Literal

from hypothesis import strategies as st

from meterconform.harness.profile import Profile
from meterconform.strategies._model import RECORDS_MAX, RECORDS_MIN
from meterconform.strategies.allocations import allocations
from meterconform.strategies.products import dimensions
from meterconform.strategies.quantities import quantities
from meterconform.strategies.timestamps import (
    HOUR,
    MONTH_GRACE_SECONDS,
    When,
    Where,
    age_bounds,
    hour_floor,
    month_start,
    slot_hours,
    timestamps,
    whens,
)

Customers = Literal["subscribed", "unsubscribed", "accounts"]
CUSTOMER_KINDS = ("subscribed", "unsubscribed", "accounts")


def _check_profile(profile: object) -> None:
    if not isinstance(profile, Profile):
        raise TypeError(
            f"profile={profile!r} is not a Profile; pass meterconform.harness.profile.load_profile() or the harness's "
            "profile"
        )


def _check_optional_bool(name: str, value: object) -> None:
    if not (value is None or value is True or value is False):
        raise TypeError(f"{name}={value!r} must be True (always), False (never) or None (either)")


def _check_quantity_for_allocations(with_quantity: bool | None, with_allocations: bool | None) -> None:
    if with_allocations is True and with_quantity is False:
        raise ValueError(
            "with_allocations=True needs the quantity: allocations for an absent quantity leave its type (whole or "
            "decimal) undefined; pass with_quantity=None or True"
        )


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
        accounts = list(
            profile.need("customers.subscribed_accounts", "records naming a customer by AWS account need its license")
        )
        licenses = profile.customers.licenses
        return st.sampled_from(accounts).map(lambda a: {"CustomerAWSAccountId": a, "LicenseArn": licenses[a]})
    raise ValueError(
        f"customers={customers!r} is not a kind of customer; pass one of {', '.join(map(repr, CUSTOMER_KINDS))}"
    )


@st.composite
def _record_parts(
    draw, profile, customers, where, fractional, with_quantity, with_allocations, quantity_strategy, slots=False
):
    """(When, record without its Timestamp): everything drawn, nothing read from the clock."""
    when = draw(whens(profile, "batch", where, fractional, slots=slots))
    record: dict = dict(draw(customer_members(profile, customers)))
    record["Dimension"] = draw(dimensions(profile))
    add_allocations = (draw(st.integers(0, 2)) == 2) if with_allocations is None else with_allocations
    # Allocations come with an explicit Quantity: for an absent one their quantity type is undefined.
    if add_allocations and with_quantity is not False:
        record["Quantity"] = total = draw(quantity_strategy)
        record["UsageAllocations"] = draw(allocations(total, max_size=3))
    elif draw(st.booleans()) if with_quantity is None else with_quantity:
        record["Quantity"] = draw(quantity_strategy)
    return when, record


def _stamped(when: When, record: dict, now: float) -> dict:
    """The record with its Timestamp first, as a client lays it out."""
    return {"Timestamp": when.at(now), **record}


def _check_record_options(profile, customers, where, fractional, with_quantity, with_allocations, quantity) -> None:
    _check_profile(profile)
    if customers not in CUSTOMER_KINDS:
        raise ValueError(
            f"customers={customers!r} is not a kind of customer; pass one of {', '.join(map(repr, CUSTOMER_KINDS))}"
        )
    _check_optional_bool("with_quantity", with_quantity)
    _check_optional_bool("with_allocations", with_allocations)
    _check_quantity_for_allocations(with_quantity, with_allocations)
    if quantity is not None and not isinstance(quantity, st.SearchStrategy):
        raise TypeError(f"quantity={quantity!r} must be a strategy of ints such as quantities(0, 100), or None")
    # Fail at definition time on a profile that lacks the data.
    customer_members(profile, customers)
    dimensions(profile)
    timestamps(profile, "batch", where, fractional)


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
    (see timestamps(window="batch")), read from the clock at draw time. Quantity is included always
    (True), never (False, meaning 0) or either (None), drawn from `quantity` (default quantities()).
    UsageAllocations (1–3, summing to the quantity) likewise, about one record in three under None, and
    always with an explicit Quantity. Shrinks toward the first customer and dimension, a timestamp of now, and no
    Quantity or allocations.
    """
    _check_record_options(profile, customers, where, fractional, with_quantity, with_allocations, quantity)
    parts = _record_parts(
        profile, customers, where, fractional, with_quantity, with_allocations, quantity or quantities()
    )
    return parts.map(lambda p: _stamped(*p, time.time()))


def record_customer(record: dict) -> str | None:
    """Who a UsageRecord is for: its CustomerIdentifier, else its CustomerAWSAccountId."""
    return record.get("CustomerIdentifier", record.get("CustomerAWSAccountId"))


def record_key(record: dict, profile: Profile) -> tuple:
    """The de-duplication key of a UsageRecord: (customer, dimension, time), where time is the whole
    second, or the hour when the profile's `contract.batch_dedup` is "hour"."""
    ts = record["Timestamp"]
    when = hour_floor(ts) if profile.contract.batch_dedup == "hour" else math.floor(ts)
    return (record_customer(record), record["Dimension"], when)


def _key_capacity(profile: Profile, customers: Customers, hourly: bool) -> float:
    """How many distinct record keys the profile allows (infinite unless de-duplication is per hour)."""
    if not hourly:
        return math.inf
    who = {
        "subscribed": "customers.subscribed",
        "unsubscribed": "customers.unsubscribed",
        "accounts": "customers.subscribed_accounts",
    }[customers]
    return len(profile.need(who)) * len(profile.need("product.dimensions")) * slot_hours(profile, "batch")


def _resolve(parts: list[tuple[When, dict]], profile: Profile, where: str) -> list[dict]:
    """Stamp every record from one clock reading, then keep the keys distinct without drawing anything.

    Keys drawn apart can still meet on the clock: an hour boundary and an age, or several times moved to
    the first of the month (the month-end rule). Such a record moves by a second (by an hour when
    de-duplication is per hour) at a time, 1, −1, 2, −2, ..., staying inside `where`'s ages and month.
    """
    now = time.time()
    records = [_stamped(when, record, now) for when, record in parts]
    low, high = age_bounds(profile, "batch", where)
    floor = -math.inf
    if any(when.month_floor for when, _ in parts) and now - month_start(now) >= MONTH_GRACE_SECONDS:
        floor = month_start(now)
    unit = HOUR if profile.contract.batch_dedup == "hour" else 1
    tries = int((high - low) // unit) + 2
    seen: set = set()
    for record in records:
        key = record_key(record, profile)
        step = 0
        while key in seen and abs(step) <= tries:
            step = -step + (1 if step <= 0 else 0)  # 1, -1, 2, -2, ...
            moved = record["Timestamp"] + step * unit
            if low <= now - moved < high and moved >= floor:
                candidate = record_key({**record, "Timestamp": moved}, profile)
                if candidate not in seen:
                    record["Timestamp"], key = moved, candidate
        seen.add(key)
    return records


def _record_lists(
    profile: Profile,
    min_size: int,
    max_size: int,
    customers: Customers,
    where: Where = "inside",
    fractional: bool | None = None,
    with_quantity: bool | None = None,
    with_allocations: bool | None = None,
    quantity: st.SearchStrategy[int] | None = None,
) -> st.SearchStrategy[list[dict]]:
    """usage_record_lists without the model's size limit (for the 26-record mutation)."""
    _check_record_options(profile, customers, where, fractional, with_quantity, with_allocations, quantity)
    hourly = profile.contract.batch_dedup == "hour" and where == "inside"
    capacity = _key_capacity(profile, customers, hourly)
    if capacity < min_size:
        raise ValueError(
            f"usage_record_lists: min_size={min_size} records need distinct (customer, dimension, hour) keys but the "
            f"profile allows only {capacity}; lower min_size or list more customers / dimensions in the profile"
        )
    parts = _record_parts(
        profile, customers, where, fractional, with_quantity, with_allocations, quantity or quantities(), slots=hourly
    )
    top = int(min(max_size, capacity))

    def key(part: tuple[When, dict]) -> tuple:
        when, record = part
        return (record_customer(record), record["Dimension"], when.hour if hourly else when)

    # The longest list is drawn explicitly one time in about three, so the limit (25) is reached.
    lists = st.one_of(
        st.lists(parts, min_size=min_size, max_size=top, unique_by=key),
        st.lists(parts, min_size=min_size, max_size=top, unique_by=key),
        st.lists(parts, min_size=top, max_size=top, unique_by=key),
    )
    return lists.map(lambda ps: _resolve(ps, profile, where))


def usage_record_lists(
    profile: Profile,
    min_size: int = 1,
    max_size: int = RECORDS_MAX,
    customers: Customers = "subscribed",
    **record_options,
) -> st.SearchStrategy[list[dict]]:
    """Lists of min_size..max_size (default 1–25) UsageRecords with distinct (customer, dimension, time) keys.

    Distinct keys mean no record of the batch is a DuplicateRecord of another (see record_key). Under
    `contract.batch_dedup = "hour"` inside records fall in distinct (customer, dimension, hour) slots, so
    the profile must have enough of them. All Timestamps come from one clock reading at draw time.
    `record_options` go to usage_records(). Records carry at most 3 allocations, keeping the request far
    under 1 MB. Lists of max_size are drawn about one time in three. Shrinks toward min_size records.
    """
    _check_profile(profile)
    for name, value in (("min_size", min_size), ("max_size", max_size)):
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(f"usage_record_lists: {name}={value!r} must be an int")
    if not RECORDS_MIN <= min_size <= max_size <= RECORDS_MAX:
        raise ValueError(
            f"usage_record_lists: min_size={min_size}, max_size={max_size}: need {RECORDS_MIN} <= min_size <= max_size "
            f"<= {RECORDS_MAX} "
            "(the model's UsageRecordList); for 26 records use the mutation too_many_records"
        )
    return _record_lists(profile, min_size, max_size, customers, **record_options)
