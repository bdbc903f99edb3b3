"""A campaign's rounds: each a `python -m pytest` process of its own, its events and live progress read back."""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..harness.pytest_command import subprocess_command
from ..results.check_result import CheckResult
from .merge import merge, spent

COVER_EXAMPLES = (
    20  # examples per check in the cover round: enough to meet a plain deviation, cheap enough to reach every check
)
ROUND_GRACE_SECONDS = 120  # a round still running this long after the deadline is stopped


def round_command(
    url: str,
    events_path: Path,
    *,
    deadline: float,
    worker: int = 1,
    workers: int = 1,
    profile: str | None = None,
    database: str | None = None,
    max_examples: int | None = None,
    progress_path: Path | None = None,
    known_path: Path | None = None,
    extra: list[str] | tuple = (),
    cover: bool = False,
) -> list[str]:
    """The pytest command of one round of worker `worker` (of `workers`): every Hypothesis-driven check at the
    deep depth, unseeded, stopping at `deadline`. Workers are independent processes, not pytest-xdist: each
    runs every check (its own random examples, its own share of the batch keys, starting at another check),
    so none waits for another's slowest check and a round costs no xdist controller. A `cover` round runs only
    this worker's share of the checks, with at most COVER_EXAMPLES examples each."""
    cmd = subprocess_command(
        url=url,
        depth="deep",
        events=events_path,
        extra=["-q", "--tb=no", "-m", "hypothesis", "--fuzz-deadline", str(deadline)],
    )
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
    cmd = subprocess_command(url=url, profile=profile, extra=["-q", "--co", "-m", "hypothesis", *extra])
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    return [line.strip() for line in proc.stdout.splitlines() if "::" in line and not line.startswith(" ")]


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
    events: list[CheckResult] | None = None  # the round's results, once it ended (None: it wrote none)
    done: dict[str, CheckResult] = field(default_factory=dict)  # the checks ended so far, from the live feed
    _read: int = 0

    def poll_progress(self) -> dict[str, dict]:
        """The events of the checks this round has ended so far (read on from where the last call stopped)."""
        try:
            with self.progress_path.open("rb") as feed:
                feed.seek(self._read)
                chunk = feed.read()
        except FileNotFoundError:
            return self.done
        complete = chunk[: chunk.rfind(b"\n") + 1]  # a line still being written waits for the next call
        self._read += len(complete)
        for line in complete.decode("utf-8").splitlines():
            result = CheckResult.from_json(json.loads(line))
            self.done[result.nodeid] = result
        return self.done


class Rounds:
    """The campaign's worker processes: each worker runs one round at a time, and starts its next when told."""

    def __init__(
        self, args: argparse.Namespace, url: str, report_dir: Path, deadline: float, extra: list[str], env: dict
    ):
        self.args, self.url, self.dir, self.deadline, self.extra, self.env = (
            args,
            url,
            report_dir / "rounds",
            deadline,
            extra,
            env,
        )
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
        cmd = round_command(
            self.url,
            events_path,
            deadline=self.deadline,
            worker=worker,
            workers=self.args.workers,
            profile=self.args.profile,
            database=self.args.database,
            max_examples=self.args.max_examples,
            progress_path=progress_path,
            known_path=known_path,
            extra=self.extra,
            cover=cover,
        )
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
        from ..results.run_results import RunResults

        r = self.running.pop(worker)
        r.log.close()
        if r.events_path.exists():
            loaded = RunResults.load(r.events_path)
            r.meta, r.events = loaded.meta, loaded.checks
        return r

    def live(self, merged: dict[str, dict]) -> dict[str, dict]:
        """`merged` (the ended rounds) with the checks the running rounds have ended so far."""
        live = dict(merged)  # merge() replaces entries, never changes them: a shallow copy will do
        for r in self.running.values():
            merge(live, spent(r.poll_progress().values()))
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
