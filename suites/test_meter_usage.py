"""MeterUsage: required members, product code, dimension, quantity (whole and decimal), ClientToken, the
metering window, the once-per-hour rule, DryRun, and the shape of every success."""

from __future__ import annotations

import re
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from meterconform.harness.checks import unimplemented_evidence
from meterconform.harness.current import current_metering
from meterconform.harness.failures import skip_unimplemented
from meterconform.strategies import meter_usage_requests, mutation, overlong_product_codes, quantities
from meterconform.strategies._model import QUANTITY_MAX, input_shape
from meterconform.strategies.quantities import FLOAT_COLLIDING_QUANTITIES
from meterconform.strategies.requests import UNIQUE_TOKEN_MIN
from meterconform.strategies.targets import aim_at_limits
from meterconform.strategies.timestamps import HOUR, hour_floor, inside_limit, stale_limit

OP = "MeterUsage"
DECIMAL = "UsageQuantityAsDecimal"
DECIMAL_PATTERN = r"(0|[1-9][0-9]{0,9})(\.[0-9]{1,6})?"
# A request member this check does not send.
ABSENT = object()

# The mutations of strategies/mutations.py this file sends; each one names the catalog clause it breaks.
MUTATIONS = (
    "unknown_product_code",
    "missing_ProductCode",
    "missing_Timestamp",
    "missing_UsageDimension",
    "unknown_dimension",
    "quantity_negative",
    "quantity_too_large",
    "quantity_out_of_range",
    "client_token_too_long",
    "client_token_empty",
    "stale_timestamp",
    "edge_stale_timestamp",
)
MUTATION_CLAUSES = sorted({mutation(op, name).clause for op in (OP,) for name in MUTATIONS})


# -- building requests and reading answers ------------------------------------------------------------------


def _dimensions(metering) -> list[str]:
    return list(metering.profile.need("product.dimensions"))


def _request(metering, *, age: float = 60, timestamp: float | None = None, **members) -> dict:
    """A valid MeterUsage body (the profile's product and first dimension, quantity 1, `age` seconds old);
    `members` override or, given ABSENT, remove members."""
    request = {
        "ProductCode": metering.profile.need("product.code"),
        "Timestamp": int(metering.now() - age) if timestamp is None else timestamp,
        "UsageDimension": _dimensions(metering)[0],
        "UsageQuantity": 1,
    }
    request.update(members)
    return {k: v for k, v in request.items() if v is not ABSENT}


def _send(metering, request: dict, identity="<own>"):
    return metering.call(OP, request, identity=identity)


def _record_id(metering, exchange, clause: str) -> str:
    """The exchange must succeed (clause), match the output schema (OUT.MU.SCHEMA) and carry a
    non-empty MeteringRecordId (OUT.MU.RECORD_ID); returns the id."""
    body = metering.expect_success(exchange, clause)
    record_id = body.get("MeteringRecordId")
    metering.expect(
        isinstance(record_id, str) and record_id != "",
        "OUT.MU.RECORD_ID",
        expected="a non-empty MeteringRecordId string",
        actual=f"result {body}",
        exchange=exchange,
    )
    return record_id


def _same_id(metering, first: str, exchange, clause: str, why: str) -> None:
    second = _record_id(metering, exchange, clause)
    metering.expect(
        second == first,
        clause,
        expected=f"the first request's MeteringRecordId {first!r} ({why})",
        actual=f"MeteringRecordId {second!r}",
        exchange=exchange,
    )


def _other_id(metering, first: str, exchange, clause: str, why: str) -> None:
    second = _record_id(metering, exchange, clause)
    metering.expect(
        second != first,
        clause,
        expected=f"a MeteringRecordId other than {first!r} ({why})",
        actual=f"the same MeteringRecordId {second!r}",
        exchange=exchange,
    )


