"""Plain pytest after a plain (non-editable) install: from the checkout and from outside it, on a real wheel."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from scripts.wheel_venv import BuildError
from scripts.wheel_venv import wheel_venv as build_wheel_venv
from tests.suites.runner import REPO

SELECTION = ["suites/test_register_usage.py", "suites/test_resolve_customer.py"]


@pytest.fixture(scope="module")
def wheel_venv(tmp_path_factory) -> Path:
    """A venv holding this checkout built as a wheel (scripts/wheel_venv.py)."""
    try:
        return build_wheel_venv(tmp_path_factory.mktemp("install"))
    except BuildError as exc:
        pytest.fail(str(exc))


def _pytest(venv: Path, args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("METERCONFORM_", "PYTEST_XDIST", "PYTHONPATH"))}
    return subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-m",
            "pytest",
            *args,
            "-q",
            "-p",
            "no:cacheprovider",
            "--depth",
            "quick",
            "--hypothesis-seed=0",
        ],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )


def _verdict(proc: subprocess.CompletedProcess) -> str:
    lines = [line for line in proc.stdout.splitlines() if line.startswith("verdict: ")]
    assert lines, proc.stdout[-3000:] + proc.stderr[-3000:]
    return lines[-1]


def test_plain_pytest_on_a_wheel_install_in_the_checkout_and_outside_it(wheel_venv, tmp_path):
    """In the checkout, its meterconform/ comes first on sys.path and once shadowed the installed package without
    its suites and strategies: every suite module failed on "No module named 'meterconform.strategies'". Now the
    checkout's whole tree is used. Outside a checkout the documented way runs the installed suites."""
    proc = _pytest(wheel_venv, SELECTION, REPO)
    assert "No module named" not in proc.stdout, proc.stdout[-3000:]
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert _verdict(proc) == "verdict: CONFORMANT"
    where = subprocess.run(
        [
            str(wheel_venv / "bin" / "python"),
            "-c",
            "import meterconform.strategies as s, meterconform.suites as t; print(s.__file__); print(t.__file__)",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert where.stdout.splitlines() == [str(REPO / "strategies" / "__init__.py"), str(REPO / "suites" / "__init__.py")]

    modules = [f"meterconform.suites.{Path(p).stem}" for p in SELECTION]
    outside = _pytest(wheel_venv, ["--pyargs", *modules, "-p", "meterconform.plugin"], tmp_path)
    assert outside.returncode == 0, outside.stdout[-3000:] + outside.stderr[-3000:]
    assert _verdict(outside) == "verdict: CONFORMANT"


def test_meterconform_run_on_a_wheel_install_prints_no_pytest_warning(wheel_venv, tmp_path):
    """The pytest11 entry point (the seller fixtures) makes pytest mark the whole distribution for assertion
    rewriting; `meterconform run` has imported the package by then, which printed a PytestAssertRewriteWarning
    into every run's output."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("METERCONFORM_", "PYTEST_XDIST", "PYTHONPATH"))}
    proc = subprocess.run(
        [
            str(wheel_venv / "bin" / "python"),
            "-m",
            "meterconform",
            "run",
            "--depth",
            "quick",
            "--no-html",
            "--",
            "-k",
            "smoke",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "Warning" not in proc.stdout + proc.stderr, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert proc.stdout.splitlines()[-2] == "verdict: CONFORMANT"
