"""One check's result, typed: the line events.jsonl holds for it, read and written in one place."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

# Written only when set (build_event adds them for some checks only); every other field is always written.
_OPTIONAL = ("known_failures", "known_hits", "also_failed", "falsifying_example")


@dataclass
class CheckResult:
    """A finished check: its verdict on the clauses it cites, the evidence and how to reproduce it. The fields are
    an events line's keys, in the order they are written; keys this version does not know (a newer or an older
    file's) are kept in `extra` and written back after them, so nothing is lost on a round trip."""

    nodeid: str
    verdict: str
    check: str = ""
    clauses: list[str] = field(default_factory=list)
    levels: dict[str, str] = field(default_factory=dict)  # clause id -> MUST, SHOULD or INFO
    outcome: str = ""  # pytest's outcome: passed, failed, skipped
    when: str = ""  # pytest's phase the verdict comes from: setup, call, teardown
    duration: float = 0.0
    failed_clause: str | None = None
    expected: Any = None
    actual: Any = None
    reason: str = ""
    reproduction: str | None = None
    observations: list[dict] = field(default_factory=list)  # {"clause", "text", "response"...}: INFO findings
    evidence: list[dict] = field(default_factory=list)  # the last exchanges (events.exchange_record)
    exchanges: int = 0  # requests the check sent
    examples: int = 0  # examples Hypothesis ran (1 for a plain check that passed)
    outcomes: dict[str, int] = field(default_factory=dict)  # outcome label -> how often (clause x outcome coverage)
    targets: dict[str, float] = field(default_factory=dict)  # target label -> best score (the target phase)
    judged: dict[str, dict] | None = None  # per clause what judged it; None in events written before it existed
    time: float = 0.0  # when the check ended (epoch seconds)
    known_failures: list[str] | None = None  # a campaign round: the clauses earlier rounds found broken
    known_hits: dict[str, int] | None = None  # ...and how often this round met each again
    also_failed: list[dict] | None = None  # other clauses found broken (deep depth): {"clause", "verdict", ...}
    falsifying_example: str | None = None  # Hypothesis's falsifying example, as it printed it
    extra: dict[str, Any] = field(default_factory=dict)  # keys this version does not know, kept as read

    def to_json(self) -> dict[str, Any]:
        """The events line as a JSON object: the known keys in their order, the optional ones when set, then `extra`."""
        out: dict[str, Any] = {}
        for f in _LINE_FIELDS:
            value = getattr(self, f.name)
            if f.name in _OPTIONAL and value is None:
                continue
            out[f.name] = value
        out.update({k: v for k, v in self.extra.items() if k not in out})
        return out

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> CheckResult:
        """A result from an events line (a dict); KeyError when it lacks `nodeid` or `verdict`."""
        known = {k: obj[k] for k in _NAMES if k in obj}
        extra = {k: v for k, v in obj.items() if k not in _NAMES}
        for name in ("observations", "evidence", "clauses"):  # written as null by some older files
            if name in known and known[name] is None:
                known[name] = []
        for name in ("levels", "outcomes", "targets"):
            if name in known and known[name] is None:
                known[name] = {}
        return cls(
            nodeid=obj["nodeid"],
            verdict=obj["verdict"],
            **{k: v for k, v in known.items() if k not in ("nodeid", "verdict")},
            extra=extra,
        )

    @classmethod
    def of(cls, value: CheckResult | dict) -> CheckResult:
        """`value` as a CheckResult: itself, or read from an events line's dict."""
        return value if isinstance(value, CheckResult) else cls.from_json(value)

    @property
    def broken_clauses(self) -> list[str]:
        """The clauses the check found broken: the one it failed on, then the others (`also_failed`, deep depth)."""
        return [c for c in [self.failed_clause, *(f["clause"] for f in self.also_failed or ())] if c]

    @cached_property
    def judged_clauses(self) -> tuple[str, ...]:
        """The clauses it cites that its verdict helpers judged in at least one example, in citation order (every
        one of them for results written before that was recorded)."""
        return tuple(c for c in self.clauses if self.was_judged(c))

    def was_judged(self, cid: str) -> bool:
        """Whether the check's verdict helpers judged clause `cid` in at least one example (True for results
        written before they recorded it)."""
        if self.judged is None:
            return True
        row = self.judged.get(cid) or {}
        return bool(row.get("examples") or row.get("requests"))

    def level_of(self, cid: str, default: str | None = None) -> str | None:
        """The level the check recorded for clause `cid` (MUST, SHOULD, INFO), else `default`."""
        return self.levels.get(cid) or default


_LINE_FIELDS = [f for f in dataclasses.fields(CheckResult) if f.name != "extra"]
# The order build_event has always written: the verdict comes after `time` and the known failures.
_ORDER = (
    "nodeid",
    "check",
    "clauses",
    "levels",
    "outcome",
    "when",
    "duration",
    "failed_clause",
    "expected",
    "actual",
    "reason",
    "reproduction",
    "observations",
    "evidence",
    "exchanges",
    "examples",
    "outcomes",
    "targets",
    "judged",
    "time",
    "known_failures",
    "known_hits",
    "verdict",
    "also_failed",
    "falsifying_example",
)
_LINE_FIELDS.sort(key=lambda f: _ORDER.index(f.name))
_NAMES = frozenset(f.name for f in _LINE_FIELDS)


def results_of(values: Iterable[CheckResult | dict]) -> list[CheckResult]:
    """A list of CheckResults from results or events lines' dicts (the campaign still hands over dicts)."""
    return [CheckResult.of(v) for v in values]
