"""The one-screen terminal summary: counts per operation and verdict, then the failing clauses."""

from __future__ import annotations

import os
import re
from collections import Counter, defaultdict

from ..contract.operations import area_of_clauses
from .check_result import CheckResult, results_of
from .events import VERDICTS
from .failing import failure_lines
from .gate import Completion, gate
from .run_results import RunResults

# Set by `meterconform run --baseline` around its pytest run: the baseline's verdict follows the summary.
BASELINE_ENV = "METERCONFORM_BASELINE_FOLLOWS"


def operation_of(clauses: list[str]) -> str:
    """The area a check citing these clauses belongs to: the operation of the first clause naming one, else a
    shared area (contract/operations.area_of_clauses)."""
    return area_of_clauses(clauses)


SKIP_REASONS_SHOWN = 6
_TAG = re.compile(r"([A-Z][A-Z ]{3,}):")


def skip_reasons(events: list[CheckResult | dict]) -> list[tuple[str, int]]:
    """Why checks were SKIPPED, most frequent first: a tagged reason ("TOKEN SPENT: ...", "BILLING GUARD: ...")
    counts under its first sentence; any other under its first clause (up to the first ";")."""
    groups: Counter = Counter()
    for ev in results_of(events):
        if ev.verdict != "SKIPPED":
            continue
        text = ((ev.reason or "").splitlines() or [""])[0].removeprefix("SKIPPED: ").strip()
        key = text.split("; ")[0] if _TAG.match(text) or ";" in text else text
        key = key if len(key) <= 160 else key[:157] + "..."
        groups[key] += 1
    return groups.most_common()


def render_summary(
    results: RunResults | list[CheckResult | dict],
    meta: dict | None = None,
    baseline_follows: bool | None = None,
    interrupted: bool = False,
    report: str = "conformance.html",
    collection_errors: int = 0,
    completion: Completion | None = None,
) -> list[str]:
    """The summary lines of a run (its RunResults, or its checks and `meta`): counts per operation, the failing
    clauses (failing.failure_lines), why checks were skipped, the counts and the verdict of the gate before any
    baseline. `report`: where the full detail is. `completion`: how far the run got, when known (else: interrupted
    if `interrupted`, incomplete if the endpoint stopped answering). `collection_errors`: suite modules that could
    not be imported; they count as errors, and the verdict says so."""
    if not isinstance(results, RunResults):
        results = RunResults(meta or {}, results)
    events, meta = results.checks, results.meta
    per_op: dict[str, Counter] = defaultdict(Counter)
    for ev in events:
        per_op[operation_of(ev.clauses)][ev.verdict] += 1
    shown = [v for v in VERDICTS if any(c[v] for c in per_op.values())]
    width = max([len(op) for op in per_op] + [9])
    lines = [
        f"endpoint: {meta.get('endpoint')}  profile: {meta.get('profile')}  depth: {meta.get('depth')}  seed: "
        f"{meta.get('hypothesis_seed')}"
    ]
    if meta.get("faults"):
        lines.append(f"reference endpoint faults: {', '.join(meta['faults'])}")
    if meta.get("readings"):
        lines.append(f"reference endpoint readings: {', '.join(meta['readings'])}")
    held = sum(1 for ev in events if (ev.reason or "").startswith("BILLING GUARD"))
    lines.append(
        f"billing: {meta.get('billing')}"
        + (f" — {held} check(s) that could record usage held back; --allow-billing runs them" if held else "")
    )
    lines.append("operation".ljust(width) + "".join(f"{v:>14}" for v in shown))
    total = Counter()
    for op in sorted(per_op):
        lines.append(op.ljust(width) + "".join(f"{per_op[op][v]:>14}" for v in shown))
        total.update(per_op[op])
    lines.append("total".ljust(width) + "".join(f"{total[v]:>14}" for v in shown))
    lines.extend(failure_lines(events, report))
    reasons = skip_reasons(events)
    if reasons:
        lines.append("")
        lines.append("skipped (no verdict), why:")
        for why, n in reasons[:SKIP_REASONS_SHOWN]:
            lines.append(f"  {n:>4}  {why}")
        if len(reasons) > SKIP_REASONS_SHOWN:
            lines.append(f"  ... and {len(reasons) - SKIP_REASONS_SHOWN} more reasons (see conformance.json)")
    total["ERROR"] += collection_errors
    lines.append("")
    if (stopped := results.stopped) is not None:
        lines.append(f"INCOMPLETE: {stopped[0]} {stopped[1]} checks did not run.")
    lines.append(
        f"checks: {total['PASS']} passed, {total['FAIL']} failed, {total['ERROR']} errors, "
        f"{total['NON-STRICT']} non-strict, {total['INFO']} info, {total['UNIMPLEMENTED']} unimplemented, "
        f"{total['SKIPPED']} skipped"
    )
    # Under `run --baseline` the verdict comes after the baseline is applied; this line is the gate before it.
    if baseline_follows is None:
        baseline_follows = bool(os.environ.get(BASELINE_ENV))
    if completion is None:
        completion = Completion("interrupted" if interrupted else ("incomplete" if stopped is not None else "complete"))
    if completion.state == "uncovered":
        lines.append(f"INCOMPLETE: {completion.reason} Never run:")
        lines.extend(f"  {nodeid}" for nodeid in completion.not_run)
    verdict = gate(events, state=completion, collection_errors=collection_errors)
    lines.append(f"before the baseline: {verdict.words}" if baseline_follows else verdict.line)
    return lines
