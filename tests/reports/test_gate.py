"""One gate: the verdict words and the exit code come from one decision, in the terminal and in the reports."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from meterconform.results.baseline import TODO_REASON, Baseline, Expectation, apply_baseline
from meterconform.results.gate import Gate, gate

from .conftest import cli

TODAY = dt.date(2026, 6, 1)
BREAKS = "tests/reports/data/verdicts_suite.py::test_a_check_that_breaks_is_an_error"
PYTEST_COUNTS = re.compile(r"^=*\s*\d+ (passed|failed|skipped|xfailed|deselected|error)")


def _applied(run, *entries):
    return apply_baseline(Baseline(list(entries), path="b.toml"), run.events, TODAY)


def test_the_words_and_the_exit_code_are_one_decision(all_verdicts, faithful):
    assert gate(faithful.events) == Gate("CONFORMANT", 0)
    assert gate(all_verdicts.events) == Gate("NOT CONFORMANT — 4 failing checks", 1)
    excused = _applied(
        all_verdicts,
        Expectation("wrong error name", clause="BMU.DIMENSION.UNKNOWN"),
        Expectation("six tags", clause="TAG.COUNT.MAX"),
        Expectation("suite bug", check=BREAKS),
    )
    assert gate(all_verdicts.events, excused) == Gate("CONFORMANT with 4 expected deviations (baseline)", 0)
    stale = _applied(faithful, Expectation("wrong error name", clause="BMU.DIMENSION.UNKNOWN"))
    assert gate(faithful.events, stale) == Gate("BASELINE STALE: 1 entry passes again", 1)
    assert gate(faithful.events, stale).line == "verdict: BASELINE STALE: 1 entry passes again"


def test_the_run_state_comes_first_and_never_passes(faithful, all_verdicts):
    assert gate(faithful.events, state="interrupted") == Gate(
        "INTERRUPTED (no verdict on the checks that did not run)", 130
    )
    assert gate(faithful.events, state="incomplete") == Gate("INCOMPLETE — on the checks that ran: CONFORMANT", 3)
    assert gate(all_verdicts.events, state="incomplete") == Gate(
        "INCOMPLETE — on the checks that ran: NOT CONFORMANT — 4 failing checks", 3
    )
    with pytest.raises(ValueError, match="state 'done' is not one of complete, interrupted, incomplete"):
        gate(faithful.events, state="done")


def test_a_stale_todo_entry_gates_warns_and_pytest_counts_nothing_else(tmp_path):
    baseline = tmp_path / "baseline.toml"
    baseline.write_text(f'[[expected]]\nclause = "BMU.DIMENSION.UNKNOWN"\nreason = "{TODO_REASON}"\n')
    proc = cli(
        "run",
        "--depth",
        "quick",
        "-n",
        "1",
        "--no-html",
        "--baseline",
        str(baseline),
        "--report-dir",
        str(tmp_path / "r"),
        "--",
        "-k",
        "smoke",
        cwd=tmp_path,
    )
    out = proc.stdout.splitlines()
    assert proc.returncode == 1, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert not [line for line in out if PYTEST_COUNTS.match(line)], out  # pytest's own counts line is not printed
    assert [line for line in out if line.startswith("verdict:")] == ["verdict: BASELINE STALE: 1 entry passes again"]
    assert out[-1] == "verdict: BASELINE STALE: 1 entry passes again"
    assert out[-2] == (
        f'warning: 1 entry in {baseline} still has the reason "{TODO_REASON}": write why each deviation is accepted'
    )
    assert [line for line in out if line.startswith("before the baseline:")] == ["before the baseline: CONFORMANT"]


def test_a_multi_failure_run_summary_fits_a_screen_grouped_by_clause(tmp_path):
    proc = cli(
        "run",
        "--depth",
        "quick",
        "-n",
        "1",
        "--no-html",
        "--fault",
        "six-tags-accepted",
        "--fault",
        "batch-cap-26",
        "--fault",
        "unknown-dimension-wrong-error",
        "--fault",
        "meter-window-7h",
        "--report-dir",
        str(tmp_path / "r"),
        cwd=tmp_path,
    )
    out = proc.stdout.splitlines()
    assert proc.returncode == 1, proc.stdout[-3000:] + proc.stderr[-2000:]
    summary = out[next(i for i, line in enumerate(out) if "meterconform conformance summary" in line) :]
    summary = summary[: summary.index(next(line for line in summary if line.startswith("verdict:"))) + 1]
    assert len(summary) <= 45, "\n".join(summary)
    assert summary[-1] == f"verdict: NOT CONFORMANT — {summary[-2].split(', ')[1].split()[0]} failing checks"
    at = summary.index(
        f"clauses not met: {sum(1 for line in summary if re.match(r'  (FAIL|ERROR|NON-STRICT) +[A-Z]', line))} "
        f"(full detail: {tmp_path / 'r' / 'conformance.html'})"
    )
    heads = [line for line in summary[at + 1 :] if re.match(r"  FAIL +[A-Z]", line)]
    assert {h.split()[1] for h in heads} >= {
        "TAG.COUNT.MAX",
        "BMU.RECORDS.MAX",
        "BMU.DIMENSION.UNKNOWN",
        "MU.WINDOW.STALE",
    }
    assert all(re.fullmatch(r"  FAIL +[A-Z_.]+ \[MUST\] .+ — \d+ failing checks?", h) for h in heads), heads
    assert summary[at + 2].startswith("    first: suites/") and re.match(
        r"    reproduce: (AWS_\w+=\S+ )*aws meteringmarketplace ", summary[at + 5]
    )
    assert not [line for line in out if PYTEST_COUNTS.match(line)]


def test_a_default_run_writes_events_and_html_no_bigger_than_the_evidence_needs(tmp_path):
    proc = cli("run", "-n", "1", "--seed", "1", "--report-dir", str(tmp_path / "r"), cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    sizes = {name: (tmp_path / "r" / name).stat().st_size for name in ("events.jsonl", "conformance.html")}
    # the page samples the evidence of the checks that did not fail (tests/reports/test_html_evidence.py)
    assert sizes["events.jsonl"] < 4_000_000 and sizes["conformance.html"] < 1_000_000, sizes
