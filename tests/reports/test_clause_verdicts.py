"""A clause's verdict comes from the checks that judged it: a check that failed on another of its clauses
passes only the clauses it judged before it stopped, and says nothing about the rest."""

from __future__ import annotations

from meterconform.results.events import clause_verdicts


def _event(node: str, clauses: list[str], verdict: str, failed: str | None, judged: dict | None) -> dict:
    ev = {
        "nodeid": f"suites/test_x.py::{node}",
        "clauses": clauses,
        "levels": {c: "MUST" for c in clauses},
        "verdict": verdict,
        "failed_clause": failed,
    }
    if judged is not None:
        ev["judged"] = {cid: {"examples": n, "requests": n, "outcomes": {}} for cid, n in judged.items()}
    return ev


def test_a_check_stopped_by_another_clause_passes_only_what_it_judged():
    stopped = _event(
        "test_mutations",
        ["ALLOC.UNIQUE_TAGS", "ALLOC.SUM", "TAG.KEY.LENGTH"],
        "FAIL",
        "ALLOC.UNIQUE_TAGS",
        {"ALLOC.UNIQUE_TAGS": 3, "ALLOC.SUM": 2},
    )
    verdicts = clause_verdicts([stopped])
    assert verdicts["ALLOC.UNIQUE_TAGS"]["verdict"] == "FAIL"
    assert verdicts["ALLOC.SUM"]["verdict"] == "PASS"  # judged twice before the check stopped
    assert verdicts["TAG.KEY.LENGTH"]["verdict"] == "SKIPPED"  # never tried: no verdict, not a PASS
    assert verdicts["TAG.KEY.LENGTH"]["checks"] == [
        {"nodeid": "suites/test_x.py::test_mutations", "verdict": "SKIPPED"}
    ]


def test_another_check_that_judged_the_clause_still_gives_it_a_verdict():
    stopped = _event(
        "test_mutations", ["ALLOC.UNIQUE_TAGS", "TAG.KEY.LENGTH"], "FAIL", "ALLOC.UNIQUE_TAGS", {"ALLOC.UNIQUE_TAGS": 1}
    )
    explicit = _event("test_key_101", ["TAG.KEY.LENGTH"], "PASS", None, {"TAG.KEY.LENGTH": 1})
    assert clause_verdicts([stopped, explicit])["TAG.KEY.LENGTH"]["verdict"] == "PASS"
    broken = _event("test_key_101", ["TAG.KEY.LENGTH"], "FAIL", "TAG.KEY.LENGTH", {"TAG.KEY.LENGTH": 1})
    assert clause_verdicts([stopped, broken])["TAG.KEY.LENGTH"]["verdict"] == "FAIL"


def test_events_written_before_judged_existed_keep_the_old_reading():
    old = _event("test_mutations", ["ALLOC.UNIQUE_TAGS", "TAG.KEY.LENGTH"], "FAIL", "ALLOC.UNIQUE_TAGS", None)
    assert clause_verdicts([old])["TAG.KEY.LENGTH"]["verdict"] == "PASS"


def test_the_report_says_a_stopped_check_did_not_judge_the_clause():
    from meterconform.render.html import render_html
    from meterconform.results.run_results import RunResults

    stopped = {
        **_event(
            "test_mutations",
            ["ALLOC.UNIQUE_TAGS", "ALLOC.SUM", "TAG.KEY.LENGTH"],
            "FAIL",
            "ALLOC.UNIQUE_TAGS",
            {"ALLOC.UNIQUE_TAGS": 3, "ALLOC.SUM": 2},
        ),
        "check": "test_mutations",
        "operations": [],
        "outcome": "failed",
        "when": "call",
        "duration": 1.0,
        "expected": "InvalidUsageAllocationsException",
        "actual": "HTTP 200",
        "reason": "",
        "reproduction": None,
        "observations": [],
        "evidence": [],
        "exchanges": 5,
        "examples": 5,
        "outcomes": {},
        "time": 1795700000.0,
    }
    html = render_html(RunResults(meta={}, checks=[stopped]))
    key_length = _card(html, "TAG.KEY.LENGTH")
    assert "Not judged here: 1 check stopped at its first failure before trying this clause" in key_length
    link = (
        '<code>suites/test_x.py::test_mutations</code> → FAIL on <a href="#c-ALLOC.UNIQUE_TAGS">ALLOC.UNIQUE_TAGS</a>'
    )
    assert link in key_length
    alloc_sum = _card(html, "ALLOC.SUM")
    assert "1 check met this clause" in alloc_sum and link in alloc_sum
    assert 'class="check ' not in key_length + alloc_sum  # listed there; its one full entry is under ALLOC.UNIQUE_TAGS
    assert 'class="check v-fail"' in _card(html, "ALLOC.UNIQUE_TAGS")


def _card(html: str, clause: str) -> str:
    """One clause's card of the page."""
    start = html.index(f'id="c-{clause}"')
    ends = [html.find(end, start) for end in ('<details class="clause', "</section>")]
    return html[start : min(end for end in ends if end >= 0)]


