"""The MeterUsage suite passes on the faithful reference endpoint and, with each fault, fails exactly the
clauses that fault breaks."""

import pytest

from tests.suites.runner import errors, failed_clauses, run_suites, verdicts

SUITE = "suites/test_meter_usage.py"

# Every clause the suite judges with expect_error: a fault answering errors with HTTP 200 must break them all.
ERROR_CLAUSES = {
    "MU.CLIENT_TOKEN.CONFLICT",
    "MU.CLIENT_TOKEN.LENGTH",
    "MU.HOUR.DUPLICATE",
    "MU.PRODUCT_CODE.LENGTH",
    "MU.PRODUCT_CODE.PATTERN",
    "MU.PRODUCT_CODE.REQUIRED",
    "MU.PRODUCT_CODE.UNKNOWN",
    "MU.TIMESTAMP.REQUIRED",
    "MU.USAGE_DIMENSION.LENGTH",
    "MU.USAGE_DIMENSION.REQUIRED",
    "MU.USAGE_DIMENSION.UNKNOWN",
    "MU.USAGE_QUANTITY.EXCLUSIVE",
    "MU.USAGE_QUANTITY.RANGE",
    "MU.USAGE_QUANTITY_DECIMAL.LENGTH",
    "MU.USAGE_QUANTITY_DECIMAL.PATTERN",
    "MU.WINDOW.STALE",
}


@pytest.fixture(scope="module")
def faithful():
    return run_suites(SUITE)


def test_the_suite_is_green_on_the_faithful_endpoint(faithful):
    assert errors(faithful) == []
    assert failed_clauses(faithful) == set()
    assert {v for v in verdicts(faithful).values()} <= {"PASS", "INFO"}, verdicts(faithful)
    assert len(faithful) >= 50


def test_undocumented_answers_are_observed_not_judged(faithful):
    observed = {o["clause"] for e in faithful for o in e["observations"]}
    assert {"MU.WINDOW.FUTURE", "MU.DRY_RUN.WIRE_FORM"} <= observed


@pytest.mark.parametrize(
    "fault, broken",
    [
        ("meter-window-7h", {"MU.WINDOW.STALE"}),
        (
            "new-id-on-retry",
            {"MU.HOUR.IDEMPOTENT", "MU.CLIENT_TOKEN.REPLAY", "MU.USAGE_QUANTITY.BY_VALUE", "MU.USAGE_QUANTITY.DEFAULT"},
        ),
        ("dryrun-records", {"MU.DRY_RUN.RECORDS_NOTHING"}),
        ("dimension-case-insensitive", {"MU.USAGE_DIMENSION.UNKNOWN"}),
        ("unknown-dimension-wrong-error", {"MU.USAGE_DIMENSION.UNKNOWN"}),
        ("client-token-ignored", {"MU.CLIENT_TOKEN.CONFLICT"}),
        ("errors-with-200", ERROR_CLAUSES),
    ],
)
def test_each_fault_fails_exactly_its_clauses(fault, broken):
    events = run_suites(SUITE, faults=[fault])
    assert errors(events) == []
    assert failed_clauses(events) == broken


def test_a_deep_run_records_how_close_the_checks_came_to_each_limit():
    """At the deep depth the checks that aim (strategies.targets) carry their best score per limit in the events."""
    events = run_suites(
        "suites/test_meter_usage.py",
        depth="deep",
        extra=["-k", "test_invalid_requests_get_the_documented_error", "--max-examples", "60"],
    )
    assert [e["verdict"] for e in events] == ["PASS"], events
    targets = events[0]["targets"]
    assert set(targets) >= {"age to window - tolerance (seconds)", "seconds to the next hour"}, targets
    assert all(score <= 0 for score in targets.values()), targets
    # At the ci depth there is no target phase: nothing is aimed, nothing recorded.
    ci = run_suites(
        "suites/test_meter_usage.py", depth="ci", extra=["-k", "test_invalid_requests_get_the_documented_error"]
    )
    assert ci[0]["targets"] == {}, ci[0]["targets"]
