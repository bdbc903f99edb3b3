"""Redaction: credentials, registration tokens and signatures never reach a report, log or attachment.

Only real secrets are masked: the profile's keys and tokens (registered by the plugin), anything shaped like an
AWS access key id, Authorization headers and JWT signatures. Values the suite invents (a ClientToken, a nonce,
a made-up registration token, a fresh access key id) and the reference endpoint's built-in test keys and
tokens (published in meterconform/data/default-profile.toml) are evidence, shown as they are.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any

MASK = "***redacted***"
SECRET_HEADERS = {"authorization", "x-amz-security-token", "x-amz-credential", "x-amz-signature"}
SECRET_MEMBERS = {
    "SecretAccessKey",
    "SessionToken",
    "secret_access_key",
    "session_token",
    "aws_secret_access_key",
    "aws_session_token",
    "access_key_id",
}
# Each pattern opens with its fixed text and checks the word boundary before it by a lookbehind after it: the same
# matches as a leading \b, which would keep the regex engine from skipping ahead to that text (a long page's
# redaction took fifteen times as long).
_AKID = re.compile(r"(AKIA|ASIA|AIDA|AROA)(?<!\w.{4})[A-Z0-9]{12,}\b")
# A JWT (RegisterUsage's Signature): keep header and payload (evidence), mask the signature segment.
_JWT = re.compile(r"(eyJ(?<!\weyJ)[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)\.[A-Za-z0-9_-]{8,}")
_AUTH = re.compile(r"(AWS4-HMAC-SHA256)\s+Credential=[^\s,]+,\s*SignedHeaders=([^\s,]+),\s*Signature=[0-9a-fA-F]+")

_known_secrets: set[str] = set()


@cache
def public_values() -> frozenset[str]:
    """The built-in default profile's keys and registration tokens: the reference endpoint's public test values."""
    import tomllib
    from importlib import resources

    profile = tomllib.loads(
        resources.files("meterconform").joinpath("data/default-profile.toml").read_text(encoding="utf-8")
    )
    endpoint, tokens = profile.get("endpoint", {}), profile.get("registration_tokens", {})
    values = {
        endpoint.get("access_key_id"),
        endpoint.get("secret_access_key"),
        *tokens.get("expired", ()),
        *tokens.get("invalid", ()),
        *tokens.get("valid", {}),
    }
    return frozenset(v for v in values if isinstance(v, str) and v)


def register_secret(*values: str | None) -> None:
    """Remember values (keys, tokens) that must be masked wherever they appear in text; public test values
    (public_values) are no secret and stay visible."""
    for value in values:
        if value and len(value) >= 4 and value not in public_values():
            _known_secrets.add(value)


def known_secrets() -> Iterable[str]:
    return tuple(_known_secrets)


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Headers with Authorization reduced to its algorithm and signed-header list, tokens masked."""
    out = {}
    for key, value in headers.items():
        value = value.decode() if isinstance(value, bytes) else str(value)
        low = key.lower()
        if low == "authorization":
            m = _AUTH.search(value)
            out[key] = f"{m.group(1)} Credential={MASK}, SignedHeaders={m.group(2)}, Signature={MASK}" if m else MASK
        elif low in SECRET_HEADERS:
            out[key] = MASK
        else:
            out[key] = redact_text(value)
    return out


def redact_value(value: Any) -> Any:
    """A JSON-like value with secret members masked and known secrets removed from strings."""
    if isinstance(value, dict):
        return {k: (MASK if k in SECRET_MEMBERS and v not in (None, "") else redact_value(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [redact_value(v) for v in value]
    if isinstance(value, str):
        return redact_text(value)
    return value


def redact_text(text: str) -> str:
    """Text with known secrets and anything shaped like an AWS access key id masked."""
    for secret in sorted(_known_secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, MASK)
    text = _AUTH.sub(lambda m: f"{m.group(1)} Credential={MASK}, SignedHeaders={m.group(2)}, Signature={MASK}", text)
    text = _JWT.sub(lambda m: f"{m.group(1)}.{MASK}", text)
    return _AKID.sub(MASK, text)
