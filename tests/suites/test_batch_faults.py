"""The BatchMeterUsage checks pass on the faithful reference endpoint and fail, on the clause the fault breaks, on a
faulty one."""

import pytest

from tests.suites.runner import errors, failed_clauses, run_suites

SUITE = "suites/test_batch_meter_usage.py"

# Every request-level error the suite asserts: a fault that answers errors with HTTP 200 must fail each of them.
ERROR_CLAUSES = {
    "BMU.ACCOUNT_ID.LENGTH",
    "BMU.ACCOUNT_ID.PATTERN",
    "BMU.CUSTOMER_IDENTIFIER.LENGTH",
    "BMU.DIMENSION.LENGTH",
    "BMU.DIMENSION.REQUIRED",
    "BMU.DIMENSION.UNKNOWN",
    "BMU.LICENSE.INVALID",
    "BMU.LICENSE_ARN.PATTERN",
    "BMU.PRODUCT_CODE.LEGACY_REQUIRED",
    "BMU.PRODUCT_CODE.LENGTH",
    "BMU.PRODUCT_CODE.PATTERN",
    "BMU.PRODUCT_CODE.UNKNOWN",
    "BMU.QUANTITY.EXCLUSIVE",
    "BMU.QUANTITY.RANGE",
    "BMU.QUANTITY_DECIMAL.LENGTH",
    "BMU.QUANTITY_DECIMAL.PATTERN",
    "BMU.RECORDS.MAX",
    "BMU.RECORDS.REQUIRED",
    "BMU.REQUEST.SIZE",
    "BMU.TIMESTAMP.REQUIRED",
    "BMU.WINDOW.STALE",
}


def run_with(fault: str | None) -> list[dict]:
    """The suite's events with `fault` on (None: the faithful endpoint); one pytest run."""
    return run_suites(SUITE, faults=[fault] if fault else [])


@pytest.fixture(scope="module")
def faithful():
    return run_with(None)


def test_batch_suite_is_green_on_the_faithful_endpoint(faithful):
    assert errors(faithful) == []
    assert failed_clauses(faithful) == set()
    verdicts = {e["verdict"] for e in faithful}
    assert verdicts <= {"PASS", "INFO"}, verdicts
    # The INFO checks report what they saw instead of judging it.
    observed = {o["clause"] for e in faithful for o in e["observations"]}
    assert {"BMU.RECORDS.EMPTY", "BMU.CUSTOMER.EXCLUSIVE", "BMU.CUSTOMER.MISSING", "BMU.WINDOW.FUTURE"} <= observed


@pytest.mark.parametrize(
    "fault, broken, failing_checks",
    [
        ("batch-cap-26", {"BMU.RECORDS.MAX"}, {"test_26_records_are_a_client_error"}),
        ("batch-window-7h", {"BMU.WINDOW.STALE"}, None),
        # The stale batch is still answered TimestampOutOfBoundsException: only the resend exposes the partial write.
        ("partial-batch-on-stale", {"BMU.WINDOW.WHOLE_BATCH"}, {"test_stale_record_rejects_the_whole_batch"}),
        ("duplicate-record-as-success", {"BMU.DEDUP.DUPLICATE_RECORD"}, None),
        ("unknown-dimension-wrong-error", {"BMU.DIMENSION.UNKNOWN"}, None),
        ("dimension-case-insensitive", {"BMU.DIMENSION.UNKNOWN"}, None),
        ("errors-with-200", ERROR_CLAUSES, None),
    ],
)
def test_batch_suite_fails_on_the_clause_the_fault_breaks(fault, broken, failing_checks):
    events = run_with(fault)
    assert errors(events) == []
    assert failed_clauses(events) == broken
    if failing_checks is not None:
        assert {e["check"] for e in events if e["verdict"] == "FAIL"} == failing_checks