def _several() -> dict:
    """A check that found two clauses broken (the deep depth): its first failure and another."""
    return {
        **_event(
            "test_mutations[MeterUsage]",
            ["ALLOC.UNIQUE_TAGS", "ALLOC.SUM", "TAG.KEY.LENGTH"],
            "FAIL",
            "ALLOC.UNIQUE_TAGS",
            {"ALLOC.UNIQUE_TAGS": 3, "ALLOC.SUM": 2},
        ),
        "check": "test_mutations",
        "operations": [],
        "outcome": "failed",
        "when": "call",
        "duration": 1.0,
        "expected": "InvalidUsageAllocationsException",
        "actual": "HTTP 200",
        "reason": "ALLOC.UNIQUE_TAGS [MUST] first",
        "reproduction": "aws ... unique",
        "observations": [],
        "evidence": [],
        "exchanges": 5,
        "examples": 5,
        "outcomes": {},
        "time": 1795700000.0,
        "also_failed": [
            {
                "clause": "ALLOC.SUM",
                "level": "MUST",
                "verdict": "FAIL",
                "expected": "InvalidUsageAllocationsException",
                "actual": "HTTP 200",
                "reason": "ALLOC.SUM [MUST] second",
                "reproduction": "aws ... sum",
                "falsifying_example": None,
            }
        ],
    }


def test_every_clause_a_check_found_broken_fails_and_is_reported():
    import tempfile
    import xml.etree.ElementTree as ET
    from pathlib import Path

    from meterconform.render.html import render_html
    from meterconform.render.junit import write_junit
    from meterconform.results.run_results import RunResults
    from meterconform.results.summary import render_summary

    event = _several()
    verdicts = clause_verdicts([event])
    assert (
        verdicts["ALLOC.UNIQUE_TAGS"]["verdict"],
        verdicts["ALLOC.SUM"]["verdict"],
        verdicts["TAG.KEY.LENGTH"]["verdict"],
    ) == ("FAIL", "FAIL", "SKIPPED")
    summary = render_summary([event], {})
    at = next(i for i, line in enumerate(summary) if line.startswith("  FAIL       ALLOC.SUM [MUST] "))
    assert summary[at].endswith(" — 1 failing check")
    assert summary[at + 1].startswith("    first: ") and summary[at + 1].endswith("test_mutations[MeterUsage]")
    with tempfile.TemporaryDirectory() as tmp:
        write_junit(RunResults({}, [event]), Path(tmp) / "junit.xml")
        case = ET.parse(Path(tmp) / "junit.xml").find(".//testcase")
    assert [p.get("value") for p in case.iter("property") if p.get("name") == "failed_clause"] == [
        "ALLOC.UNIQUE_TAGS",
        "ALLOC.SUM",
    ]
    assert "and FAIL on ALLOC.SUM too:\nALLOC.SUM [MUST] second" in case.find("failure").text
    html = render_html(RunResults(meta={}, checks=[event]))
    alloc_sum = html[html.index('id="c-ALLOC.SUM"') :]
    alloc_sum = alloc_sum[: alloc_sum.index('id="c-', 10)]  # up to the next clause
    assert "Another bug the same check found; its first is on" in alloc_sum and "aws ... sum" in alloc_sum
    assert "aws ... unique" not in alloc_sum


def test_a_clause_baseline_entry_excuses_a_check_only_if_it_names_every_broken_clause():
    from meterconform.results.baseline import Baseline, Expectation, apply_baseline
    from meterconform.results.check_result import CheckResult

    event = _several()
    one = apply_baseline(Baseline(expected=[Expectation("known", clause="ALLOC.UNIQUE_TAGS")]), [event])
    assert one.unexpected == [CheckResult.from_json(event)] and not one.expected
    both = apply_baseline(
        Baseline(expected=[Expectation("known", clause="ALLOC.UNIQUE_TAGS"), Expectation("known", clause="ALLOC.SUM")]),
        [event],
    )
    assert both.expected and not both.unexpected
    assert any("[ALLOC.UNIQUE_TAGS, ALLOC.SUM]" in line for line in one.lines())


def test_a_passing_check_passes_only_the_clauses_it_judged():
    """A check that passed without its case for a clause ever coming up (the endpoint accepted every hostile
    body, so no refusal's status was judged) gives that clause no verdict; its evidence stays under a clause it
    did judge."""
    from meterconform.render.html import home_clause, render_html
    from meterconform.results.check_result import CheckResult
    from meterconform.results.run_results import RunResults

    event = {
        **_event(
            "test_hostile_json",
            ["PROTO.STATUS.CLIENT_ERROR", "PROTO.HOSTILE.NO_5XX"],
            "PASS",
            None,
            {"PROTO.HOSTILE.NO_5XX": 2},
        ),
        "check": "test_hostile_json",
        "operations": [],
        "outcome": "passed",
        "when": "call",
        "duration": 1.0,
        "expected": None,
        "actual": None,
        "reason": "",
        "reproduction": None,
        "observations": [],
        "evidence": [],
        "exchanges": 2,
        "examples": 1,
        "outcomes": {"HTTP 200": 2},
        "time": 1795700000.0,
    }
    verdicts = clause_verdicts([event])
    assert verdicts["PROTO.HOSTILE.NO_5XX"]["verdict"] == "PASS"
    assert verdicts["PROTO.STATUS.CLIENT_ERROR"]["verdict"] == "SKIPPED"
    assert home_clause(CheckResult.from_json(event)) == "PROTO.HOSTILE.NO_5XX"
    html = render_html(RunResults(meta={}, checks=[event]))
    status = _card(html, "PROTO.STATUS.CLIENT_ERROR")
    assert "Not judged here: 1 check passed without its case for this clause ever coming up" in status
    assert '<code>suites/test_x.py::test_hostile_json</code> → <a href="#c-PROTO.HOSTILE.NO_5XX">' in status
    # Events written before `judged` existed keep the old reading.
    assert clause_verdicts([{**event, "judged": None}])["PROTO.STATUS.CLIENT_ERROR"]["verdict"] == "PASS"
