"""Preflight: before the first check, one request that records nothing shows the URL and credentials are right."""

from __future__ import annotations

from dataclasses import dataclass, replace
from urllib.parse import urlsplit, urlunsplit

from ..contract.operations import OPERATIONS
from ..errors import ExitCode
from ..harness.profile import Profile
from .clients import UNIMPLEMENTED_CODES, Exchange, Transport, fresh_identity, records_nothing

# Errors an AWS front door (or an emulator's) answers before any operation sees the request.
SIGNATURE_ERRORS = ("InvalidSignatureException", "SignatureDoesNotMatch")
UNKNOWN_KEY_ERRORS = ("UnrecognizedClientException", "InvalidClientTokenId")
INCOMPLETE_ERRORS = (
    "IncompleteSignatureException",
    "IncompleteSignature",
    "MissingAuthenticationTokenException",
    "MissingAuthenticationToken",
)
# MeterUsage's own model has no ExpiredTokenException: on it, that is the session token (AWS's wording).
EXPIRED_SESSION_ERRORS = ("ExpiredTokenException",)
REGION_ERRORS = ("InvalidEndpointRegionException",)  # MeterUsage signed for a Region the endpoint does not serve


@dataclass(frozen=True)
class Refusal:
    """Why the run must not start: one sentence naming the fix, and the exit code."""

    message: str
    code: int = ExitCode.USAGE


_passed: set[tuple[str, object]] = set()  # (url, endpoint settings) already preflighted in this process


def preflight(profile: Profile, url: str) -> Refusal | None:
    """None when the endpoint at `url` takes the profile's credentials, else the Refusal to stop the run with.

    The request is a MeterUsage with DryRun (the documented call that records nothing, also on real AWS), signed as
    the checks sign: on an emulator a fresh identity (so even an endpoint ignoring DryRun cannot fill a check's hour
    slot), on a real endpoint the configured one. A transient answer is sent again (Transport). Only an answer
    naming the signature or the key is a refusal; any other answer (DryRunOperation, 200, an unimplemented
    operation's 500 page, a product or Region error of another kind) means the credentials were taken. An answer
    of 404 is asked again with the other three operations' records-nothing requests: 404 to all four (none saying
    "unknown operation") is a URL whose path serves no Metering service."""
    key = (url.rstrip("/"), replace(profile.endpoint, url=None))
    if key in _passed:
        return None
    transport = Transport(profile, url)
    identity = None if profile.endpoint.is_real else fresh_identity()
    try:
        answer = transport.raw(records_nothing("MeterUsage", profile), operation="MeterUsage", identity=identity)
        if _not_found(answer, UNIMPLEMENTED_CODES):
            others = [
                transport.raw(records_nothing(op, profile), operation=op, identity=identity)
                for op in OPERATIONS
                if op != "MeterUsage"
            ]
            if all(_not_found(other, UNIMPLEMENTED_CODES) for other in others):
                return Refusal(_path_message(url, answer))
    finally:
        transport.close()
    refusal = credentials_refusal(answer, profile, url)
    if refusal is None:
        _passed.add(key)
    return refusal


def _not_found(exchange: Exchange, unimplemented: set[str]) -> bool:
    return exchange.status == 404 and exchange.error_code not in unimplemented


def _path_message(url: str, answer: Exchange) -> str:
    parts = urlsplit(url)
    what = answer.answer_summary(short=True)
    if parts.path.strip("/"):
        root = urlunsplit((parts.scheme, parts.netloc, "", "", ""))
        return (
            f"the endpoint {url} answers {what} to every operation: no Marketplace Metering service is at the path "
            f"{parts.path}; AWS JSON services answer at the root, so use {root} in endpoint.url / --endpoint-url "
            "(or the path your gateway really serves it at)"
        )
    return (
        f"the endpoint {url} answers {what} to every operation: it serves no Marketplace Metering API there; fix "
        "endpoint.url / --endpoint-url"
    )


def credentials_refusal(answer: Exchange, profile: Profile, url: str) -> Refusal | None:
    """The Refusal an answer to the preflight request says, when it refuses the signature or the key."""
    code = answer.error_code
    if answer.transport_error or code is None:
        return None
    text = (answer.message or "").lower()
    where = f"in the profile {profile.source}"
    keys = "endpoint.access_key_id and endpoint.secret_access_key"
    if not profile.endpoint.access_key_id:
        where += " (they came from the boto3 chain, used only when the profile sets none)"
    if code in SIGNATURE_ERRORS and "region" in text or code in REGION_ERRORS:
        found = f"refuses the Region the requests are signed for; set endpoint.region {where} to the Region it serves"
    elif code in SIGNATURE_ERRORS and "service" in text and "scope" in text:
        found = f"expects requests signed for another service; endpoint.url {where} names another API"
    elif code in SIGNATURE_ERRORS and "expired" in text:
        found = "refuses the signature's date; this machine's clock is more than 15 minutes off, set it right"
    elif code in SIGNATURE_ERRORS:
        found = f"refuses the credentials (the secret does not match); set {keys} {where} to the keys it expects"
    elif code in UNKNOWN_KEY_ERRORS:
        found = (
            f"knows no such access key; set {keys} (and endpoint.session_token for temporary keys) {where} to "
            "the keys it expects"
        )
    elif code in INCOMPLETE_ERRORS:
        found = (
            f"got no complete SigV4 signature (a proxy stripping the Authorization header, or a URL that is not "
            f"the Metering API's); check endpoint.url and {keys} {where}"
        )
    elif code in EXPIRED_SESSION_ERRORS:
        found = (
            f"refuses the session token as expired; refresh endpoint.session_token {where} (or the credentials "
            "of endpoint.config_profile)"
        )
    else:
        return None
    return Refusal(f"the endpoint {url} {found} (its answer to a DryRun MeterUsage: {_answer(answer)})")


def _answer(exchange: Exchange) -> str:
    """The answer in one line, for a message."""
    return " ".join(exchange.answer_summary().split())
