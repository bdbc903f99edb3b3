"""conformance.html's evidence: a failing check keeps every exchange, a passing one is sampled and says so, and
every check a clause cites is still named on its card."""

from __future__ import annotations

import copy
import json

import pytest

from meterconform.render.elsewhere import case_of
from meterconform.render.evidence import SAMPLE_BODY_LIMIT, SAMPLES_SHOWN
from meterconform.render.html import render_html
from meterconform.render.matrix import clause_rows, report_catalog
from meterconform.render.page import esc
from meterconform.results.run_results import RunResults

from .conftest import event

CLAUSE = "BMU.CUSTOMER.SUBSCRIBED"  # a MUST clause of the catalog
OTHER = "OUT.BMU.SCHEMA"


def _exchange(template: dict, mark: str, status: int = 200, error: str | None = None, body_size: int = 0) -> dict:
    """The template exchange, its request and response bodies marked with `mark` (padded to `body_size`)."""
    ex = copy.deepcopy(template)
    ex["request"] = {**ex["request"], "ProductCode": f"req-{mark}"}
    ex["request_headers"] = {**ex["request_headers"], "User-Agent": f"Botocore/1.0 ua-{mark}"}
    ex["body"] = json.dumps({"Mark": f"resp-{mark}", "Pad": "x" * body_size})
    ex["status"], ex["error_code"] = status, error
    return ex


def _check(
    faithful,
    name: str,
    verdict: str,
    marks: list[str],
    sent: int | None = None,
    clauses=(CLAUSE, OTHER),
    body_size: int = 0,
) -> dict:
    """A check of `verdict` on CLAUSE with one recorded exchange per mark (the last `len(marks)` of `sent`)."""
    ev = event(faithful, "test_batch_meter_usage_accepts_a_valid_record")
    template = ev["evidence"][0]
    failing = verdict in ("FAIL", "ERROR", "NON-STRICT")
    ev.update(
        nodeid=f"suites/test_x.py::{name}",
        verdict=verdict,
        clauses=list(clauses),
        levels={c: "MUST" for c in clauses},
        failed_clause=CLAUSE if failing else None,
        judged={c: {"examples": 1, "requests": 1, "outcomes": {}} for c in clauses},
        expected="success" if failing else None,
        actual="HTTP 500" if failing else None,
        evidence=[
            _exchange(template, m, 500 if failing else 200, "InternalFailure" if failing else None, body_size)
            for m in marks
        ],
        exchanges=sent if sent is not None else len(marks),
    )
    return ev


def _card(html: str, clause: str) -> str:
    start = html.index(f'id="c-{clause}"')
    ends = [html.find(end, start) for end in ('<details class="clause', "</section>")]
    return html[start : min(end for end in ends if end >= 0)]


@pytest.mark.parametrize("verdict", ["FAIL", "ERROR", "NON-STRICT"])
def test_a_failing_check_keeps_every_exchange_with_its_headers(faithful, verdict):
    failing = _check(faithful, "test_broken", verdict, ["one", "two", "three"], sent=9, body_size=2 * SAMPLE_BODY_LIMIT)
    card = _card(render_html(RunResults(meta={}, checks=[failing])), CLAUSE)
    for number, mark in enumerate(["one", "two", "three"], 1):
        assert f"<span>Request {number}</span>" in card
        assert f"req-{mark}" in card and f"resp-{mark}" in card and f"User-Agent: Botocore/1.0 ua-{mark}" in card
    assert "Authorization: ***redacted***" in card and "X-Amz-Date:" in card
    assert "x" * (2 * SAMPLE_BODY_LIMIT) in card  # a failure's body is not cut at the sample's limit
    assert "Evidence: last 3 exchanges — BatchMeterUsage → HTTP 500 InternalFailure" in card
    assert 'class="sampled"' not in card


def test_a_passing_check_shows_its_first_recorded_exchange_and_says_what_is_left_out(faithful):
    passing = _check(faithful, "test_fine", "PASS", ["five", "six", "seven"], sent=7, body_size=2 * SAMPLE_BODY_LIMIT)
    card = _card(render_html(RunResults(meta={}, checks=[passing])), CLAUSE)
    assert "<span>Request 5</span>" in card and "req-five" in card and "resp-five" in card  # numbered as it was sent
    assert '<p class="sampled">Request 6: BatchMeterUsage → HTTP 200 · 5.79 ms</p>' in card
    assert '<p class="sampled">Request 7: BatchMeterUsage → HTTP 200 · 5.79 ms</p>' in card
    assert "req-six" not in card and "resp-seven" not in card
    assert "User-Agent" not in card and "Authorization" not in card and "X-Amz-Date" not in card
    assert (
        "X-Amz-Target: AWSMPMeteringService.BatchMeterUsage" in card
        and "content-type: application/x-amz-json-1.1" in card
    )
    assert "x" * SAMPLE_BODY_LIMIT not in card and "more characters in events.jsonl)" in card
    assert (
        "Evidence: BatchMeterUsage → HTTP 200, BatchMeterUsage → HTTP 200, BatchMeterUsage → HTTP 200 "
        "(the last 3 of 7 requests)"
    ) in card
    assert (
        f"Sampled (PASS): request 5 with routine headers left out and bodies cut at {SAMPLE_BODY_LIMIT} characters, "
        "the others one line each; requests 1 to 4 are not recorded; events.jsonl keeps these 3 in full."
    ) in card