def _past_hour(metering, back: int) -> int:
    """The start of the hour `back` hours before the current one, when that whole hour is inside the
    meter window (minus the clock tolerance) now; otherwise the check is skipped."""
    start = hour_floor(metering.now()) - back * HOUR
    # The hour's first second must stay inside for a minute after this reading.
    if metering.now() - start > inside_limit(metering.profile, "meter") - 60:
        pytest.skip(
            f"SKIPPED: the hour {back} h back is not wholly inside contract.meter_window_hours "
            f"({metering.profile.contract.meter_window_hours}) minus clock_tolerance_seconds"
        )
    return start


def _has_decimal() -> bool:
    return DECIMAL in input_shape(OP).members


def _need_decimal() -> None:
    if not _has_decimal():
        pytest.skip(f"SKIPPED: the installed botocore model of MeterUsage has no {DECIMAL}")


# -- accepted requests ---------------------------------------------------------------------------------------

# The ClientTokens of the valid check: botocore's UUIDs, or drawn ones (8–64 arbitrary characters) made unique to
# the run and the example. The scope of a token is undocumented (per caller or per endpoint; on AWS every check
# is one identity), so a fresh identity does not keep a repeated token apart: no draw may repeat one.
VALID_TOKEN_KINDS = ("fresh", "unique")


@pytest.mark.records_usage
@pytest.mark.clause("MU.WINDOW.RECENT", "MU.CLIENT_TOKEN.LENGTH", "OUT.MU.SCHEMA", "OUT.MU.RECORD_ID")
@given(data=st.data())
def test_valid_requests_are_accepted(data):
    """Any valid request (drawn quantity, allocations, a unique ClientToken of 8–64 chars, timestamp inside the
    window) is accepted with a MeteringRecordId. Tokens of 1 and 64 chars: the length boundary check."""
    metering = current_metering()
    ident = metering.fresh_identity()
    request = data.draw(
        meter_usage_requests(metering.profile, client_token=data.draw(st.sampled_from(VALID_TOKEN_KINDS)))
    )
    _record_id(metering, _send(metering, request, ident), "MU.WINDOW.RECENT")


@pytest.mark.records_usage
@pytest.mark.clause("MU.USAGE_QUANTITY.RANGE", "OUT.MU.SCHEMA", "OUT.MU.RECORD_ID")
@pytest.mark.parametrize("quantity", [0, 1, QUANTITY_MAX])
def test_quantity_range_boundaries_are_accepted(metering, quantity):
    _record_id(metering, _send(metering, _request(metering, UsageQuantity=quantity)), "MU.USAGE_QUANTITY.RANGE")


@pytest.mark.records_usage
@pytest.mark.clause("MU.CLIENT_TOKEN.LENGTH", "OUT.MU.SCHEMA", "OUT.MU.RECORD_ID")
@pytest.mark.parametrize("length", [1, 64])
def test_client_token_length_boundaries_are_accepted(metering, length):
    """A 1-character token cannot be unique across runs: a long-lived endpoint may remember one an earlier run
    sent with other parameters (whatever the token's scope, on AWS every run is one identity). Its
    IdempotencyConflict says the token was taken, not that the length is refused: draw another, up to
    SHORT_TOKEN_TRIES in all."""
    tries = SHORT_TOKEN_TRIES if length < UNIQUE_TOKEN_MIN else 1
    for _ in range(tries):
        ex = _send(metering, _request(metering, ClientToken=_unique_token(length)))
        if ex.error_code != "IdempotencyConflictException":
            break
    _record_id(metering, ex, "MU.CLIENT_TOKEN.LENGTH")


SHORT_TOKEN_TRIES = 5


def _unique_token(length: int = 64) -> str:
    """A ClientToken no other request used: random hex, or for a single character one of 20992 CJK ideographs
    (a long-lived endpoint remembers tokens, and a reused one with other parameters is a conflict)."""
    if length == 1:
        return chr(0x4E00 + uuid.uuid4().int % 0x5200)
    return (uuid.uuid4().hex + uuid.uuid4().hex)[:length]


