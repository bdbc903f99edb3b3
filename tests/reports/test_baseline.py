"""The expectations baseline: expected failures do not gate; stale (now passing) and expired entries do."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from meterconform.contract.catalog import load_catalog
from meterconform.results.baseline import (
    TODO_REASON,
    Baseline,
    BaselineError,
    Expectation,
    apply_baseline,
    dump_baseline,
    load_baseline,
    parse_baseline,
    update_baseline,
)

from .conftest import DATA, cli

TODAY = dt.date(2026, 6, 1)
BREAKS = "tests/reports/data/verdicts_suite.py::test_a_check_that_breaks_is_an_error"
KNOWN = set(load_catalog().ids)


def _baseline(*entries: Expectation) -> Baseline:
    return Baseline(list(entries), path="baseline.toml")


def test_failures_an_entry_covers_do_not_gate(all_verdicts):
    applied = apply_baseline(
        _baseline(
            Expectation("wrong error name", clause="BMU.DIMENSION.UNKNOWN"),
            Expectation("six tags accepted", clause="TAG.COUNT.MAX"),
            Expectation("suite bug, fixed in #12", check=BREAKS),
        ),
        all_verdicts.events,
        TODAY,
    )
    assert len(applied.expected) == 4 and applied.unexpected == [] and not applied.gates
    assert (
        applied.excuse("suites/test_smoke.py::test_batch_meter_usage_rejects_an_unknown_dimension").reason
        == "wrong error name"
    )
    assert any(line.startswith("  expected    FAIL") for line in applied.lines())


def test_a_failure_no_entry_covers_gates(all_verdicts):
    applied = apply_baseline(
        _baseline(Expectation("wrong error name", clause="BMU.DIMENSION.UNKNOWN")), all_verdicts.events, TODAY
    )
    assert {e.nodeid.split("::")[-1] for e in applied.unexpected} == {
        "test_an_allocation_with_more_than_five_tags_is_rejected",
        "test_a_check_that_breaks_is_an_error",
    }
    assert applied.gates
    assert any("UNEXPECTED  ERROR" in line for line in applied.lines())


def test_an_unexpected_pass_is_a_stale_entry_that_gates(faithful):
    applied = apply_baseline(
        _baseline(Expectation("wrong error name", clause="BMU.DIMENSION.UNKNOWN")), faithful.events, TODAY
    )
    assert [e.clause for e in applied.stale] == ["BMU.DIMENSION.UNKNOWN"] and applied.gates
    assert any("STALE" in line and "now passes: remove it" in line for line in applied.lines())


def test_an_expired_entry_gates_and_excuses_nothing(all_verdicts, faithful):
    lapsed = Expectation("wrong error name", clause="BMU.DIMENSION.UNKNOWN", expires=dt.date(2026, 5, 31))
    applied = apply_baseline(_baseline(lapsed), all_verdicts.events, TODAY)
    assert applied.expired == [lapsed] and applied.expected == [] and applied.gates
    assert any("expired on 2026-05-31" in line for line in applied.lines())
    assert any("its entry (clause BMU.DIMENSION.UNKNOWN) expired" in line for line in applied.lines())
    # the day it expires it still holds
    assert not apply_baseline(_baseline(lapsed), all_verdicts.events, dt.date(2026, 5, 31)).expired
    # expired gates even where the clause passes now
    assert apply_baseline(_baseline(lapsed), faithful.events, TODAY).gates


def test_entries_without_a_verdict_in_the_run_are_kept_and_do_not_gate(all_verdicts):
    entries = (
        Expectation("not selected", clause="BMU.RECORDS.MAX"),
        Expectation(
            "skipped: no invalid token", check="suites/test_smoke.py::test_resolve_customer_rejects_an_invalid_token"
        ),
    )
    applied = apply_baseline(_baseline(*entries), all_verdicts.events, TODAY)
    assert applied.not_run == list(entries) and not applied.stale


def test_a_check_entry_without_parameters_covers_every_parametrization():
    entry = Expectation("all of them", check="suites/test_x.py::test_y")
    assert entry.covers(
        {"nodeid": "suites/test_x.py::test_y[a-1]", "clauses": [], "failed_clause": None, "verdict": "FAIL"}
    )
    assert not entry.covers(
        {"nodeid": "suites/test_x.py::test_y_other", "clauses": [], "failed_clause": None, "verdict": "FAIL"}
    )
    clause = Expectation("c", clause="MU.A.B")
    assert clause.covers(
        {"nodeid": "n", "clauses": ["MU.X.Y", "MU.A.B"], "failed_clause": None, "verdict": "ERROR"}
    )  # an ERROR names no clause
    assert not clause.covers(
        {"nodeid": "n", "clauses": ["MU.X.Y", "MU.A.B"], "failed_clause": "MU.X.Y", "verdict": "FAIL"}
    )


@pytest.mark.parametrize(
    "text, message",
    [
        ('[[expected]]\nclause = "BMU.DIMENSION.UNKNOWN"\n', "`reason` is missing"),
        ('[[expected]]\nclause = "BMU.DIMENSION.UNKNOWN"\ncheck = "a::b"\nreason = "r"\n', "exactly one of clause"),
        ('[[expected]]\nclause = "BMU.DIMENSION.UNKNOWN"\nreason = "r"\nexpire = 2027-01-01\n', "unknown key `expire`"),
        ('[[expected]]\nclause = "BMU.DIMENSION.UNKNWN"\nreason = "r"\n', "closest known ids: BMU.DIMENSION.UNKNOWN"),
        ('[[expected]]\nclause = "BMU.DIMENSION.UNKNOWN"\nreason = "r"\nexpires = "soon"\n', "is not a date"),
        (
            '[[expected]]\nclause = "BMU.DIMENSION.UNKNOWN"\nreason = "r"\n[[expected]]\nclause = '
            '"BMU.DIMENSION.UNKNOWN"\nreason = "s"\n',
            "listed twice",
        ),
        ("expected = 3\n", "array of tables"),
        ("[expected\n", "not valid TOML"),
    ],
)
def test_an_invalid_baseline_names_the_entry_and_the_fix(text, message):
    with pytest.raises(BaselineError) as info:
        parse_baseline(text, "b.toml", known_clauses=KNOWN)
    assert message in str(info.value)


def test_a_missing_file_says_how_to_create_it(tmp_path):
    with pytest.raises(BaselineError, match="meterconform baseline --update"):
        load_baseline(tmp_path / "nope.toml")


def test_update_keeps_reasons_adds_new_failures_and_drops_passing_entries(all_verdicts):
    old = _baseline(
        Expectation(
            "wrong error name", clause="BMU.DIMENSION.UNKNOWN", link="https://t/1", expires=dt.date(2027, 1, 1)
        ),
        Expectation("was broken", clause="MU.WINDOW.RECENT"),
        Expectation("not in this run", clause="BMU.RECORDS.MAX"),
    )
    update = update_baseline(old, all_verdicts.events, TODAY)
    entries = {e.key: e for e in update.baseline.expected}
    assert entries[("clause", "BMU.DIMENSION.UNKNOWN")] == old.expected[0]
    assert ("clause", "MU.WINDOW.RECENT") not in entries and [e.clause for e in update.dropped] == ["MU.WINDOW.RECENT"]
    assert ("clause", "BMU.RECORDS.MAX") in entries
    assert entries[("clause", "TAG.COUNT.MAX")].reason == TODO_REASON
    assert entries[("check", BREAKS)].reason == TODO_REASON  # an ERROR names no clause: its node id
    assert not apply_baseline(update.baseline, all_verdicts.events, TODAY).gates


def test_the_written_file_reads_back_the_same(all_verdicts):
    update = update_baseline(
        _baseline(
            Expectation(
                'quotes " and \\ and ünïcode',
                clause="BMU.DIMENSION.UNKNOWN",
                link="https://t/1",
                expires=dt.date(2027, 1, 1),
            )
        ),
        all_verdicts.events,
        TODAY,
    )
    update.baseline.endpoint = "my gateway"
    again = parse_baseline(dump_baseline(update.baseline), known_clauses=KNOWN)
    assert again.expected == update.baseline.expected and again.endpoint == "my gateway"


def test_the_baseline_command_writes_refreshes_and_checks(tmp_path):
    baseline = tmp_path / "baseline.toml"
    bad, good = str(DATA / "all-verdicts.jsonl"), str(DATA / "faithful.jsonl")
    proc = cli("baseline", "--update", str(baseline), "--from", bad, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "0 entries kept, 3 added, 0 dropped" in proc.stdout
    assert baseline.read_text().count("[[expected]]") == 3 and TODO_REASON in baseline.read_text()
    assert cli("baseline", str(baseline), "--from", bad, cwd=tmp_path).returncode == 0
    checked = cli("baseline", str(baseline), "--from", good, cwd=tmp_path)  # the smoke suite only, all PASS
    assert checked.returncode == 1 and checked.stdout.count("  STALE ") == 1 and checked.stdout.count("not run") == 2
    assert checked.stdout.splitlines()[-1] == "verdict: BASELINE STALE: 1 entry passes again"
    refreshed = cli("baseline", "--update", str(baseline), "--from", good, cwd=tmp_path)
    assert refreshed.returncode == 0 and "2 entries kept, 0 added, 1 dropped" in refreshed.stdout
    assert "BMU.DIMENSION.UNKNOWN" not in baseline.read_text() and baseline.read_text().count("[[expected]]") == 2


def test_report_applies_the_baseline_and_says_which_failures_were_expected(tmp_path):
    baseline = tmp_path / "baseline.toml"
    baseline.write_text(
        '[[expected]]\nclause = "BMU.DIMENSION.UNKNOWN"\nreason = "gateway maps it to InvalidProductCode"\n'
        '[[expected]]\nclause = "TAG.COUNT.MAX"\nreason = "six tags accepted"\nexpires = 2099-01-01\n'
        '[[expected]]\ncheck = "tests/reports/data/verdicts_suite.py::test_a_check_that_breaks_is_an_error"\n'
        'reason = "suite bug"\n'
    )
    proc = cli(
        "report",
        str(DATA / "all-verdicts.jsonl"),
        "-o",
        str(tmp_path / "out"),
        "--baseline",
        str(baseline),
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "4 expected failures, 0 unexpected failures, 0 stale entries, 0 expired entries" in proc.stdout
    assert "gateway maps it to InvalidProductCode" in (tmp_path / "out" / "conformance.html").read_text()
    stale = cli(
        "report", str(DATA / "faithful.jsonl"), "-o", str(tmp_path / "out2"), "--baseline", str(baseline), cwd=tmp_path
    )
    assert stale.returncode == 1 and "STALE" in stale.stdout
    baseline.write_text('[[expected]]\nclause = "NOPE.X.Y"\nreason = "r"\n')
    invalid = cli(
        "report", str(DATA / "faithful.jsonl"), "-o", str(tmp_path / "out3"), "--baseline", str(baseline), cwd=tmp_path
    )
    assert invalid.returncode == 2 and "unknown clause id 'NOPE.X.Y'" in invalid.stderr


def test_the_verdict_line_is_the_words_of_the_gate(all_verdicts, faithful):
    excused = apply_baseline(
        _baseline(
            Expectation("wrong error name", clause="BMU.DIMENSION.UNKNOWN"),
            Expectation("six tags accepted", clause="TAG.COUNT.MAX"),
            Expectation("suite bug, fixed in #12", check=BREAKS),
        ),
        all_verdicts.events,
        TODAY,
    )
    assert (excused.verdict(), excused.gates) == ("CONFORMANT with 4 expected deviations (baseline)", False)
    assert excused.lines()[-1] == "verdict: CONFORMANT with 4 expected deviations (baseline)"
    stale = apply_baseline(
        _baseline(Expectation("wrong error name", clause="BMU.DIMENSION.UNKNOWN")), faithful.events, TODAY
    )
    assert (stale.verdict(), stale.gates) == ("BASELINE STALE: 1 entry passes again", True)
    partial = apply_baseline(
        _baseline(Expectation("wrong error name", clause="BMU.DIMENSION.UNKNOWN")), all_verdicts.events, TODAY
    )
    assert (partial.verdict(), partial.gates) == ("NOT CONFORMANT — 2 unexpected failures (not in the baseline)", True)
    lapsed = Expectation("wrong error name", clause="BMU.DIMENSION.UNKNOWN", expires=dt.date(2026, 5, 31))
    assert (
        apply_baseline(_baseline(lapsed), faithful.events, TODAY).verdict()
        == "BASELINE EXPIRED: 1 entry past `expires`"
    )


def test_placeholder_reasons_warn(all_verdicts):
    applied = apply_baseline(
        _baseline(
            Expectation(TODO_REASON, clause="BMU.DIMENSION.UNKNOWN"), Expectation(TODO_REASON, clause="TAG.COUNT.MAX")
        ),
        all_verdicts.events,
        TODAY,
    )
    assert applied.lines()[-2] == (
        f'warning: 2 entries in baseline.toml still have the reason "{TODO_REASON}": '
        "write why each deviation is accepted"
    )


def test_run_with_a_baseline_prints_one_verdict_and_it_agrees_with_the_exit_code(tmp_path):
    baseline = tmp_path / "baseline.toml"
    baseline.write_text('[[expected]]\nclause = "TAG.COUNT.MAX"\nreason = "the gateway allows six tags"\n')
    proc = cli(
        "run",
        "--fault",
        "six-tags-accepted",
        "--depth",
        "quick",
        "-n",
        "1",
        "--no-html",
        "--baseline",
        str(baseline),
        "--report-dir",
        str(tmp_path / "r"),
        cwd=tmp_path,
    )
    verdicts = [line for line in proc.stdout.splitlines() if line.startswith("verdict: ")]
    assert proc.returncode == 0 and len(verdicts) == 1, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert re.fullmatch(r"verdict: CONFORMANT with \d+ expected deviations? \(baseline\)", verdicts[0]), verdicts
    assert "\nbefore the baseline: NOT CONFORMANT — " in proc.stdout
