"""The expectations baseline: one endpoint's known deviations, which do not gate a run until they expire.

    endpoint = "my-metering-gateway"        # optional: which endpoint the file describes

    [[expected]]
    clause = "BMU.DIMENSION.UNKNOWN"        # a clause id, or check = "suites/test_x.py::test_y" (a node id;
    reason = "answers InvalidProductCode"   #   without [params] it covers every parametrization)
    link = "https://tracker/ISSUE-12"       # optional
    expires = 2027-03-31                    # optional: after this date the entry gates again

A failure an entry covers does not gate; an entry whose clause or check now passes is stale and gates
("remove it"); an expired entry gates.
"""

from __future__ import annotations

import datetime as dt
import json
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..errors import UsageError
from .check_result import CheckResult, results_of
from .events import GATING, clause_results

TODO_REASON = "TODO: explain"
_ENTRY_KEYS = ("clause", "check", "reason", "link", "expires")
_TOP_KEYS = ("endpoint", "expected")
_EVALUATED = {"PASS", "INFO", "NON-STRICT"}  # a verdict that says the target does not fail


class BaselineError(UsageError):
    """The baseline file does not match its format; the message names the entry, the key and the fix."""


@dataclass(frozen=True)
class Expectation:
    """One known deviation: a clause or a check, why it is accepted, until when."""

    reason: str
    clause: str | None = None
    check: str | None = None
    link: str | None = None
    expires: dt.date | None = None

    @property
    def target(self) -> str:
        return f"clause {self.clause}" if self.clause else f"check {self.check}"

    @property
    def key(self) -> tuple[str, str]:
        return ("clause", self.clause) if self.clause else ("check", self.check or "")

    def expired(self, today: dt.date) -> bool:
        return self.expires is not None and self.expires < today

    def covers(self, result: CheckResult | dict) -> bool:
        """Whether this entry names the failing check: its node id (with or without parameters), or the
        clause it failed on (the failed clause, or any cited clause when the failure names none)."""
        result = CheckResult.of(result)
        if self.check:
            return result.nodeid == self.check or result.nodeid.startswith(self.check + "[")
        failed = result.failed_clause
        return failed == self.clause if failed else self.clause in result.clauses


@dataclass
class Baseline:
    expected: list[Expectation] = field(default_factory=list)
    endpoint: str | None = None
    path: str = ""


