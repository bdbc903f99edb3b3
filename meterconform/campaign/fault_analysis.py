"""Fault-injection analysis: run the suites once per reference-endpoint fault and see which clause catches it.

A conformance suite is worth the deviations it catches. Each fault of the reference endpoint is a realistic
way to get the contract wrong; EXPECTED says which clause(s) must turn red for it (the suite's reading,
kept here rather than in the endpoint so the endpoint stays independent of the catalog)."""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ..harness.pytest_command import subprocess_command
from ..results.run_results import RunResults

# fault -> the clause ids any one of which catching it counts as "caught by the expected clause".
EXPECTED: dict[str, set[str]] = {
    "meter-window-7h": {"MU.WINDOW.STALE"},
    "batch-window-7h": {"BMU.WINDOW.STALE"},
    "batch-cap-26": {"BMU.RECORDS.MAX"},
    "new-id-on-retry": {"MU.HOUR.IDEMPOTENT", "MU.CLIENT_TOKEN.REPLAY"},
    "allocation-sum-unchecked": {"ALLOC.SUM"},
    "six-tags-accepted": {"TAG.COUNT.MAX"},
    "duplicate-record-as-success": {"BMU.DEDUP.DUPLICATE_RECORD"},
    "unknown-dimension-wrong-error": {"BMU.DIMENSION.UNKNOWN", "MU.USAGE_DIMENSION.UNKNOWN"},
    "errors-with-200": {"PROTO.STATUS.CLIENT_ERROR", "<any error clause>"},
    "malformed-json-500": {"PROTO.JSON.MALFORMED", "PROTO.HOSTILE.NO_5XX"},
    "partial-batch-on-stale": {"BMU.WINDOW.WHOLE_BATCH"},
    "dryrun-records": {"MU.DRY_RUN.RECORDS_NOTHING"},
    "dimension-case-insensitive": {"MU.USAGE_DIMENSION.UNKNOWN", "BMU.DIMENSION.UNKNOWN"},
    "client-token-ignored": {"MU.CLIENT_TOKEN.CONFLICT"},
    "expired-token-as-invalid": {"RC.TOKEN.EXPIRED"},
    "meter-window-5h": {"MU.WINDOW.RECENT"},
    "batch-window-5h": {"BMU.WINDOW.RECENT"},
    "batch-cap-24": {"BMU.RECORDS.MAX"},
    # A valid allocation refused also fails the generated checks of valid allocations (MeterUsage and batch).
    "five-tags-rejected": {"TAG.COUNT.MAX", "ALLOC.SUM.VALID", "BMU.CUSTOMER.SUBSCRIBED"},
    "tag-key-100-rejected": {"TAG.KEY.LENGTH", "ALLOC.SUM.VALID", "BMU.CUSTOMER.SUBSCRIBED"},
    "allocations-cap-500": {"ALLOC.COUNT.MAX"},
    "client-token-length-unchecked": {"MU.CLIENT_TOKEN.LENGTH"},
    "both-quantities-accepted": {"MU.USAGE_QUANTITY.EXCLUSIVE", "BMU.QUANTITY.EXCLUSIVE"},
    "stale-as-validation-error": {"MU.WINDOW.STALE", "BMU.WINDOW.STALE"},
    "invalid-product-code-as-500": {
        "MU.PRODUCT_CODE.UNKNOWN",
        "BMU.PRODUCT_CODE.UNKNOWN",
        "RU.PRODUCT_CODE.UNKNOWN",
        "PROTO.STATUS.CLIENT_ERROR",
        "PROTO.HOSTILE.NO_5XX",
    },
    "token-replay-ignores-parameters": {"MU.CLIENT_TOKEN.CONFLICT"},
    "token-conflict-ignores-allocations": {"MU.CLIENT_TOKEN.CONFLICT"},
    # Every check resending within an hour meets it: the by-value and default-quantity checks do too.
    "idempotency-by-exact-time": {"MU.HOUR.IDEMPOTENT", "MU.USAGE_QUANTITY.BY_VALUE", "MU.USAGE_QUANTITY.DEFAULT"},
    # Two dimensions' records of one hour answered with one id: the ledger's invariant sees that first.
    "hour-slot-ignores-dimension": {"MU.HOUR.PER_DIMENSION", "OUT.MU.RECORD_ID"},
    # One slot for every instance: each check meters as its own instance, so any MeterUsage check may collide.
    "identity-ignored": {"MU.HOUR.PER_DIMENSION", "<any MeterUsage clause>"},
    # Every MeterUsage concurrency check sends requests into one slot at once, and the race is a matter of timing:
    # whichever check meets it first catches it (--full: all three).
    "race-on-identical-requests": {"MU.HOUR.IDEMPOTENT", "MU.CLIENT_TOKEN.REPLAY", "MU.HOUR.DUPLICATE"},
    # A float sum refuses valid decimal allocations (0.1 + 0.2 = 0.3) and accepts invalid ones near 10^10.
    "decimal-sums-as-float": {"ALLOC.SUM", "ALLOC.SUM.VALID"},
    "decimal-compared-as-float": {"MU.HOUR.DUPLICATE", "BMU.DEDUP.DUPLICATE_RECORD"},
    "quantity-compared-as-text": {"MU.USAGE_QUANTITY.BY_VALUE", "BMU.QUANTITY.BY_VALUE"},
    "tag-range-literal": {
        "TAG.PATTERN.RANGE_CHARACTERS",
        "TAG.KEY.PATTERN",
        "TAG.VALUE.PATTERN",
        "ALLOC.SUM.VALID",
        "BMU.CUSTOMER.SUBSCRIBED",
    },
    "tag-pattern-unchecked": {"TAG.KEY.PATTERN", "TAG.VALUE.PATTERN"},
    "two-untagged-accepted": {"ALLOC.ONE_UNTAGGED"},
    "tag-sets-compared-ordered": {"ALLOC.UNIQUE_TAGS"},
    "unsubscribed-as-success": {"BMU.CUSTOMER.UNSUBSCRIBED", "BMU.CUSTOMER.UNKNOWN"},
    "license-unchecked": {"BMU.LICENSE.INVALID"},
    "batch-echo-missing": {"OUT.BMU.ECHO"},
    "batch-echo-mangled": {"OUT.BMU.ECHO"},
    "unsubscribed-results-dropped": {"OUT.BMU.PARTITION"},
    "wrong-product-code-in-resolve": {"OUT.RC.PRODUCT_CODE"},
    "jwt-payload-missing-nonce": {"OUT.RU.SIGNATURE_PAYLOAD"},
    "unknown-target-200": {"PROTO.TARGET.UNKNOWN"},
    "missing-content-type": {"PROTO.CONTENT_TYPE.RESPONSE"},
    "error-type-header-missing": {"PROTO.ERROR.HEADER"},
    "hang-on-large-body": {"PROTO.TIMEOUT"},
    "empty-body-rejected": {"PROTO.BODY.EMPTY"},
    # The generated requests carry fractional timestamps too: their checks get a SerializationException.
    "fractional-timestamp-rejected": {
        "PROTO.TIMESTAMP.FRACTIONAL",
        "MU.WINDOW.RECENT",
        "MU.WINDOW.STALE",
        "TAG.VALUE.REQUIRED",
        "ALLOC.UNIQUE_TAGS",
    },
    "null-optional-rejected": {"PROTO.NULL.OPTIONAL"},
    # Coerced numbers and strings also meet the wrong-type checks (17 for a Nonce, "1" for a quantity).
    "lenient-json-types": {"PROTO.JSON.WRONG_TYPE", "PROTO.JSON.COERCION"},
    "string-booleans": {"PROTO.JSON.COERCION"},
}

