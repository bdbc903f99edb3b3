"""The reading switch: behaviours the contract permits that the endpoint does not show by default.

A fault is a deviation the suite must catch; a reading is the opposite: a conformant endpoint may behave so,
and the suite must stay green when it does (`meterconform mutants --readings`). Adding a reading: one entry
here, one `readings.on(active, "name")` test at the place that behaves differently, one self-test in
tests/reference/test_readings.py showing it changes the endpoint's answer."""

from __future__ import annotations

import hashlib
import threading

from .switches import Switches

# How far ahead of the server clock future-timestamps-refused lets a timestamp be (clock skew between a
# buyer's instance and AWS): 5 minutes, the usual NTP-synced allowance and well under SigV4's 15 minutes.
FUTURE_SKEW_SECONDS = 300
# The *-sometimes readings: one request in EVERY_N (counted per reading from the endpoint's start) gets the
# transient answer; the resend of that very request (same operation and body) always passes.
THROTTLE_EVERY = 10
INTERNAL_ERROR_EVERY = 10
UNPROCESSED_EVERY = 5
# slow-sometimes: one request in SLOW_EVERY waits SLOW_SECONDS before it is processed (far under any read timeout).
SLOW_EVERY = 50
SLOW_SECONDS = 1.0
# idle-connections-closed: a keep-alive connection idle this long is closed by the server (a load balancer's
# idle timeout, much shortened).
IDLE_SECONDS = 1.0

# name -> one line saying what the endpoint then does (and why the contract allows it).
READINGS: dict[str, str] = {
    "token-scope-endpoint": "MeterUsage ClientTokens are scoped to the endpoint, shared by every caller "
    "(the scope is undocumented; the default is per caller).",
    "idempotency-conflict-409": "IdempotencyConflictException is sent with HTTP 409 (the Smithy model's "
    "status) instead of 400.",
    "future-timestamps-refused": f"Timestamps more than {FUTURE_SKEW_SECONDS} s after the server clock are "
    "TimestampOutOfBoundsException (MeterUsage; BatchMeterUsage refuses the whole batch).",
    "unknown-members-refused": "A request member the model does not define is refused with 400 "
    "SerializationException (unknown members are undocumented).",
    "non-post-404": "GET, PUT, DELETE, PATCH and HEAD are answered 404 UnknownOperationException "
    "(as AWS JSON services do).",
    "dryrun-200-empty": "MeterUsage with DryRun=true that would succeed answers 200 with {} (and records nothing).",
    "throttle-sometimes": f"One request in {THROTTLE_EVERY} is answered 400 ThrottlingException; its "
    "identical resend passes.",
    "unprocessed-sometimes": f"One BatchMeterUsage in {UNPROCESSED_EVERY} answers 200 with every record in "
    "UnprocessedRecords and no Results, recording nothing; its identical resend is processed.",
    "internal-error-sometimes": f"One request in {INTERNAL_ERROR_EVERY} is answered 500 "
    "InternalServiceErrorException; its identical resend passes.",
    "results-reversed": "BatchMeterUsage Results come in the reverse order of the UsageRecords (the model "
    "promises no order).",
    "echo-numbers-as-float": "Echoed numbers are spelled as JSON fractions: Timestamp 1700000000.0, Quantity "
    "17.0 (the same values).",
    "error-type-namespaced": "Error __type carries the Smithy namespace (com.amazonaws.marketplacemetering#Name) "
    "and x-amzn-ErrorType a :http://... suffix, as AWS sends them.",
    "message-capitalised": "Error bodies carry the text under Message, not message (botocore reads both).",
    "extra-response-members": "Responses and their nested results carry members the installed model does not "
    "define (a newer model may add members).",
    "request-id-missing": "Responses carry no x-amzn-RequestId header (no source requires one).",
    "empty-lists-omitted": "BatchMeterUsage leaves out Results and UnprocessedRecords when they are empty "
    "(output members are optional).",
    "echo-defaults-filled": "Echoed UsageRecords carry the model's default for what the request left out (Quantity 0).",
    "echo-decimals-normalised": "An echoed QuantityAsDecimal is written in its shortest form (17.50 comes back as "
    "17.5, 3.000 as 3): the same value.",
    "record-ids-opaque": "MeteringRecordIds are opaque strings, not UUIDs (the model gives them no format).",
    "jwt-extra-claims": "RegisterUsage's JWT carries more than the echoed claims: kid in its header, iss and exp "
    "in its payload.",
    "connection-close": "Every response closes the connection (Connection: close); clients must reconnect.",
    "header-names-lowercase": "Response header names are sent in lower case (HTTP header names are case-insensitive).",
    "chunked-responses": "Response bodies are sent with Transfer-Encoding: chunked, without Content-Length.",
    "content-type-with-charset": "Content-Type is application/x-amz-json-1.1; charset=utf-8 (the same media "
    "type with a parameter).",
    "error-type-suffixed": "Error __type carries a :http://... suffix after the name (clients strip it).",
    "reason-phrase-empty": "The HTTP status line carries no reason phrase (HTTP/1.1 400 ), which HTTP allows.",
    "idle-connections-closed": f"A keep-alive connection idle for {IDLE_SECONDS:g} s is closed by the server "
    "(as a load balancer's idle timeout does).",
    "slow-sometimes": f"One request in {SLOW_EVERY} is processed only after {SLOW_SECONDS:g} s (concurrent "
    "requests may overtake it).",
}


_SWITCHES = Switches("reading", READINGS)
validated = _SWITCHES.validated
on = _SWITCHES.on
table = _SWITCHES.table


class Sometimes:
    """Deterministic occasional trouble: the `every`-th request (then every `every` more) is hit, unless it is
    the resend of a request hit before; a request that was hit always passes the next time it is sent."""

    def __init__(self, every: int, offset: int = 0):
        self.every = every
        self.offset = offset % every
        self._count = 0
        self._pending: set[str] = set()
        self._lock = threading.Lock()

    @staticmethod
    def fingerprint(*parts: bytes | str) -> str:
        digest = hashlib.sha256()
        for part in parts:
            digest.update(part.encode() if isinstance(part, str) else part)
            digest.update(b"\0")
        return digest.hexdigest()

    def hit(self, fingerprint: str) -> bool:
        """Whether this request gets the transient answer."""
        with self._lock:
            self._count += 1
            if fingerprint in self._pending:
                self._pending.discard(fingerprint)
                return False
            if self._count % self.every == self.offset:
                self._pending.add(fingerprint)
                return True
            return False
