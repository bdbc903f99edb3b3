"""`meterconform fuzz`: a fuzzing campaign — the property checks under the deep settings, round after round,
until a time budget is spent, on N processes, sharing what they find through an example database."""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from ..results.events import NOT_RUN, broken_clauses, endpoint_stopped
from ..results.gate import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_UNREACHABLE, EXIT_USAGE, Completion
from .run import _moto_profile_path, load_target, start_target, suites_dir, target_env, target_option

EPILOG = """\
A campaign covers before it digs: its first round runs every Hypothesis-driven check (pytest -m hypothesis) once
with a few examples, the workers sharing them out; if the budget ends before that, the verdict is INCOMPLETE and
names the checks never run. Every later round runs every check at the `deep` depth, unseeded (Hypothesis
uses the example database only when no seed is fixed); rounds repeat until --duration is spent. --workers N
starts N independent processes, each running rounds of every check with its own random examples, its own
share of the batch keys, and its own first check; they share what they find through the example database
(./.hypothesis, or --database). With --database redis://host:port/db the processes and machines share every
interesting example (and, against a named endpoint, the ledger that keeps their batch keys apart), and a later
`meterconform run --database <same URL>` replays stored failures first.
A check reports every clause it finds broken, and each round after the first sets aside the failures found so
far (they stay stored) to look for the others: one broken rule does not hide the rest of its check.
Progress is a line every 15 s and one per finished round; the end writes the same reports as `run` plus the
clause x outcome coverage table (examples and outcomes summed over every round of every worker). Ctrl-C (or
SIGTERM) stops the running rounds and still writes the reports of what they finished; a second Ctrl-C abandons
them. If the endpoint stops answering, the campaign stops too and reports what its rounds found. The reports
directory is written aside and swapped in whole, as for `run`.

exit codes: as for `run` (0 passed, 1 a check failed, 2 usage or profile error, 3 the endpoint cannot be reached
or stopped answering), 4 when the budget ended before every property check had run once and none failed (the
verdict line says INCOMPLETE and the checks never run are named), and 130 when interrupted (INTERRUPTED).

examples:
  meterconform fuzz --duration 10m --workers 2
  meterconform fuzz --duration 1h --database redis://127.0.0.1:6379/0 --profile my-endpoint.toml
"""


INTERRUPT_GRACE_SECONDS = 30  # after Ctrl-C, how long the running rounds get to write their events
ROUND_GRACE_SECONDS = 120  # a round still running this long after the deadline is stopped
MIN_ROUND_SECONDS = 10  # after the first round, one that would start with less budget left would only skip checks
PROGRESS_SECONDS = 15  # between two progress lines while rounds run
COVER_EXAMPLES = 20  # examples per check in the cover round: enough to meet a plain deviation, cheap enough to reach every check


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: give a whole number of processes, 1 or more")
    return int(text)


