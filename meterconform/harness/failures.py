"""The typed outcomes a check can end with besides passing: failure, throttling, unimplemented."""

from __future__ import annotations

import pytest


class ConformanceFailure(AssertionError):
    """An endpoint broke a clause: carries the clause, expected, actual and a reproduction."""

    def __init__(
        self,
        clause_id: str,
        *,
        expected: str,
        actual: str,
        level: str = "MUST",
        title: str = "",
        quote: str = "",
        source: str = "",
        request_text: str = "",
        reproduction: str = "",
        note: str = "",
    ):
        self.clause_id = clause_id
        self.level = level
        self.title = title
        self.quote = quote
        self.source = source
        self.expected = expected
        self.actual = actual
        self.request_text = request_text
        self.reproduction = reproduction
        self.note = note
        super().__init__(self.render())

    def render(self, reproduction_limit: int = 2500) -> str:
        lines = [f"{self.clause_id} [{self.level}] {self.title}".rstrip()]
        if self.quote:
            lines.append(f'  "{self.quote}"' + (f"  ({self.source})" if self.source else ""))
        if self.request_text:
            lines.append(f"  request:  {self.request_text}")
        lines.append(f"  expected: {self.expected}")
        lines.append(f"  actual:   {self.actual}")
        if self.note:
            lines.append(f"  note:     {self.note}")
        if self.reproduction:
            lines.append("  Reproduce with:")
            text = self.reproduction
            if reproduction_limit and len(text) > reproduction_limit:
                text = (
                    text[:reproduction_limit]
                    + f"... ({len(self.reproduction)} characters; the whole request is in events.jsonl)"
                )
            lines.extend("    " + line for line in text.splitlines())
        return "\n".join(lines)


_PER_CLAUSE: dict[str, type[ConformanceFailure]] = {}


def failure_class(clause_id: str) -> type[ConformanceFailure]:
    """The ConformanceFailure subclass of one clause (one per clause per process, named like its parent).

    Hypothesis tells bugs apart by exception type and the line that raised it, and every failure is raised on
    one line, so with one class a check's failures on different clauses were one bug: the shrinker could slip
    from one clause to another, and at the deep depth (report_multiple_bugs) a check could not go on to find
    the clauses it had not broken yet. A class per clause makes each clause its own bug."""
    cls = _PER_CLAUSE.get(clause_id)
    if cls is None:
        cls = _PER_CLAUSE[clause_id] = type(
            "ConformanceFailure",
            (ConformanceFailure,),
            {"__module__": __name__, "__qualname__": "ConformanceFailure", "clause": clause_id},
        )
    return cls


class Throttled(pytest.skip.Exception):
    """The endpoint answered ThrottlingException: no verdict on the clause under test."""


class Unimplemented(pytest.skip.Exception):
    """The endpoint does not implement the operation at all."""


class TokenSpent(pytest.skip.Exception):
    """A listed valid registration token answered ExpiredTokenException after being resolved before, and the
    profile admits the reading that a resubmitted token expires: no verdict on the clause under test."""


def skip_token_spent(index: int) -> None:
    """`index`: the token's place in registration_tokens.valid (the token itself stays out of every report)."""
    raise TokenSpent(
        f"TOKEN SPENT: valid registration token #{index + 1} of the profile answered ExpiredTokenException; it may "
        "have been resolved before (by another check, worker or run), and the profile admits the reading "
        "that a resubmitted token expires (contract.token_reuse). No verdict: list fresh tokens, or set "
        'contract.token_reuse = "allowed" if your endpoint resolves a token every time'
    )


class Unprocessed(pytest.skip.Exception):
    """Records came back in UnprocessedRecords (a service-side transient failure) every time the same batch was
    sent: no verdict on the records the check is about, and the report says so."""


def _attempts(resent: int) -> str:
    return f" after {resent + 1} attempts" if resent else ""


def skip_throttled(operation: str | None, resent: int = 0) -> None:
    raise Throttled(
        f"THROTTLED: the endpoint answered ThrottlingException to {operation}{_attempts(resent)}; no verdict "
        "(slow down: endpoint.rate_per_second; endpoint.transient_retries / transient_backoff resend it)"
    )


def skip_unprocessed(what: str, clause: str | None = None, resent: int = 0) -> None:
    """`what`: which records stayed unprocessed; `resent`: how often the same batch was sent again."""
    raise Unprocessed(
        f"UNPROCESSED: {what} came back in UnprocessedRecords (a service-side transient failure)"
        f"{_attempts(resent)}; no verdict"
        + (f" on {clause}" if clause else "")
        + " (endpoint.transient_retries: how often the same batch is sent again)"
    )


def skip_unimplemented(operation: str | None, evidence: str) -> None:
    raise Unimplemented(f"UNIMPLEMENTED: the endpoint does not implement {operation} ({evidence})")