# Every run's endpoint.read_timeout (the default profile's is 30 s): an endpoint that hangs (hang-on-large-body)
# costs the run this long per held request, not half a minute, and a loopback answer never comes near it.
READ_TIMEOUT_SECONDS = 10


# `mutants --readings`: the verdicts that say a permitted behaviour (a reading) was misjudged. A conformant
# endpoint's answer must not be a failure, a broken check, a SHOULD broken, or evidence of a missing operation.
READING_FAILING_VERDICTS = ("FAIL", "ERROR", "NON-STRICT", "UNIMPLEMENTED")


ANY_ERROR_CLAUSE = "<any error clause>"
# "<any MeterUsage clause>": every clause about that operation, for a fault that corrupts all its answers.
ANY_OPERATION_CLAUSE = re.compile(r"<any (\w+) clause>")


def error_clauses() -> set[str]:
    """Clauses whose outcome is an error answer: a fault that breaks every error answer (sending it with
    HTTP 200, say) is rightly caught by any of them."""
    from ..contract.catalog import load_catalog

    out = set()
    for clause in load_catalog():
        kinds = {clause.outcome.kind, *(alt.kind for alt in clause.outcome.alternatives)}
        if kinds & {"error", "client_error"}:
            out.add(clause.id)
    return out


def operation_clauses(operation: str) -> set[str]:
    """Clauses whose operations include `operation` (ValueError naming the operations when there is none)."""
    from ..contract.catalog import load_catalog

    out = {clause.id for clause in load_catalog() if operation in clause.operations}
    if not out:
        raise ValueError(
            f"no clause is about operation {operation!r}; use one of MeterUsage, BatchMeterUsage, "
            "RegisterUsage, ResolveCustomer"
        )
    return out


