"""Usage allocations and their tags, through MeterUsage and through a BatchMeterUsage UsageRecord: counts,
the sum rule, unique tag sets, one untagged bucket, quantity types, tag counts, lengths and characters."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from meterconform.harness.current import current_metering
from meterconform.strategies import TAG_ALPHABET, allocations, meter_usage_requests, mutation, quantities
from meterconform.strategies._model import QUANTITY_MAX, shape
from meterconform.strategies.allocations import bulk_allocations
from meterconform.strategies.quantities import (
    FLOAT_COLLIDING_SUMS,
    FLOAT_INEXACT_SUMS,
    float_colliding_splits,
    float_inexact_splits,
)
from meterconform.strategies.tags import INVALID_TAG_ASCII

MU, BMU = "MeterUsage", "BatchMeterUsage"
# A member this case does not send.
ABSENT = object()
# The members naming the usage quantity in each operation: (whole, decimal).
QUANTITY_MEMBERS = {MU: ("UsageQuantity", "UsageQuantityAsDecimal"), BMU: ("Quantity", "QuantityAsDecimal")}
DECIMAL_ALLOCATED = "AllocatedUsageQuantityAsDecimal"
# Characters outside ^[a-zA-Z0-9+ -=._:\/@]+$ a hasty reading lets through, a control character, and
# non-ASCII look-alikes of allowed ones (Kelvin sign, fullwidth A, no-break space, Arabic-Indic digit one).
OUTSIDE_TAG_PATTERN = INVALID_TAG_ASCII[:12] + "\n\t" + "é\u212a\uff21\u00a0\u0661"
# The characters of the space-to-= range that are neither letters nor digits (the ones a reading of ` -=` as
# three literal characters would reject).
RANGE_PUNCTUATION = "".join(c for c in map(chr, range(0x20, 0x3E)) if not c.isalnum())

# Operations as parameters, each citing the output clauses its successes are checked against.
SUCCESS_OPERATIONS = [
    pytest.param(MU, marks=pytest.mark.clause("OUT.MU.SCHEMA", "OUT.MU.RECORD_ID"), id=MU),
    pytest.param(BMU, marks=pytest.mark.clause("OUT.BMU.SCHEMA", "OUT.BMU.SUCCESS_RECORD_ID"), id=BMU),
]
ERROR_OPERATIONS = [pytest.param(MU, id=MU), pytest.param(BMU, id=BMU)]

# The mutations of strategies/mutations.py this file sends; each one names the catalog clause it breaks.
MUTATIONS = (
    "tags_too_many",
    "tags_empty",
    "tag_key_too_long",
    "tag_value_too_long",
    "tag_key_invalid_char",
    "tag_value_invalid_char",
    "tag_key_missing",
    "tag_value_missing",
    "allocations_empty",
    "allocation_sum_mismatch",
    "allocation_duplicate_tag_set",
    "allocation_duplicate_tag_set_reordered",
    "allocations_two_untagged",
)
MUTATION_CLAUSES = sorted({mutation(op, name).clause for op in (MU, BMU) for name in MUTATIONS})


# -- building usages -----------------------------------------------------------------------------------------


def tags(*pairs: tuple[str, str]) -> list[dict]:
    return [{"Key": k, "Value": v} for k, v in pairs]


def alloc(quantity, tag_list=ABSENT, *, decimal: bool = False) -> dict:
    """One allocation: `quantity` as AllocatedUsageQuantity (or the decimal member), with `tag_list` unless ABSENT."""
    allocation = {DECIMAL_ALLOCATED if decimal else "AllocatedUsageQuantity": quantity}
    if tag_list is not ABSENT:
        allocation["Tags"] = tag_list
    return allocation


def decimal_parts(parts) -> list[dict]:
    """One decimal allocation per part, allocation i tagged n=i."""
    return [alloc(part, tags(("n", str(i))), decimal=True) for i, part in enumerate(parts)]


def _meter_usage(metering, quantity, allocation_list, decimal: bool) -> dict:
    request = {
        "ProductCode": metering.profile.need("product.code"),
        "Timestamp": int(metering.now()) - 60,
        "UsageDimension": metering.profile.need("product.dimensions")[0],
    }
    return _with_usage(request, MU, quantity, allocation_list, decimal)


def _batch_record(metering, quantity, allocation_list, decimal: bool) -> dict:
    customer, dimension, timestamp = metering.batch_key()
    record = {"Timestamp": timestamp, "CustomerIdentifier": customer, "Dimension": dimension}
    return _with_usage(record, BMU, quantity, allocation_list, decimal)


def _with_usage(usage: dict, operation: str, quantity, allocation_list, decimal: bool) -> dict:
    if quantity is not ABSENT:
        usage[QUANTITY_MEMBERS[operation][1 if decimal else 0]] = quantity
    if allocation_list is not ABSENT:
        usage["UsageAllocations"] = allocation_list
    return usage


def call(metering, operation: str, request: dict, identity="<own>"):
    """Send `request`. MeterUsage goes as `identity` (its slots are per identity); BatchMeterUsage is
    isolated by its record keys, so it goes as the profile's own identity (one client for the whole run)."""
    return metering.call(operation, request, identity=identity if operation == MU else None)


