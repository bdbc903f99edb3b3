"""The results layer: CheckResult is the events line (a lossless round trip), RunResults computes what each report
shows."""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET

import pytest

from meterconform.contract import catalog as catalog_module
from meterconform.contract.catalog import CatalogError
from meterconform.render.json_report import conformance_doc, write_json
from meterconform.render.junit import build_junit
from meterconform.results import events as events_module
from meterconform.results.baseline import Baseline, Expectation
from meterconform.results.check_result import CheckResult
from meterconform.results.events import read_events, write_events
from meterconform.results.run_results import RunResults

from .conftest import DATA

LINE_KEYS = [
    "nodeid",
    "check",
    "clauses",
    "levels",
    "outcome",
    "when",
    "duration",
    "failed_clause",
    "expected",
    "actual",
    "reason",
    "reproduction",
    "observations",
    "evidence",
    "exchanges",
    "examples",
    "outcomes",
    "targets",
    "judged",
    "time",
    "verdict",
]
BASELINE = Baseline(
    [
        Expectation("known", clause="BMU.DIMENSION.UNKNOWN"),
        Expectation("fixed", clause="MU.WINDOW.RECENT"),
        Expectation("lapsed", clause="TAG.COUNT.MAX", expires=dt.date(2026, 5, 1)),
    ],
    path="b.toml",
)
TODAY = dt.date(2026, 6, 1)


@pytest.mark.parametrize("name", ["all-verdicts", "faithful", "moto"])
def test_every_line_of_the_fixed_files_survives_a_round_trip(name):
    _, lines = read_events(DATA / f"{name}.jsonl")
    for line in lines:
        again = CheckResult.from_json(line).to_json()
        assert {k: again[k] for k in line} == line  # nothing lost, the older files' `operations` included
        # the fields these older files predate are written with their defaults, which read the same
        assert {k: again[k] for k in set(again) - set(line)} == {
            "examples": 0,
            "exchanges": 0,
            "judged": None,
            "outcomes": {},
            "targets": {},
        }
        assert CheckResult.from_json(again) == CheckResult.from_json(line)
        assert [k for k in again if k in line and k != "operations"] == [k for k in line if k != "operations"]
        assert list(again)[-1] == "operations"  # a key this version does not know: kept, after the known ones


def test_a_new_line_has_the_keys_in_the_order_build_event_wrote_them():
    assert list(CheckResult(nodeid="suites/test_x.py::test_y", verdict="PASS").to_json()) == LINE_KEYS
    full = CheckResult(
        nodeid="n",
        verdict="FAIL",
        known_failures=["ALLOC.SUM"],
        known_hits={"ALLOC.SUM": 2},
        also_failed=[{"clause": "TAG.KEY.LENGTH", "verdict": "FAIL"}],
        falsifying_example="Falsifying example: x",
    )
    assert list(full.to_json()) == LINE_KEYS[:-1] + [
        "known_failures",
        "known_hits",
        "verdict",
        "also_failed",
        "falsifying_example",
    ]


def test_unknown_keys_are_kept_through_the_events_file(tmp_path):
    line = {
        "nodeid": "suites/test_x.py::test_y",
        "verdict": "PASS",
        "clauses": ["MU.A.B"],
        "levels": {"MU.A.B": "MUST"},
        "from_a_newer_version": {"nested": [1, 2]},
        "operations": ["MeterUsage"],
    }
    result = CheckResult.from_json(line)
    assert result.extra == {"from_a_newer_version": {"nested": [1, 2]}, "operations": ["MeterUsage"]}
    path = tmp_path / "events.jsonl"
    write_events(path, {"tool": "meterconform"}, [result])
    loaded = RunResults.load(path)
    assert loaded.meta == {"tool": "meterconform"}
    assert loaded.checks == [result]
    assert loaded.checks[0].to_json()["from_a_newer_version"] == {"nested": [1, 2]}
    assert json.loads(path.read_text().splitlines()[1])["operations"] == ["MeterUsage"]


def test_an_older_line_without_judged_counts_every_clause_as_judged():
    old = CheckResult.from_json({"nodeid": "n", "verdict": "PASS", "clauses": ["MU.A.B"]})
    assert old.judged is None and old.was_judged("MU.A.B")
    new = CheckResult.from_json({"nodeid": "n", "verdict": "PASS", "clauses": ["MU.A.B"], "judged": {}})
    assert not new.was_judged("MU.A.B")


def test_the_events_writer_sorts_by_node_id_and_takes_dicts_too(tmp_path):
    path = tmp_path / "events.jsonl"
    write_events(path, {}, [{"nodeid": "b", "verdict": "PASS"}, CheckResult(nodeid="a", verdict="FAIL")])
    meta, lines = read_events(path)
    assert meta == {} and [(e["nodeid"], e["verdict"]) for e in lines] == [("a", "FAIL"), ("b", "PASS")]