@pytest.mark.records_usage
@pytest.mark.clause("MU.CLIENT_TOKEN.OPTIONAL", "OUT.MU.SCHEMA", "OUT.MU.RECORD_ID")
def test_a_request_without_client_token_is_accepted(metering):
    """boto3 always fills ClientToken in, so the request goes raw (SigV4-signed)."""
    ex = metering.raw(_request(metering), operation=OP)
    evidence = unimplemented_evidence(metering.transport, ex)  # metering.call's own check, which raw lacks
    if evidence:
        skip_unimplemented(OP, evidence)
    _record_id(metering, ex, "MU.CLIENT_TOKEN.OPTIONAL")


# -- rejected requests: generated ----------------------------------------------------------------------------


@pytest.mark.clause(*MUTATION_CLAUSES, "MU.PRODUCT_CODE.LENGTH")
@given(data=st.data())
def test_invalid_requests_get_the_documented_error(data):
    """A valid drawn request with exactly one rule broken gets that rule's error: a mutation of
    strategies.mutations (drawn among MUTATIONS), or a pattern-valid ProductCode over 255 characters."""
    metering = current_metering()
    request = data.draw(meter_usage_requests(metering.profile, with_allocations=False))
    name = data.draw(st.sampled_from([*sorted(MUTATIONS), "overlong_product_code"]))
    if name == "overlong_product_code":
        request["ProductCode"], clause = data.draw(overlong_product_codes()), "MU.PRODUCT_CODE.LENGTH"
    else:
        broken = mutation(OP, name)
        request, clause = broken.apply(request, data, metering.profile), broken.clause
    metering.reached(aim_at_limits(OP, request, metering.profile))  # deep: times climb toward the window edge
    metering.expect_error(_send(metering, request, metering.fresh_identity()), clause)


# -- rejected requests: boundaries ---------------------------------------------------------------------------


def _case_variant(dimension: str) -> str:
    for variant in (dimension.swapcase(), dimension.lower(), dimension.upper()):
        if variant != dimension:
            return variant
    return dimension + "X"


# (case id, clause, change to the valid request given the profile's first dimension)
BOUNDARY_CASES = [
    ("product-code-unknown", "MU.PRODUCT_CODE.UNKNOWN", lambda d: {"ProductCode": "meterconform-no-such-product"}),
    ("product-code-256-chars", "MU.PRODUCT_CODE.LENGTH", lambda d: {"ProductCode": "p" * 256}),
    ("product-code-space", "MU.PRODUCT_CODE.PATTERN", lambda d: {"ProductCode": "prod meterconform"}),
    ("product-code-hash", "MU.PRODUCT_CODE.PATTERN", lambda d: {"ProductCode": "prod#meterconform"}),
    ("product-code-non-ascii", "MU.PRODUCT_CODE.PATTERN", lambda d: {"ProductCode": "prodé"}),
    ("product-code-missing", "MU.PRODUCT_CODE.REQUIRED", lambda d: {"ProductCode": ABSENT}),
    ("timestamp-missing", "MU.TIMESTAMP.REQUIRED", lambda d: {"Timestamp": ABSENT}),
    ("dimension-missing", "MU.USAGE_DIMENSION.REQUIRED", lambda d: {"UsageDimension": ABSENT}),
    ("dimension-unknown", "MU.USAGE_DIMENSION.UNKNOWN", lambda d: {"UsageDimension": "meterconform-no-such-dimension"}),
    ("dimension-other-case", "MU.USAGE_DIMENSION.UNKNOWN", lambda d: {"UsageDimension": _case_variant(d)}),
    ("dimension-trailing-space", "MU.USAGE_DIMENSION.UNKNOWN", lambda d: {"UsageDimension": d + " "}),
    ("dimension-empty", "MU.USAGE_DIMENSION.LENGTH", lambda d: {"UsageDimension": ""}),
    ("dimension-256-chars", "MU.USAGE_DIMENSION.LENGTH", lambda d: {"UsageDimension": "d" * 256}),
    ("quantity-minus-1", "MU.USAGE_QUANTITY.RANGE", lambda d: {"UsageQuantity": -1}),
    ("quantity-2147483648", "MU.USAGE_QUANTITY.RANGE", lambda d: {"UsageQuantity": QUANTITY_MAX + 1}),
    ("client-token-empty", "MU.CLIENT_TOKEN.LENGTH", lambda d: {"ClientToken": ""}),
    ("client-token-65-chars", "MU.CLIENT_TOKEN.LENGTH", lambda d: {"ClientToken": "c" * 65}),
]


