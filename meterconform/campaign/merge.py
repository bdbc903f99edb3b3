"""Folding a campaign's rounds into one run: counts add up, a failure found in any round stays."""

from __future__ import annotations

from collections import Counter

from ..results.events import NOT_RUN, broken_clauses


def merge(into: dict[str, dict], events: list[dict]) -> None:
    """Fold one round's events in: counts add up, and a failure found in any round stays."""
    for ev in events:
        old = into.get(ev["nodeid"])
        if old is None:
            into[ev["nodeid"]] = ev
            continue
        keep = old if old["verdict"] in ("FAIL", "ERROR") or ev["verdict"] == "SKIPPED" else ev
        merged = dict(keep)
        merged["examples"] = int(old.get("examples") or 0) + int(ev.get("examples") or 0)
        merged["exchanges"] = int(old.get("exchanges") or 0) + int(ev.get("exchanges") or 0)
        merged["outcomes"] = dict(Counter(old.get("outcomes") or {}) + Counter(ev.get("outcomes") or {}))
        targets = dict(old.get("targets") or {})
        for label, score in (ev.get("targets") or {}).items():
            targets[label] = max(score, targets.get(label, score))
        merged["targets"] = targets
        if old.get("judged") is not None or ev.get("judged") is not None:
            judged = {cid: dict(row) for cid, row in (old.get("judged") or {}).items()}
            for cid, row in (ev.get("judged") or {}).items():
                mine = judged.setdefault(cid, {"examples": 0, "requests": 0, "outcomes": {}})
                judged[cid] = {
                    "examples": int(mine.get("examples") or 0) + int(row.get("examples") or 0),
                    "requests": int(mine.get("requests") or 0) + int(row.get("requests") or 0),
                    "outcomes": dict(Counter(mine.get("outcomes") or {}) + Counter(row.get("outcomes") or {})),
                }
            merged["judged"] = judged
        if old.get("known_failures") or ev.get("known_failures"):
            merged["known_failures"] = sorted(
                set(old.get("known_failures") or ()) | set(ev.get("known_failures") or ())
            )
        also = _also_failed(merged, old, ev)
        if also:
            merged["also_failed"] = also
        into[ev["nodeid"]] = merged


def _also_failed(merged: dict, *events: dict) -> list[dict]:
    """Every clause the rounds found a check breaking besides the merged event's own failed clause, once each
    (the first round's evidence kept): a failure another round found on another clause is not dropped."""
    found: dict[str, dict] = {}
    for ev in events:
        if ev.get("failed_clause") and ev["verdict"] in ("FAIL", "NON-STRICT"):
            found.setdefault(
                ev["failed_clause"],
                {
                    "clause": ev["failed_clause"],
                    "level": (ev.get("levels") or {}).get(ev["failed_clause"], "MUST"),
                    "verdict": ev["verdict"],
                    "expected": ev.get("expected"),
                    "actual": ev.get("actual"),
                    "reason": ev.get("reason"),
                    "reproduction": ev.get("reproduction"),
                    "falsifying_example": ev.get("falsifying_example"),
                },
            )
        for other in ev.get("also_failed") or ():
            found.setdefault(other["clause"], other)
    found.pop(merged.get("failed_clause"), None)
    return list(found.values())


def known_failures(merged: dict[str, dict]) -> dict[str, list[str]]:
    """Per check, the clauses the campaign has found it breaking so far (its failed clause and the others)."""
    return {
        nodeid: sorted(broken_clauses(ev))
        for nodeid, ev in merged.items()
        if ev["verdict"] in ("FAIL", "NON-STRICT") and broken_clauses(ev)
    }


def spent(events) -> list[dict]:
    """The events of checks that ran (not those skipped because the budget was spent before their turn, or
    because the endpoint had stopped answering)."""
    return [e for e in events if not e.get("reason", "").startswith(("FUZZ BUDGET", NOT_RUN))]
