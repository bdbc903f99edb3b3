"""The terminal summary's failures, grouped by clause: one short block per clause, the full detail in the report."""

from __future__ import annotations

import re

from .check_result import CheckResult, results_of
from .events import GATING

CLAUSES_DETAILED = 4  # clauses shown with their first check's expected, actual and reproduction
CLAUSES_LISTED = 10  # further clauses shown as one line each
REPRODUCTION_CHARS = 400
_SHOWN = GATING | {"NON-STRICT"}
_RANK = {"FAIL": 0, "ERROR": 1, "NON-STRICT": 2}


def _title(cid: str) -> str:
    from ..contract.catalog import CatalogError, load_catalog

    try:
        catalog = load_catalog()
    except CatalogError:
        return ""
    return catalog.get(cid).title if cid in catalog else ""


def _own_failure(result: CheckResult) -> dict:
    """A check's own failure in the shape of an `also_failed` entry."""
    return {
        "clause": result.failed_clause,
        "verdict": result.verdict,
        "expected": result.expected,
        "actual": result.actual,
        "reason": result.reason,
        "reproduction": result.reproduction,
    }


def group_by_clause(events: list[CheckResult | dict]) -> dict[str, list[tuple[CheckResult, dict]]]:
    """Failing checks (FAIL, ERROR, NON-STRICT) per clause they broke, as (check, failure) pairs: the failure is the
    check's own (_own_failure), or its `also_failed` entry for another clause it broke (deep depth). An ERROR
    without a clause counts under its first cited one. The clauses with MUST failures and the most checks first."""
    groups: dict[str, list[tuple[CheckResult, dict]]] = {}
    for ev in results_of(events):
        if ev.verdict not in _SHOWN:
            continue
        others = {f["clause"]: f for f in ev.also_failed or ()}
        for cid in ev.broken_clauses or ev.clauses[:1] or ["(no clause)"]:
            failure = others.get(cid) if cid != ev.failed_clause and cid in others else _own_failure(ev)
            if failure["verdict"] in _SHOWN:
                groups.setdefault(cid, []).append((ev, failure))
    return dict(sorted(groups.items(), key=lambda kv: (min(_RANK[f["verdict"]] for _, f in kv[1]), -len(kv[1]), kv[0])))


def _first_line(text: str | None) -> str:
    return ((text or "").strip().splitlines() or [""])[0]


_REQUEST_LINE = re.compile(r"[A-Z]+ \S+://")  # "POST http://host/": a raw request, not an aws CLI command


def reproduction_line(text: str) -> str:
    """A reproduction in one line: its first line (an aws CLI command), or for a request meterconform sends raw (a
    request line, headers, a blank line, the body) the request line, its X-Amz-Target and its body, which are
    what makes it that request; the signature and date headers are left to the HTML page."""
    head, _, body = (text or "").strip().partition("\n\n")
    lines = head.splitlines()
    if not body or len(lines) < 2 or not _REQUEST_LINE.match(lines[0]):
        return _first_line(text)
    target = next((line for line in lines[1:] if line.lower().startswith("x-amz-target:")), None)
    return "; ".join(part for part in (lines[0], target, "body " + " ".join(body.split())) if part)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + f"… ({len(text)} characters)"


def failure_lines(events: list[CheckResult | dict], report: str = "conformance.html") -> list[str]:
    """The "clauses not met" block: per clause its verdict, id, level, title and number of failing checks; for the
    first few clauses the first failing check with expected, actual and the request that reproduces it."""
    groups = group_by_clause(events)
    if not groups:
        return []
    lines = ["", f"clauses not met: {len(groups)} (full detail: {report})"]
    for number, (cid, evs) in enumerate(groups.items()):
        if number >= CLAUSES_DETAILED + CLAUSES_LISTED:
            lines.append(f"  ... and {len(groups) - number} more clauses — see {report}")
            break
        verdict = min((f["verdict"] for _, f in evs), key=_RANK.__getitem__)
        level = evs[0][0].levels.get(cid) or evs[0][1].get("level") or ("SHOULD" if verdict == "NON-STRICT" else "MUST")
        checks = f"{len(evs)} failing check{'s' if len(evs) != 1 else ''}"
        lines.append(f"  {verdict:<10} {cid} [{level}] {_title(cid)} — {checks}".rstrip())
        if number >= CLAUSES_DETAILED:
            continue
        first, failure = evs[0]
        lines.append(f"    first: {first.nodeid}")
        if failure.get("expected") is not None:
            lines.append(f"    expected: {_clip(str(failure['expected']), 200)}")
            lines.append(f"    actual:   {_clip(str(failure.get('actual')), 200)}")
        else:
            lines.append(f"    {_clip(_first_line(failure.get('reason')), 240)}")
        if failure.get("reproduction"):
            lines.append(f"    reproduce: {_clip(reproduction_line(failure['reproduction']), REPRODUCTION_CHARS)}")
        if len(evs) > 1:
            lines.append(f"    and {len(evs) - 1} more — see {report}")
    return lines