def parse_duration(text: str) -> float:
    """Seconds from "90", "90s", "10m", "1h30m"."""
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return float(text)
    parts = re.findall(r"(\d+(?:\.\d+)?)([hms])", text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise argparse.ArgumentTypeError(f"--duration {text!r}: use seconds or a form like 90s, 10m, 1h30m")
    return sum(float(n) * {"h": 3600, "m": 60, "s": 1}[u] for n, u in parts)


def register(subparsers) -> None:
    p = subparsers.add_parser("fuzz", help="run a time-boxed fuzzing campaign of the property checks",
                              description=__doc__.split(":", 1)[1].strip(), epilog=EPILOG,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--duration", type=parse_duration, default=parse_duration("10m"), metavar="TIME",
                   help="the time budget: 90s, 10m, 1h (default 10m)")
    p.add_argument("--workers", "-n", type=_positive, default=1, metavar="N", help="independent worker processes, each running every check with its own examples (default 1)")
    p.add_argument("--database", metavar="URL", help="shared example database: redis://host:port/db or a directory")
    p.add_argument("--profile", metavar="PATH", help="target profile TOML (default: the embedded reference endpoint)")
    p.add_argument("--endpoint-url", metavar="URL", help="endpoint URL; overrides the profile's endpoint.url")
    target_option(p)
    p.add_argument("--fault", metavar="NAME", action="append", default=[], help="embedded endpoint only: switch on a deviation")
    p.add_argument("--reading", metavar="NAME", action="append", default=[],
                   help="embedded endpoint only: switch on a permitted behaviour (repeatable; `meterconform serve --list-readings`)")
    p.add_argument("--report-dir", metavar="DIR", default="reports", help="where the reports go (default ./reports)")
    p.add_argument("--max-examples", type=int, default=None, metavar="N",
                   help="examples per check per round (default: the deep depth's)")
    p.add_argument("--baseline", metavar="TOML", help="expectations baseline, as for `run`")
    p.add_argument("--allure", action="store_true", help="also write Allure results")
    p.add_argument("--no-html", action="store_true", help="skip conformance.html")
    p.add_argument("pytest_args", nargs=argparse.REMAINDER, help="after --: extra pytest arguments (-k ...)")


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
                judged[cid] = {"examples": int(mine.get("examples") or 0) + int(row.get("examples") or 0),
                               "requests": int(mine.get("requests") or 0) + int(row.get("requests") or 0),
                               "outcomes": dict(Counter(mine.get("outcomes") or {}) + Counter(row.get("outcomes") or {}))}
            merged["judged"] = judged
        if old.get("known_failures") or ev.get("known_failures"):
            merged["known_failures"] = sorted(set(old.get("known_failures") or ()) | set(ev.get("known_failures") or ()))
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
            found.setdefault(ev["failed_clause"], {
                "clause": ev["failed_clause"], "level": (ev.get("levels") or {}).get(ev["failed_clause"], "MUST"),
                "verdict": ev["verdict"], "expected": ev.get("expected"), "actual": ev.get("actual"), "reason": ev.get("reason"),
                "reproduction": ev.get("reproduction"), "falsifying_example": ev.get("falsifying_example")})
        for other in ev.get("also_failed") or ():
            found.setdefault(other["clause"], other)
    found.pop(merged.get("failed_clause"), None)
    return list(found.values())


def round_command(url: str, events_path: Path, *, deadline: float, worker: int = 1, workers: int = 1,
                  profile: str | None = None, database: str | None = None, max_examples: int | None = None,
                  progress_path: Path | None = None, known_path: Path | None = None, extra: list[str] | tuple = (),
                  cover: bool = False) -> list[str]:
    """The pytest command of one round of worker `worker` (of `workers`): every Hypothesis-driven check at the
    deep depth, unseeded, stopping at `deadline`. Workers are independent processes, not pytest-xdist: each
    runs every check (its own random examples, its own share of the batch keys, starting at another check),
    so none waits for another's slowest check and a round costs no xdist controller. A `cover` round runs only
    this worker's share of the checks, with at most COVER_EXAMPLES examples each."""
    cmd = [sys.executable, "-m", "pytest", str(suites_dir()), "-p", "meterconform.plugin", "-c", os.devnull,
           "--rootdir", str(suites_dir().parent), "-p", "no:cacheprovider", "-q", "--tb=no", "-m", "hypothesis",
           "--endpoint-url", url, "--depth", "deep", "--events", str(events_path), "--fuzz-deadline", str(deadline)]
    if workers > 1:
        cmd += ["--fuzz-worker", f"{worker}/{workers}"]
    if progress_path:  # the live feed: one event line per check as it ends
        cmd += ["--fuzz-progress", str(progress_path)]
    if profile:
        cmd += ["--profile", profile]
    if database:
        cmd += ["--database", database, "--database-writable"]
    if cover:
        cmd += ["--fuzz-cover"]
        max_examples = min(max_examples or COVER_EXAMPLES, COVER_EXAMPLES)
    if max_examples:
        cmd += ["--max-examples", str(max_examples)]
    if known_path:  # the failures earlier rounds found: look past them for the others
        cmd += ["--fuzz-known", str(known_path)]
    return cmd + list(extra)


def property_checks(url: str, profile: str | None, extra: list[str], env: dict) -> list[str]:
    """The node ids of the property checks a round runs (pytest -m hypothesis, with the campaign's selection)."""
    cmd = [sys.executable, "-m", "pytest", str(suites_dir()), "-p", "meterconform.plugin", "-c", os.devnull,
           "--rootdir", str(suites_dir().parent), "-p", "no:cacheprovider", "-q", "--co", "-m", "hypothesis",
           "--endpoint-url", url] + (["--profile", profile] if profile else []) + list(extra)
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    return [line.strip() for line in proc.stdout.splitlines() if "::" in line and not line.startswith(" ")]


def known_failures(merged: dict[str, dict]) -> dict[str, list[str]]:
    """Per check, the clauses the campaign has found it breaking so far (its failed clause and the others)."""
    return {nodeid: sorted(broken_clauses(ev)) for nodeid, ev in merged.items()
            if ev["verdict"] in ("FAIL", "NON-STRICT") and broken_clauses(ev)}


class _Abandoned(Exception):
    """A second Ctrl-C while the rounds were stopping."""


class _StopRequests:
    """While active, Ctrl-C (SIGINT) or SIGTERM (a CI job cancelled) asks the campaign to stop instead of raising
    KeyboardInterrupt wherever the main loop happens to be; `count` says how many times it was asked."""

    def __init__(self):
        self.count, self.handled, self._previous = 0, False, None

    @property
    def requested(self) -> bool:
        return self.count > 0

    def _handle(self, signum, frame) -> None:
        self.count += 1

    def __enter__(self):
        self._previous = (signal.signal(signal.SIGINT, self._handle), signal.signal(signal.SIGTERM, self._handle))
        return self

    def __exit__(self, *exc) -> None:
        signal.signal(signal.SIGINT, self._previous[0])
        signal.signal(signal.SIGTERM, self._previous[1])


@dataclass
class Round:
    name: str
    proc: subprocess.Popen
    events_path: Path
    log_path: Path
    log: Any
    progress_path: Path
    meta: dict = field(default_factory=dict)
    events: list[dict] | None = None
    done: dict[str, dict] = field(default_factory=dict)  # the checks ended so far, from the live feed
    _read: int = 0

    def poll_progress(self) -> dict[str, dict]:
        """The events of the checks this round has ended so far (read on from where the last call stopped)."""
        try:
            with self.progress_path.open("rb") as feed:
                feed.seek(self._read)
                chunk = feed.read()
        except FileNotFoundError:
            return self.done
        complete = chunk[:chunk.rfind(b"\n") + 1]  # a line still being written waits for the next call
        self._read += len(complete)
        for line in complete.decode("utf-8").splitlines():
            event = json.loads(line)
            self.done[event["nodeid"]] = event
        return self.done


class Rounds:
    """The campaign's worker processes: each worker runs one round at a time, and starts its next when told."""

    def __init__(self, args: argparse.Namespace, url: str, report_dir: Path, deadline: float, extra: list[str], env: dict):
        self.args, self.url, self.dir, self.deadline, self.extra, self.env = args, url, report_dir / "rounds", deadline, extra, env
        self.running: dict[int, Round] = {}
        self.per_worker: Counter = Counter()
        self.known: dict[str, list[str]] = {}  # per check, the clauses found broken (known_failures)

    @property
    def count(self) -> int:
        return sum(self.per_worker.values())

    def start(self, worker: int) -> None:
        cover = self.per_worker[worker] == 0  # each worker's first round is its share of the cover round
        self.per_worker[worker] += 1
        n = self.per_worker[worker]
        stem = f"round-{n}" if self.args.workers == 1 else f"worker-{worker}-round-{n}"
        name = f"round {n}" if self.args.workers == 1 else f"worker {worker} round {n}"
        events_path, log_path = self.dir / f"{stem}.jsonl", self.dir / f"{stem}.log"
        progress_path = self.dir / f"{stem}.progress.jsonl"
        known_path = None
        if self.known:  # what the rounds so far found, as this round starts
            known_path = self.dir / f"{stem}.known.json"
            known_path.write_text(json.dumps(self.known, indent=1))
        cmd = round_command(self.url, events_path, deadline=self.deadline, worker=worker, workers=self.args.workers,
                            profile=self.args.profile, database=self.args.database, max_examples=self.args.max_examples,
                            progress_path=progress_path, known_path=known_path, extra=self.extra, cover=cover)
        log = log_path.open("w")
        # In a session of its own: Ctrl-C in the terminal reaches only the campaign, which passes exactly one
        # SIGINT on (a second one would cut pytest short while it writes the events).
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=self.env, start_new_session=True)
        self.running[worker] = Round(name, proc, events_path, log_path, log, progress_path)

    def finished(self):
        """(worker, Round) for every round that ended since the last call (a round far past the deadline is
        stopped and counts as ended)."""
        for worker, r in list(self.running.items()):
            if r.proc.poll() is None:
                if time.time() < self.deadline + ROUND_GRACE_SECONDS:
                    continue
                r.proc.kill()
                r.proc.wait()
                print(f"{r.name}: did not finish in time (see {r.log_path})", flush=True)
            yield worker, self._ended(worker)

    def _ended(self, worker: int) -> Round:
        """Take a round that has ended off the running ones, with the events it wrote (None if it wrote none)."""
        from ..results.events import read_events

        r = self.running.pop(worker)
        r.log.close()
        if r.events_path.exists():
            r.meta, r.events = read_events(r.events_path)
        return r

    def live(self, merged: dict[str, dict]) -> dict[str, dict]:
        """`merged` (the ended rounds) with the checks the running rounds have ended so far."""
        live = dict(merged)  # merge() replaces entries, never changes them: a shallow copy will do
        for r in self.running.values():
            merge(live, _spent(r.poll_progress().values()))
        return live

    def interrupt_all(self, grace: float, abandon: Callable[[], bool]):
        """Ctrl-C: SIGINT to every running round (pytest then reports the checks it finished), wait up to `grace`
        seconds, kill what is left; (worker, Round) for each, as finished() gives them. _Abandoned as soon as
        `abandon()` says so (a second Ctrl-C)."""
        for r in self.running.values():
            if r.proc.poll() is None:
                r.proc.send_signal(signal.SIGINT)
        until = time.time() + grace
        for worker, r in list(self.running.items()):
            while r.proc.poll() is None and time.time() < until:
                if abandon():
                    raise _Abandoned
                time.sleep(0.05)
            if r.proc.poll() is None:
                r.proc.kill()
                r.proc.wait()
            yield worker, self._ended(worker)

    def stop_all(self) -> None:
        for r in self.running.values():
            r.proc.kill()
            r.proc.wait()
            r.log.close()
        self.running.clear()


