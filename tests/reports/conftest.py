"""Fixtures for the report self-tests: the fixed events files of data/ (see data/README.md) read as runs."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from pathlib import Path

import pytest

from meterconform.results.run_results import RunResults

DATA = Path(__file__).resolve().parent / "data"
REPO = DATA.parents[2]
HOSTILE = "</pre><script>alert('meterconform')</script><img src=x onerror=alert(1)>&amp;"


@pytest.fixture
def all_verdicts() -> RunResults:
    """Every verdict label, from a run against the reference endpoint with three faults (one event from moto)."""
    return RunResults.load(DATA / "all-verdicts.jsonl")


@pytest.fixture
def faithful() -> RunResults:
    """The smoke suite against the faithful reference endpoint: every check PASS."""
    return RunResults.load(DATA / "faithful.jsonl")


@pytest.fixture
def moto_run() -> RunResults:
    """The smoke suite against moto's server: UNIMPLEMENTED and FAIL."""
    return RunResults.load(DATA / "moto.jsonl")


def event(run: RunResults, name: str) -> dict:
    """The events line of the check whose node id ends with `name`, as a dict (a deep copy, safe to change)."""
    found = [e for e in run.checks if e.nodeid.endswith(name)]
    assert len(found) == 1, f"{name}: {len(found)} events"
    return copy.deepcopy(found[0].to_json())


def cli(*args: str, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    """`meterconform ARGS` in a subprocess, without the caller's METERCONFORM_* settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("METERCONFORM_", "PYTEST_XDIST"))}
    return subprocess.run(
        [sys.executable, "-m", "meterconform", *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=timeout
    )
