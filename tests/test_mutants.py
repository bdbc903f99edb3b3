"""Fault-injection analysis: every reference fault says which clauses must catch it, those clauses exist, and a
short run end to end finds two faults by their expected clauses while the faithful endpoint stays clean."""

from __future__ import annotations

import shlex
import subprocess
import sys
import tomllib

from meterconform.campaign.fault_analysis import (
    ANY_ERROR_CLAUSE,
    ANY_OPERATION_CLAUSE,
    EXPECTED,
    READ_TIMEOUT_SECONDS,
    MutantResult,
    analyse,
    error_clauses,
    expected_for,
    profile_text,
    render_reading_failures,
    render_readings_table,
    render_table,
)
from meterconform.contract.catalog import load_catalog
from meterconform.harness.profile import from_dict
from meterconform.reference import FAULTS
from meterconform.resources import suites_dir
from tests.suites.runner import REPO

# Two faults and a selection that exercises both (one MeterUsage boundary, one allocation rule), and a fault
# that selection never exercises.
SELECTION = [
    "-k",
    "test_boundary_violations_get_the_documented_error or test_allocation_violations_get_the_documented_error",
]
CAUGHT = {"client-token-length-unchecked": "MU.CLIENT_TOKEN.LENGTH", "two-untagged-accepted": "ALLOC.ONE_UNTAGGED"}
NOT_EXERCISED = "expired-token-as-invalid"


def test_every_fault_has_expected_clauses_and_nothing_else_does():
    assert set(EXPECTED) == set(FAULTS), (
        f"faults without EXPECTED: {sorted(set(FAULTS) - set(EXPECTED))}; "
        f"EXPECTED for no fault: {sorted(set(EXPECTED) - set(FAULTS))}"
    )
    assert all(EXPECTED[name] for name in FAULTS), [name for name in FAULTS if not EXPECTED[name]]


def test_every_expected_clause_is_in_the_catalog():
    known = {clause.id for clause in load_catalog()}
    for name, wanted in EXPECTED.items():
        for entry in wanted:
            if entry == ANY_ERROR_CLAUSE or ANY_OPERATION_CLAUSE.fullmatch(entry):
                continue
            assert entry in known, f"EXPECTED[{name!r}] names {entry!r}, which schemas/clauses.toml does not define"
        assert expected_for(name) <= known and expected_for(name), name


def test_markers_expand_to_the_clauses_they_name():
    mu = expected_for("identity-ignored")
    assert "MU.HOUR.PER_DIMENSION" in mu and "ALLOC.SUM.VALID" in mu  # allocations are MeterUsage clauses too
    assert not any(c.startswith(("RU.", "RC.")) for c in mu)
    errors = expected_for("errors-with-200")
    assert errors == error_clauses() | {"PROTO.STATUS.CLIENT_ERROR"}
    assert "MU.WINDOW.STALE" in errors and "OUT.MU.SCHEMA" not in errors


def test_the_table_says_caught_other_clause_or_survived():
    faithful = MutantResult("(faithful)", set(), checks=10)
    results = [
        MutantResult("six-tags-accepted", {"TAG.COUNT.MAX"}, caught_by=["TAG.COUNT.MAX"], seconds_to_first_failure=1.5),
        MutantResult("batch-cap-26", {"BMU.RECORDS.MAX"}, caught_by=["OUT.BMU.SCHEMA"], seconds_to_first_failure=2.0),
        MutantResult("dryrun-records", {"MU.DRY_RUN.RECORDS_NOTHING"}),
    ]
    table = "\n".join(render_table(faithful, results))
    rows = {
        line.split("|")[1].strip(): line.split("|")[2].strip() for line in table.splitlines() if line.startswith("| ")
    }
    assert rows["six-tags-accepted"] == "yes" and rows["batch-cap-26"] == "OTHER CLAUSE"
    assert rows["dryrun-records"] == "NO (survived)"
    assert "caught by the expected clause: 1/3 faults (33 %)" in table
    assert "faithful endpoint: 10 checks, 0 failing clause(s)" in table


def test_every_run_uses_the_default_profile_with_a_short_read_timeout():
    profile = from_dict(tomllib.loads(profile_text()))
    assert profile.endpoint.read_timeout == READ_TIMEOUT_SECONDS < 30
    assert profile.endpoint.url is None  # the embedded reference endpoint


def test_two_faults_are_caught_by_their_expected_clauses_and_the_faithful_run_is_clean():
    faithful, results = analyse(sorted(CAUGHT), suites=suites_dir(), selection=SELECTION)
    assert faithful.checks > 0 and not faithful.caught_by and not faithful.problem, faithful
    for result in results:
        assert result.caught_as_expected, result
        assert result.caught_by[0] == CAUGHT[result.fault], result