def send(metering, operation: str, quantity, allocation_list, *, decimal: bool = False, identity="<own>"):
    """One usage of `quantity` with `allocation_list`: a MeterUsage request, or a BatchMeterUsage of one
    UsageRecord whose key comes from metering.batch_key()."""
    if operation == MU:
        return call(metering, MU, _meter_usage(metering, quantity, allocation_list, decimal), identity)
    record = _batch_record(metering, quantity, allocation_list, decimal)
    return call(metering, BMU, {"ProductCode": metering.profile.need("product.code"), "UsageRecords": [record]})


def expect_accepted(metering, operation: str, exchange, clause: str) -> None:
    """A success with the operation's output shape: a MeteringRecordId (MeterUsage), or one result with
    Status Success and a MeteringRecordId (BatchMeterUsage)."""
    body = metering.expect_success(exchange, clause)
    if operation == MU:
        record_id = body.get("MeteringRecordId")
        metering.expect(
            isinstance(record_id, str) and record_id != "",
            "OUT.MU.RECORD_ID",
            expected="a non-empty MeteringRecordId",
            actual=f"result {body}",
            exchange=exchange,
        )
        return
    results = body.get("Results") or []
    sent = len(exchange.request.get("UsageRecords", [])) if isinstance(exchange.request, dict) else 1
    statuses = [r.get("Status") for r in results]
    metering.expect(
        statuses == ["Success"] * sent,
        clause,
        expected=f"{sent} result(s), each with Status Success",
        actual=f"statuses {statuses}",
        exchange=exchange,
    )
    missing = [i for i, r in enumerate(results) if not r.get("MeteringRecordId")]
    metering.expect(
        not missing,
        "OUT.BMU.SUCCESS_RECORD_ID",
        expected="a MeteringRecordId on every Success result",
        actual=f"results {missing} have none",
        exchange=exchange,
    )


def _has_decimal_allocations() -> bool:
    return DECIMAL_ALLOCATED in shape("UsageAllocation").members


# -- generated -----------------------------------------------------------------------------------------------


@pytest.mark.records_usage
@pytest.mark.clause("ALLOC.SUM.VALID")
@pytest.mark.parametrize("operation", SUCCESS_OPERATIONS)
@given(data=st.data())
def test_valid_allocations_are_accepted(operation, data):
    """1–5 allocations adding up to the quantity, distinct tag sets of 1–5 valid tags, at most one untagged."""
    metering = current_metering()
    total = data.draw(quantities())
    allocation_list = data.draw(allocations(total))
    expect_accepted(
        metering,
        operation,
        send(metering, operation, total, allocation_list, identity=metering.fresh_identity()),
        "ALLOC.SUM.VALID",
    )


def _meter_usage_base(metering, data) -> dict:
    return data.draw(meter_usage_requests(metering.profile, with_allocations=False))


def _batch_base(metering, data) -> dict:
    """1–3 UsageRecords with keys from metering.batch_key(), drawn quantities, some with valid allocations."""
    records = []
    for _ in range(data.draw(st.integers(1, 3))):
        total = data.draw(quantities())
        allocation_list = data.draw(allocations(total, max_size=2)) if data.draw(st.booleans()) else ABSENT
        records.append(_batch_record(metering, total, allocation_list, decimal=False))
    return {"ProductCode": metering.profile.need("product.code"), "UsageRecords": records}


