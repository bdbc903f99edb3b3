"""Plain pytest after a plain (non-editable) install: from the checkout and from outside it, on a real wheel."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from tests.suites.runner import REPO

SELECTION = ["suites/test_register_usage.py", "suites/test_resolve_customer.py"]
UNBUILT = (".git", ".venv", "build", "*.egg-info", ".hypothesis", ".ruff_cache", "reports", "__pycache__")


@pytest.fixture(scope="module")
def wheel_venv(tmp_path_factory) -> Path:
    """A venv holding this checkout built as a wheel (no editable finder), reusing this venv's dependencies
    through a .pth line (a path line: this venv's own .pth files, the editable install among them, stay off)."""
    tmp = tmp_path_factory.mktemp("install")
    # Built from a copy: setuptools builds in the source tree (build/), where two xdist workers building at once
    # collide, and the checkout stays as it was.
    source = tmp / "source"
    shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(*UNBUILT))
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp / "dist"), str(source)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    site = Path(
        subprocess.run(
            [str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    deps = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site / "_meterconform_selftest_deps.pth").write_text("\n".join(sorted(deps)) + "\n")
    wheel = next((tmp / "dist").glob("meterconform-*.whl"))
    installed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(venv / "bin" / "python"),
            "install",
            "-q",
            "--no-deps",
            "--no-index",
            str(wheel),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert installed.returncode == 0, installed.stdout[-3000:] + installed.stderr[-3000:]
    return venv


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
