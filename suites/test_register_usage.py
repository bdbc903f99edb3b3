"""RegisterUsage: a JWT Signature for the seller's product and a published key version, echoing what was
sent; product codes, key versions and nonces outside the contract are refused with the documented errors."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from meterconform.harness.current import current_metering
from meterconform.strategies import nonces
from meterconform.strategies._model import NONCE_MAX, PRODUCT_CODE_MAX

from . import _wire as wire

SIGNATURE_CLAUSES = (
    "RU.REGISTER.SUCCESS",
    "OUT.RU.SCHEMA",
    "OUT.RU.SIGNATURE_JWT",
    "OUT.RU.SIGNATURE_PAYLOAD",
    "OUT.RU.ROTATION_TIMESTAMP",
    "PROTO.TIMEOUT",
)
JWT_HEADER = {"alg": "PS256", "typ": "JWT"}


def _segment(text: str) -> Any:
    """A base64url JWT segment decoded as JSON (None when it is not)."""
    try:
        return json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return None


def _register(metering, version: int, nonce: str | None = None, product_code: str | None = None):
    request: dict[str, Any] = {
        "ProductCode": product_code or metering.profile.need("product.code"),
        "PublicKeyVersion": version,
    }
    if nonce is not None:
        request["Nonce"] = nonce
    return request, metering.call("RegisterUsage", request)


def _expect_signature(metering, request: dict, ex, clause: str) -> None:
    """A success whose Signature is a PS256 JWT echoing `request` with an issued-at near now; then (SHOULD)
    no PublicKeyRotationTimestamp for a current key version."""
    body = metering.expect_success(ex, clause)
    signature = body.get("Signature")
    metering.expect(
        isinstance(signature, str) and bool(signature),
        "RU.REGISTER.SUCCESS",
        expected="a non-empty Signature",
        actual=f"result {sorted(body)}",
        exchange=ex,
    )
    parts = signature.split(".")
    header = _segment(parts[0]) if len(parts) == 3 and all(parts) else None
    metering.expect(
        isinstance(header, dict) and all(header.get(k) == v for k, v in JWT_HEADER.items()),
        "OUT.RU.SIGNATURE_JWT",
        expected=f"three base64url segments, the first {json.dumps(JWT_HEADER)}",
        actual=f"{len(parts)} segment(s), header {header!r}",
        exchange=ex,
    )
    payload = _segment(parts[1])
    metering.expect(
        isinstance(payload, dict),
        "OUT.RU.SIGNATURE_PAYLOAD",
        expected="a JSON object payload",
        actual=f"payload segment {parts[1][:80]!r}",
        exchange=ex,
    )
    want = {"productCode": request["ProductCode"], "publicKeyVersion": request["PublicKeyVersion"]}
    if request.get("Nonce"):
        want["nonce"] = request["Nonce"]
    got = {k: payload.get(k) for k in want}
    metering.expect(
        got == want,
        "OUT.RU.SIGNATURE_PAYLOAD",
        expected=f"the payload echoes {want}",
        actual=f"payload {payload}",
        exchange=ex,
    )
    if request.get("Nonce") == "":
        metering.expect(
            payload.get("nonce") in (None, ""),
            "OUT.RU.SIGNATURE_PAYLOAD",
            expected="no nonce, or the empty one sent",
            actual=f"payload {payload}",
            exchange=ex,
        )
    iat = payload.get("iat")
    slack = metering.profile.contract.clock_tolerance_seconds + ex.elapsed + 5
    metering.expect(
        isinstance(iat, (int, float)) and not isinstance(iat, bool) and abs(iat - metering.now()) <= slack,
        "OUT.RU.SIGNATURE_PAYLOAD",
        expected=f"a numeric iat (epoch seconds) within {slack:.0f} s of now",
        actual=f"iat {iat!r}",
        exchange=ex,
    )
    metering.expect(
        body.get("PublicKeyRotationTimestamp") is None,
        "OUT.RU.ROTATION_TIMESTAMP",
        expected="no PublicKeyRotationTimestamp for a published, current key version",
        actual=f"PublicKeyRotationTimestamp {body.get('PublicKeyRotationTimestamp')!r}",
        exchange=ex,
    )


NONCE_CASES = {
    "absent": None,
    "ascii": "meterconform-nonce",
    "empty": "",
    "ascii-255": "n" * NONCE_MAX,
    "two-byte-255": "\u00e9" * NONCE_MAX,
    "three-byte-255": "\u4e2d" * NONCE_MAX,
    "whitespace": " \t\n",
}


@pytest.mark.parametrize("nonce", list(NONCE_CASES.values()), ids=list(NONCE_CASES))
@pytest.mark.clause("RU.NONCE.OPTIONAL", *SIGNATURE_CLAUSES)
def test_each_key_version_gets_a_jwt_signature_echoing_the_request(metering, nonce):
    """For every key version of the profile; a Nonce of up to 255 characters (any characters: its pattern is
    [\\s\\S]*), or none at all."""
    for version in metering.profile.need("product.public_key_versions"):
        request, ex = _register(metering, version, nonce)
        _expect_signature(metering, request, ex, "RU.NONCE.OPTIONAL" if nonce is None else "RU.REGISTER.SUCCESS")


@given(nonce=nonces())
@pytest.mark.clause(*SIGNATURE_CLAUSES)
def test_any_nonce_up_to_255_characters_is_echoed(nonce):
    metering = current_metering()
    version = metering.profile.need("product.public_key_versions")[0]
    request, ex = _register(metering, version, nonce)
    _expect_signature(metering, request, ex, "RU.REGISTER.SUCCESS")


NONCES_TOO_LONG = {
    "ascii-256": "n" * (NONCE_MAX + 1),
    "two-byte-256": "\u00e9" * (NONCE_MAX + 1),
    "ascii-1000": "n" * 1000,
}


@pytest.mark.parametrize("nonce", list(NONCES_TOO_LONG.values()), ids=list(NONCES_TOO_LONG))
@pytest.mark.clause("RU.NONCE.LENGTH")
def test_a_nonce_over_255_characters_is_refused(metering, nonce):
    _, ex = _register(metering, metering.profile.need("product.public_key_versions")[0], nonce)
    metering.expect_error(ex, "RU.NONCE.LENGTH")


# -- product codes -----------------------------------------------------------------------------------------


def _unknown_codes(code: str) -> dict[str, str]:
    return {"unrelated": wire.UNKNOWN_PRODUCT_CODE, "near-miss": code + "0", "max-length": "p" * PRODUCT_CODE_MAX}


@pytest.mark.parametrize("case", ["unrelated", "near-miss", "max-length"])
@pytest.mark.clause("RU.PRODUCT_CODE.UNKNOWN")
def test_a_product_code_that_is_not_the_sellers_is_invalid_product_code(metering, case):
    """Well-formed codes (the pattern, at most 255 characters) that name no product of the seller."""
    code = _unknown_codes(metering.profile.need("product.code"))[case]
    _, ex = _register(metering, metering.profile.need("product.public_key_versions")[0], product_code=code)
    metering.expect_error(ex, "RU.PRODUCT_CODE.UNKNOWN")


@pytest.mark.clause("RU.PRODUCT_CODE.REQUIRED")
def test_a_request_without_a_product_code_is_refused(metering):
    ex = metering.call("RegisterUsage", {"PublicKeyVersion": metering.profile.need("product.public_key_versions")[0]})
    metering.expect_error(ex, "RU.PRODUCT_CODE.REQUIRED")


@pytest.mark.parametrize("length", [PRODUCT_CODE_MAX + 1, 1000])
@pytest.mark.clause("RU.PRODUCT_CODE.LENGTH")
def test_a_product_code_over_255_characters_is_refused(metering, length):
    code = metering.profile.need("product.code")
    _, ex = _register(
        metering, metering.profile.need("product.public_key_versions")[0], product_code=(code * length)[:length]
    )
    metering.expect_error(ex, "RU.PRODUCT_CODE.LENGTH")


# Characters outside ^[-a-zA-Z0-9/=:_.@]*$, each appended to the real code (a trailing newline included:
# `$` must not match before it).
BAD_CODE_CHARACTERS = [" ", "!", "#", "?", "*", "+", ",", "~", "\u00e9", "\n", "\u0000"]


@pytest.mark.parametrize("character", BAD_CODE_CHARACTERS, ids=[f"U+{ord(c):04X}" for c in BAD_CODE_CHARACTERS])
@pytest.mark.clause("RU.PRODUCT_CODE.PATTERN")
def test_a_product_code_outside_its_pattern_is_refused(metering, character):
    code = metering.profile.need("product.code")
    _, ex = _register(metering, metering.profile.need("product.public_key_versions")[0], product_code=code + character)
    metering.expect_error(ex, "RU.PRODUCT_CODE.PATTERN")


# -- key versions ------------------------------------------------------------------------------------------


@pytest.mark.clause("RU.PUBLIC_KEY_VERSION.REQUIRED")
def test_a_request_without_a_public_key_version_is_refused(metering):
    ex = metering.call("RegisterUsage", {"ProductCode": metering.profile.need("product.code")})
    metering.expect_error(ex, "RU.PUBLIC_KEY_VERSION.REQUIRED")


@pytest.mark.parametrize("version", [0, -1, -(2**31)])
@pytest.mark.clause("RU.PUBLIC_KEY_VERSION.MIN")
def test_a_public_key_version_below_1_is_refused(metering, version):
    _, ex = _register(metering, version)
    metering.expect_error(ex, "RU.PUBLIC_KEY_VERSION.MIN")


@pytest.mark.clause("RU.PUBLIC_KEY_VERSION.UNKNOWN")
def test_the_next_unpublished_key_version_is_invalid_public_key_version(metering):
    versions = metering.profile.need("product.public_key_versions")
    for version in (max(versions) + 1, 2**31 - 1):
        if version not in versions:
            _, ex = _register(metering, version)
            metering.expect_error(ex, "RU.PUBLIC_KEY_VERSION.UNKNOWN")


@given(data=st.data())
@pytest.mark.clause("RU.PUBLIC_KEY_VERSION.UNKNOWN")
def test_any_unpublished_key_version_is_invalid_public_key_version(data):
    metering = current_metering()
    versions = set(metering.profile.need("product.public_key_versions"))
    version = data.draw(st.integers(1, 2**31 - 1).filter(lambda v: v not in versions), label="PublicKeyVersion")
    _, ex = _register(metering, version)
    metering.expect_error(ex, "RU.PUBLIC_KEY_VERSION.UNKNOWN")