def run(args: argparse.Namespace) -> int:
    from ..results.reportdir import ReportDirError, StagedReports

    loaded = load_target(args)
    if isinstance(loaded, int):
        return loaded
    profile, named = loaded
    staged = StagedReports(args.report_dir)
    try:
        staged.check()
    except ReportDirError as exc:
        print(f"meterconform: {exc}", file=sys.stderr)
        return EXIT_USAGE
    extra = [a for a in (args.pytest_args or []) if a != "--"] if args.pytest_args else []
    with ExitStack() as stack:
        url = start_target(stack, profile, named, args)
        if isinstance(url, int):
            return url
        try:
            work = staged.open()
        except ReportDirError as exc:
            print(f"meterconform: {exc}", file=sys.stderr)
            return EXIT_USAGE
        stack.callback(lambda: None if staged.committed or staged.kept else staged.discard())
        return _campaign(args, profile, named, url, staged, work, extra)


def _campaign(args: argparse.Namespace, profile, named: str | None, url: str, staged, work: Path, extra: list[str]) -> int:
    """The campaign's rounds against `url`, then its reports (written into `work`, swapped into place)."""
    from ..results.events import write_outputs
    from ..results.outcome_coverage import clause_coverage, render_coverage
    from ..render import finish_run

    (work / "rounds").mkdir()
    env = {**os.environ, "METERCONFORM_TARGET": target_env(args, named)}
    if args.target == "moto" and not args.profile:
        args.profile = str(_moto_profile_path(work))  # the rounds load moto's built-in profile
    if profile.endpoint.rate_per_second and not env.get("METERCONFORM_RATE_FILE"):
        env["METERCONFORM_RATE_FILE"] = str(work / ".rate-limit")  # one rate for all the workers
    start = time.time()
    deadline = start + args.duration
    checks = property_checks(url, args.profile, extra, env)
    if not checks:
        print("meterconform fuzz: no property check matches the selection (pytest -m hypothesis"
              + (f" {' '.join(extra)}" if extra else "") + "); nothing to fuzz", file=sys.stderr)
        return EXIT_USAGE
    print(f"meterconform fuzz: {args.duration:g} s on {args.workers} process(es) against {url}, "
          f"{len(checks)} property checks" + (f" (faults: {', '.join(args.fault)})" if args.fault else "")
          + (f"; database {args.database}" if args.database else "; local example database"), flush=True)
    merged: dict[str, dict] = {}
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
                print(f"\nmeterconform fuzz: interrupted; the running rounds stop and their finished checks go into "
                      f"the reports (up to {INTERRUPT_GRACE_SECONDS} s; Ctrl-C again to abandon them)", flush=True)
                try:
                    ended = list(rounds.interrupt_all(INTERRUPT_GRACE_SECONDS, abandon=lambda: stop.count > 1))
                except _Abandoned:
                    rounds.stop_all()
                    staged.kept = True
                    print("meterconform fuzz: abandoned; no reports written, and "
                          f"{staged.final} was left as it was (the rounds' own files are in {work / 'rounds'})",
                          file=sys.stderr)
                    return EXIT_INTERRUPTED
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
                    print(f"meterconform fuzz: {finished.name} wrote no events; see {finished.log_path}", file=sys.stderr)
                    return EXIT_FAILED
                meta = finished.meta
                merge(merged, _spent(finished.events))
                rounds.known = known_failures(merged)
                print(_progress(rounds.live(merged), time.time() - start, args.duration, f"{finished.name} done",
                                len(checks)), flush=True)
                last_progress = time.time()
                if not stop.requested and gone is None and time.time() < deadline - MIN_ROUND_SECONDS:
                    rounds.start(worker)
            if rounds.running and not stop.requested and time.time() - last_progress >= PROGRESS_SECONDS:
                live = rounds.live(merged)  # first: it reads the running rounds' feeds
                running = ", ".join(f"{r.name} ({len(r.done)} checks done)" for r in rounds.running.values())
                print(_progress(live, time.time() - start, args.duration, f"running: {running}", len(checks)), flush=True)
                last_progress = time.time()
    round_no = rounds.count
    never = tuple(c for c in checks if c not in merged)
    if stop.requested:
        completion = Completion("interrupted", "stopped by Ctrl-C or SIGTERM")
    elif gone is not None:
        completion = Completion("incomplete", gone)
    elif never:
        completion = Completion("uncovered", f"the {args.duration:g} s budget ended before every property check had run once "
                                             f"({len(checks) - len(never)} of {len(checks)} ran).", never)
    else:
        completion = Completion()
    if gone is not None and not merged:
        print(f"meterconform fuzz: {gone} No check finished; no reports written.", file=sys.stderr)
        return EXIT_UNREACHABLE
    events = sorted(merged.values(), key=lambda e: e["nodeid"])
    meta = {**meta, "campaign": {"duration": args.duration, "rounds": round_no, "workers": args.workers,
                                 "database": args.database, "elapsed": time.time() - start,
                                 "interrupted": completion.state == "interrupted", "property_checks": len(checks)}}
    if not meta.get("endpoint"):
        meta["endpoint"] = url
    write_outputs(events, meta, events_path=str(work / "events.jsonl"), conformance_path=None)
    print()
    print("clause x outcome coverage")
    coverage = clause_coverage(events)
    for line in render_coverage(events, limit=40, table=coverage):
        print("  " + line)
    (work / "coverage.json").write_text(json.dumps(
        {cid: {**row, "outcomes": dict(row["outcomes"])} for cid, row in coverage.items()}, indent=2))
    from ..results.summary import render_summary

    print()
    print("campaign summary" + ("" if completion.complete else f" ({completion.state})"))
    for line in render_summary(events, meta, report=str(staged.final / "conformance.html"),
                               baseline_follows=bool(args.baseline), completion=completion):
        print(line)
    code = finish_run(args, work, work / "events.jsonl", completion, staged.final)  # the gate's words match the exit code
    staged.commit()
    if gone is not None:
        print(f"meterconform fuzz: {gone} The campaign stopped after {round_no} round(s); what they found is in the reports.",
              file=sys.stderr)
        return EXIT_UNREACHABLE
    if completion.state == "interrupted":  # what ran is in the reports; a campaign cut short is never a clean verdict
        print("meterconform fuzz: interrupted; the reports hold the checks that finished", file=sys.stderr)
        return EXIT_INTERRUPTED
    if completion.state == "uncovered":
        print(f"meterconform fuzz: {completion.reason} The {len(never)} checks never run are listed above and in the "
              "reports; give the campaign a longer --duration, or fewer checks (-- -k ...).", file=sys.stderr)
    return code


