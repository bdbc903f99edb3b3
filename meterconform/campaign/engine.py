"""The fuzzing campaign: rounds of the property checks on N processes until the budget is spent, then the
reports of all of them merged. `meterconform fuzz` parses the options and calls `run_campaign`."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from contextlib import ExitStack
from pathlib import Path

from ..errors import ExitCode, UsageError
from ..harness.target_options import load_target, start_target, target_env
from ..results.check_result import CheckResult
from ..results.events import endpoint_stopped
from ..results.gate import Completion
from ..results.reportdir import StagedReports
from .merge import known_failures, merge, spent
from .rounds import Round, Rounds, _Abandoned, _StopRequests, property_checks

INTERRUPT_GRACE_SECONDS = 30  # after Ctrl-C, how long the running rounds get to write their events
MIN_ROUND_SECONDS = 5  # after the cover round, one that would start with less budget left would mostly start up
PROGRESS_SECONDS = 15  # between two progress lines while rounds run


def run_campaign(args: argparse.Namespace) -> int:
    """`meterconform fuzz`: check the options, start the target, run the campaign, write the reports; the exit code."""
    profile, named = load_target(args)
    staged = StagedReports(args.report_dir)
    staged.check()
    extra = [a for a in (args.pytest_args or []) if a != "--"] if args.pytest_args else []
    with ExitStack() as stack:
        url = start_target(stack, profile, named, args)
        work = staged.open()
        stack.callback(lambda: None if staged.committed or staged.kept else staged.discard())
        return _campaign(args, profile, named, url, staged, work, extra)


def _campaign(
    args: argparse.Namespace, profile, named: str | None, url: str, staged, work: Path, extra: list[str]
) -> int:
    """The campaign's rounds against `url`, then its reports (written into `work`, swapped into place)."""
    from ..render import finish_run
    from ..results.outcome_coverage import render_coverage
    from ..results.run_results import RunResults

    (work / "rounds").mkdir()
    env = {**os.environ, "METERCONFORM_TARGET": target_env(args, named)}
    if profile.endpoint.rate_per_second and not env.get("METERCONFORM_RATE_FILE"):
        env["METERCONFORM_RATE_FILE"] = str(work / ".rate-limit")  # one rate for all the workers
    checks = property_checks(url, args.profile, extra, env)
    start = time.time()  # the budget is the rounds': starting the target and collecting the checks come before it
    deadline = start + args.duration
    if not checks:
        raise UsageError(
            "no property check matches the selection (pytest -m hypothesis"
            + (f" {' '.join(extra)}" if extra else "")
            + "); nothing to fuzz"
        )
    print(
        f"meterconform fuzz: {args.duration:g} s on {args.workers} process(es) against {url}, "
        f"{len(checks)} property checks"
        + (f" (faults: {', '.join(args.fault)})" if args.fault else "")
        + (f"; database {args.database}" if args.database else "; local example database"),
        flush=True,
    )
    merged: dict[str, CheckResult] = {}
    meta: dict = {}
    rounds = Rounds(args, url, work, deadline, extra, env)
    for worker in range(1, args.workers + 1):
        rounds.start(worker)
    stop = _StopRequests()
    last_progress = time.time()
    gone: str | None = None  # the endpoint stopped answering: why (the campaign stops and reports)
    with stop:
        while rounds.running:
            time.sleep(0.1)
            if stop.requested and not stop.handled:
                stop.handled = True
                print(
                    f"\nmeterconform fuzz: interrupted; the running rounds stop and their finished checks go into "
                    f"the reports (up to {INTERRUPT_GRACE_SECONDS} s; Ctrl-C again to abandon them)",
                    flush=True,
                )
                try:
                    ended = list(rounds.interrupt_all(INTERRUPT_GRACE_SECONDS, abandon=lambda: stop.count > 1))
                except _Abandoned:
                    rounds.stop_all()
                    staged.kept = True
                    print(
                        "meterconform fuzz: abandoned; no reports written, and "
                        f"{staged.final} was left as it was (the rounds' own files are in {work / 'rounds'})",
                        file=sys.stderr,
                    )
                    return ExitCode.INTERRUPTED
            else:
                ended = list(rounds.finished())
            for worker, finished in ended:
                if gone is None and (gone := _endpoint_gone(finished)) is not None:
                    # No round can go on: keep what every round finished, then report it.
                    ended += list(rounds.interrupt_all(INTERRUPT_GRACE_SECONDS, abandon=lambda: False))
                if finished.events is None:
                    if stop.requested or gone is not None:
                        continue
                    rounds.stop_all()
                    staged.kept = True
                    print(
                        f"meterconform fuzz: {finished.name} wrote no events; see {finished.log_path}", file=sys.stderr
                    )
                    return ExitCode.FAILED
                meta = finished.meta
                merge(merged, spent(finished.events))
                rounds.known = known_failures(merged)
                print(
                    _progress(
                        rounds.live(merged), time.time() - start, args.duration, f"{finished.name} done", len(checks)
                    ),
                    flush=True,
                )
                last_progress = time.time()
                if not stop.requested and gone is None and time.time() < deadline - MIN_ROUND_SECONDS:
                    rounds.start(worker)
            if rounds.running and not stop.requested and time.time() - last_progress >= PROGRESS_SECONDS:
                live = rounds.live(merged)  # first: it reads the running rounds' feeds
                running = ", ".join(f"{r.name} ({len(r.done)} checks done)" for r in rounds.running.values())
                print(
                    _progress(live, time.time() - start, args.duration, f"running: {running}", len(checks)), flush=True
                )
                last_progress = time.time()
    round_no = rounds.count
    never = tuple(c for c in checks if c not in merged)
    if stop.requested:
        completion = Completion("interrupted", "stopped by Ctrl-C or SIGTERM")
    elif gone is not None:
        completion = Completion("incomplete", gone)
    elif never:
        completion = Completion(
            "uncovered",
            f"the {args.duration:g} s budget ended before every property check had run once "
            f"({len(checks) - len(never)} of {len(checks)} ran).",
            never,
        )
    else:
        completion = Completion()
    if gone is not None and not merged:
        print(f"meterconform fuzz: {gone} No check finished; no reports written.", file=sys.stderr)
        return ExitCode.UNREACHABLE
    meta = {
        **meta,
        "campaign": {
            "duration": args.duration,
            "rounds": round_no,
            "workers": args.workers,
            "database": args.database,
            "elapsed": time.time() - start,
            "interrupted": completion.state == "interrupted",
            "property_checks": len(checks),
        },
    }
    if not meta.get("endpoint"):
        meta["endpoint"] = url
    run = RunResults(meta, sorted(merged.values(), key=lambda r: r.nodeid))
    print()
    print("clause x outcome coverage")
    coverage = run.coverage
    for line in render_coverage(run.checks, limit=40, table=coverage):
        print("  " + line)
    (work / "coverage.json").write_text(
        json.dumps({cid: {**row, "outcomes": dict(row["outcomes"])} for cid, row in coverage.items()}, indent=2)
    )
    from ..results.summary import render_summary

    print()
    print("campaign summary" + ("" if completion.complete else f" ({completion.state})"))
    for line in render_summary(
        run.checks,
        run.meta,
        report=str(staged.final / "conformance.html"),
        baseline_follows=bool(args.baseline),
        completion=completion,
    ):
        print(line)
    # events.jsonl is written there, once, with the completion; the gate's words match the exit code
    code = finish_run(args, work, work / "events.jsonl", completion, staged.final, run=run)
    staged.commit()
    if gone is not None:
        print(
            f"meterconform fuzz: {gone} The campaign stopped after {round_no} round(s); what they found is in the "
            "reports.",
            file=sys.stderr,
        )
        return ExitCode.UNREACHABLE
    if completion.state == "interrupted":  # what ran is in the reports; a campaign cut short is never a clean verdict
        print("meterconform fuzz: interrupted; the reports hold the checks that finished", file=sys.stderr)
        return ExitCode.INTERRUPTED
    if completion.state == "uncovered":
        print(
            f"meterconform fuzz: {completion.reason} The {len(never)} checks never run are listed above and in the "
            "reports; give the campaign a longer --duration, or fewer checks (-- -k ...).",
            file=sys.stderr,
        )
    return code


