"""Shared verdict functions: expected versus actual for one exchange, failing with a cited clause."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hypothesis import currently_in_test_context, reject

from ..contract.operations import PREFIX
from ..contract.sources import source_label
from ..results.reproduce import reproduction, request_json
from ..transport.clients import UNIMPLEMENTED_CODES, Exchange, Transport, fresh_identity, records_nothing
from .failures import failure_class, skip_throttled, skip_token_spent, skip_unimplemented, skip_unprocessed
from .profile import MissingProfileData, Profile
from .slots import Slots

THROTTLING = "ThrottlingException"
TIMELY_CLAUSE = "PROTO.TIMEOUT"
SCHEMA_CLAUSE = "OUT.{op}.SCHEMA"
MAX_EVIDENCE = 12


def outcome_labels(exchange: Exchange) -> list[str]:
    """What an exchange came to, for clause x outcome coverage: "HTTP 400 InvalidTagException",
    "HTTP 200", "record:DuplicateRecord", "timeout"."""
    if exchange.transport_error:
        return [exchange.transport_error]
    label = f"HTTP {exchange.status}" + (f" {exchange.error_code}" if exchange.error_code else "")
    labels = [label]
    body = exchange.json
    if isinstance(body, dict) and isinstance(body.get("Results"), list):
        labels += [f"record:{r.get('Status')}" for r in body["Results"] if isinstance(r, dict)]
        if body.get("UnprocessedRecords"):
            labels.append("record:Unprocessed")
    return labels


class BillingGuardBreach(RuntimeError):
    """A check not marked records_usage got usage recorded on a guarded endpoint: a suite bug (ERROR)."""


def recorded_usage(exchange: Exchange) -> bool:
    """Whether an answer says usage was recorded: a MeterUsage success without DryRun, or any
    BatchMeterUsage result with Status Success."""
    body = exchange.json
    if not exchange.ok or not isinstance(body, dict):
        return False
    if exchange.operation == "MeterUsage":
        return not (isinstance(exchange.request, dict) and exchange.request.get("DryRun") is True)
    if exchange.operation == "BatchMeterUsage":
        return any(isinstance(r, dict) and r.get("Status") == "Success" for r in body.get("Results") or [])
    return False


def clause_info(clause_id: str):
    """The catalog entry for a clause id (KeyError naming close ids when unknown)."""
    from ..contract.catalog import load_catalog

    return load_catalog().get(clause_id)


def _status_text(status: Any) -> str:
    if status in (None, "4xx"):
        return "a 4xx status"
    if isinstance(status, (list, tuple)):
        return "HTTP " + " or ".join(str(s) for s in status)
    return f"HTTP {status}"


def _status_ok(actual: int | None, status: Any) -> bool:
    if actual is None:
        return False
    if status in (None, "4xx"):
        return 400 <= actual < 500
    if status == "5xx":
        return 500 <= actual < 600
    if isinstance(status, (list, tuple)):
        return actual in status
    return actual == status


def _malformed_because(exchange: Exchange, base_url: str) -> str | None:
    """Why `exchange` was not a well-formed request of its operation (None when it was): POST to "/" with the
    operation's X-Amz-Target, the AWS JSON 1.1 Content-Type, a good SigV4 signature and an empty or JSON-object
    body. Only such a request's answer is evidence about the operation; the answer to a deliberately malformed
    one (another method, path, target or Content-Type, unsigned or mis-signed, a body that is no JSON object)
    is a refusal or not, whatever error it names (an AWS JSON service answers a GET with 404
    UnknownOperationException)."""
    from ..transport.clients import CONTENT_TYPE, TARGET_PREFIX

    if not exchange.operation:
        return "no operation"
    if exchange.via == "boto3":  # botocore builds the request from the model
        return None
    if exchange.method.upper() != "POST":
        return f"method {exchange.method}"
    if base_url and exchange.url.rstrip("/") != base_url.rstrip("/"):
        return f"URL {exchange.url}"
    headers = {k.lower(): v for k, v in exchange.request_headers.items()}
    if headers.get("x-amz-target") != f"{TARGET_PREFIX}.{exchange.operation}":
        return f"X-Amz-Target {headers.get('x-amz-target')!r}"
    if headers.get("content-type") != CONTENT_TYPE:
        return f"Content-Type {headers.get('content-type')!r}"
    if exchange.signing != "SigV4":
        return f"{exchange.signing} request"
    body = exchange.request
    if isinstance(body, (bytes, bytearray, str)) and body:
        try:
            body = json.loads(body)
        except (UnicodeDecodeError, ValueError, RecursionError):  # hostile nesting too deep for json
            return "a body that is not JSON"
    if body not in (None, b"", "") and not isinstance(body, dict):
        return "a body that is not a JSON object"
    return None


def _unimplemented_answer(exchange: Exchange) -> str | None:
    """Evidence that this one answer says "no such operation" (501, UnknownOperation and kin)."""
    if exchange.transport_error:
        return None
    if exchange.status == 501:
        return "HTTP 501"
    if exchange.error_code in UNIMPLEMENTED_CODES:
        return exchange.error_code
    text = exchange.body[:2000].decode("utf-8", "replace").lower()
    if (
        exchange.status
        and exchange.status >= 500
        and ("not yet implemented" in text or "has not been implemented" in text)
    ):
        return f"HTTP {exchange.status}: {text[:120].strip()}"
    return None


def _server_error_page(exchange: Exchange) -> bool:
    return bool(exchange.status and exchange.status >= 500 and exchange.json is None)


_probe_cache: dict[tuple[str, str], str | None] = {}


def unimplemented_evidence(transport: Transport, exchange: Exchange) -> str | None:
    """Whether the endpoint lacks `exchange.operation` entirely.

    A 501 or an UnknownOperation-style error says so at once. A 5xx page that is not JSON could be a
    crash or a missing operation: probe once per run with an empty input and a well-formed request that
    records nothing; only when both answer a non-JSON 5xx (or 501) is the operation unimplemented.

    Only the answer to a well-formed POST of the operation counts (see _malformed_because). The answer to any
    other request is no evidence: when it looks like a missing operation (an AWS JSON service answers a GET
    with 404 UnknownOperationException), a well-formed request of the operation that records nothing is sent
    (once per run) and only its answer decides; otherwise, and when that one is served, this is None and the
    answer is judged as a refusal or not."""
    if _malformed_because(exchange, transport.url) is not None:
        if not exchange.operation or not (_unimplemented_answer(exchange) or _server_error_page(exchange)):
            return None
        key = (transport.url, exchange.operation, "well-formed")
        if key not in _probe_cache:
            record, transport.record = transport.record, (lambda ex: None)
            try:
                probe = transport.raw(
                    records_nothing(exchange.operation, transport.profile), operation=exchange.operation
                )
            finally:
                transport.record = record
            evidence = unimplemented_evidence(transport, probe)
            _probe_cache[key] = f"a well-formed {exchange.operation} request: {evidence}" if evidence else None
        return _probe_cache[key]
    direct = _unimplemented_answer(exchange)
    if direct or not exchange.operation or not _server_error_page(exchange):
        return direct
    key = (transport.url, exchange.operation)
    if key not in _probe_cache:
        record, transport.record = transport.record, (lambda ex: None)
        try:
            answers = [
                transport.raw({}, operation=exchange.operation),
                transport.raw(records_nothing(exchange.operation, transport.profile), operation=exchange.operation),
            ]
        finally:
            transport.record = record
        if all(_unimplemented_answer(a) or _server_error_page(a) for a in answers):
            _probe_cache[key] = f"an empty input and a well-formed request both answered {answers[1].summary()[:120]}"
        else:
            _probe_cache[key] = None
    return _probe_cache[key]


@dataclass
class Metering:
    """What a check holds: the profile, a transport, its own identity, the evidence of its exchanges."""

    profile: Profile
    transport: Transport
    slots: Slots
    identity: str | None = None
    evidence: list[Exchange] = field(default_factory=list)
    observations: list[dict] = field(default_factory=list)
    outcomes: Counter = field(default_factory=Counter)
    exchanges: int = 0
    unanswered: int = 0  # exchanges that got no HTTP answer at all (the plugin then asks whether the endpoint is gone)
    targets: dict[str, float] = field(default_factory=dict)  # the best target score per label (deep depth)
    example: int = 0  # the running example's number (the plugin counts them)
    judged: dict[str, dict] = field(default_factory=dict)  # per clause judged: its examples, exchanges, outcomes
    billing_guarded: bool = False  # a real endpoint, no --allow-billing, and the check not marked records_usage
    # A campaign's later rounds: clauses earlier rounds found this check breaking, and how often it met them again
    known_failures: frozenset = frozenset()
    known_hits: Counter = field(default_factory=Counter)
    first_of_example: dict[int, int] = field(default_factory=dict)  # per example, the number of its first exchange

    def __post_init__(self) -> None:
        self.transport.record = self._record

    # -- sending -------------------------------------------------------------------------------
    def _record(self, exchange: Exchange) -> None:
        self.evidence.append(exchange)
        self.exchanges += 1
        exchange.seq = self.exchanges
        exchange.example = self.example
        self.first_of_example.setdefault(self.example, self.exchanges)
        del self.evidence[:-MAX_EVIDENCE]
        if exchange.transport_error:
            self.unanswered += 1
        self.outcomes.update(outcome_labels(exchange))

    def sequence_to(self, exchange: Exchange) -> tuple[list[Exchange], bool]:
        """The requests the running example sent up to and including `exchange`, oldest first (a resend after a
        transient answer counts once, as its final answer), and whether earlier ones of it are no longer kept."""
        example = getattr(exchange, "example", None)
        kept = [
            e for e in self.evidence if getattr(e, "example", None) == example and e.seq <= getattr(exchange, "seq", 0)
        ]
        resent = {id(t) for e in kept for t in e.transient}
        steps = [e for e in kept if id(e) not in resent]
        dropped = bool(kept) and kept[0].seq > self.first_of_example.get(example, kept[0].seq)
        return steps, dropped

    def reproduction(self, exchange: Exchange) -> str:
        """The reproduction of the sequence that led to `exchange` (see reproduce.reproduction)."""
        steps, dropped = self.sequence_to(exchange)
        return reproduction(exchange, self.profile.endpoint, steps, earlier_dropped=dropped)

    def _judge(self, clause_id: str, exchange: Exchange | None) -> None:
        """Attribute a verdict on `clause_id` (and the answer it was judged on, else the last one) to that clause,
        for clause x outcome coverage: a check citing several clauses credits each only with what judged it."""
        row = self.judged.setdefault(clause_id, {"examples": set(), "exchanges": set(), "outcomes": Counter()})
        row["examples"].add(self.example)
        ex = exchange or (self.evidence[-1] if self.evidence else None)
        seq = getattr(ex, "seq", None)
        if seq is not None and seq not in row["exchanges"]:
            row["exchanges"].add(seq)
            row["outcomes"].update(outcome_labels(ex))

    def judged_summary(self) -> dict[str, dict]:
        """Per judged clause: examples, requests and outcomes (as the events carry them)."""
        return {
            cid: {
                "examples": len(row["examples"]),
                "requests": len(row["exchanges"]),
                "outcomes": dict(row["outcomes"]),
            }
            for cid, row in self.judged.items()
        }

    def reached(self, scores: dict[str, float]) -> None:
        """Keep the best of the target scores an example reported (strategies.targets.aim_at_limits): how
        close the check came to each limit, for the coverage report."""
        for label, score in scores.items():
            if label not in self.targets or score > self.targets[label]:
                self.targets[label] = score

    def fresh_identity(self) -> str | None:
        """A new MeterUsage instance on an emulator; on a real endpoint the configured identity."""
        return None if self.profile.endpoint.is_real else fresh_identity()

    def call(
        self,
        operation: str,
        request: Mapping[str, Any],
        *,
        identity: str | None = "<own>",
        region: str | None = None,
        validate: bool = False,
        allow_unimplemented: bool = False,
        retry_transient: bool = True,
    ) -> Exchange:
        """Send through boto3 as this check's identity; an unimplemented operation skips the check. A transient
        answer is met by sending the same request again (Transport.call; `retry_transient` False: a check about
        throttling or internal errors themselves judges the first answer)."""
        who = self.identity if identity == "<own>" else identity
        exchange = self.transport.call(
            operation, request, identity=who, region=region, validate=validate, retry_transient=retry_transient
        )
        if self.billing_guarded and recorded_usage(exchange):
            raise BillingGuardBreach(
                f"BILLING GUARD BREACH: {operation} recorded usage on a guarded endpoint although this check is not "
                "marked records_usage; mark it (@pytest.mark.records_usage) so the guard holds it back"
            )
        if not allow_unimplemented:
            evidence = unimplemented_evidence(self.transport, exchange)
            if evidence:
                skip_unimplemented(operation, evidence)
        return exchange

    def raw(self, body: Any = None, *, allow_unimplemented: bool = False, **kwargs: Any) -> Exchange:
        """Send raw bytes (see Transport.raw), as this check's identity unless told otherwise. Sent to a
        real operation's target, an unimplemented operation skips the check as for `call`."""
        kwargs.setdefault("identity", self.identity)
        exchange = self.transport.raw(body, **kwargs)
        if not allow_unimplemented and kwargs.get("operation") and kwargs.get("target", "<auto>") == "<auto>":
            evidence = unimplemented_evidence(self.transport, exchange)
            if evidence:
                skip_unimplemented(kwargs["operation"], evidence)
        return exchange

    def now(self) -> float:
        return time.time()

    def batch_key(
        self,
        *,
        min_age: float = 60,
        max_age: float | None = None,
        customers: Sequence[str] | None = None,
        dimensions: Sequence[str] | None = None,
    ):
        """A (customer, dimension, timestamp) no other check of this run uses (see slots.py)."""
        from .slots import SlotsExhausted

        customers = customers or self.profile.need(
            "customers.subscribed", "BatchMeterUsage needs a subscribed customer"
        )
        dimensions = dimensions or self.profile.need("product.dimensions")
        c = self.profile.contract
        inside = c.batch_window_hours * 3600 - c.clock_tolerance_seconds - 60
        try:
            return self.slots.take(customers, dimensions, min_age=min_age, max_age=max_age, limit_age=inside)
        except SlotsExhausted as exc:
            unit = "hour" if c.batch_dedup == "hour" else "second"
            raise MissingProfileData(
                "customers.subscribed",
                message=(
                    f"SKIPPED: out of BatchMeterUsage keys ({exc}): {len(customers)} customers x {len(dimensions)} "
                    f"dimensions give one key per {unit}; list more test customers in `customers.subscribed`"
                ),
            ) from None

    # -- verdicts ------------------------------------------------------------------------------
    def fail(
        self, clause_id: str, *, expected: str, actual: str, exchange: Exchange | None = None, note: str = ""
    ) -> None:
        """Raise the typed failure for `clause_id` with the exchange as evidence. In a campaign round, a failure
        an earlier round already found for this check rejects the example instead, so that Hypothesis, which
        ends a check at its first failure, goes on looking for the clauses not found broken yet."""
        self._judge(clause_id, exchange)
        if clause_id in self.known_failures and currently_in_test_context():
            self.known_hits[clause_id] += 1
            reject()
        clause = clause_info(clause_id)
        quote = clause.quotes[0] if clause.quotes else None
        ex = exchange or (self.evidence[-1] if self.evidence else None)
        raise failure_class(clause_id)(
            clause_id,
            level=clause.level,
            title=clause.title,
            quote=quote.text if quote else "",
            source=source_label(quote.source) if quote else "",
            expected=expected,
            actual=actual,
            request_text=(f"{ex.operation or ex.method} {request_json(ex, 600)}" if ex else ""),
            reproduction=self.reproduction(ex) if ex else "",
            note=note,
        )

    def expect_answered(self, exchange: Exchange, clause_id: str = TIMELY_CLAUSE) -> None:
        """PROTO.TIMEOUT: an HTTP answer arrived within endpoint.read_timeout (`clause_id`: the check's clause,
        named in the message)."""
        self._judge(TIMELY_CLAUSE, exchange)
        where = f" while checking {clause_id}" if clause_id != TIMELY_CLAUSE else ""
        if exchange.transport_error == "timeout" and exchange.timeout_shortened:
            self.fail(
                TIMELY_CLAUSE,
                expected=f"an answer within {self.profile.endpoint.read_timeout:g} s (endpoint.read_timeout)",
                actual=f"no answer within {exchange.read_timeout:g} s{where}",
                exchange=exchange,
                note=exchange.timeout_shortened,
            )
        if exchange.transport_error == "timeout":
            self.fail(
                TIMELY_CLAUSE,
                expected=f"an answer within {self.profile.endpoint.read_timeout:g} s (endpoint.read_timeout)",
                actual=f"no answer after {exchange.elapsed:.1f} s (timed out){where}",
                exchange=exchange,
            )
        if exchange.transport_error:
            self.fail(
                TIMELY_CLAUSE,
                expected="an HTTP answer",
                actual=f"no response ({exchange.transport_error}) after {exchange.elapsed:.1f} s{where}",
                exchange=exchange,
            )

    def expect_error(
        self, exchange: Exchange, clause_id: str, errors: Iterable[str] | None = "<catalog>", status: Any = "<catalog>"
    ) -> str:
        """The exchange must be the clause's documented error (names and status from the catalog
        unless given; errors=None means any client error). Returns the error name seen."""
        if errors == "<catalog>" or status == "<catalog>":
            cat_errors, cat_status = expected_error(clause_info(clause_id).outcome)
            errors = cat_errors if errors == "<catalog>" else errors
            status = cat_status if status == "<catalog>" else status
        errors = list(errors) if errors else None
        self._judge(clause_id, exchange)
        self.expect_answered(exchange, clause_id)
        if exchange.error_code == THROTTLING and (not errors or THROTTLING not in errors):
            skip_throttled(exchange.operation, len(exchange.transient))
        body = exchange.json
        if (
            exchange.operation == "BatchMeterUsage"
            and exchange.ok
            and isinstance(body, dict)
            and body.get("UnprocessedRecords")
            and not body.get("Results")
        ):
            # every attempt left every record unprocessed (a transient failure): the endpoint never judged the request;
            # a batch some of whose records were processed was judged, and a 200 is then the wrong answer
            skip_unprocessed(
                f"{len(body['UnprocessedRecords'])} of the batch's records", clause_id, len(exchange.transient)
            )
        want = (" or ".join(errors) if errors else "a client error") + f" with {_status_text(status)}"
        if errors and exchange.error_code not in errors:
            self.fail(clause_id, expected=want, actual=exchange.summary(), exchange=exchange)
        if not errors and (exchange.status is None or not 400 <= exchange.status < 500):
            self.fail(clause_id, expected=want, actual=exchange.summary(), exchange=exchange)
        if not _status_ok(exchange.status, status):
            self.fail(
                clause_id,
                expected=want,
                actual=exchange.summary(),
                exchange=exchange,
                note="the error name is right but the HTTP status is not",
            )
        return exchange.error_code or ""

    def expect_success(self, exchange: Exchange, clause_id: str, *, allow_unprocessed: bool = False) -> dict:
        """The exchange must be a 2xx with a JSON object body that validates against the operation's
        output schema; returns the body. Still throttled after the Transport's resends: no verdict (SKIPPED
        THROTTLED); a BatchMeterUsage answer with records still in UnprocessedRecords: no verdict either
        (SKIPPED UNPROCESSED) unless `allow_unprocessed` (the caller judges each record itself)."""
        self._judge(clause_id, exchange)
        self.expect_answered(exchange, clause_id)
        if exchange.error_code == THROTTLING:
            skip_throttled(exchange.operation, len(exchange.transient))
        self._skip_if_token_spent(exchange)
        body = exchange.json
        if exchange.status is None or not 200 <= exchange.status < 300 or exchange.error_code:
            self.fail(clause_id, expected="success (HTTP 200)", actual=exchange.summary(), exchange=exchange)
        if not isinstance(body, dict):
            self.fail(
                clause_id, expected="success with a JSON object body", actual=exchange.summary(), exchange=exchange
            )
        self.expect_output_schema(exchange, body)
        unprocessed = body.get("UnprocessedRecords") if exchange.operation == "BatchMeterUsage" else None
        if unprocessed and isinstance(unprocessed, list) and not allow_unprocessed:
            skip_unprocessed(f"{len(unprocessed)} of the batch's records", clause_id, len(exchange.transient))
        return body

    def _skip_if_token_spent(self, exchange: Exchange) -> None:
        """A listed valid token answered ExpiredTokenException where the profile admits that resubmitted tokens
        expire: the success this check expects cannot be judged (the token may have been resolved before)."""
        if exchange.error_code != "ExpiredTokenException" or "expired" not in self.profile.contract.token_reuse:
            return
        request = exchange.request if isinstance(exchange.request, dict) else None
        token = request.get("RegistrationToken") if request is not None else None
        listed = [t.token for t in self.profile.registration_tokens.valid]
        if token in listed:
            self.observe(
                "RC.TOKEN.REUSE", "a listed valid token answered ExpiredTokenException (resolved before?)", exchange
            )
            skip_token_spent(listed.index(token))

    def expect_output_schema(self, exchange: Exchange, body: dict) -> None:
        """Every successful response validates against its operation's response schema."""
        from ..contract.response_schemas import output_errors

        self._judge(SCHEMA_CLAUSE.format(op=_op_area(exchange.operation)), exchange)
        problems = output_errors(exchange.operation, body)
        if problems:
            self.fail(
                SCHEMA_CLAUSE.format(op=_op_area(exchange.operation)),
                expected=f"a {exchange.operation} result matching its model shape",
                actual="; ".join(problems[:5]) + f"  body: {json.dumps(body)[:400]}",
                exchange=exchange,
            )

    def expect(
        self,
        condition: bool,
        clause_id: str,
        *,
        expected: str,
        actual: str,
        exchange: Exchange | None = None,
        note: str = "",
    ) -> None:
        """A property check: fail the clause unless `condition`."""
        self._judge(clause_id, exchange)
        if not condition:
            self.fail(clause_id, expected=expected, actual=actual, exchange=exchange, note=note)

    def observe(self, clause_id: str, text: str, exchange: Exchange | None = None) -> None:
        """Record an INFO observation (undocumented behaviour): shown in reports, never gating."""
        self._judge(clause_id, exchange)
        ex = exchange or (self.evidence[-1] if self.evidence else None)
        self.observations.append({"clause": clause_id, "text": text, "response": ex.summary() if ex else ""})


def expected_error(outcome) -> tuple[list[str] | None, Any]:
    """The error names and status a catalog outcome accepts (None: any client error). For `one_of`,
    the union of its error alternatives."""
    if outcome.kind == "error":
        return list(outcome.errors), outcome.status if outcome.status is not None else 400
    if outcome.kind == "one_of":
        names: list[str] = []
        statuses: set[int] = set()
        for alt in outcome.alternatives:
            if alt.kind == "error":
                names.extend(n for n in alt.errors if n not in names)
                st = alt.status if alt.status is not None else 400
                statuses.update(st if isinstance(st, tuple) else ([st] if isinstance(st, int) else []))
            elif alt.kind == "client_error":
                return None, "4xx"
        return names or None, (tuple(sorted(statuses)) if statuses else "4xx")
    return None, "4xx"


def _op_area(operation: str | None) -> str:
    return PREFIX.get(operation or "", "PROTO")