def expected_for(fault: str) -> set[str]:
    """The clause ids of EXPECTED[fault], markers expanded."""
    wanted = set()
    for entry in EXPECTED.get(fault, set()):
        marker = ANY_OPERATION_CLAUSE.fullmatch(entry)
        if entry == ANY_ERROR_CLAUSE:
            wanted |= error_clauses()
        elif marker:
            wanted |= operation_clauses(marker.group(1))
        else:
            wanted.add(entry)
    return wanted


def _declared(fault: str) -> str:
    """EXPECTED[fault] as the table shows it: clause ids, then markers in words."""
    declared = EXPECTED.get(fault, set())
    markers = sorted(d for d in declared if d.startswith("<"))
    return ", ".join(sorted(set(declared) - set(markers)) + [m.strip("<>") for m in markers])


@dataclass
class MutantResult:
    fault: str
    expected: set[str]
    caught_by: list[str] = field(default_factory=list)  # failed clauses, in order of appearance
    seconds_to_first_failure: float | None = None
    wall_seconds: float = 0.0
    checks: int = 0
    problem: str | None = None  # the run itself broke
    # (check, verdict, broken clauses, reason) of every check whose verdict is in READING_FAILING_VERDICTS
    failed_checks: list[tuple[str, str, list[str], str]] = field(default_factory=list)

    @property
    def caught(self) -> bool:
        return bool(self.caught_by)

    @property
    def caught_as_expected(self) -> bool:
        return bool(self.expected & set(self.caught_by))


def profile_text(read_timeout: float = READ_TIMEOUT_SECONDS) -> str:
    """The embedded default profile with `endpoint.read_timeout` set to `read_timeout` seconds."""
    from ..harness.profile import default_profile_text

    text, count = re.subn(r"(?m)^read_timeout\s*=.*$", f"read_timeout = {read_timeout:g}", default_profile_text())
    if count != 1:
        raise RuntimeError("the default profile must set endpoint.read_timeout exactly once")
    return text