@pytest.mark.clause(*sorted({clause for _, clause, _ in BOUNDARY_CASES}))
@pytest.mark.parametrize("case", BOUNDARY_CASES, ids=[case[0] for case in BOUNDARY_CASES])
def test_boundary_violations_get_the_documented_error(metering, case):
    _, clause, change = case
    request = _request(metering, **change(_dimensions(metering)[0]))
    metering.expect_error(_send(metering, request), clause)


# -- decimal quantities (UsageQuantityAsDecimal) -------------------------------------------------------------

INVALID_DECIMALS = [
    "-1",
    "1.",
    ".5",
    "01",
    "00",
    "1.1234567",
    "1e3",
    "12345678901",
    "1,5",
    " 1",
    "1 ",
    "+1",
    "1.5\n",
    "NaN",
    "Infinity",
    "0x10",
    "１",
    "1..2",
]


def _invalid_decimal_strings():
    """Strings of 1–17 characters that do not fullmatch the model's decimal pattern: listed traps, then any."""
    drawn = st.text("0123456789.-+e ,", min_size=1, max_size=17).filter(
        lambda s: re.fullmatch(DECIMAL_PATTERN, s) is None
    )
    return st.one_of(st.sampled_from(INVALID_DECIMALS), drawn)


def _valid_decimal_strings():
    """Strings matching the model's decimal pattern: up to 10 integer digits and 6 fraction digits."""
    integer = st.one_of(st.just("0"), st.integers(1, 9_999_999_999).map(str))
    fraction = st.one_of(st.just(""), st.text("0123456789", min_size=1, max_size=6).map(lambda f: "." + f))
    return st.builds(lambda i, f: i + f, integer, fraction)


@pytest.mark.records_usage
@pytest.mark.clause(
    "MU.USAGE_QUANTITY_DECIMAL.PATTERN", "MU.USAGE_QUANTITY_DECIMAL.LENGTH", "OUT.MU.SCHEMA", "OUT.MU.RECORD_ID"
)
@given(data=st.data())
def test_valid_decimal_quantities_are_accepted(data):
    metering = current_metering()
    _need_decimal()
    request = _request(metering, UsageQuantity=ABSENT, **{DECIMAL: data.draw(_valid_decimal_strings())})
    _record_id(metering, _send(metering, request, metering.fresh_identity()), "MU.USAGE_QUANTITY_DECIMAL.PATTERN")


@pytest.mark.records_usage
@pytest.mark.clause(
    "MU.USAGE_QUANTITY_DECIMAL.LENGTH", "MU.USAGE_QUANTITY_DECIMAL.PATTERN", "OUT.MU.SCHEMA", "OUT.MU.RECORD_ID"
)
@pytest.mark.parametrize("value", ["0", "1", "17.42", "9999999999.999999"])
def test_decimal_quantity_boundaries_are_accepted(metering, value):
    """ "9999999999.999999" is the longest (17 characters) and largest decimal the pattern allows."""
    _need_decimal()
    request = _request(metering, UsageQuantity=ABSENT, **{DECIMAL: value})
    _record_id(metering, _send(metering, request), "MU.USAGE_QUANTITY_DECIMAL.LENGTH")


@pytest.mark.clause("MU.USAGE_QUANTITY_DECIMAL.PATTERN")
@given(data=st.data())
def test_malformed_decimal_quantities_are_rejected(data):
    metering = current_metering()
    _need_decimal()
    request = _request(metering, UsageQuantity=ABSENT, **{DECIMAL: data.draw(_invalid_decimal_strings())})
    metering.expect_error(_send(metering, request, metering.fresh_identity()), "MU.USAGE_QUANTITY_DECIMAL.PATTERN")


