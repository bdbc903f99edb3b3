"""Clause x outcome coverage: how many examples exercised each clause and which outcomes were seen."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from .check_result import CheckResult, results_of

# Verdicts of a check that raised: Hypothesis stopped generating there (and a campaign's later rounds replay
# that failure first), so whatever else the check would have tried was never tried.
STOPPING_VERDICTS = ("FAIL", "NON-STRICT", "ERROR")


def expected_labels(clause) -> list[str]:
    """The outcome labels (as checks.outcome_labels writes them) that show a clause's rule was hit:
    its documented errors, or its per-record status. Empty when the outcome is a property."""
    outcome = clause.outcome
    outcomes = [outcome, *getattr(outcome, "alternatives", ())]
    labels: list[str] = []
    for o in outcomes:
        if o.kind == "error":
            labels += [f" {name}" for name in o.errors]
        elif o.kind == "record_status" and isinstance(o.status, str):
            labels.append(f"record:{o.status}")
    return labels


def clause_coverage(events: Iterable[CheckResult | dict]) -> dict[str, dict]:
    """Per clause: checks, examples and requests that exercised it, the outcomes seen, and whether the
    clause's own documented outcome was ever produced (`hit`: True, False, or None when it has none)."""
    from ..contract.catalog import CatalogError, load_catalog

    try:
        catalog = load_catalog()
    except CatalogError:  # a report without the catalog still counts
        catalog = None
    table: dict[str, dict] = {}
    for ev in results_of(events):
        judged = ev.judged  # per clause, what judged it; None in events written before it existed
        for cid in ev.clauses:
            row = table.setdefault(
                cid,
                {
                    "checks": 0,
                    "examples": 0,
                    "requests": 0,
                    "outcomes": Counter(),
                    "stopped_by": Counter(),
                    "failed_checks": 0,
                },
            )
            row["checks"] += 1
            if ev.verdict in STOPPING_VERDICTS:
                if cid in ev.broken_clauses:
                    row["failed_checks"] += 1
                elif not ev.known_failures:  # (later rounds that set found failures aside looked on)
                    # Hypothesis ends a check at its first failure: the rules it had yet to try stay untried
                    row["stopped_by"][ev.failed_clause or ev.verdict] += 1
            if judged is None:  # the check's totals, for each clause it cites
                own = {"examples": ev.examples, "requests": ev.exchanges, "outcomes": ev.outcomes}
            else:  # a clause the check cites but never judged (its mutation never drawn, say) gets nothing
                own = judged.get(cid) or {}
            row["examples"] += int(own.get("examples") or 0)
            row["requests"] += int(own.get("requests") or 0)
            row["outcomes"].update(own.get("outcomes") or {})
    for cid, row in table.items():
        wanted = []
        if catalog is not None and cid in catalog:
            wanted = expected_labels(catalog.get(cid))
        row["expected"] = wanted
        row["hit"] = None if not wanted else any(w in label for w in wanted for label in row["outcomes"])
    return table


def missed_reason(row: dict) -> str:
    """Why a clause never produced its documented outcome: the endpoint never gave it (the clause failed), every
    check exercising it stopped at a failure on another clause, no example drew its case, or none reached its edge."""
    expected = " or ".join(w.strip() for w in row["expected"])
    if row.get("failed_checks"):
        return f"expected {expected}; the endpoint never gave it: {row['failed_checks']} check(s) failed on this clause"
    stopped = row.get("stopped_by") or Counter()
    if row["checks"] and sum(stopped.values()) >= row["checks"]:
        where = ", ".join(sorted(stopped))
        return (
            f"expected {expected}; {'no example tried it: ' if not row['examples'] else ''}every check exercising it "
            f"stopped at its first failure, on {where} (Hypothesis ends a check there; a campaign's later rounds set "
            "the "
            f"failures found aside and try the rest)"
        )
    if not row["examples"]:
        return f"expected {expected}; no example tried it (the checks never drew this case)"
    return f"expected {expected}; the examples did not reach the rule's edge"


def limit_reach(events: Iterable[CheckResult | dict]) -> dict[str, dict]:
    """Per target label (strategies.targets): the best score any check reached (0 at the limit, -n when n
    away from it) and the check that reached it. Empty unless the target phase ran (the deep depth)."""
    best: dict[str, dict] = {}
    for ev in results_of(events):
        for label, score in (ev.targets or {}).items():
            if label not in best or score > best[label]["best"]:
                best[label] = {"best": score, "check": ev.nodeid}
    return dict(sorted(best.items()))


def reach_text(score: float) -> str:
    """ "at the limit", or how far from it the closest example stayed."""
    return "at the limit" if score >= 0 else f"{-score:.3g} away"


def render_coverage(
    events: Iterable[CheckResult | dict], limit: int | None = None, table: dict[str, dict] | None = None
) -> list[str]:
    """Terminal lines: one per clause, busiest first; clauses whose documented outcome never happened
    are listed last with a warning. `table`: clause_coverage(events), when the caller has it already."""
    events = results_of(events)
    table = clause_coverage(events) if table is None else table
    rows = sorted(table.items(), key=lambda kv: (-kv[1]["examples"], kv[0]))
    width = max([len(c) for c in table] + [6])
    lines = [f"{'clause'.ljust(width)} {'examples':>9} {'requests':>9}  outcomes seen"]
    for cid, row in rows[:limit]:
        seen = ", ".join(f"{label} ×{n}" for label, n in row["outcomes"].most_common(4))
        more = f" (+{len(row['outcomes']) - 4} more)" if len(row["outcomes"]) > 4 else ""
        lines.append(f"{cid.ljust(width)} {row['examples']:>9} {row['requests']:>9}  {seen}{more}")
    if limit is not None and len(rows) > limit:
        lines.append(f"... {len(rows) - limit} more clauses")
    reach = limit_reach(events)
    if reach:
        lines.append("")
        lines.append("closest approach to each limit the target phase aims at (0 = at the limit):")
        width = max(len(label) for label in reach)
        for label, row in reach.items():
            lines.append(f"  {label.ljust(width)}  {reach_text(row['best']):<14} {row['check'].split('::')[-1]}")
    missed = [(cid, row) for cid, row in rows if row["hit"] is False]
    if missed:
        lines.append("")
        lines.append("never produced their documented outcome:")
        for cid, row in missed:
            lines.append(f"  {cid}: {missed_reason(row)}")
    return lines
