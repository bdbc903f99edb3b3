"""Run the suites in a subprocess against the reference endpoint (faults on or off) and read the events."""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

from meterconform.harness.pytest_command import subprocess_command
from meterconform.results.events import read_events

REPO = Path(__file__).resolve().parents[2]


def run_suites(
    *selection: str,
    faults: tuple[str, ...] | list[str] = (),
    depth: str = "quick",
    extra: tuple[str, ...] | list[str] = (),
    timeout: float = 300,
) -> list[dict]:
    """Events of `pytest <selection>` (paths under suites/, node ids, or -k expressions in `extra`)
    against a fresh embedded reference endpoint with `faults` switched on."""
    with tempfile.TemporaryDirectory() as tmp:
        events_path = Path(tmp) / "events.jsonl"
        cmd = subprocess_command(
            suites=REPO / "suites",
            selection=selection or (),
            depth=depth,
            events=events_path,
            extra=[
                "-q",
                "--tb=no",
                "--hypothesis-seed=0",
                "--no-example-database",
                *[f"--reference-fault={f}" for f in faults],
                *extra,
            ],
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith(("METERCONFORM_", "PYTEST_XDIST"))}
        proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=timeout, env=env)
        if not events_path.exists():
            raise AssertionError(
                f"the suite run wrote no events (exit {proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
            )
        return read_events(events_path)[1]


def failed_clauses(events: list[dict]) -> set[str]:
    """The clauses named by FAIL / NON-STRICT verdicts."""
    return {e["failed_clause"] for e in events if e["verdict"] in ("FAIL", "NON-STRICT") and e.get("failed_clause")}


def verdicts(events: list[dict]) -> dict[str, str]:
    return {e["nodeid"]: e["verdict"] for e in events}


def errors(events: list[dict]) -> list[str]:
    """Checks whose verdict is ERROR (the suite itself broke), with their reasons."""
    return [f"{e['nodeid']}: {e['reason'][:500]}" for e in events if e["verdict"] == "ERROR"]
