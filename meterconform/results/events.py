"""Event lines: a finished check built into its CheckResult, events.jsonl written and read, per-clause verdicts."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..harness.failures import ConformanceFailure
from ..transport.clients import Exchange
from .check_result import CheckResult, results_of
from .redact import redact_headers, redact_text, redact_value

NOT_RUN = "NOT RUN: "  # the reason of a check skipped because the endpoint had stopped answering
VERDICTS = ("FAIL", "ERROR", "NON-STRICT", "PASS", "INFO", "UNIMPLEMENTED", "SKIPPED")
GATING = {"FAIL", "ERROR"}
_KEEP_HEADERS = ("content-type", "x-amzn-errortype", "x-amzn-requestid", "content-length")


def _catalog():
    """The catalog, or None when schemas/clauses.toml does not load (CatalogError; any other error raises)."""
    from ..contract.catalog import CatalogError, load_catalog

    try:
        return load_catalog()
    except CatalogError:
        return None


def _level(clause_id: str) -> str:
    """A clause's level from the catalog; MUST for an id it does not know, or when it does not load."""
    catalog = _catalog()
    return catalog.get(clause_id).level if catalog is not None and clause_id in catalog else "MUST"


def _first_failure(exc: BaseException | None) -> BaseException | None:
    if isinstance(exc, BaseExceptionGroup):
        for inner in exc.exceptions:
            found = _first_failure(inner)
            if isinstance(found, AssertionError):
                return found
        return exc.exceptions[0] if exc.exceptions else exc
    return exc


LEVEL_RANK = {"MUST": 0, "SHOULD": 1, "INFO": 2}


def failures_in(exc: BaseException | None) -> list[ConformanceFailure]:
    """Every ConformanceFailure in `exc`, one per clause, the MUST ones first. At the deep depth Hypothesis
    goes on after a check's first failure and raises an exception group holding one failure per distinct bug
    (a clause is a bug of its own: failures.failure_class)."""
    found: list[ConformanceFailure] = []

    def walk(e: BaseException) -> None:
        if isinstance(e, BaseExceptionGroup):
            for inner in e.exceptions:
                walk(inner)
        elif isinstance(e, ConformanceFailure) and all(f.clause_id != e.clause_id for f in found):
            found.append(e)

    if exc is not None:
        walk(exc)
    return sorted(found, key=lambda f: LEVEL_RANK.get(f.level, 0))


def _verdict_of(failure: ConformanceFailure) -> str:
    return {"SHOULD": "NON-STRICT", "INFO": "INFO"}.get(failure.level, "FAIL")


def _falsifying(*excs: BaseException | None) -> str:
    notes = [n for e in excs if e is not None for n in getattr(e, "__notes__", ()) or ()]
    return "\n".join(
        n
        for n in notes
        if isinstance(n, str) and ("Falsifying" in n or n.startswith(("Draw ", "state.", "You can reproduce")))
    )


REQUEST_LIMIT = 4000  # characters of a passing check's request kept in the events (a failing check keeps it whole)


def _cut_request(text: str, limit: int) -> str:
    """A request cut at `limit` characters, with a marker stating its original size."""
    return (
        f"{text[:limit]}… [cut: {len(text):,} characters in all; "
        "the evidence of a failing check keeps the whole request]"
    )


