"""Self-test session set-up: the CLI and pytest subprocesses the self-tests start share one bytecode cache."""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest

_PREFIX = pytest.StashKey[str]()


def pytest_configure(config: pytest.Config) -> None:
    """With PYTHONDONTWRITEBYTECODE set, every one of the self-tests' many subprocesses (each a whole `pytest
    suites` or `meterconform` run) compiled meterconform and the suites from source and rewrote their asserts
    again, about 0.6 s each. Instead they, and the xdist workers started after this, share a bytecode cache in a
    temporary directory (PYTHONPYCACHEPREFIX), so the checkout still gets no __pycache__ written into it."""
    if (
        hasattr(config, "workerinput")
        or not os.environ.get("PYTHONDONTWRITEBYTECODE")
        or os.environ.get("PYTHONPYCACHEPREFIX")
    ):
        return
    prefix = tempfile.mkdtemp(prefix="meterconform-selftests-pyc-")
    config.stash[_PREFIX] = prefix
    del os.environ["PYTHONDONTWRITEBYTECODE"]
    os.environ["PYTHONPYCACHEPREFIX"] = prefix


def pytest_unconfigure(config: pytest.Config) -> None:
    prefix = config.stash.get(_PREFIX, None)
    if prefix is not None:
        os.environ.pop("PYTHONPYCACHEPREFIX", None)
        os.environ["PYTHONDONTWRITEBYTECODE"] = "1"
        shutil.rmtree(prefix, ignore_errors=True)