def _date(value, where: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise BaselineError(f"{where}: expires = {value!r} is not a date; write a TOML date such as expires = 2027-03-31")


def parse_baseline(text: str, source: str = "baseline", known_clauses=None) -> Baseline:
    """Parse baseline TOML; BaselineError names every problem. `known_clauses` (ids) checks clause names."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise BaselineError(f"{source} is not valid TOML: {exc}") from None
    problems = [f"unknown top-level key `{k}`; the keys are {', '.join(_TOP_KEYS)}" for k in raw if k not in _TOP_KEYS]
    entries = raw.get("expected", [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        problems.append("`expected` must be an array of tables: write each entry under [[expected]]")
        entries = []
    expected: list[Expectation] = []
    seen: set[tuple[str, str]] = set()
    for number, entry in enumerate(entries, start=1):
        named = entry.get("clause") or entry.get("check")
        where = f"[[expected]] #{number}" + (f" ({named})" if named else "")
        problems += [
            f"{where}: unknown key `{k}`; the keys are {', '.join(_ENTRY_KEYS)}" for k in entry if k not in _ENTRY_KEYS
        ]
        if bool(entry.get("clause")) == bool(entry.get("check")):
            problems.append(f'{where}: name exactly one of clause = "AREA.SUBJECT.RULE" or check = "suites/…::test_…"')
            continue
        for key in ("clause", "check", "reason", "link"):
            if key in entry and not isinstance(entry[key], str):
                problems.append(f"{where}: `{key}` must be a string, not {type(entry[key]).__name__}")
        if not isinstance(entry.get("reason"), str) or not entry["reason"].strip():
            problems.append(f"{where}: `reason` is missing; say why the deviation is accepted (a sentence, a ticket)")
            continue
        if known_clauses is not None and entry.get("clause") and entry["clause"] not in known_clauses:
            from ..contract.catalog import unknown_id_message

            problems.append(f"{where}: {unknown_id_message(entry['clause'], list(known_clauses))}")
        try:
            expires = _date(entry["expires"], where) if "expires" in entry else None
        except BaselineError as exc:
            problems.append(str(exc))
            continue
        item = Expectation(
            reason=entry["reason"],
            clause=entry.get("clause"),
            check=entry.get("check"),
            link=entry.get("link"),
            expires=expires,
        )
        if item.key in seen:
            problems.append(f"{where}: {item.target} is listed twice; keep one entry")
        seen.add(item.key)
        expected.append(item)
    if problems:
        raise BaselineError(f"{source} is not a valid baseline:\n" + "\n".join(f"  - {p}" for p in problems))
    endpoint = raw.get("endpoint") if isinstance(raw.get("endpoint"), str) else None
    return Baseline(expected=expected, endpoint=endpoint, path=source)


def load_baseline(path: str | Path) -> Baseline:
    """Read and validate a baseline file (clause ids checked against the catalog)."""
    p = Path(path)
    if not p.exists():
        raise BaselineError(
            f"the baseline {path} does not exist; create it with "
            f"`meterconform baseline --update {path} --from reports/events.jsonl`"
        )
    from ..contract.catalog import CatalogError, load_catalog

    try:
        known = set(load_catalog().ids)
    except CatalogError:
        known = None  # the catalog is being edited: skip the clause-name check rather than refuse the baseline
    return parse_baseline(p.read_text(encoding="utf-8"), str(path), known_clauses=known)


@dataclass
class Applied:
    """A baseline applied to a run's checks: what it excused and what it says about itself."""

    baseline: Baseline
    today: dt.date
    expected: list[tuple[CheckResult, Expectation]] = field(default_factory=list)  # failing checks an entry excuses
    unexpected: list[CheckResult] = field(default_factory=list)  # failing checks no live entry covers
    stale: list[Expectation] = field(default_factory=list)  # the target now passes: remove
    expired: list[Expectation] = field(default_factory=list)  # past `expires`: gates
    not_run: list[Expectation] = field(default_factory=list)  # neither failed nor passed here

    @property
    def gates(self) -> bool:
        from ..errors import ExitCode
        from .gate import gate

        return gate([], self).exit_code != ExitCode.OK

    def excuse(self, nodeid: str) -> Expectation | None:
        """The entry that excuses this check's failure, if any."""
        return next((entry for result, entry in self.expected if result.nodeid == nodeid), None)

    def verdict(self) -> str:
        """The run's verdict with the baseline applied: the words of the gate (meterconform.results.gate) that gives
        the exit code."""
        from .gate import gate

        return gate([], self).words

    @property
    def todo(self) -> list[Expectation]:
        """The entries still carrying the placeholder reason `baseline --update` writes."""
        return [e for e in self.baseline.expected if e.reason.strip().startswith("TODO")]

    def todo_warning(self) -> str | None:
        """One line naming how many entries still have the placeholder reason, and the file; None when none do."""
        if not self.todo:
            return None
        n = len(self.todo)
        return (
            f"warning: {_n(n, 'entry', 'entries')} in {self.baseline.path or 'baseline'} still "
            f"{'has' if n == 1 else 'have'} "
            f'the reason "{TODO_REASON}": write why each deviation is accepted'
        )

    def lines(self) -> list[str]:
        """What the terminal says: expected failures, stale and expired entries, unexpected failures, then the
        verdict."""
        name = self.baseline.path or "baseline"
        out = [
            f"baseline {name}: {_n(len(self.expected), 'expected failure')}, "
            f"{_n(len(self.unexpected), 'unexpected failure')}, "
            f"{_n(len(self.stale), 'stale entry', 'stale entries')}, "
            f"{_n(len(self.expired), 'expired entry', 'expired entries')}"
        ]
        for result, entry in self.expected:
            out.append(f"  expected    {result.verdict:<6} {result.nodeid}  ({entry.target}: {entry.reason})")
        for result in self.unexpected:
            failed = result.broken_clauses
            why = f" [{', '.join(failed)}]" if failed else ""
            lapsed = next((e for e in self.expired if e.covers(result)), None)
            what = (
                f"its entry ({lapsed.target}) expired on {lapsed.expires.isoformat()}"
                if lapsed
                else "not in the baseline; fix it, or add it with a reason"
            )
            out.append(f"  UNEXPECTED  {result.verdict:<6} {result.nodeid}{why}: {what}")
        for entry in self.stale:
            out.append(
                f"  STALE       {entry.target} now passes: remove it from {name} "
                f"(`meterconform baseline --update {name} --from EVENTS` drops it)"
            )
        for entry in self.expired:
            out.append(
                f"  EXPIRED     {entry.target} expired on {entry.expires.isoformat()}: fix the deviation, or move "
                f"`expires` with a reason ({entry.reason})"
            )
        for entry in self.not_run:
            out.append(f"  not run     {entry.target}: no verdict in this run (kept)")
        if (warning := self.todo_warning()) is not None:
            out.append(warning)
        out.append(f"verdict: {self.verdict()}")
        return out


def _n(count: int, singular: str, plural: str | None = None) -> str:
    return f"{count} {singular if count == 1 else (plural or singular + 's')}"


def _target_state(entry: Expectation, results: list[CheckResult], clauses: dict) -> str:
    """'fails', 'passes' or 'not run' for the entry's clause or check in these results (`clauses`: their
    events.clause_results)."""
    if entry.clause:
        found = clauses.get(entry.clause)
        verdict = found["verdict"] if found else None
    else:
        verdicts = {r.verdict for r in results if entry.covers(r)}
        verdict = next((v for v in ("FAIL", "ERROR", "PASS", "NON-STRICT", "INFO") if v in verdicts), None)
    if verdict in GATING:
        return "fails"
    return "passes" if verdict in _EVALUATED else "not run"


def _unexcused_others(result: CheckResult, live: list[Expectation]) -> list[str]:
    """The other gating clauses a check found broken (`also_failed`) that no live entry names."""
    named = {e.clause for e in live if e.clause}
    return [f["clause"] for f in result.also_failed or () if f["verdict"] in GATING and f["clause"] not in named]


def apply_baseline(
    baseline: Baseline,
    results: list[CheckResult | dict],
    today: dt.date | None = None,
    clauses: dict[str, dict] | None = None,
) -> Applied:
    """Sort the failing checks into expected and unexpected, and the entries into stale, expired and not run.
    `clauses`: the results' events.clause_results, when the caller has them (RunResults)."""
    results = results_of(results)
    today = today or dt.date.today()
    applied = Applied(baseline=baseline, today=today)
    live = [e for e in baseline.expected if not e.expired(today)]
    for result in results:
        if result.verdict not in GATING:
            continue
        entry = next((e for e in live if e.covers(result)), None)
        if entry is not None and not entry.check and _unexcused_others(result, live):
            entry = None  # the check also broke a clause no entry names (deep depth: several bugs per check)
        if entry is None:
            applied.unexpected.append(result)
        else:
            applied.expected.append((result, entry))
    clauses = clause_results(results) if clauses is None else clauses
    for entry in baseline.expected:
        state = _target_state(entry, results, clauses)
        if entry.expired(today):
            applied.expired.append(entry)
        elif state == "passes":
            applied.stale.append(entry)
        elif state == "not run":
            applied.not_run.append(entry)
    return applied


@dataclass
class Update:
    baseline: Baseline
    added: list[Expectation]
    dropped: list[Expectation]
    kept: list[Expectation]

    def lines(self, path: str) -> list[str]:
        out = [
            f"baseline {path}: {_n(len(self.kept), 'entry', 'entries')} kept, {len(self.added)} added, "
            f"{len(self.dropped)} dropped"
        ]
        out += [
            f'  added    {e.target} (reason "{TODO_REASON}": replace it with why the deviation is accepted)'
            for e in self.added
        ]
        out += [f"  dropped  {e.target}: it passes now" for e in self.dropped]
        if any(e.reason.startswith("TODO") for e in self.baseline.expected):
            out.append(f'  entries with reason "{TODO_REASON}" still need one')
        return out


def update_baseline(old: Baseline | None, results: list[CheckResult | dict], today: dt.date | None = None) -> Update:
    """Refresh a baseline from a run: keep existing entries (and their reasons) that still fail, or were not run;
    drop those that pass now; add every unexcused failure (by its failed clause, else by node id) as TODO."""
    old = old or Baseline()
    results = results_of(results)
    clauses = clause_results(results)
    applied = apply_baseline(old, results, today, clauses)
    dropped = [e for e in old.expected if _target_state(e, results, clauses) == "passes"]
    kept = [e for e in old.expected if e not in dropped]
    keys = {e.key for e in kept}
    added: list[Expectation] = []
    for result in applied.unexpected:
        if any(e.covers(result) for e in kept):  # covered by an expired entry: the entry stays, to be renewed
            continue
        entry = (
            Expectation(TODO_REASON, clause=result.failed_clause)
            if result.failed_clause
            else Expectation(TODO_REASON, check=result.nodeid)
        )
        if entry.key not in keys:
            keys.add(entry.key)
            added.append(entry)
    added.sort(key=lambda e: e.key)
    new = replace(old, expected=kept + added)
    return Update(new, added, dropped, kept)


def _toml_string(value: str) -> str:
    return json.dumps(value)  # a JSON string is a valid TOML basic string


def dump_baseline(baseline: Baseline) -> str:
    """The baseline as TOML (comments of an earlier file are not kept)."""
    lines = [
        "# meterconform expectations baseline: known deviations that do not gate `meterconform run --baseline`.",
        "# Each entry names a clause or a check, why it is accepted, and optionally a link and an expiry date.",
        "# Refresh with: meterconform baseline --update THIS_FILE --from reports/events.jsonl",
        "",
    ]
    if baseline.endpoint:
        lines += [f"endpoint = {_toml_string(baseline.endpoint)}", ""]
    for entry in baseline.expected:
        lines.append("[[expected]]")
        lines.append(
            f"clause = {_toml_string(entry.clause)}" if entry.clause else f"check = {_toml_string(entry.check or '')}"
        )
        lines.append(f"reason = {_toml_string(entry.reason)}")
        if entry.link:
            lines.append(f"link = {_toml_string(entry.link)}")
        if entry.expires:
            lines.append(f"expires = {entry.expires.isoformat()}")
        lines.append("")
    return "\n".join(lines)
