"""A run's results loaded once, with everything the reports say about them computed in one place."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from ..errors import UsageError
from .baseline import Applied, Baseline, apply_baseline
from .check_result import CheckResult, results_of
from .events import GATING, VERDICTS, clause_results, clause_verdicts, endpoint_stopped, read_events, write_events
from .gate import Completion, Gate, gate

EVENTS_FILE = "events.jsonl"


class RunError(UsageError):
    """An events file or report directory cannot be read; the message names the path and the fix."""


@dataclass
class RunResults:
    """The checks of one run (or of several merged), its meta line and where they came from. Every report is a
    view of it: the verdict counts, the clause verdicts, the baseline applied, the outcome coverage and the gate
    are computed here, once (the checks are not to be changed after the first of them is asked for)."""

    meta: dict
    checks: list[CheckResult]
    sources: list[str] = field(default_factory=list)
    name: str = ""
    applied: Applied | None = None  # the baseline applied (apply), if any

    def __post_init__(self) -> None:
        self.checks = results_of(self.checks)

    @property
    def events(self) -> list[CheckResult]:
        """The checks (the name the reports used for them when they were dicts)."""
        return self.checks

    # -- loading and writing ---------------------------------------------------------------------------

    @classmethod
    def load(cls, path: str | Path, name: str | None = None) -> RunResults:
        """One run from an events file or a report directory; RunError when it is not one."""
        p = events_path(path)
        try:
            meta, lines = read_events(p)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            sibling = p.parent / EVENTS_FILE
            fix = (
                f"pass {sibling} or the report directory {p.parent}"
                if sibling.exists() and sibling != p
                else "pass an events file (events.jsonl) or a report directory"
            )
            raise RunError(f"{p} is not an events file (one JSON object a line: {exc}); {fix}") from None
        for number, line in enumerate(lines, start=2 if meta else 1):
            missing = [k for k in ("nodeid", "clauses", "verdict") if k not in line]
            if missing:
                raise RunError(f"{p}: event {number} lacks {', '.join(missing)}; is this a meterconform events file?")
        return cls(meta=meta, checks=results_of(lines), sources=[str(p)], name=name or default_name(path))

    @classmethod
    def merge(cls, runs: list[RunResults]) -> RunResults:
        """One run from several: checks keyed by node id, a later run's replacing an earlier one's. The meta is
        the last run's, with `merged_from` listing each source (path, endpoint, start)."""
        if len(runs) == 1:
            return runs[0]
        by_nodeid: dict[str, CheckResult] = {}
        for run in runs:
            for check in run.checks:
                by_nodeid.pop(check.nodeid, None)
                by_nodeid[check.nodeid] = check
        meta = dict(runs[-1].meta)
        meta["started"] = min((r.meta.get("started") for r in runs if r.meta.get("started")), default=None)
        meta["merged_from"] = [
            {
                "source": src,
                "endpoint": r.meta.get("endpoint"),
                "started": r.meta.get("started"),
                "events": len(r.checks),
            }
            for r in runs
            for src in r.sources
        ]
        checks = sorted(by_nodeid.values(), key=lambda c: c.nodeid)
        return cls(meta=meta, checks=checks, sources=[s for r in runs for s in r.sources], name=runs[-1].name)

    def write(self, path: str | Path) -> None:
        """Write the run as an events file (events.write_events: the meta line, then one line per check)."""
        write_events(path, self.meta, self.checks)

    # -- what the reports say ------------------------------------------------------------------------------

    @property
    def sorted_checks(self) -> list[CheckResult]:
        return sorted(self.checks, key=lambda c: c.nodeid)

    @property
    def counts(self) -> dict[str, int]:
        """Checks per verdict, in the order the verdicts first occur among the checks sorted by node id (the
        order conformance.json has always listed them in)."""
        counts: dict[str, int] = {}
        for check in self.sorted_checks:
            counts[check.verdict] = counts.get(check.verdict, 0) + 1
        return counts

    @property
    def verdict_counts(self) -> Counter:
        """Checks per verdict, worst first (events.VERDICTS order)."""
        counts = Counter(c.verdict for c in self.checks)
        return Counter({v: counts[v] for v in VERDICTS if counts[v]})

    @property
    def failing(self) -> list[CheckResult]:
        """The checks that fail the run (FAIL and ERROR), before any baseline."""
        return [c for c in self.checks if c.verdict in GATING]

    @cached_property
    def clause_verdicts(self) -> dict[str, dict]:
        """Per clause cited: the worst verdict of the checks citing it, and theirs (events.clause_verdicts)."""
        return clause_verdicts(self.checks)

    @cached_property
    def clause_results(self) -> dict[str, dict]:
        """clause_verdicts plus the clauses checks failed on without citing them (the reports' clause matrix)."""
        return clause_results(self.checks)

    @cached_property
    def coverage(self) -> dict[str, dict]:
        """Clause x outcome coverage (outcome_coverage.clause_coverage)."""
        from .outcome_coverage import clause_coverage

        return clause_coverage(self.checks)

    @property
    def stopped(self) -> tuple[str, int] | None:
        """Why the endpoint stopped answering mid-run and how many checks did not run, else None."""
        return endpoint_stopped(self.checks)

    @property
    def completion(self) -> Completion:
        """How far the run got, as its meta line says (else as its checks show: Completion.of)."""
        return Completion.of(self.meta, self.checks)

    def apply(self, baseline: Baseline, today: dt.date | None = None) -> Applied:
        """Apply a baseline to the run (results.baseline.apply_baseline); the gate and every report then use it."""
        self.applied = apply_baseline(baseline, self.checks, today, clauses=self.clause_results)
        return self.applied

    def gate(self, collection_errors: int = 0) -> Gate:
        """The run's verdict words and exit code: its checks, the baseline applied, its completion (results.gate)."""
        return gate(self.checks, self.applied, self.completion, collection_errors)


def events_path(path: str | Path) -> Path:
    """The events file a path names: the file itself, or `<dir>/events.jsonl` for a report directory."""
    p = Path(path)
    if p.is_dir():
        p = p / EVENTS_FILE
        if not p.exists():
            raise RunError(
                f"{path} is a directory without {EVENTS_FILE}; pass a report directory written by "
                "`meterconform run` or an events file"
            )
    elif not p.exists():
        raise RunError(f"{path} does not exist; pass an events file (events.jsonl) or a report directory")
    return p


def default_name(path: str | Path) -> str:
    """A short label for a run: the report directory's name, else the events file's stem."""
    p = Path(path)
    if p.is_dir():
        return p.resolve().name
    return p.resolve().parent.name if p.name == EVENTS_FILE else p.stem


def endpoints_differ(runs: Iterable[RunResults]) -> bool:
    """Whether the runs tested different endpoints (merging them mixes verdicts of different services)."""
    kinds = {(r.meta.get("target") or r.meta.get("kind"), r.meta.get("profile")) for r in runs}
    return len(kinds) > 1
