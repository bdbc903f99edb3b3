"""Runs read back for reporting: an events file or a report directory, several merged into one."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import UsageError
from ..results.events import read_events

EVENTS_FILE = "events.jsonl"


class RunError(UsageError):
    """An events file or report directory cannot be read; the message names the path and the fix."""


@dataclass
class Run:
    """The events of one run (or of several merged), with the meta line and where they came from."""

    meta: dict
    events: list[dict]
    sources: list[str] = field(default_factory=list)
    name: str = ""


def events_path(path: str | Path) -> Path:
    """The events file a path names: the file itself, or `<dir>/events.jsonl` for a report directory."""
    p = Path(path)
    if p.is_dir():
        p = p / EVENTS_FILE
        if not p.exists():
            raise RunError(
                f"{path} is a directory without {EVENTS_FILE}; pass a report directory written by "
                "`meterconform run` or an events file"
            )
    elif not p.exists():
        raise RunError(f"{path} does not exist; pass an events file (events.jsonl) or a report directory")
    return p


def default_name(path: str | Path) -> str:
    """A short label for a run: the report directory's name, else the events file's stem."""
    p = Path(path)
    if p.is_dir():
        return p.resolve().name
    return p.resolve().parent.name if p.name == EVENTS_FILE else p.stem


def load_run(path: str | Path, name: str | None = None) -> Run:
    """One run from an events file or a report directory."""
    p = events_path(path)
    try:
        meta, events = read_events(p)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        sibling = p.parent / EVENTS_FILE
        fix = (
            f"pass {sibling} or the report directory {p.parent}"
            if sibling.exists() and sibling != p
            else "pass an events file (events.jsonl) or a report directory"
        )
        raise RunError(f"{p} is not an events file (one JSON object a line: {exc}); {fix}") from None
    for number, event in enumerate(events, start=2 if meta else 1):
        missing = [k for k in ("nodeid", "clauses", "verdict") if k not in event]
        if missing:
            raise RunError(f"{p}: event {number} lacks {', '.join(missing)}; is this a meterconform events file?")
    return Run(meta=meta, events=events, sources=[str(p)], name=name or default_name(path))


def merge_runs(runs: list[Run]) -> Run:
    """One run from several: events keyed by nodeid, a later run's event replacing an earlier one's.

    The meta is the last run's, with `merged_from` listing each source (path, endpoint, start)."""
    if len(runs) == 1:
        return runs[0]
    by_nodeid: dict[str, dict] = {}
    for run in runs:
        for event in run.events:
            by_nodeid.pop(event["nodeid"], None)
            by_nodeid[event["nodeid"]] = event
    meta = dict(runs[-1].meta)
    meta["started"] = min((r.meta.get("started") for r in runs if r.meta.get("started")), default=None)
    meta["merged_from"] = [
        {"source": src, "endpoint": r.meta.get("endpoint"), "started": r.meta.get("started"), "events": len(r.events)}
        for r in runs
        for src in r.sources
    ]
    events = sorted(by_nodeid.values(), key=lambda e: e["nodeid"])
    return Run(meta=meta, events=events, sources=[s for r in runs for s in r.sources], name=runs[-1].name)


def endpoints_differ(runs: list[Run]) -> bool:
    """Whether the runs tested different endpoints (merging them mixes verdicts of different services)."""
    kinds = {(r.meta.get("target") or r.meta.get("kind"), r.meta.get("profile")) for r in runs}
    return len(kinds) > 1


def write_events(run: Run, path: Path) -> None:
    """Write a run back as an events file (the meta line, then one line per event)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        fh.write(json.dumps({"meta": run.meta}, default=str) + "\n")
        for event in run.events:
            fh.write(json.dumps(event, default=str) + "\n")
