"""A partial run never looks final: an interrupted run says INTERRUPTED in the verdict line, the exit code and every
report, and the reports directory holds that run alone (written aside, swapped in whole)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from meterconform.results.reportdir import MARKER

INTERRUPTED = "verdict: INTERRUPTED (no verdict on the checks that did not run)"
THIS_RUN = {MARKER, "events.jsonl", "conformance.json", "conformance.html", "junit.xml"}


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("METERCONFORM_", "PYTEST_XDIST"))}


def _previous_campaign(reports: Path) -> None:
    """What an older campaign left: its reports, its coverage table and its rounds."""
    reports.mkdir()
    for name in ("conformance.html", "conformance.json", "junit.xml", "coverage.json"):
        (reports / name).write_text("the previous run's")
    (reports / "rounds").mkdir()
    (reports / "rounds" / "round-1.jsonl").write_text("the previous run's")


def _assert_reports_say_interrupted(reports: Path) -> None:
    assert {p.name for p in reports.iterdir()} == THIS_RUN
    assert [p.name for p in reports.parent.iterdir() if ".staging-" in p.name or ".old-" in p.name] == []
    doc = json.loads((reports / "conformance.json").read_text())
    assert doc["verdict"]["words"] == INTERRUPTED.removeprefix("verdict: ") and doc["verdict"]["exit_code"] == 130
    assert doc["verdict"]["completion"]["state"] == "interrupted"
    meta = json.loads((reports / "events.jsonl").read_text().splitlines()[0])["meta"]
    assert meta["completion"]["state"] == "interrupted"
    suite = ET.parse(reports / "junit.xml").getroot().find("testsuite")
    props = {p.get("name"): p.get("value") for p in suite.find("properties")}
    assert props["completion"] == "interrupted" and props["verdict"].startswith("INTERRUPTED")
    case = suite.find("testcase[@classname='meterconform.run'][@name='completion']")
    assert case is not None and case.find("error").get("type") == "interrupted"
    assert int(suite.get("errors")) >= 1
    html = (reports / "conformance.html").read_text()
    assert "<strong>Interrupted run.</strong>" in html and "<title>INTERRUPTED" in html


@pytest.mark.parametrize("workers", ["1", "2"])
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_an_interrupted_run_says_so_everywhere_and_its_reports_stand_alone(signum, workers, tmp_path):
    """The signal goes to the run's own process only (a CI job cancelled): with forked workers, it ends them too."""
    reports = tmp_path / "r"
    _previous_campaign(reports)
    proc = subprocess.Popen(
        [sys.executable, "-m", "meterconform", "run", "-n", workers, "--report-dir", str(reports)],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )  # a shell may ignore SIGINT
    first = proc.stdout.readline()
    assert first.startswith(
        "meterconform: embedded reference endpoint at "
        if workers == "1"
        else "meterconform: embedded reference endpoint, one in each worker"
    ), first
    dots = 0
    while dots < 5 and (char := proc.stdout.read(1)):  # pytest's progress dots: five checks have finished
        dots += char == "."
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=90)
    assert proc.returncode == 130, out[-2000:] + err[-3000:]
    assert "INTERNALERROR" not in out + err, err[-3000:]
    assert [line for line in out.splitlines() if line.startswith("verdict: ")] == [INTERRUPTED], out[-3000:]
    assert err.strip().splitlines()[-1] == (
        f"meterconform: interrupted; the reports in {reports} hold only the checks that ran before it"
    )
    _assert_reports_say_interrupted(reports)
    checks = [json.loads(line) for line in (reports / "events.jsonl").read_text().splitlines()[1:]]
    assert len(checks) >= 4  # the fifth dot can be printed before its event is recorded, then the signal lands


def test_an_interrupt_during_collection_prints_the_verdict_and_one_line_even_with_a_baseline(tmp_path):
    """Ctrl-C before any check ran (here: while a module is imported) is a run too: verdict, exit 130, reports.
    Under --baseline the last line is the gate's INTERRUPTED, never the baseline's own verdict."""
    (tmp_path / "test_slow_import.py").write_text("raise KeyboardInterrupt  # Ctrl-C while pytest collects\n")
    baseline = tmp_path / "baseline.toml"
    baseline.write_text('[[expected]]\nclause = "TAG.COUNT.MAX"\nreason = "a known deviation"\n')
    reports = tmp_path / "r"
    _previous_campaign(reports)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "meterconform",
            "run",
            "-n",
            "1",
            "--report-dir",
            str(reports),
            "--baseline",
            str(baseline),
            "--",
            str(tmp_path / "test_slow_import.py"),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=_env(),
        timeout=180,
    )
    assert proc.returncode == 130, proc.stdout[-2000:] + proc.stderr[-3000:]
    out = proc.stdout.splitlines()
    assert [line for line in out if line.startswith("verdict: ")] == [INTERRUPTED], proc.stdout[-3000:]
    assert out[-1] == INTERRUPTED
    _assert_reports_say_interrupted(reports)


