"""Merging runs: a later run's event for the same check wins; `meterconform report A B -o DIR` writes the merge."""

from __future__ import annotations

import json

import pytest

from meterconform.results.run_results import RunError, RunResults

from .conftest import DATA, cli


def test_a_later_event_for_the_same_check_wins(all_verdicts, faithful):
    merged = RunResults.merge([all_verdicts, faithful])
    verdicts = {e.nodeid: e.verdict for e in merged.events}
    assert len(merged.events) == len(all_verdicts.events)  # the smoke checks are in both
    assert verdicts["suites/test_smoke.py::test_batch_meter_usage_rejects_an_unknown_dimension"] == "PASS"
    assert verdicts["suites/test_smoke.py::test_register_usage_returns_a_signature"] == "PASS"  # was UNIMPLEMENTED
    assert (
        verdicts["tests/reports/data/verdicts_suite.py::test_a_check_that_breaks_is_an_error"] == "ERROR"
    )  # only in the first
    assert [m["source"] for m in merged.meta["merged_from"]] == [
        str(DATA / "all-verdicts.jsonl"),
        str(DATA / "faithful.jsonl"),
    ]
    the_other_way = {e.nodeid: e.verdict for e in RunResults.merge([faithful, all_verdicts]).events}
    assert the_other_way["suites/test_smoke.py::test_batch_meter_usage_rejects_an_unknown_dimension"] == "FAIL"


def test_report_merges_and_writes_the_merged_events(tmp_path):
    out = tmp_path / "merged"
    proc = cli("report", str(DATA / "all-verdicts.jsonl"), str(DATA / "faithful.jsonl"), "-o", str(out), cwd=tmp_path)
    assert proc.returncode == 1  # the tag check and the broken check still gate
    for name in ("conformance.html", "conformance.json", "junit.xml", "events.jsonl"):
        assert (out / name).exists(), name
    doc = json.loads((out / "conformance.json").read_text())
    assert doc["counts"] == {"PASS": 8, "FAIL": 2, "ERROR": 1, "NON-STRICT": 1, "INFO": 1}
    assert doc["clauses"]["BMU.DIMENSION.UNKNOWN"]["verdict"] == "FAIL"  # the hostile-dimension check still fails it
    again = RunResults.load(out)  # a report directory is a run too, and can be merged again
    assert {e.nodeid for e in again.events} == {e.nodeid for e in RunResults.load(DATA / "all-verdicts.jsonl").events}
    only_good = cli("report", str(DATA / "faithful.jsonl"), "-o", str(tmp_path / "good"), cwd=tmp_path)
    assert only_good.returncode == 0 and "conformance.html" in only_good.stdout


def test_a_run_that_is_not_an_events_file_is_a_usage_error(tmp_path):
    (tmp_path / "x.jsonl").write_text('{"nodeid": "a"}\n')
    with pytest.raises(RunError, match="lacks clauses, verdict"):
        RunResults.load(tmp_path / "x.jsonl")
    with pytest.raises(RunError, match="without events.jsonl"):
        RunResults.load(tmp_path)
    proc = cli("report", str(tmp_path / "missing.jsonl"), "-o", str(tmp_path / "o"), cwd=tmp_path)
    assert proc.returncode == 2 and "does not exist" in proc.stderr and "Traceback" not in proc.stderr