@pytest.mark.clause(*MUTATION_CLAUSES)
@pytest.mark.parametrize("operation", ERROR_OPERATIONS)
@given(data=st.data())
def test_invalid_allocations_get_the_documented_error(operation, data):
    """A valid usage with exactly one allocation or tag rule broken (a mutation of strategies.mutations,
    drawn among MUTATIONS; in a batch, on one drawn record) gets that rule's error."""
    metering = current_metering()
    name = data.draw(st.sampled_from(sorted(MUTATIONS)))
    base = _meter_usage_base(metering, data) if operation == MU else _batch_base(metering, data)
    broken = mutation(operation, name)
    request = broken.apply(base, data, metering.profile)
    metering.expect_error(call(metering, operation, request, metering.fresh_identity()), broken.clause)


# -- deterministic: accepted ---------------------------------------------------------------------------------

A, B, C = ("team", "a"), ("team", "b"), ("env", "prod")

# (case id, clause a rejection breaks, usage quantity, allocations)
ACCEPTED = [
    ("one-bucket", "ALLOC.SUM.VALID", 10, [alloc(10, tags(A))]),
    ("three-buckets", "ALLOC.SUM.VALID", 10, [alloc(3, tags(A)), alloc(3, tags(B)), alloc(4, tags(C))]),
    ("quantity-0", "ALLOC.SUM.VALID", 0, [alloc(0, tags(A)), alloc(0, tags(B))]),
    ("quantity-max-in-one-bucket", "ALLOC.SUM.VALID", QUANTITY_MAX, [alloc(0, tags(A)), alloc(QUANTITY_MAX, tags(B))]),
    ("quantity-absent-is-0", "ALLOC.SUM.VALID", ABSENT, [alloc(0, tags(A))]),
    ("one-untagged-bucket", "ALLOC.ONE_UNTAGGED", 10, [alloc(4, tags(A)), alloc(6)]),
    ("only-an-untagged-bucket", "ALLOC.ONE_UNTAGGED", 5, [alloc(5)]),
    ("same-key-other-value", "ALLOC.UNIQUE_TAGS", 2, [alloc(1, tags(A)), alloc(1, tags(B))]),
    ("tag-set-and-its-superset", "ALLOC.UNIQUE_TAGS", 2, [alloc(1, tags(A)), alloc(1, tags(A, C))]),
    ("five-tags", "TAG.COUNT.MAX", 1, [alloc(1, tags(*[(f"k{i}", f"v{i}") for i in range(5)]))]),
    ("key-1-char", "TAG.KEY.LENGTH", 1, [alloc(1, tags(("k", "v")))]),
    ("key-100-chars", "TAG.KEY.LENGTH", 1, [alloc(1, tags(("k" * 100, "v")))]),
    ("value-1-char", "TAG.VALUE.LENGTH", 1, [alloc(1, tags(("key", "v")))]),
    ("value-256-chars", "TAG.VALUE.LENGTH", 1, [alloc(1, tags(("k", "v" * 256)))]),
    ("range-punctuation-in-key", "TAG.PATTERN.RANGE_CHARACTERS", 1, [alloc(1, tags((RANGE_PUNCTUATION, "v")))]),
    ("range-punctuation-in-value", "TAG.PATTERN.RANGE_CHARACTERS", 1, [alloc(1, tags(("k", RANGE_PUNCTUATION)))]),
    (
        "each-range-character-as-a-key",
        "TAG.PATTERN.RANGE_CHARACTERS",
        len(RANGE_PUNCTUATION),
        [alloc(1, tags((c, "v"))) for c in RANGE_PUNCTUATION],
    ),
    ("every-allowed-character-in-key", "TAG.KEY.PATTERN", 1, [alloc(1, tags((TAG_ALPHABET, "v")))]),
    ("every-allowed-character-in-value", "TAG.VALUE.PATTERN", 1, [alloc(1, tags(("k", TAG_ALPHABET)))]),
]


@pytest.mark.records_usage
@pytest.mark.clause(*sorted({case[1] for case in ACCEPTED}))
@pytest.mark.parametrize("operation", SUCCESS_OPERATIONS)
@pytest.mark.parametrize("case", ACCEPTED, ids=[case[0] for case in ACCEPTED])
def test_allocations_at_the_boundaries_are_accepted(metering, operation, case):
    _, clause, quantity, allocation_list = case
    expect_accepted(metering, operation, send(metering, operation, quantity, allocation_list), clause)


