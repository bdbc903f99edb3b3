"""Clause x outcome coverage: the counts per clause, whether a clause's documented outcome ever happened, and
the table in the terminal and in conformance.html."""

from __future__ import annotations

import re

from meterconform.render.html import render_html
from meterconform.results.outcome_coverage import clause_coverage, render_coverage
from meterconform.results.run_results import RunResults


def _event(node: str, clauses: list[str], examples: int, exchanges: int, outcomes: dict[str, int]) -> dict:
    return {
        "nodeid": f"suites/test_x.py::{node}",
        "check": node,
        "clauses": clauses,
        "levels": {c: "MUST" for c in clauses},
        "operations": [],
        "outcome": "passed",
        "when": "call",
        "duration": 1.0,
        "failed_clause": None,
        "expected": None,
        "actual": None,
        "reason": "",
        "reproduction": None,
        "observations": [],
        "evidence": [],
        "exchanges": exchanges,
        "examples": examples,
        "outcomes": outcomes,
        "time": 1795700000.0,
        "verdict": "PASS",
    }


EVENTS = [
    # TAG.COUNT.MAX documents InvalidTagException or ValidationException: seen here.
    _event(
        "test_tags", ["TAG.COUNT.MAX", "OUT.MU.SCHEMA"], 40, 50, {"HTTP 400 InvalidTagException": 30, "HTTP 200": 20}
    ),
    # BMU.DEDUP.DUPLICATE_RECORD documents the DuplicateRecord status: never seen here.
    _event("test_dedup", ["BMU.DEDUP.DUPLICATE_RECORD"], 25, 30, {"HTTP 200": 30, "record:Success": 60}),
    _event("test_more_tags", ["TAG.COUNT.MAX"], 2, 2, {"HTTP 400 ValidationException": 2}),
]


def test_counts_add_up_per_clause_and_the_documented_outcome_is_judged():
    table = clause_coverage(EVENTS)
    tags, dedup, schema = table["TAG.COUNT.MAX"], table["BMU.DEDUP.DUPLICATE_RECORD"], table["OUT.MU.SCHEMA"]
    assert (tags["checks"], tags["examples"], tags["requests"]) == (2, 42, 52)
    assert dict(tags["outcomes"]) == {
        "HTTP 400 InvalidTagException": 30,
        "HTTP 200": 20,
        "HTTP 400 ValidationException": 2,
    }
    assert tags["hit"] is True
    assert dedup["hit"] is False and dedup["expected"] == ["record:DuplicateRecord"]
    assert schema["hit"] is None  # a property clause names no answer of its own


def test_the_terminal_table_lists_busiest_first_and_warns_about_the_missed():
    lines = render_coverage(EVENTS)
    rows = [line.split()[0] for line in lines[1:4]]
    assert rows == ["TAG.COUNT.MAX", "OUT.MU.SCHEMA", "BMU.DEDUP.DUPLICATE_RECORD"]
    assert re.search(r"TAG\.COUNT\.MAX\s+42\s+52\s+HTTP 400 InvalidTagException ×30, HTTP 200 ×20", lines[1])
    assert lines[-2].startswith("never produced their documented outcome")
    assert (
        lines[-1]
        == "  BMU.DEDUP.DUPLICATE_RECORD: expected record:DuplicateRecord; the examples did not reach the rule's edge"
    )


def test_a_missed_clause_says_whether_its_checks_stopped_at_another_failure():
    """Hypothesis ends a check at its first failure, so a clause whose every check failed on another clause was
    never tried: the coverage says so (and names the clause to fix) instead of blaming the examples."""
    from meterconform.results.outcome_coverage import missed_reason

    def judged(examples: int, outcomes: dict) -> dict:
        return {"examples": examples, "requests": examples, "outcomes": outcomes}

    failed = {
        **_event("test_mutations[MeterUsage]", ["ALLOC.SUM", "ALLOC.UNIQUE_TAGS"], 9, 9, {"HTTP 200": 9}),
        "verdict": "FAIL",
        "failed_clause": "ALLOC.UNIQUE_TAGS",
        "judged": {"ALLOC.UNIQUE_TAGS": judged(9, {"HTTP 200": 9})},
    }
    also_failed = {**failed, "nodeid": "suites/test_x.py::test_mutations[BatchMeterUsage]"}
    table = clause_coverage([failed, also_failed])
    assert table["ALLOC.SUM"]["hit"] is False and dict(table["ALLOC.SUM"]["stopped_by"]) == {"ALLOC.UNIQUE_TAGS": 2}
    assert not table["ALLOC.UNIQUE_TAGS"]["stopped_by"]  # it failed on its own rule: not stopped by another
    assert missed_reason(table["ALLOC.SUM"]) == (
        "expected InvalidUsageAllocationsException; no example tried it: every check exercising it stopped at its "
        "first "
        "failure, on ALLOC.UNIQUE_TAGS (Hypothesis ends a check there; a campaign's later rounds set the failures "
        "found aside "
        "and try the rest)"
    )
    # One check still running free: the rule was simply not drawn.
    passing = {**failed, "nodeid": "suites/test_x.py::test_other", "verdict": "PASS", "failed_clause": None}
    table = clause_coverage([failed, passing])
    assert (
        missed_reason(table["ALLOC.SUM"])
        == "expected InvalidUsageAllocationsException; no example tried it (the checks never drew this case)"
    )
    assert "stopped at its first failure" in "\n".join(render_coverage([failed, also_failed]))
    html = _section(render_html(RunResults(meta={}, checks=[failed, also_failed])))
    assert (
        "<code>ALLOC.SUM</code></a>: expected InvalidUsageAllocationsException; no example tried it: every check"
        in html
    )


