"""junit.xml regenerated from events: one testcase per check, clause ids and verdict as properties."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

from meterconform.render.junit import build_junit, junit_address, write_junit
from meterconform.results.baseline import Baseline, Expectation
from meterconform.results.run_results import RunResults

from .conftest import event


def _cases(tree: ET.ElementTree) -> dict[str, ET.Element]:
    return {f"{c.get('classname')}::{c.get('name')}": c for c in tree.getroot().iter("testcase")}


def _props(case: ET.Element) -> list[tuple[str, str]]:
    return [(p.get("name"), p.get("value")) for p in case.iter("property")]


def test_one_testcase_per_check_with_clause_and_verdict_properties(all_verdicts, tmp_path):
    write_junit(all_verdicts, tmp_path / "junit.xml")
    tree = ET.parse(tmp_path / "junit.xml")
    cases = _cases(tree)
    assert len(cases) == len(all_verdicts.events)
    for ev in all_verdicts.events:
        classname, name = junit_address(ev.nodeid)
        props = _props(cases[f"{classname}::{name}"])
        assert [v for k, v in props if k == "clause"] == ev.clauses
        assert ("verdict", ev.verdict) in props
    suite = tree.getroot().find("testsuite")
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors"), suite.get("skipped")) == (
        "13",
        "3",
        "1",
        "3",
    )
    assert ("hypothesis_seed", "0") in _props(suite.find("properties"))


def test_verdicts_map_to_failure_error_and_skipped(all_verdicts):
    cases = _cases(build_junit(all_verdicts))
    by_verdict = {}
    for case in cases.values():
        verdict = dict(_props(case))["verdict"]
        by_verdict.setdefault(verdict, case)
    assert by_verdict["FAIL"].find("failure") is not None
    assert "Reproduce with" in by_verdict["FAIL"].find("failure").text
    assert by_verdict["ERROR"].find("error").get("message") == "KeyError: 'NoSuchMember'"
    for label in ("NON-STRICT", "UNIMPLEMENTED", "SKIPPED"):
        assert by_verdict[label].find("skipped").get("type") == label
    assert list(by_verdict["PASS"]) == [by_verdict["PASS"].find("properties")]
    assert "an unknown member" in by_verdict["INFO"].find("system-out").text


def test_the_address_matches_pytest_for_parametrized_and_class_checks():
    assert junit_address("suites/test_x.py::test_y") == ("suites.test_x", "test_y")
    assert junit_address("suites/test_x.py::TestM::test_y[a::b/c]") == ("suites.test_x.TestM", "test_y[a::b/c]")


def test_a_baseline_turns_expected_failures_into_skips_and_adds_stale_and_expired_cases(all_verdicts):
    today = dt.date(2026, 6, 1)
    baseline = Baseline(
        [
            Expectation("known", clause="BMU.DIMENSION.UNKNOWN"),
            Expectation("fixed", clause="MU.WINDOW.RECENT"),
            Expectation("lapsed", clause="TAG.COUNT.MAX", expires=dt.date(2026, 5, 1)),
        ],
        path="b.toml",
    )
    all_verdicts.apply(baseline, today)
    tree = build_junit(all_verdicts)
    cases = _cases(tree)
    dimension = cases["suites.test_smoke::test_batch_meter_usage_rejects_an_unknown_dimension"]
    assert dimension.find("failure") is None and dimension.find("skipped").get("type") == "expected-failure"
    assert cases["meterconform.results.baseline::stale: clause MU.WINDOW.RECENT"].find("failure") is not None
    assert cases["meterconform.results.baseline::expired: clause TAG.COUNT.MAX"].find("failure") is not None
    tag = cases["tests.reports.data.verdicts_suite::test_an_allocation_with_more_than_five_tags_is_rejected"]
    assert tag.find("failure") is not None  # an expired entry excuses nothing
    suite = tree.getroot().find("testsuite")
    # FAILs: 2 dimension checks excused, the tag check still fails; plus the stale and the expired entry
    assert suite.get("failures") == "3" and suite.get("errors") == "1"


def test_text_xml_cannot_carry_is_replaced(all_verdicts, tmp_path):
    bad = event(all_verdicts, "test_batch_meter_usage_rejects_an_unknown_dimension")
    bad["reason"] = "control \x00\x1b characters and a lone \ud800 surrogate"
    write_junit(RunResults(all_verdicts.meta, [bad]), tmp_path / "junit.xml")
    failure = ET.parse(tmp_path / "junit.xml").getroot().find(".//failure")
    assert failure.text == "control #x00#x1B characters and a lone #xD800 surrogate"