@pytest.mark.clause("MU.USAGE_QUANTITY_DECIMAL.LENGTH")
@pytest.mark.parametrize("value", ["", "9999999999.9999990"], ids=["empty", "18-chars"])
def test_decimal_quantity_length_violations_are_rejected(metering, value):
    _need_decimal()
    request = _request(metering, UsageQuantity=ABSENT, **{DECIMAL: value})
    metering.expect_error(_send(metering, request), "MU.USAGE_QUANTITY_DECIMAL.LENGTH")


@pytest.mark.clause("MU.USAGE_QUANTITY.EXCLUSIVE")
@pytest.mark.parametrize("whole, decimal", [(17, "17"), (0, "0"), (17, "18.5")])
def test_both_quantity_members_are_rejected(metering, whole, decimal):
    _need_decimal()
    request = _request(metering, UsageQuantity=whole, **{DECIMAL: decimal})
    metering.expect_error(_send(metering, request), "MU.USAGE_QUANTITY.EXCLUSIVE")


@pytest.mark.records_usage
@pytest.mark.clause("MU.USAGE_QUANTITY.BY_VALUE", "OUT.MU.SCHEMA", "OUT.MU.RECORD_ID")
def test_quantities_are_compared_by_value(metering):
    """17, "17.0" and "17.00" in the same hour are one record."""
    _need_decimal()
    start = _past_hour(metering, 1)
    first = _record_id(
        metering,
        _send(metering, _request(metering, timestamp=start + 60, UsageQuantity=17)),
        "MU.USAGE_QUANTITY.BY_VALUE",
    )
    for offset, spelled in ((600, "17.0"), (1200, "17.00"), (1800, "17")):
        again = _request(metering, timestamp=start + offset, UsageQuantity=ABSENT, **{DECIMAL: spelled})
        _same_id(
            metering, first, _send(metering, again), "MU.USAGE_QUANTITY.BY_VALUE", f"{spelled!r} is the quantity 17"
        )


@pytest.mark.records_usage
@pytest.mark.clause("MU.USAGE_QUANTITY.BY_VALUE", "OUT.MU.SCHEMA", "OUT.MU.RECORD_ID")
@given(data=st.data())
def test_whole_and_decimal_spellings_of_a_quantity_are_one_record(data):
    metering = current_metering()
    _need_decimal()
    ident = metering.fresh_identity()
    quantity = data.draw(quantities())
    spelled = str(quantity) + data.draw(st.sampled_from(["", ".0", ".00", ".000000"]))
    start = _past_hour(metering, 1)
    seconds = data.draw(st.lists(st.integers(0, HOUR - 1), min_size=2, max_size=2))
    first = _record_id(
        metering,
        _send(metering, _request(metering, timestamp=start + seconds[0], UsageQuantity=quantity), ident),
        "MU.USAGE_QUANTITY.BY_VALUE",
    )
    again = _request(metering, timestamp=start + seconds[1], UsageQuantity=ABSENT, **{DECIMAL: spelled})
    _same_id(
        metering,
        first,
        _send(metering, again, ident),
        "MU.USAGE_QUANTITY.BY_VALUE",
        f"{spelled!r} is the quantity {quantity}",
    )


@pytest.mark.records_usage
@pytest.mark.clause("MU.HOUR.DUPLICATE")
# The last pairs differ by value but are one binary float: an endpoint comparing floats takes them for a retry.
@pytest.mark.parametrize(
    "first, other",
    [(17, "17.000001"), *FLOAT_COLLIDING_QUANTITIES, *(pair[::-1] for pair in FLOAT_COLLIDING_QUANTITIES)],
)
def test_another_decimal_quantity_in_the_same_hour_is_a_duplicate(metering, first, other):
    _need_decimal()
    start = _past_hour(metering, 1)
    given_first = {"UsageQuantity": first} if isinstance(first, int) else {"UsageQuantity": ABSENT, DECIMAL: first}
    ident = metering.fresh_identity()
    _record_id(
        metering, _send(metering, _request(metering, timestamp=start + 60, **given_first), ident), "MU.HOUR.DUPLICATE"
    )
    again = _request(metering, timestamp=start + 120, UsageQuantity=ABSENT, **{DECIMAL: other})
    metering.expect_error(_send(metering, again, ident), "MU.HOUR.DUPLICATE")