# -- deterministic: rejected ---------------------------------------------------------------------------------

SIX_TAGS = tags(*[(f"k{i}", f"v{i}") for i in range(6)])

# (case id, clause, usage quantity, allocations)
REJECTED = [
    ("no-allocations", "ALLOC.COUNT.MIN", 10, []),
    ("sum-over", "ALLOC.SUM", 10, [alloc(6, tags(A)), alloc(5, tags(B))]),
    ("sum-under", "ALLOC.SUM", 10, [alloc(4, tags(A)), alloc(5, tags(B))]),
    ("sum-over-by-untagged", "ALLOC.SUM", 10, [alloc(10, tags(A)), alloc(1)]),
    ("sum-of-0-quantity", "ALLOC.SUM", 0, [alloc(1, tags(A))]),
    ("sum-of-absent-quantity", "ALLOC.SUM", ABSENT, [alloc(1, tags(A))]),
    # 2147483647 + 2147483647 + 4 is 2 modulo 2**32: a sum kept in 32 bits would match.
    (
        "sum-overflowing-32-bits",
        "ALLOC.SUM",
        2,
        [alloc(QUANTITY_MAX, tags(A)), alloc(QUANTITY_MAX, tags(B)), alloc(4, tags(C))],
    ),
    ("duplicate-tag-set", "ALLOC.UNIQUE_TAGS", 2, [alloc(1, tags(A, C)), alloc(1, tags(A, C))]),
    ("duplicate-tag-set-reordered", "ALLOC.UNIQUE_TAGS", 2, [alloc(1, tags(A, C)), alloc(1, tags(C, A))]),
    ("two-untagged", "ALLOC.ONE_UNTAGGED", 2, [alloc(1), alloc(1)]),
    ("two-untagged-among-tagged", "ALLOC.ONE_UNTAGGED", 3, [alloc(1), alloc(1, tags(A)), alloc(1)]),
    ("allocated-minus-1", "ALLOC.QUANTITY.RANGE", 5, [alloc(-1, tags(A)), alloc(6, tags(B))]),
    ("allocated-2147483648", "ALLOC.QUANTITY.RANGE", QUANTITY_MAX, [alloc(QUANTITY_MAX + 1, tags(A))]),
    ("empty-tags", "TAG.COUNT.MIN", 1, [alloc(1, [])]),
    ("six-tags", "TAG.COUNT.MAX", 1, [alloc(1, SIX_TAGS)]),
    ("key-missing", "TAG.KEY.REQUIRED", 1, [alloc(1, [{"Value": "v"}])]),
    ("value-missing", "TAG.VALUE.REQUIRED", 1, [alloc(1, [{"Key": "k"}])]),
    ("key-empty", "TAG.KEY.LENGTH", 1, [alloc(1, tags(("", "v")))]),
    ("key-101-chars", "TAG.KEY.LENGTH", 1, [alloc(1, tags(("k" * 101, "v")))]),
    ("value-empty", "TAG.VALUE.LENGTH", 1, [alloc(1, tags(("k", "")))]),
    ("value-257-chars", "TAG.VALUE.LENGTH", 1, [alloc(1, tags(("k", "v" * 257)))]),
]


@pytest.mark.clause(*sorted({case[1] for case in REJECTED}))
@pytest.mark.parametrize("operation", ERROR_OPERATIONS)
@pytest.mark.parametrize("case", REJECTED, ids=[case[0] for case in REJECTED])
def test_allocation_violations_get_the_documented_error(metering, operation, case):
    _, clause, quantity, allocation_list = case
    metering.expect_error(send(metering, operation, quantity, allocation_list), clause)


@pytest.mark.clause("TAG.KEY.PATTERN", "TAG.VALUE.PATTERN")
@pytest.mark.parametrize("operation", ERROR_OPERATIONS)
@pytest.mark.parametrize("member", ["Key", "Value"])
def test_tag_characters_outside_the_pattern_are_rejected(metering, operation, member):
    """Each character of OUTSIDE_TAG_PATTERN, placed inside an otherwise valid key or value."""
    clause = f"TAG.{member.upper()}.PATTERN"
    for char in OUTSIDE_TAG_PATTERN:
        tag = {"Key": "team", "Value": "a"}
        tag[member] = f"x{char}y"
        metering.expect_error(send(metering, operation, 1, [alloc(1, [tag])]), clause)


