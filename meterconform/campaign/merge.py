"""Folding a campaign's rounds into one run: counts add up, a failure found in any round stays."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable

from ..results.check_result import CheckResult, results_of
from ..results.events import NOT_RUN


def merge(into: dict[str, CheckResult], results: Iterable[CheckResult | dict]) -> None:
    """Fold one round's results in (keyed by node id): counts add up, and a failure found in any round stays."""
    for new in results_of(results):
        old = into.get(new.nodeid)
        if old is None:
            into[new.nodeid] = new
            continue
        keep = old if old.verdict in ("FAIL", "ERROR") or new.verdict == "SKIPPED" else new
        merged = dataclasses.replace(keep)
        merged.examples = int(old.examples or 0) + int(new.examples or 0)
        merged.exchanges = int(old.exchanges or 0) + int(new.exchanges or 0)
        merged.outcomes = dict(Counter(old.outcomes or {}) + Counter(new.outcomes or {}))
        targets = dict(old.targets or {})
        for label, score in (new.targets or {}).items():
            targets[label] = max(score, targets.get(label, score))
        merged.targets = targets
        if old.judged is not None or new.judged is not None:
            judged = {cid: dict(row) for cid, row in (old.judged or {}).items()}
            for cid, row in (new.judged or {}).items():
                mine = judged.setdefault(cid, {"examples": 0, "requests": 0, "outcomes": {}})
                judged[cid] = {
                    "examples": int(mine.get("examples") or 0) + int(row.get("examples") or 0),
                    "requests": int(mine.get("requests") or 0) + int(row.get("requests") or 0),
                    "outcomes": dict(Counter(mine.get("outcomes") or {}) + Counter(row.get("outcomes") or {})),
                }
            merged.judged = judged
        if old.known_failures or new.known_failures:
            merged.known_failures = sorted(set(old.known_failures or ()) | set(new.known_failures or ()))
        if also := _also_failed(merged, old, new):
            merged.also_failed = also
        into[new.nodeid] = merged


def _also_failed(merged: CheckResult, *results: CheckResult) -> list[dict]:
    """Every clause the rounds found a check breaking besides the merged result's own failed clause, once each
    (the first round's evidence kept): a failure another round found on another clause is not dropped."""
    found: dict[str, dict] = {}
    for r in results:
        if r.failed_clause and r.verdict in ("FAIL", "NON-STRICT"):
            found.setdefault(
                r.failed_clause,
                {
                    "clause": r.failed_clause,
                    "level": r.level_of(r.failed_clause, "MUST"),
                    "verdict": r.verdict,
                    "expected": r.expected,
                    "actual": r.actual,
                    "reason": r.reason,
                    "reproduction": r.reproduction,
                    "falsifying_example": r.falsifying_example,
                },
            )
        for other in r.also_failed or ():
            found.setdefault(other["clause"], other)
    found.pop(merged.failed_clause, None)
    return list(found.values())


def known_failures(merged: dict[str, CheckResult]) -> dict[str, list[str]]:
    """Per check, the clauses the campaign has found it breaking so far (its failed clause and the others)."""
    return {
        nodeid: sorted(r.broken_clauses)
        for nodeid, r in merged.items()
        if r.verdict in ("FAIL", "NON-STRICT") and r.broken_clauses
    }


def spent(results: Iterable[CheckResult | dict]) -> list[CheckResult]:
    """The results of checks that ran (not those skipped because the budget was spent before their turn, or
    because the endpoint had stopped answering)."""
    return [r for r in results_of(results) if not (r.reason or "").startswith(("FUZZ BUDGET", NOT_RUN))]