# -- the metering window -------------------------------------------------------------------------------------


@pytest.mark.records_usage
@pytest.mark.clause("MU.WINDOW.RECENT", "OUT.MU.SCHEMA", "OUT.MU.RECORD_ID")
@pytest.mark.parametrize("where", ["just-now", "an-hour-ago", "last-seconds-inside"])
def test_timestamps_inside_the_window_are_accepted(metering, where):
    """ "just-now" is clock_tolerance_seconds old, so no clock skew makes it a future timestamp."""
    limit = inside_limit(metering.profile, "meter")
    age = {
        "just-now": metering.profile.contract.clock_tolerance_seconds,
        "an-hour-ago": HOUR,
        "last-seconds-inside": limit - 15,
    }[where]
    _record_id(metering, _send(metering, _request(metering, age=age)), "MU.WINDOW.RECENT")


@pytest.mark.clause("MU.WINDOW.STALE")
@pytest.mark.parametrize(
    "beyond",
    [15, HOUR + 15, 18 * HOUR, 366 * 24 * HOUR],
    ids=["first-seconds-outside", "an-hour-outside", "a-day-old", "a-year-old"],
)
def test_stale_timestamps_are_out_of_bounds(metering, beyond):
    """`beyond` seconds past meter_window_hours plus clock_tolerance_seconds."""
    age = stale_limit(metering.profile, "meter") + beyond
    metering.expect_error(_send(metering, _request(metering, age=age)), "MU.WINDOW.STALE")


@pytest.mark.records_usage
@pytest.mark.clause("MU.WINDOW.FUTURE", "OUT.MU.SCHEMA")
@pytest.mark.parametrize("ahead", [HOUR, 24 * HOUR], ids=["an-hour-ahead", "a-day-ahead"])
def test_future_timestamps_are_reported(metering, ahead):
    """Undocumented: the answer is observed, never judged (a success must still have the output shape)."""
    ex = _send(metering, _request(metering, age=-ahead))
    if ex.ok and isinstance(ex.json, dict):
        metering.expect_output_schema(ex, ex.json)
    metering.observe("MU.WINDOW.FUTURE", f"a Timestamp {ahead // HOUR} h ahead of now: {ex.summary()}", ex)


# -- once per hour per dimension -----------------------------------------------------------------------------


@pytest.mark.records_usage
@pytest.mark.clause("MU.HOUR.IDEMPOTENT", "OUT.MU.SCHEMA", "OUT.MU.RECORD_ID")
@given(data=st.data())
def test_requests_identical_after_rounding_to_the_hour_get_the_same_id(data):
    """Two requests for the same dimension and quantity at other minutes and seconds of one hour (each with
    its own ClientToken, as boto3 sends) are one record."""
    metering = current_metering()
    ident = metering.fresh_identity()
    start = _past_hour(metering, 1)
    seconds = data.draw(st.lists(st.integers(0, HOUR - 1), min_size=2, max_size=2, unique=True))
    quantity = data.draw(quantities())
    dimension = data.draw(st.sampled_from(_dimensions(metering)))
    first = _record_id(
        metering,
        _send(
            metering,
            _request(metering, timestamp=start + seconds[0], UsageQuantity=quantity, UsageDimension=dimension),
            ident,
        ),
        "MU.HOUR.IDEMPOTENT",
    )
    again = _request(metering, timestamp=start + seconds[1], UsageQuantity=quantity, UsageDimension=dimension)
    metering.reached(aim_at_limits(OP, again, metering.profile))  # deep: the second request climbs toward HH:59:59
    _same_id(
        metering,
        first,
        _send(metering, again, ident),
        "MU.HOUR.IDEMPOTENT",
        f"second {seconds[1]} of the hour rounds to the same hour as second {seconds[0]}",
    )