def test_passing_checks_past_the_first_few_are_a_line_per_check_and_outcome(faithful):
    cases = [_check(faithful, f"test_many[case-{i}]", "PASS", [f"m{i}"]) for i in range(6)]
    odd = _check(faithful, "test_odd", "INFO", ["odd-a", "odd-b"])
    broken = _check(faithful, "test_broken", "FAIL", ["bad"])
    card = _card(render_html(RunResults(meta={}, checks=[*cases, odd, broken])), CLAUSE)
    assert card.count('class="check v-pass"') == SAMPLES_SHOWN == 2 and 'class="check v-fail"' in card
    assert "resp-m0" in card and "resp-m1" in card and "resp-m2" not in card and "resp-bad" in card
    assert "5 more checks, a line per check and outcome" in card
    assert (
        "<li>PASS <code>suites/test_x.py::test_many</code> [case-2] [case-3] [case-4] [case-5] — "
        "BatchMeterUsage → HTTP 200</li>"
    ) in card
    assert (
        "<li>INFO <code>suites/test_x.py::test_odd</code> — BatchMeterUsage → HTTP 200, BatchMeterUsage → HTTP 200 "
        "(2 requests)</li>"
    ) in card


def test_every_check_is_named_on_each_clause_it_cites(faithful):
    """Under a clause that is not its home, a check is a line in a folded list: all of a parametrized check's cases
    at once, or each case named, with where its evidence is."""
    every = [_check(faithful, f"test_all[c{i}]", "PASS", [f"a{i}"]) for i in range(3)]
    some = [
        _check(faithful, f"test_some[s{i}]", "PASS", [f"s{i}"], clauses=(CLAUSE, OTHER) if i else (CLAUSE,))
        for i in range(3)
    ]
    broken = _check(faithful, "test_broken", "FAIL", ["bad"])
    page = render_html(RunResults(meta={}, checks=[*every, *some, broken]))
    other = _card(page, OTHER)
    assert "6 checks met this clause; each one's evidence is under the clause it links to" in other
    link = f'<a href="#c-{CLAUSE}">{CLAUSE}</a>'
    assert f"<li><code>suites/test_x.py::test_all</code> all 3 cases → {link}</li>" in other
    assert f"<li><code>suites/test_x.py::test_some</code> [s1] [s2] → {link}</li>" in other
    assert f"<li><code>suites/test_x.py::test_broken</code> → FAIL on {link}</li>" in other
    assert 'class="check ' not in other and "resp-" not in other  # no evidence twice
    at_home = _check(faithful, "test_at_home", "PASS", ["home"], clauses=(OTHER, CLAUSE))
    other = _card(render_html(RunResults(meta={}, checks=[*every, *some, broken, at_home])), OTHER)
    assert 'class="check v-pass"' in other and "resp-home" in other
    assert "6 more checks met this clause" in other  # more than the one shown above the list


def test_the_page_grows_by_a_line_not_by_the_evidence_of_each_passing_check(faithful):
    """Past a clause's first few, a passing check's big exchanges add its name and its answers, not its bodies."""

    def page(n: int) -> int:
        checks = [
            _check(faithful, f"test_big[case-{i:03}]", "PASS", ["a", "b", "c"], sent=50, body_size=4000)
            for i in range(n)
        ]
        return len(render_html(RunResults(meta={}, checks=checks)).encode())

    few, many = page(SAMPLES_SHOWN), page(SAMPLES_SHOWN + 200)
    assert many - few < 200 * 50, (few, many)  # its case name in its check's line here, and in its line under OTHER
    assert page(1) < few < page(1) + 2 * 4000 + 3000  # a sampled check's bodies are cut at SAMPLE_BODY_LIMIT


@pytest.mark.parametrize("fixture", ["all_verdicts", "moto_run", "faithful"])
def test_every_clause_card_names_each_check_citing_it(fixture, request):
    run = request.getfixturevalue(fixture)
    page = render_html(run)
    named = 0
    for row in clause_rows(run, report_catalog()):
        card = _card(page, row.id)
        for ref in row.checks:
            function, case = case_of(ref.event.nodeid)
            assert f"<code>{esc(function)}" in card, (row.id, ref.event.nodeid)
            assert not case or f"[{esc(case)}]" in card or f"<code>{esc(function)}</code> all " in card, (row.id, case)
            named += 1
    assert named >= len(run.events)
