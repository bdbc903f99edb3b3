"""Invalid requests: a valid request with exactly one contract rule broken, each tied to its catalog clause."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

from meterconform.contract.operations import OPERATIONS, PREFIX
from meterconform.harness.profile import MissingProfileData, Profile
from meterconform.strategies._memo import memoized
from meterconform.strategies._model import (
    ACCOUNT_ID_MAX,
    CLIENT_TOKEN_MAX,
    CUSTOMER_IDENTIFIER_MAX,
    DIMENSION_MAX,
    NONCE_MAX,
    QUANTITY_MAX,
    RECORDS_MAX,
    TAG_KEY_MAX,
    TAG_VALUE_MAX,
    TAGS_MAX,
    input_shape,
)
from meterconform.strategies.allocations import allocations_from, bulk_allocations, split
from meterconform.strategies.products import overlong_product_codes, unknown_dimensions, unknown_product_codes
from meterconform.strategies.quantities import invalid_quantities
from meterconform.strategies.requests import (
    ANY_CHARACTERS,
    batch_meter_usage_requests,
    meter_usage_requests,
    register_usage_requests,
    resolve_customer_requests,
)
from meterconform.strategies.tags import (
    overlong_tag_keys,
    overlong_tag_values,
    tag_keys,
    tag_set,
    tag_values,
    tags,
    with_invalid_char,
)
from meterconform.strategies.timestamps import timestamps
from meterconform.strategies.usage_records import _check_profile, _record_lists, record_key

Draw = Callable[[st.SearchStrategy], Any]
Transform = Callable[[Draw, dict, Profile], dict]


@dataclass(frozen=True)
class Mutation:
    """One way to make a valid request of `operation` invalid, breaking only the rule of catalog clause `clause`.

    The expected outcome is the clause's (`outcome` in schemas/clauses.toml), never stored here.
    `transform(draw, request, profile)` changes a deep copy of a valid request; `base(profile)` gives the
    valid requests it starts from (the operation's default strategy unless the rule needs particular data,
    e.g. records naming customers by account).
    """

    name: str
    operation: str
    clause: str
    description: str
    transform: Transform = field(repr=False, compare=False)
    base: Callable[[Profile], st.SearchStrategy[dict]] | None = field(default=None, repr=False, compare=False)

    def apply(self, request: dict, data: Any, profile: Profile) -> dict:
        """The mutated copy of `request`; `data` is `st.data()`'s object or a composite's `draw`. `request` is
        untouched."""
        draw = data if callable(data) else data.draw
        return self.transform(draw, copy.deepcopy(request), profile)

    def base_requests(self, profile: Profile) -> st.SearchStrategy[dict]:
        """The valid requests this mutation starts from (MissingProfileData when the profile lacks their data)."""
        return (self.base or BASES[self.operation])(profile)

    def requests(self, profile: Profile) -> st.SearchStrategy[dict]:
        """Mutated requests: a drawn valid base request with this mutation applied. Shrinks as the base does."""
        _check_profile(profile)
        bases = self.base_requests(profile)

        @st.composite
        def mutated(draw):
            return self.apply(draw(bases), draw, profile)

        return mutated()


def _meter_base(profile: Profile) -> st.SearchStrategy[dict]:
    return meter_usage_requests(profile)


def _batch_base(profile: Profile) -> st.SearchStrategy[dict]:
    return batch_meter_usage_requests(profile, max_size=3)


def _accounts_batch_base(profile: Profile) -> st.SearchStrategy[dict]:
    return batch_meter_usage_requests(profile, max_size=3, customers="accounts")


BASES: dict[str, Callable[[Profile], st.SearchStrategy[dict]]] = {
    "MeterUsage": _meter_base,
    "BatchMeterUsage": _batch_base,
    "RegisterUsage": register_usage_requests,
    "ResolveCustomer": resolve_customer_requests,
}

# ---------------------------------------------------------------------------------------------------------
# Where the usage is: the MeterUsage request itself, or one drawn UsageRecord of a batch.


@dataclass(frozen=True)
class _Usage:
    """The fields naming a usage's parts in one operation."""

    quantity: str
    dimension: str
    window: str


_USAGE = {
    "MeterUsage": _Usage("UsageQuantity", "UsageDimension", "meter"),
    "BatchMeterUsage": _Usage("Quantity", "Dimension", "batch"),
}


def _usage(draw: Draw, request: dict, operation: str) -> dict:
    """The dict holding the usage to mutate: the request (MeterUsage) or a drawn record (BatchMeterUsage)."""
    if operation == "MeterUsage":
        return request
    records = request["UsageRecords"]
    return records[draw(st.integers(0, len(records) - 1))]


def _total(draw: Draw, usage: dict, operation: str) -> int:
    """The usage quantity, made explicit first when absent: allocations for an absent quantity leave their
    quantity type undefined, which is another question than the one a mutation asks."""
    member = _USAGE[operation].quantity
    if member not in usage:
        usage[member] = draw(st.integers(0, 1000))
    return usage[member]