@pytest.mark.records_usage
@pytest.mark.clause("MU.HOUR.IDEMPOTENT", "OUT.MU.SCHEMA", "OUT.MU.RECORD_ID")
def test_first_and_last_second_of_an_hour_are_one_record(metering):
    start = _past_hour(metering, 1)
    first = _record_id(metering, _send(metering, _request(metering, timestamp=start)), "MU.HOUR.IDEMPOTENT")
    _same_id(
        metering,
        first,
        _send(metering, _request(metering, timestamp=start + HOUR - 1)),
        "MU.HOUR.IDEMPOTENT",
        "HH:59:59 rounds down to the same hour as HH:00:00",
    )


@pytest.mark.records_usage
@pytest.mark.clause("MU.USAGE_QUANTITY.DEFAULT", "OUT.MU.SCHEMA", "OUT.MU.RECORD_ID")
def test_an_absent_quantity_is_zero(metering):
    start = _past_hour(metering, 1)
    first = _record_id(
        metering,
        _send(metering, _request(metering, timestamp=start + 60, UsageQuantity=ABSENT)),
        "MU.USAGE_QUANTITY.DEFAULT",
    )
    _same_id(
        metering,
        first,
        _send(metering, _request(metering, timestamp=start + 120, UsageQuantity=0)),
        "MU.USAGE_QUANTITY.DEFAULT",
        "no UsageQuantity means 0",
    )


@pytest.mark.records_usage
@pytest.mark.clause("MU.HOUR.DUPLICATE", "OUT.MU.SCHEMA", "OUT.MU.RECORD_ID")
@given(data=st.data())
def test_another_quantity_in_the_same_hour_is_a_duplicate(data):
    metering = current_metering()
    ident = metering.fresh_identity()
    start = _past_hour(metering, 1)
    seconds = data.draw(st.lists(st.integers(0, HOUR - 1), min_size=2, max_size=2))
    first, second = data.draw(st.lists(quantities(), min_size=2, max_size=2, unique=True))
    _record_id(
        metering,
        _send(metering, _request(metering, timestamp=start + seconds[0], UsageQuantity=first), ident),
        "MU.HOUR.DUPLICATE",
    )
    again = _request(metering, timestamp=start + seconds[1], UsageQuantity=second)
    metering.reached(aim_at_limits(OP, again, metering.profile))  # deep: the second request climbs toward HH:59:59
    ex = _send(metering, again, ident)
    metering.expect_error(ex, "MU.HOUR.DUPLICATE")


@pytest.mark.records_usage
@pytest.mark.clause("MU.HOUR.PER_DIMENSION", "OUT.MU.SCHEMA", "OUT.MU.RECORD_ID")
def test_another_dimension_in_the_same_hour_is_a_new_record(metering):
    dimensions = _dimensions(metering)
    if len(dimensions) < 2:
        pytest.skip("SKIPPED: the target profile lists one `product.dimensions`; add a second to run this check")
    start = _past_hour(metering, 1)
    first = _record_id(
        metering,
        _send(metering, _request(metering, timestamp=start + 60, UsageDimension=dimensions[0], UsageQuantity=3)),
        "MU.HOUR.PER_DIMENSION",
    )
    ex = _send(metering, _request(metering, timestamp=start + 60, UsageDimension=dimensions[1], UsageQuantity=4))
    _other_id(metering, first, ex, "MU.HOUR.PER_DIMENSION", f"{dimensions[1]!r} is another dimension")


@pytest.mark.records_usage
@pytest.mark.clause("MU.HOUR.PER_DIMENSION", "OUT.MU.SCHEMA", "OUT.MU.RECORD_ID")
def test_another_instance_in_the_same_hour_is_a_new_record(metering):
    """The rule is per instance (EC2 instance, ECS task or EKS pod), which is the signing identity: another
    instance's usage of the same dimension in the same hour is its own record."""
    other = metering.fresh_identity()
    if other is None:
        pytest.skip("SKIPPED: a real endpoint meters as the profile's one identity; another instance needs an emulator")
    start = _past_hour(metering, 1)
    first = _record_id(
        metering, _send(metering, _request(metering, timestamp=start + 60, UsageQuantity=3)), "MU.HOUR.PER_DIMENSION"
    )
    ex = _send(metering, _request(metering, timestamp=start + 60, UsageQuantity=4), identity=other)
    _other_id(metering, first, ex, "MU.HOUR.PER_DIMENSION", "another instance meters its own hour")