def _section(html: str) -> str:
    match = re.search(r'<section class="card" id="coverage".*?</section>', html, re.S)
    assert match, "no coverage section"
    return match.group(0)


def test_the_html_report_shows_the_table_open_for_a_campaign():
    campaign = {"campaign": {"workers": 2, "rounds": 3, "duration": 60, "elapsed": 61.5, "interrupted": True}}
    html = render_html(RunResults(meta=campaign, checks=EVENTS))
    section = _section(html)
    assert "<details open>" in section
    assert "3 clauses exercised by 67 examples and 82 requests" in section
    row = re.search(r'<tr data-hit="true"><td><a href="#c-TAG.COUNT.MAX">.*?</tr>', section).group(0)
    assert re.findall(r'<td class="num">([\d,]+)</td>', row) == ["2", "42", "52"]
    assert "HTTP 400 InvalidTagException ×30, HTTP 200 ×20, HTTP 400 ValidationException ×2" in row and ">yes<" in row
    missed = re.search(r'<tr data-hit="false">.*?</tr>', section).group(0)
    assert "BMU.DEDUP.DUPLICATE_RECORD" in missed and "never" in missed
    assert "1 clause never produced its documented outcome" in section
    assert "2 worker(s), 3 round(s), budget 60 s, 61.5 s elapsed, interrupted" in html


def test_a_plain_run_folds_the_table_and_a_run_without_examples_has_none():
    assert "<details>" in _section(render_html(RunResults(meta={}, checks=EVENTS)))
    silent = [{**e, "examples": 0, "exchanges": 0, "outcomes": {}} for e in EVENTS]
    assert 'id="coverage"' not in render_html(RunResults(meta={}, checks=silent))


def test_the_closest_approach_to_each_limit_is_reported():
    """The best target score per label over all checks (0 at the limit), in the terminal and on the page."""
    from meterconform.campaign.merge import merge
    from meterconform.results.outcome_coverage import limit_reach

    window = "age to window - tolerance (seconds)"
    a = {**EVENTS[0], "targets": {window: -3.5, "seconds to the next hour": -0.25}}
    b = {**EVENTS[1], "targets": {window: -0.001, "records in the batch (to 25)": 0.0}}
    assert limit_reach([a, b]) == {
        window: {"best": -0.001, "check": b["nodeid"]},
        "records in the batch (to 25)": {"best": 0.0, "check": b["nodeid"]},
        "seconds to the next hour": {"best": -0.25, "check": a["nodeid"]},
    }
    lines = render_coverage([a, b])
    at = lines.index("closest approach to each limit the target phase aims at (0 = at the limit):")
    assert re.fullmatch(r"  age to window - tolerance \(seconds\)\s+0\.001 away\s+test_dedup", lines[at + 1])
    assert re.fullmatch(r"  records in the batch \(to 25\)\s+at the limit\s+test_dedup", lines[at + 2])
    page = _section(render_html(RunResults(meta={}, checks=[a, b])))
    assert "Closest approach to each limit" in page and "<td>0.25 away</td>" in page
    assert "Closest approach" not in render_html(RunResults(meta={}, checks=EVENTS))  # no target phase, no table
    # A campaign keeps each label's best over its rounds.
    merged = {}
    merge(merged, [a])
    merge(merged, [{**a, "targets": {window: -1.0}}])
    assert merged[a["nodeid"]].targets == {window: -1.0, "seconds to the next hour": -0.25}


def test_a_check_citing_several_clauses_credits_each_only_with_what_judged_it():
    """The events say which clause each verdict was on (`judged`): a clause the check cites but never judged
    (its mutation was never drawn) gets no examples and no outcomes, so its documented outcome shows as never seen."""
    ev = _event("test_tags", ["TAG.COUNT.MAX", "TAG.KEY.PATTERN"], 10, 10, {"HTTP 400 InvalidTagException": 10})
    ev["judged"] = {
        "TAG.KEY.PATTERN": {"examples": 10, "requests": 10, "outcomes": {"HTTP 400 InvalidTagException": 10}}
    }
    table = clause_coverage([ev])
    assert (table["TAG.KEY.PATTERN"]["examples"], table["TAG.KEY.PATTERN"]["hit"]) == (10, True)
    assert (
        table["TAG.COUNT.MAX"]["checks"],
        table["TAG.COUNT.MAX"]["examples"],
        table["TAG.COUNT.MAX"]["requests"],
    ) == (1, 0, 0)
    assert table["TAG.COUNT.MAX"]["hit"] is False and not table["TAG.COUNT.MAX"]["outcomes"]
    # Events written before `judged` existed keep the check's totals for every clause it cites.
    old = {k: v for k, v in ev.items() if k != "judged"}
    assert clause_coverage([old])["TAG.COUNT.MAX"]["hit"] is True


def test_a_missed_clause_that_failed_says_the_endpoint_never_gave_its_outcome():
    from meterconform.results.outcome_coverage import missed_reason

    broken = {
        **_event("test_mutations[MeterUsage]", ["ALLOC.SUM", "ALLOC.UNIQUE_TAGS"], 9, 9, {"HTTP 200": 9}),
        "verdict": "FAIL",
        "failed_clause": "ALLOC.UNIQUE_TAGS",
        "also_failed": [{"clause": "ALLOC.SUM", "verdict": "FAIL"}],
        "judged": {"ALLOC.SUM": {"examples": 4, "requests": 4, "outcomes": {"HTTP 200": 4}}},
    }
    table = clause_coverage([broken])
    assert not table["ALLOC.SUM"]["stopped_by"]  # broken here too: not stopped by another clause
    assert missed_reason(table["ALLOC.SUM"]) == (
        "expected InvalidUsageAllocationsException; the endpoint never gave it: 1 check(s) failed on this clause"
    )
