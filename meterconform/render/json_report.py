"""conformance.json: per-check and per-clause verdicts as one JSON document (the plugin's format, plus the baseline)."""

from __future__ import annotations

import json
from pathlib import Path

from ..results.baseline import Applied
from ..results.events import write_outputs
from ..results.gate import Completion, Gate


def write_json(
    events: list[dict], meta: dict, path: Path, applied: Applied | None = None, verdict: Gate | None = None
) -> None:
    """Write conformance.json; with the gate's `verdict`, add it (its words, exit code and the run's completion);
    with a baseline, add which failures it excused and what it says about itself."""
    write_outputs(events, meta, events_path=None, conformance_path=str(path))
    if applied is None and verdict is None:
        return
    doc = json.loads(path.read_text(encoding="utf-8"))
    if verdict is not None:
        doc["verdict"] = {
            "words": verdict.words,
            "exit_code": verdict.exit_code,
            "completion": Completion.of(meta, events).to_meta(),
        }
    if applied is None:
        path.write_text(json.dumps(doc, indent=2, default=str), encoding="utf-8")
        return
    doc["baseline"] = {
        "path": applied.baseline.path,
        "gates": applied.gates,
        "expected": [
            {"nodeid": ev["nodeid"], "verdict": ev["verdict"], "entry": entry.target, "reason": entry.reason}
            for ev, entry in applied.expected
        ],
        "unexpected": [ev["nodeid"] for ev in applied.unexpected],
        "stale": [entry.target for entry in applied.stale],
        "expired": [
            {"entry": entry.target, "expires": entry.expires.isoformat()} for entry in applied.expired if entry.expires
        ],
        "not_run": [entry.target for entry in applied.not_run],
    }
    path.write_text(json.dumps(doc, indent=2, default=str), encoding="utf-8")