def run_once(
    fault: str | None,
    *,
    suites: Path,
    depth: str = "quick",
    stop_first: bool = True,
    selection: list[str] | None = None,
    timeout: float = 900,
    reading: str | None = None,
) -> MutantResult:
    """One suite run against a fresh embedded reference endpoint with `fault` (or `reading`) on (None: faithful),
    on the default profile with a READ_TIMEOUT_SECONDS read timeout."""
    with tempfile.TemporaryDirectory() as tmp:
        events_path = Path(tmp) / "events.jsonl"
        profile_path = Path(tmp) / "profile.toml"
        profile_path.write_text(profile_text(), encoding="utf-8")
        cmd = subprocess_command(
            suites=suites,
            depth=depth,
            profile=profile_path,
            events=events_path,
            extra=["-q", "--tb=no", "--hypothesis-seed=0", "--no-example-database", *(selection or [])],
        )
        if fault:
            cmd.append(f"--reference-fault={fault}")
        if reading:
            cmd.append(f"--reference-reading={reading}")
        if stop_first and (fault or reading):
            cmd.append("-x")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("METERCONFORM_", "PYTEST_XDIST"))}
        start = time.time()
        result = MutantResult(fault or reading or "(faithful)", expected_for(fault) if fault else set())
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
        except subprocess.TimeoutExpired:
            result.problem = f"timed out after {timeout:g} s"
            result.wall_seconds = time.time() - start
            return result
        result.wall_seconds = time.time() - start
        if not events_path.exists():
            result.problem = f"no events (pytest exit {proc.returncode}): {(proc.stdout + proc.stderr)[-400:]}"
            return result
        run = RunResults.load(events_path)
        meta, events = run.meta, run.checks
        result.checks = len(events)
        result.failed_checks = [
            (r.nodeid, r.verdict, r.broken_clauses, (r.reason or "")[:300])
            for r in events
            if r.verdict in READING_FAILING_VERDICTS
        ]
        failing = sorted(
            (r for r in events if r.verdict in ("FAIL", "NON-STRICT") and r.failed_clause), key=lambda r: r.time or 0
        )
        for r in failing:
            for clause in r.broken_clauses:
                if clause not in result.caught_by:
                    result.caught_by.append(clause)
        if failing:
            result.seconds_to_first_failure = max(0.0, (failing[0].time or start) - float(meta.get("started", start)))
        errors = [r for r in events if r.verdict == "ERROR"]
        if errors:
            result.problem = f"{len(errors)} check(s) broke: {errors[0].nodeid}: {errors[0].reason[:200]}"
        return result


def _faithful_then_each(
    names: list[str], run, *, suites: Path, depth: str, jobs: int, selection: list[str] | None, progress
) -> tuple[MutantResult, list[MutantResult]]:
    """The faithful run (every check), then `run(name)` per name, `jobs` at a time, reporting each to `progress`."""
    faithful = run_once(None, suites=suites, depth=depth, stop_first=False, selection=selection)
    if progress:
        progress(faithful)
    results: list[MutantResult] = []
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        for result in pool.map(run, names):
            results.append(result)
            if progress:
                progress(result)
    return faithful, results


def analyse(
    faults: list[str],
    *,
    suites: Path,
    depth: str = "quick",
    jobs: int = 2,
    stop_first: bool = True,
    selection: list[str] | None = None,
    progress=None,
) -> tuple[MutantResult, list[MutantResult]]:
    """The faithful run, then one run per fault (`jobs` at a time)."""
    return _faithful_then_each(
        faults,
        lambda f: run_once(f, suites=suites, depth=depth, stop_first=stop_first, selection=selection),
        suites=suites,
        depth=depth,
        jobs=jobs,
        selection=selection,
        progress=progress,
    )


def render_table(faithful: MutantResult, results: list[MutantResult]) -> list[str]:
    """The table a README can quote: fault, caught?, by which clause(s), seconds to the first failure."""
    rows = [("fault", "caught?", "by clause(s)", "expected", "first failure")]
    for r in results:
        verdict = "yes" if r.caught_as_expected else ("OTHER CLAUSE" if r.caught else "NO (survived)")
        if r.problem and not r.caught:
            verdict = "BROKEN RUN"
        first = f"{r.seconds_to_first_failure:.1f} s" if r.seconds_to_first_failure is not None else "-"
        expected = _declared(r.fault)
        rows.append((r.fault, verdict, ", ".join(r.caught_by[:3]) or "-", expected or "(none declared)", first))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = ["| " + " | ".join(row[i].ljust(widths[i]) for i in range(5)) + " |" for row in rows]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    caught = sum(1 for r in results if r.caught_as_expected)
    fails = [e for e in faithful.caught_by]
    lines.append("")
    lines.append(
        f"faithful endpoint: {faithful.checks} checks, {len(fails)} failing clause(s)"
        + (f": {', '.join(fails)}" if fails else "")
        + (f"; {faithful.problem}" if faithful.problem else "")
    )
    lines.append(
        f"caught by the expected clause: {caught}/{len(results)} faults ({100 * caught / max(len(results), 1):.0f} %)"
    )
    return lines