# -- deterministic: the allocation count limit ---------------------------------------------------------------


@pytest.mark.records_usage
@pytest.mark.clause("ALLOC.COUNT.MAX")
@pytest.mark.parametrize("operation", SUCCESS_OPERATIONS)
def test_the_maximum_number_of_allocations_is_accepted(metering, operation):
    """contract.max_allocations allocations (2500 in the model), each with its own tag."""
    count = metering.profile.contract.max_allocations
    expect_accepted(
        metering,
        operation,
        send(metering, operation, count * 3, bulk_allocations(count * 3, count, "n")),
        "ALLOC.COUNT.MAX",
    )


@pytest.mark.clause("ALLOC.COUNT.MAX")
@pytest.mark.parametrize("operation", ERROR_OPERATIONS)
def test_one_allocation_over_the_maximum_is_rejected(metering, operation):
    count = metering.profile.contract.max_allocations + 1
    metering.expect_error(
        send(metering, operation, count * 3, bulk_allocations(count * 3, count, "n")), "ALLOC.COUNT.MAX"
    )


# -- decimal allocated quantities ----------------------------------------------------------------------------


def _need_decimal() -> None:
    if not _has_decimal_allocations():
        pytest.skip(f"SKIPPED: the installed botocore model's UsageAllocation has no {DECIMAL_ALLOCATED}")


# (case id, clause a rejection breaks, decimal usage quantity, allocations)
DECIMAL_ACCEPTED = [
    (
        "decimal-split",
        "ALLOC.SUM.VALID",
        "17.5",
        [alloc("10.25", tags(A), decimal=True), alloc("7.25", tags(B), decimal=True)],
    ),
    ("decimal-sum-by-value", "ALLOC.SUM.VALID", "17.5", [alloc("17.500000", tags(A), decimal=True)]),
    (
        "decimal-longest",
        "ALLOC.QUANTITY_DECIMAL.LENGTH",
        "9999999999.999999",
        [alloc("9999999999.999999", tags(A), decimal=True)],
    ),
    # Exact in decimal, not in binary floats (0.1 + 0.2 is 0.30000000000000004): a float sum refuses them.
    *(
        (f"float-inexact-{'+'.join(parts)}", "ALLOC.SUM.VALID", quantity, decimal_parts(parts))
        for parts, quantity in FLOAT_INEXACT_SUMS
    ),
]


@pytest.mark.records_usage
@pytest.mark.clause(*sorted({case[1] for case in DECIMAL_ACCEPTED}))
@pytest.mark.parametrize("operation", SUCCESS_OPERATIONS)
@pytest.mark.parametrize("case", DECIMAL_ACCEPTED, ids=[case[0] for case in DECIMAL_ACCEPTED])
def test_decimal_allocations_are_accepted(metering, operation, case):
    _need_decimal()
    _, clause, quantity, allocation_list = case
    expect_accepted(metering, operation, send(metering, operation, quantity, allocation_list, decimal=True), clause)


@pytest.mark.records_usage
@pytest.mark.clause("ALLOC.SUM.VALID")
@pytest.mark.parametrize("operation", SUCCESS_OPERATIONS)
@given(split=float_inexact_splits())
def test_decimal_allocations_summing_exactly_are_accepted(operation, split):
    """Decimal parts that add up to the quantity exactly, though their binary-float sum does not."""
    metering = current_metering()
    _need_decimal()
    parts, quantity = split
    ex = send(metering, operation, quantity, decimal_parts(parts), decimal=True, identity=metering.fresh_identity())
    expect_accepted(metering, operation, ex, "ALLOC.SUM.VALID")


@pytest.mark.parametrize("operation", ERROR_OPERATIONS)
@pytest.mark.clause("ALLOC.SUM")
@given(split=float_colliding_splits())
def test_decimal_allocations_off_by_a_millionth_are_rejected(operation, split):
    """Decimal parts adding up to the quantity ± 0.000001, though their binary-float sum is the quantity's float."""
    metering = current_metering()
    _need_decimal()
    parts, quantity = split
    ex = send(metering, operation, quantity, decimal_parts(parts), decimal=True, identity=metering.fresh_identity())
    metering.expect_error(ex, "ALLOC.SUM")