def test_run_results_compute_the_counts_clauses_and_gate(all_verdicts):
    assert all_verdicts.counts == {
        "PASS": 5,
        "FAIL": 3,
        "UNIMPLEMENTED": 1,
        "SKIPPED": 1,
        "ERROR": 1,
        "NON-STRICT": 1,
        "INFO": 1,
    }
    assert list(all_verdicts.verdict_counts) == [
        "FAIL",
        "ERROR",
        "NON-STRICT",
        "PASS",
        "INFO",
        "UNIMPLEMENTED",
        "SKIPPED",
    ]
    assert [c.nodeid.split("::")[-1] for c in all_verdicts.failing] == [
        "test_batch_meter_usage_rejects_an_unknown_dimension",
        "test_a_check_that_breaks_is_an_error",
        "test_a_hostile_dimension_name_is_rejected",
        "test_an_allocation_with_more_than_five_tags_is_rejected",
    ]
    verdicts = {cid: entry["verdict"] for cid, entry in all_verdicts.clause_verdicts.items()}
    assert {cid for cid, v in verdicts.items() if v in ("FAIL", "ERROR")} == {
        "BMU.DIMENSION.UNKNOWN",
        "TAG.COUNT.MAX",
        "PROTO.TARGET.DISPATCH",
    }
    assert (verdicts["PROTO.ERROR.HEADER"], verdicts["RC.TOKEN.INVALID"], verdicts["RU.REGISTER.SUCCESS"]) == (
        "NON-STRICT",
        "SKIPPED",
        "UNIMPLEMENTED",
    )
    assert all_verdicts.coverage["TAG.COUNT.MAX"]["hit"] is False
    assert all_verdicts.completion.complete
    assert (all_verdicts.gate().words, all_verdicts.gate().exit_code) == ("NOT CONFORMANT — 4 failing checks", 1)


def test_the_baseline_applied_is_what_every_view_shows(all_verdicts, tmp_path):
    applied = all_verdicts.apply(BASELINE, TODAY)
    assert all_verdicts.applied is applied
    assert [c.nodeid.split("::")[-1] for c, _ in applied.expected] == [
        "test_batch_meter_usage_rejects_an_unknown_dimension",
        "test_a_hostile_dimension_name_is_rejected",
    ]
    assert [e.clause for e in applied.stale] == ["MU.WINDOW.RECENT"]
    assert [e.clause for e in applied.expired] == ["TAG.COUNT.MAX"]
    verdict = all_verdicts.gate()
    assert (verdict.words, verdict.exit_code) == ("NOT CONFORMANT — 2 unexpected failures (not in the baseline)", 1)

    write_json(all_verdicts, tmp_path / "conformance.json")
    doc = json.loads((tmp_path / "conformance.json").read_text())
    assert doc == json.loads(json.dumps(conformance_doc(all_verdicts), default=str))
    assert list(doc) == ["meta", "counts", "checks", "clauses", "verdict", "baseline"]
    assert doc["counts"] == all_verdicts.counts
    assert doc["verdict"] == {
        "words": verdict.words,
        "exit_code": 1,
        "completion": {"state": "complete", "reason": "", "not_run": []},
    }
    assert doc["baseline"]["unexpected"] == [c.nodeid for c in applied.unexpected] and doc["baseline"]["gates"] is True
    assert {cid: e["verdict"] for cid, e in doc["clauses"].items()} == {
        cid: e["verdict"] for cid, e in all_verdicts.clause_verdicts.items()
    }

    suite = build_junit(all_verdicts).getroot().find("testsuite")
    props = {p.get("name"): p.get("value") for p in suite.find("properties")}
    assert props["verdict"] == verdict.words and props["completion"] == "complete"
    # 13 checks + a stale and an expired entry; the excused failures are skipped, the entries fail
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors"), suite.get("skipped")) == (
        "15",
        "3",
        "1",
        "5",
    )


def test_the_plugins_conformance_json_has_no_verdict(faithful, tmp_path):
    write_json(faithful, tmp_path / "c.json", with_verdict=False)
    doc = json.loads((tmp_path / "c.json").read_text())
    assert list(doc) == ["meta", "counts", "checks", "clauses"] and doc["counts"] == {"PASS": len(faithful.checks)}


def test_merge_keeps_one_result_per_check_the_later_run_winning(all_verdicts, faithful):
    merged = RunResults.merge([all_verdicts, faithful])
    by_node = {c.nodeid: c for c in merged.checks}
    assert len(by_node) == len(merged.checks) == len(all_verdicts.checks)
    for check in faithful.checks:
        assert by_node[check.nodeid] is check
    assert [s["source"] for s in merged.meta["merged_from"]] == all_verdicts.sources + faithful.sources


def test_a_broken_catalog_is_only_excused_when_it_is_the_catalogs_own_error(monkeypatch):
    def broken():
        raise CatalogError("schemas/clauses.toml does not match")

    monkeypatch.setattr(catalog_module, "load_catalog", broken)
    assert events_module._level("MU.WINDOW.RECENT") == "MUST"

    def crashing():
        raise RuntimeError("a bug in the catalog's loader")

    monkeypatch.setattr(catalog_module, "load_catalog", crashing)
    with pytest.raises(RuntimeError, match="a bug in the catalog's loader"):
        events_module._level("MU.WINDOW.RECENT")
    with pytest.raises(RuntimeError):
        conformance_doc(
            RunResults({}, [{"nodeid": "n", "verdict": "PASS", "clauses": ["MU.A.B"], "levels": {"MU.A.B": "MUST"}}])
        )


def test_the_level_of_a_clause_the_catalog_does_not_know_is_must():
    assert events_module._level("MU.NO_SUCH.CLAUSE") == "MUST"
    assert events_module._level("TAG.COUNT.MAX") == catalog_module.load_catalog().get("TAG.COUNT.MAX").level


def test_junit_is_built_from_the_results_alone(faithful):
    tree = build_junit(faithful)
    assert isinstance(tree, ET.ElementTree)
    suite = tree.getroot().find("testsuite")
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == (str(len(faithful.checks)), "0", "0")