def exchange_record(ex: Exchange, limit: int = 4000, request_limit: int | None = REQUEST_LIMIT) -> dict[str, Any]:
    """An exchange as JSON, redacted; the response body is cut at `limit` bytes and, unless `request_limit` is None
    (a failing check's evidence, which must reproduce), the request at `request_limit` characters."""
    if isinstance(ex.request, (bytes, bytearray)):
        req: Any = redact_text(ex.request[:limit].decode("utf-8", "backslashreplace"))
    else:
        req = redact_value(ex.request)
        if request_limit is not None:
            text = json.dumps(req, default=str)
            if len(text) > request_limit:
                req = _cut_request(text, request_limit)
    body = redact_text(ex.body[:limit].decode("utf-8", "backslashreplace"))
    return {
        "via": ex.via,
        "operation": ex.operation,
        "method": ex.method,
        "url": ex.url,
        "request": req,
        "request_headers": redact_headers(ex.request_headers),
        "status": ex.status,
        "headers": {k: ex.headers[k] for k in _KEEP_HEADERS if k in ex.headers},
        "body": body,
        "body_truncated": len(ex.body) > limit,
        "elapsed_ms": round(ex.elapsed * 1000, 2),
        "transport_error": ex.transport_error,
        "error_code": ex.error_code,
        "sdk_error_code": ex.sdk_error_code,
        # the transient answers the same request got before this one (each was sent again), oldest first
        "transient": [
            {"summary": redact_text(t.answer_summary(short=True)), "elapsed_ms": round(t.elapsed * 1000, 2)}
            for t in getattr(ex, "transient", None) or []
        ],
        "read_timeout": getattr(ex, "read_timeout", None),
        "timeout_shortened": getattr(ex, "timeout_shortened", None),
    }


def transient_line(ex: dict) -> str:
    """ "after N transient answers: HTTP 400 ThrottlingException, ..." for an exchange record, or ""."""
    answers = [t.get("summary", "?") for t in ex.get("transient") or []]
    if not answers:
        return ""
    return f"after {len(answers)} transient answer{'s' if len(answers) != 1 else ''}: {', '.join(answers)}"


def transient_lines(result: CheckResult) -> list[str]:
    """One line per exchange of a check's evidence that came after transient answers (it was resent)."""
    lines = []
    for ex in result.evidence:
        line = transient_line(ex)
        if line:
            lines.append(
                f"{ex.get('operation') or ex.get('method', '')} → "
                + (
                    f"HTTP {ex['status']}"
                    if ex.get("status") is not None
                    else f"no response ({ex.get('transport_error')})"
                )
                + f" {line}"
            )
    return lines


