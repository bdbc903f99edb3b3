"""The ledger state machine and the concurrency checks pass on the faithful reference endpoint and fail,
on the clause the fault breaks, on a faulty one."""

import pytest

from tests.suites.runner import errors, failed_clauses, run_suites

LEDGER = "suites/test_ledger_stateful.py"
CONCURRENCY = "suites/test_concurrency.py"


@pytest.fixture(scope="module")
def faithful():
    return run_suites(LEDGER, CONCURRENCY)


def test_ledger_and_concurrency_are_green_on_the_faithful_endpoint(faithful):
    assert errors(faithful) == []
    assert failed_clauses(faithful) == set()
    assert {e["verdict"] for e in faithful} == {"PASS"}
    assert {e["check"] for e in faithful} >= {"test_ledger", "test_identical_meter_usage_in_parallel_is_one_record",
                                              "test_identical_batches_in_parallel_answer_one_set_of_ids"}


@pytest.mark.parametrize("fault, readings", [
    # Hypothesis shrinks to the shortest failing sequence: a retry either by the hour rule or by ClientToken.
    ("new-id-on-retry", [{"MU.HOUR.IDEMPOTENT"}, {"MU.CLIENT_TOKEN.REPLAY"}]),
    ("client-token-ignored", [{"MU.CLIENT_TOKEN.CONFLICT"}]),
    ("duplicate-record-as-success", [{"BMU.DEDUP.DUPLICATE_RECORD"}]),
    ("partial-batch-on-stale", [{"BMU.WINDOW.WHOLE_BATCH"}]),
    ("batch-window-7h", [{"BMU.WINDOW.STALE"}]),
])
def test_the_ledger_finds_the_fault(fault, readings):
    # A state machine needs more runs than the quick depth to reach a given sequence reliably.
    events = run_suites(LEDGER, faults=[fault], depth="ci")
    assert errors(events) == []
    assert failed_clauses(events) in readings
    [event] = events
    assert "after these requests:" in event["reason"], "the failure shows the shrunk sequence of requests"


@pytest.mark.parametrize("fault, broken", [
    ("new-id-on-retry", {"MU.HOUR.IDEMPOTENT", "MU.CLIENT_TOKEN.REPLAY"}),
    ("duplicate-record-as-success", {"BMU.DEDUP.DUPLICATE_RECORD"}),
    ("errors-with-200", {"MU.HOUR.DUPLICATE"}),
])
def test_concurrency_checks_fail_on_the_clause_the_fault_breaks(fault, broken):
    events = run_suites(CONCURRENCY, faults=[fault])
    assert errors(events) == []
    assert failed_clauses(events) == broken