def analyse_readings(
    readings: list[str],
    *,
    suites: Path,
    depth: str = "quick",
    jobs: int = 2,
    selection: list[str] | None = None,
    progress=None,
) -> tuple[MutantResult, list[MutantResult]]:
    """The faithful run, then one full run per reading (`jobs` at a time): each must have no failing check."""
    return _faithful_then_each(
        readings,
        lambda r: run_once(None, reading=r, suites=suites, depth=depth, stop_first=False, selection=selection),
        suites=suites,
        depth=depth,
        jobs=jobs,
        selection=selection,
        progress=progress,
    )


def reading_passed(result: MutantResult) -> bool:
    """A reading passes when its run finished and no check failed, broke, broke a SHOULD or was unimplemented."""
    return not result.failed_checks and not result.problem and result.checks > 0


def _failing_summary(result: MutantResult) -> str:
    """'N checks: CLAUSE x count, ...' (a verdict stands in for a check that broke no clause), or the problem."""
    if not result.failed_checks:
        return (result.problem or "-").splitlines()[0]
    counts: dict[str, int] = {}
    for _, verdict, clauses, _ in result.failed_checks:
        for clause in clauses or [verdict]:
            counts[clause] = counts.get(clause, 0) + 1
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    shown = ", ".join(f"{c} x{n}" for c, n in ranked[:6]) + (f", +{len(ranked) - 6} more" if len(ranked) > 6 else "")
    return f"{len(result.failed_checks)} checks: {shown}"


def render_readings_table(faithful: MutantResult, results: list[MutantResult]) -> list[str]:
    """The table reading -> PASS/FAIL, with how many checks fail each failing reading and by which clauses."""
    rows = [("reading", "verdict", "checks", "failing checks: clauses (x checks)")]
    for r in results:
        verdict = "PASS" if reading_passed(r) else ("BROKEN RUN" if r.problem and not r.failed_checks else "FAIL")
        rows.append((r.fault, verdict, str(r.checks), _failing_summary(r)))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = ["| " + " | ".join(row[i].ljust(widths[i]) for i in range(4)) + " |" for row in rows]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    passed = sum(1 for r in results if reading_passed(r))
    lines.append("")
    faithful_failing = [node for node, *_ in faithful.failed_checks]
    lines.append(
        f"faithful endpoint: {faithful.checks} checks, {len(faithful_failing)} failing"
        + (f": {', '.join(faithful_failing)}" if faithful_failing else "")
        + (f"; {faithful.problem}" if faithful.problem else "")
    )
    lines.append(f"readings accepted by the suite: {passed}/{len(results)}")
    return lines


def render_reading_failures(results: list[MutantResult], per_reading: int = 8) -> list[str]:
    """Per failing reading, its failing checks (verdict, clauses, the reason's first line), `per_reading` at most."""
    lines: list[str] = []
    for r in results:
        if not r.failed_checks:
            continue
        lines.append(f"{r.fault}: {len(r.failed_checks)} failing check(s)")
        for node, verdict, clauses, reason in r.failed_checks[:per_reading]:
            first = next((line.strip() for line in reason.splitlines() if line.strip()), "")
            lines.append(f"  {verdict} {node} [{', '.join(clauses) or '-'}]" + (f": {first[:160]}" if first else ""))
        if len(r.failed_checks) > per_reading:
            lines.append(f"  ... and {len(r.failed_checks) - per_reading} more")
    return lines
