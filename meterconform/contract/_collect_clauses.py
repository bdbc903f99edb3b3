"""pytest plugin for contract.traceability: writes each collected check's clause ids to $METERCONFORM_CLAUSES_OUT."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

OUT_ENV = "METERCONFORM_CLAUSES_OUT"
_collect_errors: dict[str, str] = {}  # one collection per process (coverage.py runs pytest in a subprocess)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "clause(*ids): the contract clause ids a check verifies")


def pytest_collectreport(report: pytest.CollectReport) -> None:
    if report.failed:
        _collect_errors[report.nodeid or "<session>"] = str(report.longrepr)


def pytest_collection_finish(session: pytest.Session) -> None:
    out = os.environ.get(OUT_ENV)
    if not out:
        return
    checks = {item.nodeid: [cid for mark in item.iter_markers("clause") for cid in mark.args] for item in session.items}
    Path(out).write_text(json.dumps({"checks": checks, "errors": _collect_errors}, indent=1), encoding="utf-8")