def build_event(
    item, report, clauses: list[str], exc: BaseException | None, metering, *, examples: int | None = None
) -> CheckResult:
    """The result of one finished check: verdict label, clause, evidence, reproduction. `examples`: how many
    Hypothesis ran (a property check); None for a plain check, which ran its one example if it passed."""
    failures = failures_in(exc)
    exc = failures[0] if failures else _first_failure(exc)
    levels = {cid: _level(cid) for cid in clauses}
    result = CheckResult(
        nodeid=item.nodeid,
        verdict="ERROR",
        check=getattr(item, "originalname", item.name),
        clauses=clauses,
        levels=levels,
        outcome=report.outcome,
        when=report.when,
        duration=round(report.duration, 4),
        observations=list(getattr(metering, "observations", []) or []),
        # A passing check's large requests (1 MB bodies, 2500 allocations) are cut; a failing one's are kept whole.
        evidence=[
            exchange_record(e, request_limit=None if report.outcome == "failed" else REQUEST_LIMIT)
            for e in (getattr(metering, "evidence", []) or [])[-3:]
        ],
        exchanges=getattr(metering, "exchanges", 0),
        examples=examples if examples is not None else 1 if report.outcome == "passed" else 0,
        outcomes=dict(getattr(metering, "outcomes", {}) or {}),
        targets=dict(getattr(metering, "targets", {}) or {}),
        judged=metering.judged_summary() if hasattr(metering, "judged_summary") else None,
        time=time.time(),
    )
    known = sorted(getattr(metering, "known_failures", None) or ())
    if known:  # a campaign round that looked past the failures earlier rounds found
        result.known_failures = known
        result.known_hits = dict(getattr(metering, "known_hits", {}) or {})
    if report.outcome == "passed":
        result.verdict = "INFO" if clauses and all(levels[c] == "INFO" for c in clauses) else "PASS"
    elif report.outcome == "skipped":
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr or "")
        reason = re.sub(r"^(Skipped: )?(meterconform\.[\w.]+: )?", "", reason)
        result.reason = reason
        result.verdict = "UNIMPLEMENTED" if reason.startswith("UNIMPLEMENTED") else "SKIPPED"
    elif known and result.known_hits and type(exc).__name__ == "Unsatisfiable":
        hits = ", ".join(f"{cid} x{n}" for cid, n in sorted(result.known_hits.items()))
        result.verdict = "SKIPPED"
        result.reason = (
            f"KNOWN FAILURE: every example this round ran into a failure an earlier round of the campaign "
            f"found ({hits}); nothing else to look at here"
        )
    elif isinstance(exc, ConformanceFailure):
        result.failed_clause, result.expected, result.actual = exc.clause_id, exc.expected, redact_text(exc.actual)
        result.reason, result.reproduction = redact_text(exc.render()), redact_text(exc.reproduction) or None
        result.verdict = _verdict_of(exc)
        if len(failures) > 1:  # the other clauses this check found broken (deep depth), each with its own evidence
            result.also_failed = [
                {
                    "clause": f.clause_id,
                    "level": f.level,
                    "verdict": _verdict_of(f),
                    "expected": f.expected,
                    "actual": redact_text(f.actual),
                    "reason": redact_text(f.render()),
                    "reproduction": redact_text(f.reproduction) or None,
                    "falsifying_example": redact_text(_falsifying(f, f.__cause__)[:4000]) or None,
                }
                for f in failures[1:]
            ]
    elif isinstance(exc, AssertionError) and report.when == "call":
        result.verdict = "FAIL"
        result.reason = redact_text(str(exc))[:4000]
        last = (getattr(metering, "evidence", None) or [None])[-1]
        if last is not None and metering is not None:
            result.reproduction = redact_text(metering.reproduction(last))
    else:
        result.verdict = "ERROR"
        result.reason = redact_text(f"{type(exc).__name__}: {exc}" if exc else str(report.longrepr))[:4000]
    falsifying = _falsifying(exc, getattr(exc, "__cause__", None))
    if falsifying:
        result.falsifying_example = redact_text(falsifying[:4000])
    _cut_reproduced_requests(result)
    return result


def _cut_reproduced_requests(result: CheckResult) -> None:
    """A failing check's large request that its reproduction already holds whole is cut in the evidence: the
    reproduction (a command that sends it) is the one complete copy."""
    reproduction = result.reproduction or ""
    for ex in result.evidence:
        if isinstance(ex["request"], (dict, list)):
            text = json.dumps(ex["request"], separators=(",", ":"), default=str)
            if len(text) > REQUEST_LIMIT and text in reproduction:
                ex["request"] = (
                    f"{text[:REQUEST_LIMIT]}… [cut: {len(text):,} characters in all; the whole request is in "
                    "this check's reproduction]"
                )


def broken_clauses(result: CheckResult | dict) -> list[str]:
    """The clauses a check found broken: the one it failed on, then the others (`also_failed`, deep depth)."""
    return CheckResult.of(result).broken_clauses


def also_failed_text(result: CheckResult) -> str:
    """The other broken clauses' failures, as text to follow the first one's (JUnit, Allure)."""
    return "".join(
        f"\n\nand {o['verdict']} on {o['clause']} too:\n{o.get('reason') or ''}" for o in result.also_failed or ()
    )


def was_judged(result: CheckResult | dict, cid: str) -> bool:
    """Whether the check's verdict helpers judged clause `cid` in at least one example (True for events
    written before they recorded it)."""
    return CheckResult.of(result).was_judged(cid)


