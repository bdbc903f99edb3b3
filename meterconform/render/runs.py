"""Runs read back for reporting, under their older names: a loaded run is its RunResults (results.run_results)."""

from __future__ import annotations

from pathlib import Path

from ..results.run_results import EVENTS_FILE, RunError, RunResults, default_name, endpoints_differ, events_path

Run = RunResults  # a loaded run is its RunResults: one concept
load_run = RunResults.load
merge_runs = RunResults.merge

__all__ = [
    "EVENTS_FILE",
    "Run",
    "RunError",
    "default_name",
    "endpoints_differ",
    "events_path",
    "load_run",
    "merge_runs",
    "write_events",
]


def write_events(run: RunResults, path: Path) -> None:
    """Write a run back as an events file (RunResults.write)."""
    run.write(path)
