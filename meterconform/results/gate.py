"""The CI gate: one function gives a run's verdict words and its exit code, so the two never disagree."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import ExitCode
from .check_result import CheckResult, results_of
from .events import GATING, endpoint_stopped

if TYPE_CHECKING:
    from .baseline import Applied

# complete: every selected check ran; interrupted: Ctrl-C or SIGTERM; incomplete: the endpoint stopped answering;
# uncovered: a campaign's budget ended before every property check had run once.
STATES = ("complete", "interrupted", "incomplete", "uncovered")


@dataclass(frozen=True)
class Completion:
    """How far a run got, kept under "completion" in the events' meta line so that the terminal, every report and
    the exit code say the same: its state (one of STATES), why it did not complete, and the checks never run
    when they are known (a campaign's property checks)."""

    state: str = "complete"
    reason: str = ""
    not_run: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.state not in STATES:
            raise ValueError(f"state {self.state!r} is not one of {', '.join(STATES)}")

    @property
    def complete(self) -> bool:
        return self.state == "complete"

    def to_meta(self) -> dict:
        return {"state": self.state, "reason": self.reason, "not_run": list(self.not_run)}

    @classmethod
    def of(cls, meta: dict, events: Iterable[CheckResult | dict] = ()) -> Completion:
        """A run's completion: as its meta line records it, else (events written before it was recorded) what
        the events show: an endpoint that stopped answering, a campaign marked interrupted."""
        recorded = meta.get("completion")
        if recorded:
            return cls(recorded["state"], recorded.get("reason") or "", tuple(recorded.get("not_run") or ()))
        if (stopped := endpoint_stopped(events)) is not None:
            return cls("incomplete", stopped[0])
        if (meta.get("campaign") or {}).get("interrupted"):
            return cls("interrupted", "the campaign was interrupted")
        return cls()

    @property
    def headline(self) -> str:
        """One sentence for a report's banner: what did not happen and why; empty for a complete run."""
        if self.state == "interrupted":
            reason = self.reason or "stopped by Ctrl-C or SIGTERM"
            return f"Interrupted run: {reason}. The checks that did not run have no verdict."
        if self.state == "incomplete":
            return f"Incomplete run: {self.reason} The verdicts cover only the checks that ran."
        if self.state == "uncovered":
            return (
                f"Incomplete campaign: {self.reason} Never run: {', '.join(self.not_run)}. "
                "Give the campaign a longer --duration."
            )
        return ""


@dataclass(frozen=True)
class Gate:
    """What a run amounts to: the words after "verdict: " and the exit code of the same decision."""

    words: str
    exit_code: int

    @property
    def line(self) -> str:
        return f"verdict: {self.words}"


def _n(count: int, singular: str, plural: str | None = None) -> str:
    return f"{count} {singular if count == 1 else (plural or singular + 's')}"


def _judged(results: list[CheckResult], applied: Applied | None) -> Gate:
    """The verdict on the checks that ran, with the baseline applied when there is one."""
    if applied is not None:
        if applied.unexpected:
            return Gate(
                f"NOT CONFORMANT — {_n(len(applied.unexpected), 'unexpected failure')} (not in the baseline)",
                ExitCode.FAILED,
            )
        if applied.expired:
            return Gate(
                f"BASELINE EXPIRED: {_n(len(applied.expired), 'entry', 'entries')} past `expires`", ExitCode.FAILED
            )
        if applied.stale:
            verb = "passes" if len(applied.stale) == 1 else "pass"
            return Gate(f"BASELINE STALE: {_n(len(applied.stale), 'entry', 'entries')} {verb} again", ExitCode.FAILED)
        if applied.expected:
            return Gate(f"CONFORMANT with {_n(len(applied.expected), 'expected deviation')} (baseline)", ExitCode.OK)
        return Gate("CONFORMANT", ExitCode.OK)
    failing = [r for r in results if r.verdict in GATING]
    if failing:
        return Gate(f"NOT CONFORMANT — {_n(len(failing), 'failing check')}", ExitCode.FAILED)
    return Gate("CONFORMANT", ExitCode.OK)


def gate(
    events: Iterable[CheckResult | dict],
    applied: Applied | None = None,
    state: str | Completion = "complete",
    collection_errors: int = 0,
) -> Gate:
    """The run's verdict words and exit code. `applied`: the baseline applied to these events, if any. `state`
    (a Completion or its state): "complete", "interrupted" (Ctrl-C, SIGTERM: exit 130), "incomplete" (the endpoint
    stopped answering: exit 3) or "uncovered" (a campaign's budget ended before every property check ran once:
    exit 4, or 1 when a check failed); a run that did not complete says so first and never passes for
    conformant. `collection_errors`: suite modules that could not be imported; their checks did not run, so the
    run is an ERROR, never CONFORMANT."""
    completion = state if isinstance(state, Completion) else Completion(state)
    state = completion.state
    judged = _judged(results_of(events), applied)
    if collection_errors:  # pytest ends such a session as interrupted; the cause is the broken module, not a Ctrl-C
        return Gate(
            f"ERROR: {_n(collection_errors, 'suite module')} could not be collected "
            "(see the errors above; their checks did not run)",
            ExitCode.FAILED,
        )
    if state == "interrupted":
        return Gate("INTERRUPTED (no verdict on the checks that did not run)", ExitCode.INTERRUPTED)
    if state == "incomplete":
        return Gate(f"INCOMPLETE — on the checks that ran: {judged.words}", ExitCode.UNREACHABLE)
    if state == "uncovered":  # a failure found is a finding whatever the budget: it gates as one
        never = _n(len(completion.not_run), "property check")
        return Gate(
            f"INCOMPLETE — {never} never ran (the budget ended first); on the checks that ran: {judged.words}",
            judged.exit_code if judged.exit_code != ExitCode.OK else ExitCode.INCOMPLETE,
        )
    return judged