def clause_verdicts(results: Iterable[CheckResult | dict]) -> dict[str, dict[str, Any]]:
    """Per clause: the worst verdict of the checks citing it, and which checks they were."""
    rank = {v: i for i, v in enumerate(VERDICTS)}
    out: dict[str, dict[str, Any]] = {}
    for ev in results_of(results):
        cited = list(ev.clauses)
        also = {f["clause"]: f["verdict"] for f in ev.also_failed or ()}
        for failed in [ev.failed_clause, *also]:
            if failed and failed not in cited:
                cited.append(failed)  # a check may fail on a clause it does not cite (a timeout, the schema)
        for cid in cited:
            verdict = ev.verdict
            if cid in also:
                verdict = also[cid]  # another clause the check found broken
            elif verdict in ("FAIL", "NON-STRICT") and ev.failed_clause not in (None, cid):
                # The check failed on another of its clauses: it passed this one if it judged it before it stopped
                # (events written before `judged` existed: assumed so); otherwise it says nothing about it.
                verdict = "PASS" if ev.was_judged(cid) else "SKIPPED"
            elif verdict == "PASS" and not ev.was_judged(cid):
                # Passed without ever judging this clause (its case never came up: say, the endpoint accepted
                # every hostile body, so no refusal's status was there to judge): no verdict from this check.
                verdict = "SKIPPED"
            entry = out.setdefault(
                cid, {"verdict": "SKIPPED", "checks": [], "level": ev.levels.get(cid) or _level(cid)}
            )
            entry["checks"].append({"nodeid": ev.nodeid, "verdict": verdict})
            if rank[verdict] < rank[entry["verdict"]]:
                entry["verdict"] = verdict
    return out


def clause_results(results: Iterable[CheckResult | dict]) -> dict[str, dict]:
    """clause_verdicts, plus the clauses checks failed on without citing them (a check citing MU.X that fails
    OUT.MU.SCHEMA on the way): such a failure counts against the clause it names, not nowhere."""
    results = results_of(results)
    out = clause_verdicts(results)
    rank = {v: i for i, v in enumerate(VERDICTS)}
    for ev in results:
        failed = ev.failed_clause
        if not failed or failed in ev.clauses or ev.verdict not in rank:
            continue
        level = ev.levels.get(failed, "MUST")
        entry = out.setdefault(failed, {"verdict": ev.verdict, "checks": [], "level": level})
        entry["checks"].append({"nodeid": ev.nodeid, "verdict": ev.verdict})
        if rank[ev.verdict] < rank[entry["verdict"]]:
            entry["verdict"] = ev.verdict
    return out


def gating(results: Iterable[CheckResult | dict]) -> list[CheckResult]:
    """The checks that fail the run (FAIL and ERROR)."""
    return [e for e in results_of(results) if e.verdict in GATING]


def write_events(path: str | Path, meta: dict, results: Iterable[CheckResult | dict]) -> None:
    """Write events.jsonl: a meta line, then one CheckResult.to_json line per check, by node id. The one writer
    of events files (the plugin, `meterconform report`, the campaign and finish_run all come here)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        fh.write(json.dumps({"meta": meta}, default=str) + "\n")
        for result in sorted(results_of(results), key=lambda r: r.nodeid):
            fh.write(json.dumps(result.to_json(), default=str) + "\n")


def read_events(path: str | Path) -> tuple[dict, list[dict]]:
    """Read an events file back: (meta, one dict per check line). RunResults.load reads them as CheckResults."""
    meta: dict = {}
    events: list[dict] = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        obj = json.loads(line)
        if "meta" in obj and len(obj) == 1:
            meta = obj["meta"]
        else:
            events.append(obj)
    return meta, events


def endpoint_stopped(results: Iterable[CheckResult | dict]) -> tuple[str, int] | None:
    """When the endpoint stopped answering mid-run: why and during which check (the first such reason), and how
    many checks were not run because of it; else None."""
    not_run = [r for r in results_of(results) if (r.reason or "").startswith(NOT_RUN)]
    return (not_run[0].reason[len(NOT_RUN) :], len(not_run)) if not_run else None