def _set_allocations(draw: Draw, usage: dict, operation: str, tag_lists: list[list[dict] | None]) -> None:
    """Give `usage` allocations carrying `tag_lists` (None: no Tags) whose quantities add up to its total."""
    total = _total(draw, usage, operation)
    cuts = draw(st.lists(st.integers(0, total), min_size=len(tag_lists) - 1, max_size=len(tag_lists) - 1))
    usage["UsageAllocations"] = allocations_from(split(total, cuts), tag_lists)


@memoized
def _distinct_tag_lists(
    min_size: int, max_size: int, avoid: tuple[frozenset, ...]
) -> st.SearchStrategy[list[list[dict]]]:
    return st.lists(tags(), min_size=min_size, max_size=max_size, unique_by=tag_set).filter(
        lambda ls: not any(tag_set(t) in avoid for t in ls)
    )


def _tag_lists(draw: Draw, min_size: int = 1, max_size: int = 3, avoid: tuple[frozenset, ...] = ()) -> list[list[dict]]:
    """Distinct valid tag lists, none with a tag set in `avoid`."""
    return draw(_distinct_tag_lists(min_size, max_size, avoid))


def _insert(draw: Draw, items: list, item: Any) -> int:
    """Insert `item` at a drawn position of `items`; returns the position."""
    at = draw(st.integers(0, len(items)))
    items.insert(at, item)
    return at


def _one_changed_tag(draw: Draw, usage: dict, operation: str, change: Callable[[Draw, list[dict]], None]) -> None:
    """Fresh valid allocations (all tagged) for the usage, then `change` one drawn allocation's tag list in place.
    The changed tag list must still differ from every other allocation's."""
    lists = _tag_lists(draw)
    target = lists[draw(st.integers(0, len(lists) - 1))]
    change(draw, target)
    _set_allocations(draw, usage, operation, lists)


# ---------------------------------------------------------------------------------------------------------
# Usage transforms shared by MeterUsage and BatchMeterUsage: each takes (draw, usage, operation, profile).


def _unknown_dimension(draw, usage, operation, profile):
    usage[_USAGE[operation].dimension] = draw(unknown_dimensions(profile))


def _stale_timestamp(draw, usage, operation, profile):
    usage["Timestamp"] = draw(timestamps(profile, _USAGE[operation].window, "stale"))


def _edge_stale_timestamp(draw, usage, operation, profile):
    usage["Timestamp"] = draw(timestamps(profile, _USAGE[operation].window, "edge_outside"))


def _quantity(value_strategy):
    def transform(draw, usage, operation, profile):
        usage[_USAGE[operation].quantity] = draw(value_strategy)
        # No allocation list can add up to an out-of-range quantity, and the sum rule is another clause.
        usage.pop("UsageAllocations", None)

    return transform


def _tags_too_many(draw, usage, operation, profile):
    over = TAGS_MAX + 1
    others = _tag_lists(draw, 0, 2)
    many = draw(
        st.lists(
            st.fixed_dictionaries({"Key": tag_keys(), "Value": tag_values()}),
            min_size=over,
            max_size=over,
            unique_by=lambda t: t["Key"],
        )
    )
    _insert(draw, others, many)
    _set_allocations(draw, usage, operation, others)


def _replace_in_one_tag(member: str, make: Callable[[Draw, str], str]):
    def change(draw, tag_list):
        tag = tag_list[draw(st.integers(0, len(tag_list) - 1))]
        tag[member] = make(draw, tag[member])

    def transform(draw, usage, operation, profile):
        _one_changed_tag(draw, usage, operation, change)

    return transform


def _overlong_key(draw, _old):
    return draw(overlong_tag_keys())


def _overlong_value(draw, _old):
    return draw(overlong_tag_values())


def _bad_char_key(draw, old):
    return draw(with_invalid_char(old, TAG_KEY_MAX))


def _bad_char_value(draw, old):
    return draw(with_invalid_char(old, TAG_VALUE_MAX))


def _drop_from_one_tag(member: str):
    def change(draw, tag_list):
        del tag_list[draw(st.integers(0, len(tag_list) - 1))][member]

    def transform(draw, usage, operation, profile):
        # One tag per list keeps the tag without a Key from being a second Key-less tag ("unique keys" is not the
        # point).
        lists = draw(st.lists(tags(max_size=1), min_size=1, max_size=3, unique_by=tag_set))
        change(draw, lists[draw(st.integers(0, len(lists) - 1))])
        _set_allocations(draw, usage, operation, lists)

    return transform


def _tag_key_repeated(draw, usage, operation, profile):
    def change(draw, tag_list):
        at = draw(st.integers(0, len(tag_list) - 1))
        twin = tag_list[at]
        value = draw(tag_values().filter(lambda v: v != twin["Value"]))
        if len(tag_list) == TAGS_MAX:  # stay within the tag count: the repeat takes another tag's place
            del tag_list[len(tag_list) - 1 if at != len(tag_list) - 1 else 0]
        _insert(draw, tag_list, {"Key": twin["Key"], "Value": value})

    _one_changed_tag(draw, usage, operation, change)


def _tags_empty(draw, usage, operation, profile):
    lists: list = _tag_lists(draw, 0, 2)
    _insert(draw, lists, [])
    _set_allocations(draw, usage, operation, lists)


