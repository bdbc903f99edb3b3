"""A suite module that cannot be imported is never followed by a CONFORMANT verdict, in plain pytest or `run`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.suites.runner import REPO

CHECK = "suites/test_smoke.py::test_meter_usage_accepts_a_valid_record"
BROKEN = """import pytest
from meterconform.strategies.no_such_module import anything


@pytest.mark.clause("MU.PRODUCT.REQUIRED")
def test_never_collected(metering):
    pass
"""
VERDICT = "verdict: ERROR: 1 suite module could not be collected (see the errors above; their checks did not run)"
COUNTS = "checks: {passed} passed, 0 failed, 1 errors, 0 non-strict, 0 info, 0 unimplemented, 0 skipped"


@pytest.fixture
def broken(tmp_path) -> Path:
    path = tmp_path / "test_broken_suite.py"
    path.write_text(BROKEN)
    return path


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("METERCONFORM_", "PYTEST_XDIST"))}


def _verdict(stdout: str) -> list[str]:
    return [line for line in stdout.splitlines() if line.startswith(("verdict: ", "checks: "))]


def test_plain_pytest_says_error_when_a_module_cannot_be_collected(broken):
    """Under xdist the checks that could be collected still run: their passes once gave "CONFORMANT" and exit 0."""
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            CHECK,
            str(broken),
            "-n",
            "1",
            "-q",
            "-p",
            "no:cacheprovider",
            "--depth",
            "quick",
            "--no-example-database",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        env=_env(),
    )
    assert "No module named 'meterconform.strategies.no_such_module'" in proc.stdout
    assert _verdict(proc.stdout) == [COUNTS.format(passed=1), VERDICT], proc.stdout[-3000:]
    assert proc.returncode == 1


def test_run_fails_naming_the_modules_that_could_not_be_collected(broken, tmp_path):
    """`meterconform run` once called this an interruption (exit 130)."""
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "meterconform",
            "run",
            "--depth",
            "quick",
            "--report-dir",
            str(tmp_path / "reports"),
            "--",
            str(broken),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env=_env(),
    )
    assert _verdict(proc.stdout) == [COUNTS.format(passed=0), VERDICT], proc.stdout[-3000:]
    assert proc.stderr.splitlines()[-1] == (
        f"meterconform: 1 suite module could not be collected ({broken}; the errors are above): their checks did not "
        f"run, so there is no verdict on the endpoint and {tmp_path / 'reports'} was left as it was. A broken install? "
        "See docs/install.md"
    )
    assert proc.returncode == 1
    assert not (tmp_path / "reports").exists()  # no staging directory left either
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != ".hypothesis") == [broken.name]
    assert not (tmp_path / "reports" / "conformance.json").exists()
