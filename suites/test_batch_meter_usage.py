"""BatchMeterUsage: request-level errors, per-record results, de-duplication, idempotency and the window.

Every record key (CustomerIdentifier or CustomerAWSAccountId, Dimension, Timestamp) comes from
`metering.batch_key`, so no two checks (or xdist workers, or back-to-back runs) share one. Every successful
answer goes through `expect_results`, which also judges the output clauses every batch answer must meet
(schema, Status enum, partition of the records, echo, record ids); the checks therefore cite RESULT_CLAUSES.
The helpers (requests from batch keys, `expect_results` and friends) live in suites/_batch.py.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from meterconform.harness.current import current_metering
from meterconform.strategies import allocations, quantities, unknown_dimensions, unknown_product_codes
from meterconform.strategies._model import QUANTITY_MAX, RECORDS_MAX
from meterconform.strategies.quantities import FLOAT_COLLIDING_QUANTITIES
from meterconform.transport.clients import Exchange

from ._batch import (
    RESULT_CLAUSES,
    account_record,
    aim,
    batch_request,
    customer_record,
    expect_results,
    expect_same_ids,
    expect_status,
    product_code,
    requantified,
    same_hour_second,
    send,
    short_repr,
    window_ages,
)

# == request-level errors ==============================================================================


@pytest.mark.clause("BMU.DIMENSION.UNKNOWN", *RESULT_CLAUSES)
@pytest.mark.records_usage
@given(data=st.data())
def test_unknown_dimension_fails_the_whole_request(data):
    metering = current_metering()
    good = [customer_record(metering, 1) for _ in range(data.draw(st.integers(0, 3), label="good records"))]
    # The key is reserved under a real dimension, so an endpoint folding the near miss onto it meets no other check.
    bad = customer_record(metering, 1)
    bad["Dimension"] = data.draw(unknown_dimensions(metering.profile), label="unknown dimension")
    at = data.draw(st.integers(0, len(good)), label="position")
    aim(metering, good[:at] + [bad] + good[at:])
    metering.expect_error(send(metering, good[:at] + [bad] + good[at:]), "BMU.DIMENSION.UNKNOWN")
    if good:  # the whole request failed: nothing of it was recorded, so other quantities are new records
        again = [requantified(r, 2) for r in good]
        outcome = expect_results(metering, send(metering, again), again, "BMU.DIMENSION.UNKNOWN")
        for i in range(len(again)):
            expect_status(metering, outcome, i, "Success", "BMU.DIMENSION.UNKNOWN")


@pytest.mark.clause("BMU.DIMENSION.UNKNOWN")
def test_dimension_in_another_case_is_unknown(metering):
    real = metering.profile.need("product.dimensions")
    variants = [v for d in real for v in (d.swapcase(), d.lower(), d.upper()) if v not in real]
    if not variants:
        pytest.skip("SKIPPED: every product dimension reads the same in any case")
    record = customer_record(metering, 1)
    record["Dimension"] = variants[0]
    metering.expect_error(send(metering, [record]), "BMU.DIMENSION.UNKNOWN")


@pytest.mark.clause("BMU.PRODUCT_CODE.UNKNOWN")
@given(data=st.data())
def test_unknown_product_code_is_invalid_product_code(data):
    metering = current_metering()
    code = data.draw(unknown_product_codes(metering.profile), label="unknown product code")
    metering.expect_error(send(metering, [customer_record(metering, 1)], product=code), "BMU.PRODUCT_CODE.UNKNOWN")


@pytest.mark.clause("BMU.PRODUCT_CODE.LENGTH")
def test_product_code_of_256_characters_is_a_client_error(metering):
    metering.expect_error(send(metering, [customer_record(metering, 1)], product="p" * 256), "BMU.PRODUCT_CODE.LENGTH")


@pytest.mark.clause("BMU.PRODUCT_CODE.PATTERN")
@pytest.mark.parametrize(
    "code",
    ["prod code", "prod!code", "prod#1", "prod\u00e9", "prod\ncode", "prod*"],
    ids=["space", "bang", "hash", "non-ascii", "newline", "star"],
)
def test_product_code_outside_its_pattern_is_a_client_error(metering, code):
    metering.expect_error(send(metering, [customer_record(metering, 1)], product=code), "BMU.PRODUCT_CODE.PATTERN")


@pytest.mark.clause("BMU.PRODUCT_CODE.LEGACY_REQUIRED")
def test_customer_identifier_records_without_product_code_are_a_client_error(metering):
    metering.expect_error(
        send(metering, [customer_record(metering, 1)], product=None), "BMU.PRODUCT_CODE.LEGACY_REQUIRED"
    )


@pytest.mark.clause("BMU.RECORDS.REQUIRED")
def test_request_without_usage_records_is_a_client_error(metering):
    ex = metering.call("BatchMeterUsage", {"ProductCode": product_code(metering)})
    metering.expect_error(ex, "BMU.RECORDS.REQUIRED")


@pytest.mark.clause("BMU.RECORDS.EMPTY")
def test_empty_usage_records_is_reported(metering):
    ex = send(metering, [])
    if ex.ok and isinstance(ex.json, dict):
        metering.observe(
            "BMU.RECORDS.EMPTY",
            f"UsageRecords [] is served: Results {ex.json.get('Results')!r}, "
            f"UnprocessedRecords {ex.json.get('UnprocessedRecords')!r}",
            ex,
        )
    else:
        metering.observe("BMU.RECORDS.EMPTY", f"UsageRecords [] is rejected: {ex.summary()}", ex)


@pytest.mark.clause("BMU.RECORDS.MAX")
@pytest.mark.records_usage
def test_26_records_are_a_client_error(metering):
    records = [customer_record(metering, 1) for _ in range(RECORDS_MAX + 1)]
    metering.expect_error(send(metering, records), "BMU.RECORDS.MAX")


@pytest.mark.clause("BMU.RECORDS.MAX", "BMU.CUSTOMER.SUBSCRIBED", *RESULT_CLAUSES)
@pytest.mark.records_usage
def test_25_records_are_accepted(metering):
    records = [customer_record(metering, i) for i in range(RECORDS_MAX)]
    outcome = expect_results(metering, send(metering, records), records, "BMU.RECORDS.MAX")
    for i in range(RECORDS_MAX):
        expect_status(metering, outcome, i, "Success", "BMU.CUSTOMER.SUBSCRIBED")


@pytest.mark.clause("BMU.REQUEST.SIZE")
@pytest.mark.records_usage
def test_request_of_more_than_1_mb_is_a_client_error(metering):
    """One valid record whose allocations (5 long tags each) make the body about 1.5 MB."""
    count = 800
    pad_key, pad_value = "k" * 95, "v" * 240
    allocs = [
        {
            "AllocatedUsageQuantity": 1,
            "Tags": [{"Key": f"{pad_key}{t}", "Value": f"{pad_value}{i:06d}"} for t in range(5)],
        }
        for i in range(count)
    ]
    record = customer_record(metering, count, UsageAllocations=allocs)
    request = batch_request(metering, [record])
    if len(json.dumps(request)) < 1_400_000:
        raise RuntimeError("the oversized request must stay well over 1 MB; raise `count`")
    metering.expect_error(metering.call("BatchMeterUsage", request), "BMU.REQUEST.SIZE")


# -- UsageRecord members ------------------------------------------------------------------------------


@pytest.mark.clause("BMU.CUSTOMER_IDENTIFIER.LENGTH")
def test_customer_identifier_of_256_characters_is_a_client_error(metering):
    record = customer_record(metering, 1, customers=["c" * 256])
    metering.expect_error(send(metering, [record]), "BMU.CUSTOMER_IDENTIFIER.LENGTH")


def _expect_unknown_customer(metering, ex: Exchange, record: dict) -> None:
    """An unknown customer: the request-level InvalidCustomerIdentifierException or a per-record
    CustomerNotSubscribed, the two readings of BMU.CUSTOMER.UNKNOWN."""
    if not ex.ok:
        metering.expect_error(ex, "BMU.CUSTOMER.UNKNOWN")
        return
    outcome = expect_results(metering, ex, [record], "BMU.CUSTOMER.UNKNOWN")
    expect_status(metering, outcome, 0, "CustomerNotSubscribed", "BMU.CUSTOMER.UNKNOWN")


@pytest.mark.clause("BMU.CUSTOMER_IDENTIFIER.LENGTH", "BMU.CUSTOMER.UNKNOWN", *RESULT_CLAUSES)
def test_customer_identifier_of_255_characters_is_well_formed(metering):
    """255 characters pass the length rule: the (unknown) customer is then judged by BMU.CUSTOMER.UNKNOWN."""
    record = customer_record(metering, 1, customers=["c" * 254 + "z"])
    ex = send(metering, [record])
    if not ex.ok and ex.error_code != "InvalidCustomerIdentifierException":
        metering.fail(
            "BMU.CUSTOMER_IDENTIFIER.LENGTH",
            expected="a 255-character CustomerIdentifier judged as a customer "
            "(Status CustomerNotSubscribed or InvalidCustomerIdentifierException)",
            actual=ex.summary(),
            exchange=ex,
        )
    _expect_unknown_customer(metering, ex, record)


@pytest.mark.clause("BMU.CUSTOMER.UNKNOWN", *RESULT_CLAUSES)
def test_unknown_customer_is_not_subscribed_or_invalid(metering):
    record = customer_record(metering, 1, customers=["meterconform-no-such-customer"])
    _expect_unknown_customer(metering, send(metering, [record]), record)


@pytest.mark.clause("BMU.ACCOUNT_ID.PATTERN")
@pytest.mark.parametrize(
    "edit", ["letter", "space", "minus", "arabic-indic digit", "fullwidth digit", "trailing newline"]
)
def test_account_id_with_a_non_digit_is_a_client_error(metering, edit):
    record = account_record(metering, 1)
    account = record["CustomerAWSAccountId"]
    bad = {"letter": "a", "space": " ", "minus": "-", "arabic-indic digit": "\u0661", "fullwidth digit": "\uff11"}.get(
        edit
    )
    record["CustomerAWSAccountId"] = account + "\n" if bad is None else account[:-1] + bad
    metering.expect_error(send(metering, [record], product=None), "BMU.ACCOUNT_ID.PATTERN")


@pytest.mark.clause("BMU.ACCOUNT_ID.LENGTH")
@pytest.mark.parametrize("length", [0, 256])
def test_account_id_empty_or_over_255_digits_is_a_client_error(metering, length):
    record = account_record(metering, 1)
    record["CustomerAWSAccountId"] = (record["CustomerAWSAccountId"] * 30)[:length]
    metering.expect_error(send(metering, [record], product=None), "BMU.ACCOUNT_ID.LENGTH")


_ARN_EDITS = {
    "no arn prefix": lambda arn: arn[len("arn:") :],
    "partition not aws": lambda arn: "arn:gcp" + arn[len("arn:aws") :],
    "empty service": lambda arn: "arn:aws::" + arn.split(":", 3)[3],
    "too few fields": lambda arn: ":".join(arn.split(":")[:5]),
    "resource starts with a space": lambda arn: ":".join(arn.split(":")[:5]) + ": " + arn.split(":", 5)[5],
    "trailing newline": lambda arn: arn + "\n",
    "not an arn": lambda arn: "license",
}


@pytest.mark.clause("BMU.LICENSE_ARN.PATTERN")
@pytest.mark.parametrize("edit", sorted(_ARN_EDITS))
def test_license_arn_outside_its_pattern_is_a_client_error(metering, edit):
    record = account_record(metering, 1)
    record["LicenseArn"] = _ARN_EDITS[edit](record["LicenseArn"])
    metering.expect_error(send(metering, [record], product=None), "BMU.LICENSE_ARN.PATTERN")


def _foreign_license(metering, account: str, which: str) -> str | None:
    """A well-formed LicenseArn that is not `account`'s: another subscribed account's, or its own with the
    license id changed."""
    own = metering.profile.customers.licenses[account]
    if which == "other-account":
        return next((arn for arn in metering.profile.customers.licenses.values() if arn != own), None)
    forged = own[:-8] + ("00000000" if not own.endswith("00000000") else "11111111")
    return forged


@pytest.mark.clause("BMU.LICENSE.INVALID")
@pytest.mark.parametrize("which", ["other-account", "forged-id"])
def test_license_not_matching_the_account_is_invalid_license(metering, which):
    record = account_record(metering, 1)
    arn = _foreign_license(metering, record["CustomerAWSAccountId"], which)
    if arn is None:
        pytest.skip(
            "SKIPPED: the profile lists the license of one account only; add another to `customers.subscribed_accounts`"
        )
    record["LicenseArn"] = arn
    metering.expect_error(send(metering, [record], product=None), "BMU.LICENSE.INVALID")


@pytest.mark.clause("BMU.TIMESTAMP.REQUIRED")
def test_record_without_timestamp_is_a_client_error(metering):
    record = customer_record(metering, 1)
    del record["Timestamp"]
    metering.expect_error(send(metering, [record]), "BMU.TIMESTAMP.REQUIRED")


@pytest.mark.clause("BMU.DIMENSION.REQUIRED")
def test_record_without_dimension_is_a_client_error(metering):
    record = customer_record(metering, 1)
    del record["Dimension"]
    metering.expect_error(send(metering, [record]), "BMU.DIMENSION.REQUIRED")


@pytest.mark.clause("BMU.DIMENSION.LENGTH")
@pytest.mark.parametrize("length", [0, 256])
def test_dimension_empty_or_over_255_characters_is_a_client_error(metering, length):
    record = customer_record(metering, 1)
    record["Dimension"] = "d" * length
    metering.expect_error(send(metering, [record]), "BMU.DIMENSION.LENGTH")


@pytest.mark.clause("BMU.QUANTITY.RANGE")
@pytest.mark.parametrize(
    "quantity", [-1, QUANTITY_MAX + 1, -(2**31), 2**63]
)  # not below -2**31: execnet (xdist) cannot ship such ints in events
def test_quantity_out_of_range_is_a_client_error(metering, quantity):
    metering.expect_error(send(metering, [customer_record(metering, quantity)]), "BMU.QUANTITY.RANGE")


@pytest.mark.clause("BMU.QUANTITY.RANGE", "BMU.CUSTOMER.SUBSCRIBED", *RESULT_CLAUSES)
@pytest.mark.records_usage
@pytest.mark.parametrize("quantity", [0, QUANTITY_MAX])
def test_quantity_at_the_range_edges_is_accepted(metering, quantity):
    record = customer_record(metering, quantity)
    outcome = expect_results(metering, send(metering, [record]), [record], "BMU.QUANTITY.RANGE")
    expect_status(metering, outcome, 0, "Success", "BMU.CUSTOMER.SUBSCRIBED")


@pytest.mark.clause("BMU.QUANTITY_DECIMAL.LENGTH")
@pytest.mark.parametrize(
    "text", ["", "1234567890.1234567", "12345678901.123456"], ids=["empty", "18-fraction", "18-whole"]
)
def test_quantity_as_decimal_empty_or_over_17_characters_is_a_client_error(metering, text):
    record = customer_record(metering, None, QuantityAsDecimal=text)
    metering.expect_error(send(metering, [record]), "BMU.QUANTITY_DECIMAL.LENGTH")


@pytest.mark.clause("BMU.QUANTITY_DECIMAL.PATTERN")
@pytest.mark.parametrize(
    "text", ["-1", "1.", ".5", "01", "1e3", "1.1234567", " 1", "1,5", "abc", "\uff11", "1\n", "+1", "NaN"]
)
def test_quantity_as_decimal_outside_its_pattern_is_a_client_error(metering, text):
    record = customer_record(metering, None, QuantityAsDecimal=text)
    metering.expect_error(send(metering, [record]), "BMU.QUANTITY_DECIMAL.PATTERN")


@pytest.mark.clause(
    "BMU.QUANTITY_DECIMAL.PATTERN", "BMU.QUANTITY_DECIMAL.LENGTH", "BMU.CUSTOMER.SUBSCRIBED", *RESULT_CLAUSES
)
@pytest.mark.records_usage
@pytest.mark.parametrize("text", ["0", "17.42", "0.000001", "1234567890.123456"])
def test_quantity_as_decimal_in_its_pattern_is_accepted(metering, text):
    record = customer_record(metering, None, QuantityAsDecimal=text)
    outcome = expect_results(metering, send(metering, [record]), [record], "BMU.QUANTITY_DECIMAL.PATTERN")
    expect_status(metering, outcome, 0, "Success", "BMU.CUSTOMER.SUBSCRIBED")


@pytest.mark.clause("BMU.QUANTITY.EXCLUSIVE", *RESULT_CLAUSES)
@pytest.mark.records_usage
def test_quantity_and_quantity_as_decimal_together_fail_the_whole_request(metering):
    good = customer_record(metering, 1)
    both = customer_record(metering, 3, QuantityAsDecimal="3")
    metering.expect_error(send(metering, [good, both]), "BMU.QUANTITY.EXCLUSIVE")
    again = [requantified(good, 2), requantified(both, 4)]
    outcome = expect_results(metering, send(metering, again), again, "BMU.QUANTITY.EXCLUSIVE")
    for i in range(len(again)):
        expect_status(metering, outcome, i, "Success", "BMU.QUANTITY.EXCLUSIVE")


@pytest.mark.clause("BMU.QUANTITY.DEFAULT", "BMU.IDEMPOTENT.RETRY", *RESULT_CLAUSES)
@pytest.mark.records_usage
def test_absent_quantity_is_zero(metering):
    record = customer_record(metering, None)
    first = expect_results(metering, send(metering, [record]), [record], "BMU.QUANTITY.DEFAULT")
    expect_status(metering, first, 0, "Success", "BMU.QUANTITY.DEFAULT")
    zero = {**record, "Quantity": 0}
    again = expect_results(metering, send(metering, [zero]), [zero], "BMU.QUANTITY.DEFAULT")
    expect_same_ids(metering, first, again, [(0, 0)], "BMU.QUANTITY.DEFAULT")


@pytest.mark.clause("BMU.QUANTITY.BY_VALUE", *RESULT_CLAUSES)
@pytest.mark.records_usage
@pytest.mark.parametrize("whole,text", [(17, "17.00"), (17, "17.0"), (0, "0.000000")])
def test_quantity_is_compared_by_value(metering, whole, text):
    record = customer_record(metering, whole)
    first = expect_results(metering, send(metering, [record]), [record], "BMU.QUANTITY.BY_VALUE")
    expect_status(metering, first, 0, "Success", "BMU.QUANTITY.BY_VALUE")
    decimal = {k: v for k, v in record.items() if k != "Quantity"} | {"QuantityAsDecimal": text}
    again = expect_results(metering, send(metering, [decimal]), [decimal], "BMU.QUANTITY.BY_VALUE")
    expect_same_ids(metering, first, again, [(0, 0)], "BMU.QUANTITY.BY_VALUE")


# -- customers -----------------------------------------------------------------------------------------


@pytest.mark.clause("BMU.LICENSE.WITHOUT_PRODUCT_CODE", "BMU.CUSTOMER.SUBSCRIBED", *RESULT_CLAUSES)
@pytest.mark.records_usage
@given(data=st.data())
def test_account_records_without_product_code_succeed(data):
    metering = current_metering()
    count = data.draw(st.integers(1, 4), label="records")
    records = [account_record(metering, data.draw(quantities(0, 1000), label="quantity")) for _ in range(count)]
    aim(metering, records)
    outcome = expect_results(
        metering, send(metering, records, product=None), records, "BMU.LICENSE.WITHOUT_PRODUCT_CODE"
    )
    for i in range(count):
        expect_status(metering, outcome, i, "Success", "BMU.LICENSE.WITHOUT_PRODUCT_CODE")


@pytest.mark.clause("BMU.CUSTOMER.SUBSCRIBED", "BMU.CUSTOMER.UNSUBSCRIBED", *RESULT_CLAUSES)
@pytest.mark.records_usage
@given(data=st.data())
def test_each_record_is_answered_by_its_customer(data):
    """A batch of subscribed and unsubscribed customers' records, with or without Quantity and allocations:
    every record is answered once, echoed, Success (with an id) or CustomerNotSubscribed as its customer is."""
    metering = current_metering()
    p = metering.profile
    subscribed = p.need("customers.subscribed")
    kinds = ["subscribed"] + (["unsubscribed"] if p.customers.unsubscribed else [])
    count = data.draw(st.integers(1, 6), label="records")
    records, expected = [], []
    for _ in range(count):
        kind = data.draw(st.sampled_from(kinds), label="customer kind")
        quantity = data.draw(st.none() | quantities(0, 10**6), label="quantity")
        record = customer_record(
            metering, quantity, customers=subscribed if kind == "subscribed" else p.customers.unsubscribed
        )
        if data.draw(st.integers(0, 3), label="allocations?") == 3:
            record["UsageAllocations"] = data.draw(allocations(quantity or 0, max_size=3), label="allocations")
        records.append(record)
        expected.append("Success" if kind == "subscribed" else "CustomerNotSubscribed")
    outcome = expect_results(metering, send(metering, records), records, "BMU.CUSTOMER.SUBSCRIBED")
    for i, status in enumerate(expected):
        expect_status(
            metering,
            outcome,
            i,
            status,
            "BMU.CUSTOMER.SUBSCRIBED" if status == "Success" else "BMU.CUSTOMER.UNSUBSCRIBED",
        )


@pytest.mark.clause("BMU.CUSTOMER.UNSUBSCRIBED", *RESULT_CLAUSES)
def test_unsubscribed_customer_is_customer_not_subscribed(metering):
    record = customer_record(metering, 1, customers=metering.profile.need("customers.unsubscribed"))
    outcome = expect_results(metering, send(metering, [record]), [record], "BMU.CUSTOMER.UNSUBSCRIBED")
    expect_status(metering, outcome, 0, "CustomerNotSubscribed", "BMU.CUSTOMER.UNSUBSCRIBED")


def _both_ways_record(metering) -> dict:
    """An account record that also carries a subscribed CustomerIdentifier, its key claimed for both."""
    subscribed = metering.profile.need("customers.subscribed")
    for _ in range(50):
        record = account_record(metering, 1)
        for customer in subscribed:
            if metering.slots.claim((customer, record["Dimension"], record["Timestamp"])):
                return {**record, "CustomerIdentifier": customer}
    pytest.skip("SKIPPED: no free key for a record naming its customer both ways")


@pytest.mark.clause("BMU.CUSTOMER.EXCLUSIVE")
@pytest.mark.records_usage
def test_customer_identifier_and_account_id_together_are_reported(metering):
    one = _both_ways_record(metering)
    ex = send(metering, [one])
    metering.observe(
        "BMU.CUSTOMER.EXCLUSIVE",
        "one record with both CustomerIdentifier and CustomerAWSAccountId: "
        + (
            f"served, Results {short_repr(ex.json.get('Results'))}"
            if ex.ok and isinstance(ex.json, dict)
            else ex.summary()
        ),
        ex,
    )
    mixed = [customer_record(metering, 1), account_record(metering, 1)]
    ex = send(metering, mixed)
    metering.observe(
        "BMU.CUSTOMER.EXCLUSIVE",
        "one request whose records use CustomerIdentifier and CustomerAWSAccountId each: "
        + (
            f"served, Results {short_repr(ex.json.get('Results'))}"
            if ex.ok and isinstance(ex.json, dict)
            else ex.summary()
        ),
        ex,
    )


@pytest.mark.clause("BMU.CUSTOMER.MISSING")
@pytest.mark.records_usage
def test_record_naming_no_customer_is_reported(metering):
    """Quantity 0 on reserved keys: an endpoint that accepts these records meters nothing billable."""
    nobody = customer_record(metering, 0)
    del nobody["CustomerIdentifier"]
    ex = send(metering, [nobody])
    metering.observe(
        "BMU.CUSTOMER.MISSING",
        "a record with neither CustomerIdentifier nor CustomerAWSAccountId: "
        + (
            f"served, Results {short_repr(ex.json.get('Results'))}"
            if ex.ok and isinstance(ex.json, dict)
            else ex.summary()
        ),
        ex,
    )
    unlicensed = account_record(metering, 0)
    del unlicensed["LicenseArn"]
    ex = send(metering, [unlicensed], product=None)
    metering.observe(
        "BMU.CUSTOMER.MISSING",
        "a record with CustomerAWSAccountId but no LicenseArn (no ProductCode): "
        + (
            f"served, Results {short_repr(ex.json.get('Results'))}"
            if ex.ok and isinstance(ex.json, dict)
            else ex.summary()
        ),
        ex,
    )


# == de-duplication and idempotency ====================================================================


@pytest.mark.clause("BMU.DEDUP.DUPLICATE_RECORD", "BMU.IDEMPOTENT.RETRY", "BMU.CUSTOMER.SUBSCRIBED", *RESULT_CLAUSES)
@pytest.mark.records_usage
@given(data=st.data())
def test_changed_quantity_is_a_duplicate_record(data):
    metering = current_metering()
    q1 = data.draw(st.none() | quantities(0, 1000), label="first quantity")
    record = customer_record(metering, q1)
    first = expect_results(metering, send(metering, [record]), [record], "BMU.DEDUP.DUPLICATE_RECORD")
    expect_status(metering, first, 0, "Success", "BMU.DEDUP.DUPLICATE_RECORD")
    q2 = data.draw(quantities(0, 1000).filter(lambda q: q != (q1 or 0)), label="second quantity")
    changed = requantified(record, q2)
    fresh = customer_record(metering, 1)
    outcome = expect_results(metering, send(metering, [fresh, changed]), [fresh, changed], "BMU.DEDUP.DUPLICATE_RECORD")
    expect_status(metering, outcome, 0, "Success", "BMU.CUSTOMER.SUBSCRIBED")
    expect_status(metering, outcome, 1, "DuplicateRecord", "BMU.DEDUP.DUPLICATE_RECORD")
    # The recorded quantity is untouched: the original is still an identical retry.
    again = expect_results(metering, send(metering, [record]), [record], "BMU.IDEMPOTENT.RETRY")
    expect_same_ids(metering, first, again, [(0, 0)], "BMU.IDEMPOTENT.RETRY")


@pytest.mark.clause("BMU.DEDUP.DUPLICATE_RECORD", *RESULT_CLAUSES)
@pytest.mark.records_usage
@pytest.mark.parametrize(
    "first, other",
    [("17", "17.000001"), *FLOAT_COLLIDING_QUANTITIES, *(pair[::-1] for pair in FLOAT_COLLIDING_QUANTITIES)],
)
def test_another_decimal_quantity_is_a_duplicate_record(metering, first, other):
    """A second QuantityAsDecimal on the same key that differs by value, though (for the last pairs) it is the
    same binary float: an endpoint comparing floats takes it for an identical retry."""
    record = customer_record(metering, None, QuantityAsDecimal=first)
    earlier = expect_results(metering, send(metering, [record]), [record], "BMU.DEDUP.DUPLICATE_RECORD")
    expect_status(metering, earlier, 0, "Success", "BMU.DEDUP.DUPLICATE_RECORD")
    changed = {**record, "QuantityAsDecimal": other}
    outcome = expect_results(metering, send(metering, [changed]), [changed], "BMU.DEDUP.DUPLICATE_RECORD")
    expect_status(metering, outcome, 0, "DuplicateRecord", "BMU.DEDUP.DUPLICATE_RECORD")


@pytest.mark.clause("BMU.IDEMPOTENT.RETRY", *RESULT_CLAUSES)
@pytest.mark.records_usage
@given(data=st.data())
def test_identical_retry_answers_the_same_record_ids(data):
    metering = current_metering()
    count = data.draw(st.integers(1, 6), label="records")
    records = [
        customer_record(metering, data.draw(st.none() | quantities(0, 1000), label="quantity")) for _ in range(count)
    ]
    aim(metering, records)
    first = expect_results(metering, send(metering, records), records, "BMU.IDEMPOTENT.RETRY")
    for i in range(count):
        expect_status(metering, first, i, "Success", "BMU.IDEMPOTENT.RETRY")
    again = expect_results(metering, send(metering, records), records, "BMU.IDEMPOTENT.RETRY")
    expect_same_ids(metering, first, again, [(i, i) for i in range(count)], "BMU.IDEMPOTENT.RETRY")


@pytest.mark.clause("BMU.IDEMPOTENT.SUBSET", *RESULT_CLAUSES)
@pytest.mark.records_usage
@given(data=st.data())
def test_subset_retry_answers_the_original_record_ids(data):
    metering = current_metering()
    count = data.draw(st.integers(2, 6), label="records")
    records = [customer_record(metering, data.draw(quantities(0, 1000), label="quantity")) for _ in range(count)]
    aim(metering, records)
    first = expect_results(metering, send(metering, records), records, "BMU.IDEMPOTENT.SUBSET")
    for i in range(count):
        expect_status(metering, first, i, "Success", "BMU.IDEMPOTENT.SUBSET")
    chosen = data.draw(
        st.lists(st.integers(0, count - 1), min_size=1, max_size=count - 1, unique=True),
        label="subset (in resend order)",
    )
    subset = [records[i] for i in chosen]
    again = expect_results(metering, send(metering, subset), subset, "BMU.IDEMPOTENT.SUBSET")
    expect_same_ids(metering, first, again, [(i, j) for j, i in enumerate(chosen)], "BMU.IDEMPOTENT.SUBSET")


@pytest.mark.clause("BMU.DEDUP.WITHIN_HOUR", *RESULT_CLAUSES)
@pytest.mark.records_usage
def test_another_second_of_the_hour_follows_the_profile(metering):
    record = customer_record(metering, 1)
    first = expect_results(metering, send(metering, [record]), [record], "BMU.DEDUP.WITHIN_HOUR")
    expect_status(metering, first, 0, "Success", "BMU.DEDUP.WITHIN_HOUR")
    second = same_hour_second(metering, record)
    if second is None:
        pytest.skip("SKIPPED: no free second in the record's hour inside the window (try again later in the hour)")
    later = {**requantified(record, 2), "Timestamp": second}
    outcome = expect_results(metering, send(metering, [later]), [later], "BMU.DEDUP.WITHIN_HOUR")
    by_hour = metering.profile.contract.batch_dedup == "hour"
    expect_status(metering, outcome, 0, "DuplicateRecord" if by_hour else "Success", "BMU.DEDUP.WITHIN_HOUR")
    if not by_hour:
        metering.expect(
            outcome.record_id(0) != first.record_id(0),
            "BMU.DEDUP.WITHIN_HOUR",
            expected='a new MeteringRecordId for another time (contract.batch_dedup = "time")',
            actual=f"the first record's id {first.record_id(0)!r} again",
            exchange=outcome.exchange,
        )


# == the window ========================================================================================


@pytest.mark.clause("BMU.WINDOW.RECENT", *RESULT_CLAUSES)
@pytest.mark.records_usage
def test_records_inside_the_window_are_accepted(metering):
    lo, hi = window_ages(metering, "edge_inside")
    records = [customer_record(metering, 1), customer_record(metering, 1, min_age=lo, max_age=hi)]
    outcome = expect_results(metering, send(metering, records), records, "BMU.WINDOW.RECENT")
    for i in range(len(records)):
        expect_status(metering, outcome, i, "Success", "BMU.WINDOW.RECENT")


@pytest.mark.clause("BMU.WINDOW.STALE")
@pytest.mark.parametrize("where", ["edge_stale", "far_stale"])
def test_stale_record_is_timestamp_out_of_bounds(metering, where):
    lo, hi = window_ages(metering, where)
    metering.expect_error(send(metering, [customer_record(metering, 1, min_age=lo, max_age=hi)]), "BMU.WINDOW.STALE")


@pytest.mark.clause("BMU.WINDOW.STALE", "BMU.WINDOW.WHOLE_BATCH", *RESULT_CLAUSES)
@pytest.mark.records_usage
@given(data=st.data())
def test_stale_record_rejects_the_whole_batch(data):
    """The good records of a batch rejected for one stale record are not recorded: sent again alone with
    another quantity they answer Success, where a partly recorded batch would answer DuplicateRecord."""
    metering = current_metering()
    good = [customer_record(metering, 1) for _ in range(data.draw(st.integers(1, 4), label="good records"))]
    lo, hi = window_ages(metering, data.draw(st.sampled_from(["edge_stale", "far_stale"]), label="how stale"))
    stale = customer_record(metering, 1, min_age=lo, max_age=hi)
    at = data.draw(st.integers(0, len(good)), label="stale position")
    metering.expect_error(send(metering, good[:at] + [stale] + good[at:]), "BMU.WINDOW.STALE")
    again = [requantified(r, 2) for r in good]
    outcome = expect_results(metering, send(metering, again), again, "BMU.WINDOW.WHOLE_BATCH")
    for i in range(len(again)):
        expect_status(metering, outcome, i, "Success", "BMU.WINDOW.WHOLE_BATCH")


@pytest.mark.clause("BMU.WINDOW.FUTURE")
@pytest.mark.parametrize("where", ["future_hour", "future_day"])
def test_future_record_is_reported(metering, where):
    """Records of unsubscribed customers, so that an endpoint accepting the future records nothing."""
    lo, hi = window_ages(metering, where)
    record = customer_record(
        metering, 1, customers=metering.profile.need("customers.unsubscribed"), min_age=lo, max_age=hi
    )
    ex = send(metering, [record])
    ahead = int(record["Timestamp"] - metering.now())
    if ex.ok and isinstance(ex.json, dict):
        metering.observe(
            "BMU.WINDOW.FUTURE",
            f"a record {ahead} s ahead passes the window: Results {short_repr(ex.json.get('Results'))}",
            ex,
        )
    else:
        metering.observe("BMU.WINDOW.FUTURE", f"a record {ahead} s ahead: {ex.summary()}", ex)
