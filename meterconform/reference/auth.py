"""SigV4 (AWS4-HMAC-SHA256) parsing and verification of a request's Authorization header."""

from __future__ import annotations

import calendar
import hashlib
import hmac
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from . import exceptions as exc

ALGORITHM = "AWS4-HMAC-SHA256"
SIGNING_NAME = "aws-marketplace"
MAX_SKEW_SECONDS = 15 * 60  # AWS rejects a signature dated more than 15 minutes from its clock

_AUTH_RE = re.compile(
    r"^AWS4-HMAC-SHA256\s+Credential=(?P<credential>[^,\s]+)\s*,\s*SignedHeaders=(?P<signed>[^,\s]+)\s*,"
    r"\s*Signature=(?P<signature>[0-9a-fA-F]+)\s*$"
)
_AMZ_DATE_RE = re.compile(r"^\d{8}T\d{6}Z$")


@dataclass(frozen=True)
class Credential:
    """What a verified signature tells about the caller."""

    access_key_id: str
    date: str
    region: str
    service: str


GetAll = Callable[[str], Sequence[str]]


class _SigningKeys:
    """A small thread-safe cache of derived SigV4 signing keys."""

    def __init__(self) -> None:
        self._keys: dict[tuple[str, str, str, str], bytes] = {}
        self._lock = threading.Lock()

    def get(self, secret: str, date: str, region: str, service: str) -> bytes:
        cache_key = (secret, date, region, service)
        key = self._keys.get(cache_key)
        if key is None:
            key = ("AWS4" + secret).encode()
            for part in (date, region, service, "aws4_request"):
                key = hmac.new(key, part.encode(), hashlib.sha256).digest()
            with self._lock:
                if len(self._keys) > 256:
                    self._keys.clear()
                self._keys[cache_key] = key
        return key


_signing_keys = _SigningKeys()


def _canonical_query(query: str) -> str:
    if not query:
        return ""
    pairs = sorted(tuple(part.partition("=")[::2]) for part in query.split("&"))
    return "&".join(f"{k}={v}" for k, v in pairs)


def _amz_date_epoch(amz_date: str) -> int:
    return calendar.timegm(time.strptime(amz_date, "%Y%m%dT%H%M%SZ"))


def canonical_request(method: str, path: str, query: str, get_all: GetAll, signed: Sequence[str], body: bytes) -> str:
    """The SigV4 canonical request for the received request, over the headers the client says it signed."""
    headers = []
    for name in signed:
        values = get_all(name)
        if not values:
            raise exc.InvalidSignatureException(f"Header {name!r} is listed in SignedHeaders but is not present.")
        headers.append(f"{name}:{','.join(' '.join(v.split()) for v in values)}\n")
    payload_hash = hashlib.sha256(body).hexdigest()
    declared = get_all("x-amz-content-sha256")
    if declared and declared[0] != payload_hash:
        raise exc.InvalidSignatureException("X-Amz-Content-SHA256 does not match the SHA-256 of the body.")
    return "\n".join(
        [method.upper(), path or "/", _canonical_query(query), "".join(headers), ";".join(signed), payload_hash]
    )


def verify(
    method: str,
    path: str,
    query: str,
    get_all: GetAll,
    body: bytes,
    secret_access_key: str,
    now: float | None = None,
) -> Credential:
    """Verify the request's SigV4 signature (any access key id, the given secret); return its credential scope."""
    authorization = get_all("authorization")
    amz_date = get_all("x-amz-date")
    if not authorization:
        raise exc.MissingAuthenticationTokenException("Missing Authentication Token: no Authorization header.")
    if not amz_date:
        raise exc.MissingAuthenticationTokenException(
            "Missing Authentication Token: the request has no X-Amz-Date header."
        )
    match = _AUTH_RE.match(authorization[0])
    if match is None:
        raise exc.IncompleteSignatureException(
            "Authorization header must be 'AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/SERVICE/aws4_request, "
            "SignedHeaders=..., Signature=...'."
        )
    parts = match["credential"].split("/")
    if len(parts) != 5 or parts[4] != "aws4_request" or not all(parts):
        raise exc.IncompleteSignatureException(
            f"Credential {match['credential']!r} must be AKID/YYYYMMDD/REGION/SERVICE/aws4_request."
        )
    credential = Credential(*parts[:4])
    signed = match["signed"].split(";")
    if signed != sorted(signed) or any(h != h.lower() for h in signed) or "host" not in signed:
        raise exc.IncompleteSignatureException(
            "SignedHeaders must be lower-case, sorted, separated by ';', and include 'host'."
        )
    if not _AMZ_DATE_RE.match(amz_date[0]):
        raise exc.IncompleteSignatureException(f"X-Amz-Date {amz_date[0]!r} must be in the form YYYYMMDD'T'HHMMSS'Z'.")
    if credential.service != SIGNING_NAME:
        raise exc.InvalidSignatureException(
            f"Credential should be scoped to correct service: {SIGNING_NAME!r}, not {credential.service!r}."
        )
    if credential.date != amz_date[0][:8]:
        raise exc.InvalidSignatureException(
            f"Date in Credential scope {credential.date!r} does not match X-Amz-Date {amz_date[0]!r}."
        )
    try:
        signed_at = _amz_date_epoch(amz_date[0])
    except ValueError:
        raise exc.IncompleteSignatureException(f"X-Amz-Date {amz_date[0]!r} is not a valid date.") from None
    now = time.time() if now is None else now
    if abs(now - signed_at) > MAX_SKEW_SECONDS:
        raise exc.InvalidSignatureException(
            f"Signature expired: {amz_date[0]} is more than {MAX_SKEW_SECONDS // 60} minutes from the server time."
        )
    creq = canonical_request(method, path, query, get_all, signed, body)
    scope = f"{credential.date}/{credential.region}/{credential.service}/aws4_request"
    string_to_sign = f"{ALGORITHM}\n{amz_date[0]}\n{scope}\n{hashlib.sha256(creq.encode()).hexdigest()}"
    key = _signing_keys.get(secret_access_key, credential.date, credential.region, credential.service)
    expected = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, match["signature"].lower()):
        raise exc.InvalidSignatureException(
            "The request signature we calculated does not match the signature you provided. Check your AWS "
            "Secret Access Key and signing method."
        )
    return credential