def _endpoint_gone(finished: Round) -> str | None:
    """Why the endpoint stopped answering, when this round found it gone: mid-round (its checks after that one
    were not run), or at its start (the reachability probe ended it with exit 3)."""
    if (stopped := endpoint_stopped(finished.events or ())) is not None:
        return stopped[0]
    if finished.events is None and finished.proc.returncode == ExitCode.UNREACHABLE:  # also pytest's INTERNAL_ERROR:
        lines = [
            line
            for line in finished.log_path.read_text(errors="replace").splitlines()  # the probe's own line
            if line.startswith("Exit: meterconform: ")
        ]
        if lines:
            return f"the endpoint stopped answering between rounds: {lines[0].split('meterconform: ', 1)[1]}"
    return None


def _progress(results: dict[str, CheckResult], elapsed: float, duration: float, what: str, checks: int = 0) -> str:
    """One progress line: the clock, examples so far and their rate, checks run of all (until all ran), clauses
    reached, failing checks."""
    from ..results.outcome_coverage import clause_coverage

    examples = sum(int(r.examples or 0) for r in results.values())
    reached = sum(1 for row in clause_coverage(results.values()).values() if row["examples"])
    failures = sum(1 for r in results.values() if r.verdict in ("FAIL", "ERROR"))
    covered = f"{len(results)} of {checks} checks run, " if checks and len(results) < checks else ""
    return (
        f"[{_clock(elapsed)}/{_clock(duration)}] {examples:,} examples ({examples / max(elapsed, 1e-9):,.0f}/s), "
        f"{covered}{reached} clauses reached, {failures} failing checks; {what}"
    )


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    return (
        f"{seconds // 60:02d}:{seconds % 60:02d}"
        if seconds < 3600
        else f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    )