def test_the_command_fails_and_says_so_when_a_fault_survives(tmp_path):
    table = tmp_path / "mutants.md"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "meterconform",
            "mutants",
            "--fault",
            NOT_EXERCISED,
            "--markdown",
            str(table),
            "--",
            *SELECTION,
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 1, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "NO (survived)" in proc.stdout
    written = table.read_text()
    assert (
        NOT_EXERCISED in written
        and "caught by the expected clause: 0/1 faults (0 %)" in written
        and "run time" in written
    )
    assert written.splitlines()[0] == (
        f"Generated by `meterconform mutants --fault {NOT_EXERCISED} --markdown {table} -- "
        f"{shlex.join(SELECTION)}`: do not edit by hand, run the command again to refresh it."
    )


def test_an_unknown_fault_is_refused_with_exit_2():
    proc = subprocess.run(
        [sys.executable, "-m", "meterconform", "mutants", "--fault", "no-such-fault"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2 and "no-such-fault" in proc.stderr and "six-tags-accepted" in proc.stderr


def test_ci_proves_every_fault_and_every_reading():
    """.ci/run runs `meterconform mutants` and `mutants --readings` on the whole set: no selection to go stale."""
    script = (REPO / ".ci" / "run").read_text()
    commands = [line.strip() for line in script.splitlines() if line.startswith(".venv/bin/meterconform mutants")]
    assert commands == [".venv/bin/meterconform mutants", ".venv/bin/meterconform mutants --readings"]


# --- mutants --readings: permitted behaviours the suite must accept --------------------------------------------

READING_SELECTION = ["-k", "test_errors_carry_a_message or test_errors_are_json_bodies_naming_their_type"]


def test_the_readings_table_says_pass_or_which_checks_fail():
    faithful = MutantResult("(faithful)", set(), checks=10)
    broken = [
        ("suites/test_protocol.py::test_a[GET]", "UNIMPLEMENTED", [], "UNIMPLEMENTED: no"),
        ("suites/test_b.py::test_b", "FAIL", ["MU.HOUR.IDEMPOTENT"], "expected ...\nmore"),
        ("suites/test_b.py::test_c", "ERROR", ["MU.HOUR.IDEMPOTENT"], ""),
    ]
    results = [
        MutantResult("message-capitalised", set(), checks=10),
        MutantResult("non-post-404", set(), checks=10, failed_checks=broken),
        MutantResult("results-reversed", set(), problem="timed out after 900 s"),
    ]
    rows = {
        line.split("|")[1].strip(): [c.strip() for c in line.split("|")[2:-1]]
        for line in render_readings_table(faithful, results)
        if line.startswith("| ")
    }
    assert rows["message-capitalised"] == ["PASS", "10", "-"]
    assert rows["non-post-404"] == ["FAIL", "10", "3 checks: MU.HOUR.IDEMPOTENT x2, UNIMPLEMENTED x1"]
    assert rows["results-reversed"] == ["BROKEN RUN", "0", "timed out after 900 s"]
    assert "readings accepted by the suite: 1/3" in render_readings_table(faithful, results)
    details = render_reading_failures(results)
    assert details[0] == "non-post-404: 3 failing check(s)"
    assert details[2] == "  FAIL suites/test_b.py::test_b [MU.HOUR.IDEMPOTENT]: expected ..."


def test_the_command_passes_readings_the_suite_accepts(tmp_path):
    table = tmp_path / "readings.md"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "meterconform",
            "mutants",
            "--readings",
            "--reading",
            "message-capitalised",
            "--reading",
            "error-type-namespaced",
            "--markdown",
            str(table),
            "--",
            *READING_SELECTION,
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    rows = {
        line.split("|")[1].strip(): line.split("|")[2].strip()
        for line in proc.stdout.splitlines()
        if line.startswith("| ")
    }
    assert rows == {"reading": "verdict", "error-type-namespaced": "PASS", "message-capitalised": "PASS"}
    assert "readings accepted by the suite: 2/2" in table.read_text()
    assert table.read_text().startswith(
        "Generated by `meterconform mutants --readings --reading message-capitalised "
        "--reading error-type-namespaced --markdown "
    )
    assert "faithful endpoint: 8 checks, 0 failing" in proc.stdout


def test_an_unknown_reading_is_refused_with_exit_2():
    proc = subprocess.run(
        [sys.executable, "-m", "meterconform", "mutants", "--readings", "--reading", "no-such-reading"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2 and "no-such-reading" in proc.stderr and "results-reversed" in proc.stderr
    proc = subprocess.run(
        [sys.executable, "-m", "meterconform", "mutants", "--readings", "--fault", "batch-cap-26"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2 and "opposite directions" in proc.stderr


def test_run_takes_readings_for_the_embedded_endpoint_only():
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "meterconform",
            "run",
            "--reading",
            "results-reversed",
            "--endpoint-url",
            "http://127.0.0.1:9",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2 and "--reading applies to the embedded reference endpoint only" in proc.stderr