def _spent(events) -> list[dict]:
    """The events of checks that ran (not those skipped because the budget was spent before their turn, or
    because the endpoint had stopped answering)."""
    return [e for e in events if not e.get("reason", "").startswith(("FUZZ BUDGET", NOT_RUN))]


def _endpoint_gone(finished: "Round") -> str | None:
    """Why the endpoint stopped answering, when this round found it gone: mid-round (its checks after that one
    were not run), or at its start (the reachability probe ended it with exit 3)."""
    if (stopped := endpoint_stopped(finished.events or ())) is not None:
        return stopped[0]
    if finished.events is None and finished.proc.returncode == EXIT_UNREACHABLE:  # also pytest's INTERNAL_ERROR:
        lines = [line for line in finished.log_path.read_text(errors="replace").splitlines()  # the probe's own line
                 if line.startswith("Exit: meterconform: ")]
        if lines:
            return f"the endpoint stopped answering between rounds: {lines[0].split('meterconform: ', 1)[1]}"
    return None


def _progress(events: dict[str, dict], elapsed: float, duration: float, what: str, checks: int = 0) -> str:
    """One progress line: the clock, examples so far and their rate, checks run of all (until all ran), clauses
    reached, failing checks."""
    from ..results.outcome_coverage import clause_coverage

    examples = sum(int(e.get("examples") or 0) for e in events.values())
    reached = sum(1 for row in clause_coverage(events.values()).values() if row["examples"])
    failures = sum(1 for e in events.values() if e["verdict"] in ("FAIL", "ERROR"))
    covered = f"{len(events)} of {checks} checks run, " if checks and len(events) < checks else ""
    return (f"[{_clock(elapsed)}/{_clock(duration)}] {examples:,} examples ({examples / max(elapsed, 1e-9):,.0f}/s), "
            f"{covered}{reached} clauses reached, {failures} failing checks; {what}")


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 60:02d}:{seconds % 60:02d}" if seconds < 3600 else f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