BOTH_QUANTITIES = {"AllocatedUsageQuantity": 5, DECIMAL_ALLOCATED: "5", "Tags": tags(A)}

# (case id, clause, decimal usage quantity?, usage quantity, allocations)
DECIMAL_REJECTED = [
    (
        "decimal-sum-under",
        "ALLOC.SUM",
        True,
        "17.5",
        [alloc("10.25", tags(A), decimal=True), alloc("7.2", tags(B), decimal=True)],
    ),
    ("decimal-sum-off-by-a-millionth", "ALLOC.SUM", True, "1", [alloc("1.000001", tags(A), decimal=True)]),
    # Not the quantity in decimal, but the quantity as binary floats: a float sum accepts them.
    *(
        (f"float-colliding-{'+'.join(parts)}", "ALLOC.SUM", True, quantity, decimal_parts(parts))
        for parts, quantity in FLOAT_COLLIDING_SUMS
    ),
    ("decimal-allocations-of-a-whole-quantity", "ALLOC.QUANTITY_TYPE", False, 5, [alloc("5", tags(A), decimal=True)]),
    ("whole-allocations-of-a-decimal-quantity", "ALLOC.QUANTITY_TYPE", True, "5", [alloc(5, tags(A))]),
    ("both-quantity-members", "ALLOC.QUANTITY.EXACTLY_ONE", False, 5, [BOTH_QUANTITIES]),
    ("no-quantity-member", "ALLOC.QUANTITY.EXACTLY_ONE", False, 0, [{"Tags": tags(A)}]),
    ("decimal-empty", "ALLOC.QUANTITY_DECIMAL.LENGTH", True, "0", [alloc("", tags(A), decimal=True)]),
    (
        "decimal-18-chars",
        "ALLOC.QUANTITY_DECIMAL.LENGTH",
        True,
        "1",
        [alloc("1.00000000000000000", tags(A), decimal=True)],
    ),
    (
        "decimal-negative",
        "ALLOC.QUANTITY_DECIMAL.PATTERN",
        True,
        "0",
        [alloc("-1", tags(A), decimal=True), alloc("1", tags(B), decimal=True)],
    ),
    ("decimal-leading-zero", "ALLOC.QUANTITY_DECIMAL.PATTERN", True, "1", [alloc("01", tags(A), decimal=True)]),
    ("decimal-trailing-dot", "ALLOC.QUANTITY_DECIMAL.PATTERN", True, "1", [alloc("1.", tags(A), decimal=True)]),
    ("decimal-exponent", "ALLOC.QUANTITY_DECIMAL.PATTERN", True, "10", [alloc("1e1", tags(A), decimal=True)]),
    (
        "decimal-7-fraction-digits",
        "ALLOC.QUANTITY_DECIMAL.PATTERN",
        True,
        "1",
        [alloc("1.0000000", tags(A), decimal=True)],
    ),
]


@pytest.mark.clause(*sorted({case[1] for case in DECIMAL_REJECTED}))
@pytest.mark.parametrize("operation", ERROR_OPERATIONS)
@pytest.mark.parametrize("case", DECIMAL_REJECTED, ids=[case[0] for case in DECIMAL_REJECTED])
def test_decimal_allocation_violations_get_the_documented_error(metering, operation, case):
    _need_decimal()
    _, clause, decimal, quantity, allocation_list = case
    metering.expect_error(send(metering, operation, quantity, allocation_list, decimal=decimal), clause)


# -- undocumented --------------------------------------------------------------------------------------------


@pytest.mark.records_usage
@pytest.mark.clause("TAG.KEY.REPEATED")
@pytest.mark.parametrize("operation", ERROR_OPERATIONS)
def test_a_repeated_tag_key_is_reported(metering, operation):
    """One allocation whose two tags share a Key (other Values): no source forbids or allows it."""
    ex = send(metering, operation, 1, [alloc(1, tags(("team", "a"), ("team", "b")))])
    answer = ex.summary()
    if operation == BMU and ex.ok and isinstance(ex.json, dict):
        answer += f", record statuses {[r.get('Status') for r in ex.json.get('Results') or []]}"
    metering.observe("TAG.KEY.REPEATED", f"{operation}, one allocation with tags team=a and team=b: {answer}", ex)
