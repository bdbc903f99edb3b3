"""The allocations and tags suite passes on the faithful reference endpoint and, with each fault, fails
exactly the clauses that fault breaks."""

import re

import pytest

from meterconform.results.events import broken_clauses
from tests.suites.runner import errors, failed_clauses, run_suites, verdicts

SUITE = "suites/test_allocations_tags.py"

# Every clause the suite judges with expect_error: a fault answering errors with HTTP 200 must break them all.
ERROR_CLAUSES = {
    "ALLOC.COUNT.MIN",
    "ALLOC.COUNT.MAX",
    "ALLOC.SUM",
    "ALLOC.UNIQUE_TAGS",
    "ALLOC.ONE_UNTAGGED",
    "ALLOC.QUANTITY.RANGE",
    "ALLOC.QUANTITY_TYPE",
    "ALLOC.QUANTITY.EXACTLY_ONE",
    "ALLOC.QUANTITY_DECIMAL.LENGTH",
    "ALLOC.QUANTITY_DECIMAL.PATTERN",
    "TAG.COUNT.MIN",
    "TAG.COUNT.MAX",
    "TAG.KEY.REQUIRED",
    "TAG.VALUE.REQUIRED",
    "TAG.KEY.LENGTH",
    "TAG.VALUE.LENGTH",
    "TAG.KEY.PATTERN",
    "TAG.VALUE.PATTERN",
}


def _failing_operations(events, clause):
    """The operation parameter (the node id's last, "...-MeterUsage]" or "[BatchMeterUsage]") of each check
    that failed on `clause`."""
    found = (
        re.search(r"[-\[](MeterUsage|BatchMeterUsage)\]$", e["nodeid"])
        for e in events
        if e.get("failed_clause") == clause
    )
    return {m.group(1) if m else "?" for m in found}


@pytest.fixture(scope="module")
def faithful():
    return run_suites(SUITE)


def test_the_suite_is_green_on_the_faithful_endpoint(faithful):
    assert errors(faithful) == []
    assert failed_clauses(faithful) == set()
    assert set(verdicts(faithful).values()) == {"PASS", "INFO"}, verdicts(faithful)
    assert len(faithful) >= 100


def test_a_repeated_tag_key_is_observed_not_judged(faithful):
    observed = [e for e in faithful if any(o["clause"] == "TAG.KEY.REPEATED" for o in e["observations"])]
    assert len(observed) == 2 and {e["verdict"] for e in observed} == {"INFO"}


@pytest.mark.parametrize(
    "fault, broken",
    [
        ("allocation-sum-unchecked", {"ALLOC.SUM"}),
        ("six-tags-accepted", {"TAG.COUNT.MAX"}),
        ("errors-with-200", ERROR_CLAUSES),
    ],
)
def test_each_fault_fails_exactly_its_clauses(fault, broken):
    events = run_suites(SUITE, faults=[fault])
    assert errors(events) == []
    assert failed_clauses(events) == broken
    for clause in broken:
        # Both operations' checks catch it (the rules are shared by MeterUsage and BatchMeterUsage).
        assert _failing_operations(events, clause) == {"MeterUsage", "BatchMeterUsage"}, clause


def test_each_mutation_clause_is_credited_only_with_its_own_answers():
    """Per clause the events keep the answers that judged it: on the faithful endpoint every tag and allocation
    clause the mutation check judged saw only its own documented errors."""
    from meterconform.contract.catalog import load_catalog
    from meterconform.results.outcome_coverage import expected_labels

    catalog = load_catalog()
    events = run_suites(
        "suites/test_allocations_tags.py",
        extra=["-k", "test_invalid_allocations_get_the_documented_error", "--max-examples", "60"],
    )
    assert {e["verdict"] for e in events} == {"PASS"} and len(events) == 2, [
        (e["nodeid"], e["verdict"]) for e in events
    ]
    judged_clauses = set()
    for event in events:
        for cid, row in event["judged"].items():
            if not cid.startswith(("TAG.", "ALLOC.")):
                continue
            judged_clauses.add(cid)
            documented = [label.strip() for label in expected_labels(catalog.get(cid))]
            assert row["examples"] >= 1 and row["outcomes"], (cid, row)
            if documented:  # the clause names its errors
                assert all(any(name in seen for name in documented) for seen in row["outcomes"]), (cid, documented, row)
            else:  # any client error
                assert all(seen.startswith("HTTP 4") for seen in row["outcomes"]), (cid, row)
    assert len(judged_clauses) >= 8, judged_clauses


def _broken(event: dict) -> set[str]:
    return set(broken_clauses(event))


def test_at_the_deep_depth_a_check_reports_every_clause_it_finds_broken():
    """Every error answered with HTTP 200: at the deep depth the mutation check goes on after its first failure
    (for a while: Hypothesis's own rule) and reports each clause it found broken as a bug of its own, with its own
    example and reproduction; at the ci depth the first failure ends it, as before."""
    check = "test_invalid_allocations_get_the_documented_error"
    deep = run_suites(SUITE, faults=["errors-with-200"], depth="deep", extra=["-k", check, "--max-examples", "150"])
    assert errors(deep) == [] and len(deep) == 2
    for event in deep:
        broken = _broken(event)
        assert event["verdict"] == "FAIL" and broken <= ERROR_CLAUSES and len(broken) >= 3, (event["nodeid"], broken)
        reproductions = [event["reproduction"], *(o["reproduction"] for o in event["also_failed"])]
        assert len(set(reproductions)) == len(reproductions)  # each bug its own example
        for other in event["also_failed"]:
            assert (
                other["verdict"] == "FAIL"
                and other["reason"].startswith(other["clause"])
                and "HTTP 200" in other["actual"]
            )
    ci = run_suites(SUITE, faults=["errors-with-200"], depth="ci", extra=["-k", check])
    assert {e["verdict"] for e in ci} == {"FAIL"} and len(ci) == 2
    assert all(len(_broken(e)) == 1 and "also_failed" not in e for e in ci), [_broken(e) for e in ci]