def _allocations_empty(draw, usage, operation, profile):
    _total(draw, usage, operation)
    usage["UsageAllocations"] = []


def _sum_mismatch(draw, usage, operation, profile):
    lists: list = _tag_lists(draw, 1, 3)
    if draw(st.booleans()):
        _insert(draw, lists, None)
    _set_allocations(draw, usage, operation, lists)
    allocations = usage["UsageAllocations"]
    allocation = allocations[draw(st.integers(0, len(allocations) - 1))]
    quantity = allocation["AllocatedUsageQuantity"]
    directions = ([1] if quantity < QUANTITY_MAX else []) + ([-1] if quantity > 0 else [])
    direction = draw(st.sampled_from(directions))
    room = QUANTITY_MAX - quantity if direction == 1 else quantity
    delta = draw(st.one_of(st.just(1), st.integers(1, room)))
    allocation["AllocatedUsageQuantity"] = quantity + direction * delta


def _duplicate_tag_set(reorder: bool):
    def transform(draw, usage, operation, profile):
        source = draw(tags(min_size=2 if reorder else 1))
        lists: list = _tag_lists(draw, 0, 2, avoid=(tag_set(source),))
        copy_ = list(reversed(source)) if reorder else copy.deepcopy(source)
        _insert(draw, lists, source)
        _insert(draw, lists, copy.deepcopy(copy_))
        _set_allocations(draw, usage, operation, lists)

    return transform


def _two_untagged(draw, usage, operation, profile):
    lists: list = _tag_lists(draw, 0, 2)
    _insert(draw, lists, None)
    _insert(draw, lists, None)
    _set_allocations(draw, usage, operation, lists)


def _too_many_allocations(draw, usage, operation, profile):
    key = draw(tag_keys(max_size=20))
    usage["UsageAllocations"] = bulk_allocations(
        _total(draw, usage, operation),
        profile.contract.max_allocations + 1,
        key,
        draw(st.sampled_from(["even", "first"])),
    )


def _overlong_dimension(draw, usage, operation, profile):
    over = DIMENSION_MAX + 1
    usage[_USAGE[operation].dimension] = draw(st.text(ANY_CHARACTERS, min_size=over, max_size=over))


def _empty_dimension(draw, usage, operation, profile):
    usage[_USAGE[operation].dimension] = ""


def _quantity_as_string(draw, usage, operation, profile):
    member = _USAGE[operation].quantity
    usage[member] = str(usage.get(member, draw(st.integers(0, 100))))
    usage.pop("UsageAllocations", None)  # a sum against a string is another question


def _both_quantity_forms(draw, usage, operation, profile):
    member = _USAGE[operation].quantity
    value = usage.get(member, draw(st.integers(0, 100)))
    usage[member] = value
    usage[member + "AsDecimal"] = str(value)
    usage.pop("UsageAllocations", None)  # which quantity type allocations must use is then undefined


def _allocation_decimal(draw, usage, operation, profile):
    _set_allocations(draw, usage, operation, _tag_lists(draw, 1, 3))
    allocations = usage["UsageAllocations"]
    allocation = allocations[draw(st.integers(0, len(allocations) - 1))]
    allocation["AllocatedUsageQuantityAsDecimal"] = str(allocation.pop("AllocatedUsageQuantity"))


def _allocation_quantity_missing(draw, usage, operation, profile):
    _set_allocations(draw, usage, operation, _tag_lists(draw, 1, 3))
    zeros = [a for a in usage["UsageAllocations"] if a["AllocatedUsageQuantity"] == 0]
    if not zeros:  # make room: an allocation of 0, so leaving its quantity out keeps the sum
        lists = [a.get("Tags") for a in usage["UsageAllocations"]]
        extra = draw(tags().filter(lambda t: tag_set(t) not in {tag_set(x) for x in lists}))
        usage["UsageAllocations"].insert(draw(st.integers(0, len(lists))), {"AllocatedUsageQuantity": 0, "Tags": extra})
        zeros = [a for a in usage["UsageAllocations"] if a["AllocatedUsageQuantity"] == 0]
    del zeros[draw(st.integers(0, len(zeros) - 1))]["AllocatedUsageQuantity"]


