"""The CI gate: one function gives a run's verdict words and its exit code, so the two never disagree."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable

from .events import GATING

if TYPE_CHECKING:
    from .baseline import Applied

# The exit codes of every command, defined here only (docs/verdict.md and each command's --help list them).
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_UNREACHABLE = 0, 1, 2, 3
EXIT_INTERRUPTED = 130  # Ctrl-C or SIGTERM: the shell's code for SIGINT
STATES = ("complete", "interrupted", "incomplete")


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


def _judged(events: list[dict], applied: Applied | None) -> Gate:
    """The verdict on the checks that ran, with the baseline applied when there is one."""
    if applied is not None:
        if applied.unexpected:
            return Gate(f"NOT CONFORMANT — {_n(len(applied.unexpected), 'unexpected failure')} (not in the baseline)", EXIT_FAILED)
        if applied.expired:
            return Gate(f"BASELINE EXPIRED: {_n(len(applied.expired), 'entry', 'entries')} past `expires`", EXIT_FAILED)
        if applied.stale:
            verb = "passes" if len(applied.stale) == 1 else "pass"
            return Gate(f"BASELINE STALE: {_n(len(applied.stale), 'entry', 'entries')} {verb} again", EXIT_FAILED)
        if applied.expected:
            return Gate(f"CONFORMANT with {_n(len(applied.expected), 'expected deviation')} (baseline)", EXIT_OK)
        return Gate("CONFORMANT", EXIT_OK)
    failing = [e for e in events if e["verdict"] in GATING]
    if failing:
        return Gate(f"NOT CONFORMANT — {_n(len(failing), 'failing check')}", EXIT_FAILED)
    return Gate("CONFORMANT", EXIT_OK)


def gate(events: Iterable[dict], applied: Applied | None = None, state: str = "complete",
         collection_errors: int = 0) -> Gate:
    """The run's verdict words and exit code. `applied`: the baseline applied to these events, if any. `state`:
    "complete", "interrupted" (Ctrl-C, SIGTERM: exit 130) or "incomplete" (the endpoint stopped answering: exit
    3); a run that did not complete says so first and never passes for conformant. `collection_errors`: suite
    modules that could not be imported; their checks did not run, so the run is an ERROR, never CONFORMANT."""
    if state not in STATES:
        raise ValueError(f"state {state!r} is not one of {', '.join(STATES)}")
    judged = _judged(list(events), applied)
    if collection_errors:  # pytest ends such a session as interrupted; the cause is the broken module, not a Ctrl-C
        return Gate(f"ERROR: {_n(collection_errors, 'suite module')} could not be collected "
                    "(see the errors above; their checks did not run)", EXIT_FAILED)
    if state == "interrupted":
        return Gate("INTERRUPTED (no verdict on the checks that did not run)", EXIT_INTERRUPTED)
    if state == "incomplete":
        return Gate(f"INCOMPLETE — on the checks that ran: {judged.words}", EXIT_UNREACHABLE)
    return judged