@pytest.mark.records_usage
@pytest.mark.clause("MU.HOUR.PER_DIMENSION", "OUT.MU.SCHEMA", "OUT.MU.RECORD_ID")
def test_the_next_hour_is_a_new_record(metering):
    earlier = _past_hour(metering, 2)
    first = _record_id(
        metering,
        _send(metering, _request(metering, timestamp=earlier + HOUR - 1, UsageQuantity=3)),
        "MU.HOUR.PER_DIMENSION",
    )
    ex = _send(metering, _request(metering, timestamp=earlier + HOUR, UsageQuantity=4))
    _other_id(metering, first, ex, "MU.HOUR.PER_DIMENSION", "HH:00:00 of the next hour is another hour")


# -- ClientToken ---------------------------------------------------------------------------------------------


@pytest.mark.records_usage
@pytest.mark.clause("MU.CLIENT_TOKEN.REPLAY", "OUT.MU.SCHEMA", "OUT.MU.RECORD_ID")
def test_a_replayed_client_token_returns_the_same_id(metering):
    request = _request(metering, age=120, UsageQuantity=5, ClientToken=_unique_token())
    first = _record_id(metering, _send(metering, request), "MU.CLIENT_TOKEN.REPLAY")
    _same_id(
        metering, first, _send(metering, dict(request)), "MU.CLIENT_TOKEN.REPLAY", "the same ClientToken and parameters"
    )


def _one_allocation(team: str, quantity: int = 5) -> list[dict]:
    return [{"AllocatedUsageQuantity": quantity, "Tags": [{"Key": "team", "Value": team}]}]


@pytest.mark.records_usage
@pytest.mark.clause("MU.CLIENT_TOKEN.CONFLICT", "OUT.MU.SCHEMA", "OUT.MU.RECORD_ID")
@pytest.mark.parametrize("differs", ["quantity", "dimension", "allocations"])
def test_a_client_token_reused_with_other_parameters_conflicts(metering, differs):
    """ "allocations": the same quantity split under another tag; UsageAllocations are parameters too."""
    token = _unique_token()
    request = _request(metering, age=120, UsageQuantity=5, ClientToken=token)
    if differs == "allocations":
        request["UsageAllocations"] = _one_allocation("a")
    _record_id(metering, _send(metering, request), "MU.CLIENT_TOKEN.CONFLICT")
    if differs == "quantity":
        other = {**request, "UsageQuantity": 6}
    elif differs == "allocations":
        other = {**request, "UsageAllocations": _one_allocation("b")}
    else:
        dimensions = _dimensions(metering)
        if len(dimensions) < 2:
            pytest.skip("SKIPPED: the target profile lists one `product.dimensions`; add a second to run this check")
        other = {**request, "UsageDimension": dimensions[1]}
    metering.expect_error(
        _send(metering, other), "MU.CLIENT_TOKEN.CONFLICT", status=metering.profile.contract.idempotency_conflict_status
    )


# -- DryRun --------------------------------------------------------------------------------------------------


@pytest.mark.records_usage
@pytest.mark.clause("MU.DRY_RUN.RECORDS_NOTHING", "MU.DRY_RUN.WIRE_FORM", "OUT.MU.SCHEMA", "OUT.MU.RECORD_ID")
def test_a_dry_run_records_nothing(metering):
    """DryRun with quantity 7, then a real request with quantity 8 in the same hour: no DuplicateRequest."""
    start = _past_hour(metering, 1)
    dry = _send(metering, _request(metering, timestamp=start + 60, UsageQuantity=7, DryRun=True))
    metering.observe(
        "MU.DRY_RUN.WIRE_FORM",
        f"a permitted DryRun was answered {dry.summary()} "
        f"(content-type {dry.headers.get('content-type')!r}, body {dry.body[:200]!r})",
        dry,
    )
    real = _send(metering, _request(metering, timestamp=start + 120, UsageQuantity=8))
    _record_id(metering, real, "MU.DRY_RUN.RECORDS_NOTHING")