def _allocation_quantity_negative(draw, usage, operation, profile):
    """One allocation of −1; the others carry the quantity + 1, each in range, so the sum still holds."""
    total = _total(draw, usage, operation)
    # Two others at least when the quantity is the maximum, so none of them exceeds it.
    lists: list = _tag_lists(draw, 3 if total >= QUANTITY_MAX else 2, 3)
    rest = total + 1
    count = len(lists) - 1
    cuts = draw(st.lists(st.integers(0, rest), min_size=count - 1, max_size=count - 1))
    parts = split(rest, cuts)
    if max(parts) > QUANTITY_MAX:
        parts = [rest // count + (1 if i < rest % count else 0) for i in range(count)]
    at = draw(st.integers(0, count))
    parts.insert(at, -1)
    usage["UsageAllocations"] = [{"AllocatedUsageQuantity": q, "Tags": t} for q, t in zip(parts, lists, strict=True)]


# (name, clause for MeterUsage, clause for BatchMeterUsage, description, transform)
_SHARED: list[tuple[str, str, str, str, Callable]] = [
    (
        "unknown_dimension",
        "MU.USAGE_DIMENSION.UNKNOWN",
        "BMU.DIMENSION.UNKNOWN",
        "the dimension is well-formed but not one of the product's (a near miss such as another case)",
        _unknown_dimension,
    ),
    (
        "dimension_too_long",
        "MU.USAGE_DIMENSION.LENGTH",
        "BMU.DIMENSION.LENGTH",
        "the dimension is 256 characters",
        _overlong_dimension,
    ),
    (
        "dimension_empty",
        "MU.USAGE_DIMENSION.LENGTH",
        "BMU.DIMENSION.LENGTH",
        "the dimension is the empty string",
        _empty_dimension,
    ),
    (
        "stale_timestamp",
        "MU.WINDOW.STALE",
        "BMU.WINDOW.STALE",
        "the Timestamp is older than the window plus the clock tolerance",
        _stale_timestamp,
    ),
    (
        "edge_stale_timestamp",
        "MU.WINDOW.STALE",
        "BMU.WINDOW.STALE",
        "the Timestamp is 5–30 s beyond the window plus the clock tolerance",
        _edge_stale_timestamp,
    ),
    (
        "quantity_negative",
        "MU.USAGE_QUANTITY.RANGE",
        "BMU.QUANTITY.RANGE",
        "the quantity is −1 (no allocations)",
        _quantity(st.just(-1)),
    ),
    (
        "quantity_too_large",
        "MU.USAGE_QUANTITY.RANGE",
        "BMU.QUANTITY.RANGE",
        "the quantity is 2147483648, one over the 32-bit maximum (no allocations)",
        _quantity(st.just(QUANTITY_MAX + 1)),
    ),
    (
        "quantity_out_of_range",
        "MU.USAGE_QUANTITY.RANGE",
        "BMU.QUANTITY.RANGE",
        "the quantity is an integer outside 0..2147483647, up to 64-bit edges (no allocations)",
        _quantity(invalid_quantities()),
    ),
    (
        "quantity_as_string",
        "PROTO.JSON.WRONG_TYPE",
        "PROTO.JSON.WRONG_TYPE",
        "the quantity is a JSON string of digits (no allocations)",
        _quantity_as_string,
    ),
    (
        "quantity_both_forms",
        "MU.USAGE_QUANTITY.EXCLUSIVE",
        "BMU.QUANTITY.EXCLUSIVE",
        "the quantity is sent both as an integer and as the same decimal string (no allocations)",
        _both_quantity_forms,
    ),
    (
        "tags_too_many",
        "TAG.COUNT.MAX",
        "TAG.COUNT.MAX",
        "one allocation has 6 valid tags with distinct keys",
        _tags_too_many,
    ),
    (
        "tags_empty",
        "TAG.COUNT.MIN",
        "TAG.COUNT.MIN",
        "one allocation has an empty Tags list (no other allocation is untagged)",
        _tags_empty,
    ),
    (
        "tag_key_too_long",
        "TAG.KEY.LENGTH",
        "TAG.KEY.LENGTH",
        "one tag Key is 101 or more valid characters",
        _replace_in_one_tag("Key", _overlong_key),
    ),
    (
        "tag_value_too_long",
        "TAG.VALUE.LENGTH",
        "TAG.VALUE.LENGTH",
        "one tag Value is 257 or more valid characters",
        _replace_in_one_tag("Value", _overlong_value),
    ),
    (
        "tag_key_invalid_char",
        "TAG.KEY.PATTERN",
        "TAG.KEY.PATTERN",
        "one tag Key has one character outside [a-zA-Z0-9+ -=._:/@] (length still 1–100)",
        _replace_in_one_tag("Key", _bad_char_key),
    ),
    (
        "tag_value_invalid_char",
        "TAG.VALUE.PATTERN",
        "TAG.VALUE.PATTERN",
        "one tag Value has one character outside [a-zA-Z0-9+ -=._:/@] (length still 1–256)",
        _replace_in_one_tag("Value", _bad_char_value),
    ),
    ("tag_key_missing", "TAG.KEY.REQUIRED", "TAG.KEY.REQUIRED", "one Tag has no Key member", _drop_from_one_tag("Key")),
    (
        "tag_value_missing",
        "TAG.VALUE.REQUIRED",
        "TAG.VALUE.REQUIRED",
        "one Tag has no Value member",
        _drop_from_one_tag("Value"),
    ),
    (
        "tag_key_repeated",
        "TAG.KEY.REPEATED",
        "TAG.KEY.REPEATED",
        "one allocation has two tags with the same Key and different Values",
        _tag_key_repeated,
    ),
    (
        "allocations_empty",
        "ALLOC.COUNT.MIN",
        "ALLOC.COUNT.MIN",
        "UsageAllocations is an empty list",
        _allocations_empty,
    ),
    (
        "allocation_sum_mismatch",
        "ALLOC.SUM",
        "ALLOC.SUM",
        "the allocated quantities add up to more or less than the quantity (each still in range)",
        _sum_mismatch,
    ),
    (
        "allocation_quantity_negative",
        "ALLOC.QUANTITY.RANGE",
        "ALLOC.QUANTITY.RANGE",
        "one allocation is −1, the others make up the quantity + 1, so the sum still holds",
        _allocation_quantity_negative,
    ),
    (
        "allocation_quantity_missing",
        "ALLOC.QUANTITY.EXACTLY_ONE",
        "ALLOC.QUANTITY.EXACTLY_ONE",
        "one allocation (that would be 0) has neither AllocatedUsageQuantity nor its decimal form",
        _allocation_quantity_missing,
    ),
    (
        "allocation_decimal_quantity",
        "ALLOC.QUANTITY_TYPE",
        "ALLOC.QUANTITY_TYPE",
        "one allocation gives its quantity as a decimal string while the usage quantity is a whole number",
        _allocation_decimal,
    ),
    (
        "allocation_duplicate_tag_set",
        "ALLOC.UNIQUE_TAGS",
        "ALLOC.UNIQUE_TAGS",
        "two allocations carry the same tags in the same order",
        _duplicate_tag_set(reorder=False),
    ),
    (
        "allocation_duplicate_tag_set_reordered",
        "ALLOC.UNIQUE_TAGS",
        "ALLOC.UNIQUE_TAGS",
        "two allocations carry the same set of tags, listed in another order",
        _duplicate_tag_set(reorder=True),
    ),
    (
        "allocations_two_untagged",
        "ALLOC.ONE_UNTAGGED",
        "ALLOC.ONE_UNTAGGED",
        "two allocations have no Tags",
        _two_untagged,
    ),
    (
        "allocations_too_many",
        "ALLOC.COUNT.MAX",
        "ALLOC.COUNT.MAX",
        "the usage has contract.max_allocations + 1 allocations, each with its own tag",
        _too_many_allocations,
    ),
]


def _on_usage(operation: str, transform: Callable) -> Transform:
    def on_request(draw, request, profile):
        transform(draw, _usage(draw, request, operation), operation, profile)
        return request

    return on_request


# ---------------------------------------------------------------------------------------------------------
# Request-level transforms.


def _set(member: str, strategy_of: Callable[[Profile], st.SearchStrategy]) -> Transform:
    def transform(draw, request, profile):
        request[member] = draw(strategy_of(profile))
        return request

    return transform


def _unknown_code(profile):
    return unknown_product_codes(profile)


def _too_many_records(draw, request, profile):
    """26 valid records with distinct keys (no allocations: their rules are not the point)."""
    over = RECORDS_MAX + 1
    customers = "accounts" if "CustomerAWSAccountId" in request["UsageRecords"][0] else "subscribed"
    request["UsageRecords"] = draw(_record_lists(profile, over, over, customers, with_allocations=False))
    return request


def _account_not_digits(draw, request, profile):
    record = _usage(draw, request, "BatchMeterUsage")
    account = record["CustomerAWSAccountId"]
    # A look-alike of the real account: one character changed to a non-ASCII-digit (Unicode digits included,
    # since `\d` matches them and `[0-9]` does not), or a trailing newline (`$` matches before it).
    bad = draw(st.sampled_from("a -+.\u0661\uff11x\n"))
    if bad == "\n":
        record["CustomerAWSAccountId"] = account[: ACCOUNT_ID_MAX - 1] + bad
    else:
        at = draw(st.integers(0, len(account)))
        if at == len(account) and len(account) < ACCOUNT_ID_MAX:
            record["CustomerAWSAccountId"] = account + bad
        else:
            at = min(at, len(account) - 1)
            record["CustomerAWSAccountId"] = account[:at] + bad + account[at + 1 :]
    return request


# Malformed license ARNs, each a small edit of a real one: (label, edit).
_ARN_EDITS: list[tuple[str, Callable[[str], str]]] = [
    ("no arn: prefix", lambda arn: arn[len("arn:") :]),
    ("partition not aws", lambda arn: "arn:gcp" + arn[len("arn:aws") :]),
    ("empty service", lambda arn: "arn:aws::" + arn.split(":", 3)[3]),
    ("too few fields", lambda arn: ":".join(arn.split(":")[:5])),
    ("resource starts with a space", lambda arn: ":".join(arn.split(":")[:5]) + ": " + arn.split(":", 5)[5]),
    ("trailing newline", lambda arn: arn + "\n"),
    ("not an ARN", lambda arn: "license"),
]


def _license_malformed(draw, request, profile):
    record = _usage(draw, request, "BatchMeterUsage")
    _label, edit = draw(st.sampled_from(_ARN_EDITS))
    record["LicenseArn"] = edit(record["LicenseArn"])
    return request


def _matched_pairs(profile: Profile) -> list[tuple[str, str]]:
    """(CustomerIdentifier, CustomerAWSAccountId) pairs of the same subscribed customer, from registration tokens."""
    subscribed, accounts = set(profile.customers.subscribed), set(profile.customers.subscribed_accounts)
    return [
        (t.customer, t.account)
        for t in profile.registration_tokens.valid
        if t.customer in subscribed and t.account in accounts
    ]


def _both_customer_kinds(draw, request, profile):
    record = _usage(draw, request, "BatchMeterUsage")
    pairs = _matched_pairs(profile)
    if pairs:
        customer, account = draw(st.sampled_from(pairs))
        record["CustomerIdentifier"] = customer
    else:
        account = draw(st.sampled_from(list(profile.need("customers.subscribed_accounts"))))
    record["CustomerAWSAccountId"] = account
    record["LicenseArn"] = profile.customers.licenses[account]
    # Keep the keys of the batch distinct whichever of the two members a server reads.
    others = [r for r in request["UsageRecords"] if r is not record]
    if any(record_key(r, profile)[1:] == record_key(record, profile)[1:] for r in others):
        request["UsageRecords"] = [record]
    return request


def _both_base(profile: Profile) -> st.SearchStrategy[dict]:
    profile.need("customers.subscribed_accounts", "a record naming a customer both ways needs an account")
    return batch_meter_usage_requests(profile, max_size=3, customers="subscribed")


def _unknown_public_key_version(profile):
    versions = set(profile.need("product.public_key_versions"))
    return st.one_of(st.just(max(versions) + 1), st.integers(1, 2**31 - 1)).filter(lambda v: v not in versions)


def _unknown_registration_token(profile):
    listed = {t.token for t in profile.registration_tokens.valid} | set(profile.registration_tokens.expired)
    return st.text(ANY_CHARACTERS, min_size=1, max_size=64).filter(lambda t: t not in listed)


# The clause of each required member, by (operation, member path as the catalog's model refs write it).
REQUIRED_CLAUSES = {
    ("MeterUsage", "ProductCode"): "MU.PRODUCT_CODE.REQUIRED",
    ("MeterUsage", "Timestamp"): "MU.TIMESTAMP.REQUIRED",
    ("MeterUsage", "UsageDimension"): "MU.USAGE_DIMENSION.REQUIRED",
    ("BatchMeterUsage", "UsageRecords"): "BMU.RECORDS.REQUIRED",
    ("BatchMeterUsage", "UsageRecords[].Timestamp"): "BMU.TIMESTAMP.REQUIRED",
    ("BatchMeterUsage", "UsageRecords[].Dimension"): "BMU.DIMENSION.REQUIRED",
    ("RegisterUsage", "ProductCode"): "RU.PRODUCT_CODE.REQUIRED",
    ("RegisterUsage", "PublicKeyVersion"): "RU.PUBLIC_KEY_VERSION.REQUIRED",
    ("ResolveCustomer", "RegistrationToken"): "RC.TOKEN.REQUIRED",
}
NULL_REQUIRED = "PROTO.NULL.REQUIRED"


def _required_paths(operation: str) -> list[str]:
    """Required members of the request and of its UsageRecords (Tag's Key and Value have their own mutations)."""
    shape = input_shape(operation)
    paths = list(shape.required_members)
    if operation == "BatchMeterUsage":
        paths += [f"UsageRecords[].{m}" for m in shape.members["UsageRecords"].member.required_members]
    missing = [p for p in paths if (operation, p) not in REQUIRED_CLAUSES]
    if missing:
        raise AssertionError(
            f"the model now requires {operation} {', '.join(missing)}; add its clause to REQUIRED_CLAUSES"
        )
    return paths


def _without(path: str, null: bool) -> Transform:
    """Leave out the member at `path` ("X" or "UsageRecords[].X": in one drawn record), or send it as null."""

    def transform(draw, request, profile):
        holder = request
        member = path
        if path.startswith("UsageRecords[]."):
            holder, member = _usage(draw, request, "BatchMeterUsage"), path.split(".", 1)[1]
        if null:
            holder[member] = None
        else:
            holder.pop(member)
        return request

    return transform


def _code_too_long(profile):
    return overlong_product_codes()


def _code_bad_char(profile):
    code = profile.need("product.code")
    return st.tuples(st.sampled_from(PRODUCT_CODE_INVALID), st.integers(0, len(code))).map(
        lambda p: code[: p[1]] + p[0] + code[p[1] :]
    )


# Characters outside ProductCode's `[-a-zA-Z0-9/=:_.@]`: space, the rest of ASCII punctuation, a newline, non-ASCII.
PRODUCT_CODE_INVALID = " !#$%&*+,;<>?[]^`{|}~\\\n\u00e9\uff10"


def _product_code_mutations(operation: str) -> list[Mutation]:
    area = PREFIX[operation]
    return [
        Mutation(
            "unknown_product_code",
            operation,
            f"{area}.PRODUCT_CODE.UNKNOWN",
            "the ProductCode matches the pattern but is not the product's",
            _set("ProductCode", _unknown_code),
        ),
        Mutation(
            "product_code_too_long",
            operation,
            f"{area}.PRODUCT_CODE.LENGTH",
            "the ProductCode is 256 or more pattern-valid characters",
            _set("ProductCode", _code_too_long),
        ),
        Mutation(
            "product_code_invalid_char",
            operation,
            f"{area}.PRODUCT_CODE.PATTERN",
            "the product's code with one character outside [-a-zA-Z0-9/=:_.@] inserted",
            _set("ProductCode", _code_bad_char),
        ),
    ]


def _required_mutations(operation: str) -> list[Mutation]:
    found = []
    for path in _required_paths(operation):
        where = "one UsageRecord's " if path.startswith("UsageRecords[].") else "the required member "
        member = path.rsplit(".", 1)[-1]
        prefix = "record_" if path.startswith("UsageRecords[].") else ""
        found.append(
            Mutation(
                f"{prefix}missing_{member}",
                operation,
                REQUIRED_CLAUSES[(operation, path)],
                f"{where}{member} is absent",
                _without(path, null=False),
            )
        )
        found.append(
            Mutation(
                f"{prefix}null_{member}",
                operation,
                NULL_REQUIRED,
                f"{where}{member} is JSON null",
                _without(path, null=True),
            )
        )
    return found


def _customer_identifier_too_long(draw, request, profile):
    over = CUSTOMER_IDENTIFIER_MAX + 1
    _usage(draw, request, "BatchMeterUsage")["CustomerIdentifier"] = draw(
        st.text(ANY_CHARACTERS, min_size=over, max_size=over)
    )
    return request


def _account_too_long(draw, request, profile):
    record = _usage(draw, request, "BatchMeterUsage")
    over = ACCOUNT_ID_MAX + 1
    record["CustomerAWSAccountId"] = (record["CustomerAWSAccountId"] * over)[:over]
    return request


def _license_of_another_account(draw, request, profile):
    """A well-formed LicenseArn that is not the record's account's: another account's, or the ARN edited to name
    another."""
    record = _usage(draw, request, "BatchMeterUsage")
    account = record["CustomerAWSAccountId"]
    others = sorted(
        {arn for acct, arn in profile.customers.licenses.items() if acct != account and arn != record["LicenseArn"]}
    )
    foreign = (
        record["LicenseArn"].replace(account, "999999999999")
        if account in record["LicenseArn"]
        else record["LicenseArn"] + "0"
    )
    record["LicenseArn"] = draw(st.sampled_from([*others, foreign]))
    return request


def _drop_customer(draw, request, profile):
    record = _usage(draw, request, "BatchMeterUsage")
    for member in ("CustomerIdentifier", "CustomerAWSAccountId", "LicenseArn"):
        record.pop(member, None)
    # Other records of the same dimension and time would now share the "no customer" key: keep this one alone.
    request["UsageRecords"] = [record]
    return request


def _drop_license(draw, request, profile):
    _usage(draw, request, "BatchMeterUsage").pop("LicenseArn")
    return request


def _drop_product_code(draw, request, profile):
    request.pop("ProductCode", None)
    return request


def _build() -> list[Mutation]:
    found: list[Mutation] = []
    for operation in ("MeterUsage", "BatchMeterUsage"):
        for name, mu_clause, bmu_clause, description, transform in _SHARED:
            clause = mu_clause if operation == "MeterUsage" else bmu_clause
            where = "" if operation == "MeterUsage" else "in one UsageRecord, "
            found.append(Mutation(name, operation, clause, where + description, _on_usage(operation, transform)))
        found += _product_code_mutations(operation)
        found += _required_mutations(operation)
        if operation == "MeterUsage":
            found += [
                Mutation(
                    "client_token_too_long",
                    "MeterUsage",
                    "MU.CLIENT_TOKEN.LENGTH",
                    "the ClientToken is 65 characters",
                    _set(
                        "ClientToken",
                        lambda p: st.text(ANY_CHARACTERS, min_size=CLIENT_TOKEN_MAX + 1, max_size=CLIENT_TOKEN_MAX + 1),
                    ),
                ),
                Mutation(
                    "client_token_empty",
                    "MeterUsage",
                    "MU.CLIENT_TOKEN.LENGTH",
                    "the ClientToken is the empty string",
                    _set("ClientToken", lambda p: st.just("")),
                ),
            ]
    found += [
        Mutation(
            "too_many_records",
            "BatchMeterUsage",
            "BMU.RECORDS.MAX",
            "26 valid UsageRecords with distinct keys",
            _too_many_records,
        ),
        Mutation(
            "legacy_without_product_code",
            "BatchMeterUsage",
            "BMU.PRODUCT_CODE.LEGACY_REQUIRED",
            "records naming a CustomerIdentifier, and no ProductCode",
            _drop_product_code,
        ),
        Mutation(
            "customer_identifier_too_long",
            "BatchMeterUsage",
            "BMU.CUSTOMER_IDENTIFIER.LENGTH",
            "one record's CustomerIdentifier is 256 characters (so also no subscribed customer)",
            _customer_identifier_too_long,
        ),
        Mutation(
            "account_id_not_digits",
            "BatchMeterUsage",
            "BMU.ACCOUNT_ID.PATTERN",
            "one record's CustomerAWSAccountId has a character other than 0-9 (so also no subscribed account)",
            _account_not_digits,
            _accounts_batch_base,
        ),
        Mutation(
            "account_id_too_long",
            "BatchMeterUsage",
            "BMU.ACCOUNT_ID.LENGTH",
            "one record's CustomerAWSAccountId is 256 digits (so also no subscribed account)",
            _account_too_long,
            _accounts_batch_base,
        ),
        Mutation(
            "license_arn_malformed",
            "BatchMeterUsage",
            "BMU.LICENSE_ARN.PATTERN",
            "one record's LicenseArn does not match the model's ARN pattern",
            _license_malformed,
            _accounts_batch_base,
        ),
        Mutation(
            "license_of_another_account",
            "BatchMeterUsage",
            "BMU.LICENSE.INVALID",
            "one record's LicenseArn is well-formed but not its account's license",
            _license_of_another_account,
            _accounts_batch_base,
        ),
        Mutation(
            "record_without_customer",
            "BatchMeterUsage",
            "BMU.CUSTOMER.MISSING",
            "one record has neither CustomerIdentifier nor CustomerAWSAccountId",
            _drop_customer,
        ),
        Mutation(
            "account_without_license",
            "BatchMeterUsage",
            "BMU.CUSTOMER.MISSING",
            "one record names its CustomerAWSAccountId without a LicenseArn",
            _drop_license,
            _accounts_batch_base,
        ),
        Mutation(
            "customer_identifier_and_account",
            "BatchMeterUsage",
            "BMU.CUSTOMER.EXCLUSIVE",
            "one record names its customer by both CustomerIdentifier and CustomerAWSAccountId (with its LicenseArn)",
            _both_customer_kinds,
            _both_base,
        ),
    ]
    found += _product_code_mutations("RegisterUsage")
    found += [
        Mutation(
            "nonce_too_long",
            "RegisterUsage",
            "RU.NONCE.LENGTH",
            "the Nonce is 256 characters",
            _set("Nonce", lambda p: st.text(ANY_CHARACTERS, min_size=NONCE_MAX + 1, max_size=NONCE_MAX + 1)),
        ),
        Mutation(
            "public_key_version_zero",
            "RegisterUsage",
            "RU.PUBLIC_KEY_VERSION.MIN",
            "the PublicKeyVersion is 0",
            _set("PublicKeyVersion", lambda p: st.just(0)),
        ),
        Mutation(
            "public_key_version_negative",
            "RegisterUsage",
            "RU.PUBLIC_KEY_VERSION.MIN",
            "the PublicKeyVersion is below 0",
            _set("PublicKeyVersion", lambda p: st.one_of(st.just(-1), st.integers(-(2**31), -1))),
        ),
        Mutation(
            "public_key_version_unknown",
            "RegisterUsage",
            "RU.PUBLIC_KEY_VERSION.UNKNOWN",
            "the PublicKeyVersion is at least 1 but not one of the product's key versions",
            _set("PublicKeyVersion", _unknown_public_key_version),
        ),
    ]
    found += _required_mutations("RegisterUsage")
    found += [
        Mutation(
            "registration_token_empty",
            "ResolveCustomer",
            "RC.TOKEN.NON_EMPTY",
            "the RegistrationToken is the empty string",
            _set("RegistrationToken", lambda p: st.just("")),
        ),
        Mutation(
            "registration_token_unknown",
            "ResolveCustomer",
            "RC.TOKEN.INVALID",
            "the RegistrationToken is a non-empty string the endpoint never issued",
            _set("RegistrationToken", _unknown_registration_token),
        ),
    ]
    found += _required_mutations("ResolveCustomer")
    return found


ALL_MUTATIONS: tuple[Mutation, ...] = tuple(_build())


def mutations(operation: str | None = None) -> list[Mutation]:
    """The mutations of `operation` (one of the four operation names), or of all operations when None."""
    if operation is not None and operation not in OPERATIONS:
        raise ValueError(
            f"operation={operation!r} is not a metering operation; pass one of {', '.join(OPERATIONS)} or None"
        )
    return [m for m in ALL_MUTATIONS if operation is None or m.operation == operation]


def mutation(operation: str, name: str) -> Mutation:
    """The mutation called `name` of `operation`; KeyError listing the names when there is none."""
    for m in mutations(operation):
        if m.name == name:
            return m
    raise KeyError(f"no mutation {name!r} for {operation}; known: {', '.join(m.name for m in mutations(operation))}")


def invalid_requests(profile: Profile, operation: str) -> st.SearchStrategy[tuple[Mutation, dict]]:
    """(mutation, request) pairs: a drawn mutation of `operation` applied to a drawn valid request.

    Mutations whose base data the profile lacks are left out; MissingProfileData names the first missing
    key when none is left. Shrinks toward the first mutation (in mutations(operation) order) and its
    simplest base request.
    """
    _check_profile(profile)
    usable: list[Mutation] = []
    missing: MissingProfileData | None = None
    for m in mutations(operation):
        try:
            m.base_requests(profile)
        except MissingProfileData as exc:
            missing = missing or exc
            continue
        usable.append(m)
    if not usable:
        assert missing is not None
        raise missing
    return st.sampled_from(usable).flatmap(lambda m: m.requests(profile).map(lambda r: (m, r)))