def test_a_reports_directory_with_foreign_files_is_refused_and_left_alone(tmp_path):
    reports = tmp_path / "r"
    reports.mkdir()
    (reports / "notes.txt").write_text("mine")
    (reports / "junit.xml").write_text("the previous run's")
    proc = subprocess.run(
        [sys.executable, "-m", "meterconform", "run", "--report-dir", str(reports)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=_env(),
        timeout=120,
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip() == (
        f"meterconform: --report-dir {reports} holds files meterconform did not write "
        "(notes.txt); a run replaces the whole directory, so give --report-dir an empty or "
        "new directory, or one an earlier run wrote"
    )
    assert {p.name: p.read_text() for p in reports.iterdir()} == {
        "notes.txt": "mine",
        "junit.xml": "the previous run's",
    }
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"]


def test_a_finished_run_replaces_an_older_campaigns_files(tmp_path):
    reports = tmp_path / "r"
    _previous_campaign(reports)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "meterconform",
            "run",
            "-n",
            "1",
            "--depth",
            "quick",
            "--no-html",
            "--report-dir",
            str(reports),
            "--",
            "-k",
            "smoke",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=_env(),
        timeout=180,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert {p.name for p in reports.iterdir()} == THIS_RUN - {"conformance.html"}
    doc = json.loads((reports / "conformance.json").read_text())
    assert doc["verdict"] == {
        "words": "CONFORMANT",
        "exit_code": 0,
        "completion": {"state": "complete", "reason": "", "not_run": []},
    }
    assert sorted(p.name for p in tmp_path.iterdir()) == [".hypothesis", "r"]


def test_a_killed_runs_staging_directory_is_swept_and_a_live_ones_kept(tmp_path):
    from meterconform.results.reportdir import StagedReports

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    (tmp_path / f".r.staging-{dead.stdout.strip()}").mkdir()  # a run killed with SIGKILL left it
    (tmp_path / f".r.staging-{os.getppid()}").mkdir()  # a run still going on
    staged = StagedReports(tmp_path / "r")
    staged.open()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([f".r.staging-{os.getppid()}", staged.path.name])
    assert staged.commit() == tmp_path / "r" and (tmp_path / "r" / MARKER).exists()


def test_no_report_names_the_staging_directory(tmp_path):
    """A run against moto names its built-in profile, never a file inside the staging directory."""
    pytest.importorskip("moto")
    reports = tmp_path / "r"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "meterconform",
            "run",
            "--target",
            "moto",
            "-n",
            "1",
            "--depth",
            "quick",
            "--report-dir",
            str(reports),
            "--",
            "-k",
            "test_each_record_is_answered_by_its_customer",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=_env(),
        timeout=180,
    )
    assert proc.returncode in (0, 1), proc.stdout[-2000:] + proc.stderr[-2000:]
    meta = json.loads((reports / "events.jsonl").read_text().splitlines()[0])["meta"]
    assert meta["profile"] == "<moto target>"  # moto's built-in profile, not a file written beside the reports
    assert sorted(p.name for p in reports.iterdir()) == sorted(THIS_RUN)
    for name in ("events.jsonl", "conformance.json", "conformance.html", "junit.xml"):
        assert ".staging-" not in (reports / name).read_text(), name


def test_an_interrupt_whose_traceback_cannot_be_rendered_still_ends_interrupted(tmp_path):
    """A signal landing where Python keeps no line number makes pytest's rendering of the interrupt raise; the run
    must still end INTERRUPTED (pytest's exit 2), never as an INTERNALERROR."""
    (tmp_path / "conftest.py").write_text(
        "import pytest\n\n"
        "@pytest.hookimpl(tryfirst=True)\n"
        "def pytest_keyboard_interrupt(excinfo):\n"
        "    raise TypeError(\"unsupported operand type(s) for -: 'NoneType' and 'int'\")  # as tb_lineno None does\n"
    )
    (tmp_path / "test_interrupted.py").write_text("def test_ctrl_c():\n    raise KeyboardInterrupt\n")
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "test_interrupted.py", "-p", "meterconform.plugin", "-p", "no:cacheprovider"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=_env(),
        timeout=120,
    )
    assert proc.returncode == pytest.ExitCode.INTERRUPTED, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "INTERNALERROR" not in proc.stdout + proc.stderr
