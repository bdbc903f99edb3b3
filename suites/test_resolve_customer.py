"""ResolveCustomer: the profile's valid registration tokens resolve to their customer, account, license and
product; expired, never-issued, empty and missing tokens are refused with the documented errors."""

from __future__ import annotations

import functools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from meterconform.harness.current import current_metering
from meterconform.strategies.products import ANY_CHARACTERS

FIELD_CLAUSES = (
    "RC.TOKEN.VALID",
    "OUT.RC.SCHEMA",
    "OUT.RC.FIELDS",
    "OUT.RC.PRODUCT_CODE",
    "OUT.RC.METADATA",
    "PROTO.TIMEOUT",
)


def _resolve(metering, token: str):
    return metering.call("ResolveCustomer", {"RegistrationToken": token})


def _expect_resolved(metering, token, ex) -> dict:
    """The success for `token` (a profile ValidToken) with the fields the profile says it resolves to."""
    body = metering.expect_success(ex, "RC.TOKEN.VALID")
    for member in ("ProductCode", "CustomerAWSAccountId", "LicenseArn"):
        metering.expect(
            isinstance(body.get(member), str) and bool(body.get(member)),
            "OUT.RC.FIELDS",
            expected=f"a non-empty {member}",
            actual=f"{member} {body.get(member)!r}",
            exchange=ex,
        )
    want = {"CustomerAWSAccountId": token.account, "LicenseArn": token.license_arn}
    for member, value in want.items():
        if value is not None:
            metering.expect(
                body.get(member) == value,
                "OUT.RC.FIELDS",
                expected=f"{member} {value!r} (the profile's, for this token)",
                actual=f"{member} {body.get(member)!r}",
                exchange=ex,
            )
    customer = body.get("CustomerIdentifier")
    if customer and token.customer is not None:  # new integrations may leave it empty
        metering.expect(
            customer == token.customer,
            "OUT.RC.FIELDS",
            expected=f"CustomerIdentifier {token.customer!r} (or none)",
            actual=f"CustomerIdentifier {customer!r}",
            exchange=ex,
        )
    code = token.product_code or metering.profile.need("product.code")
    metering.expect(
        body.get("ProductCode") == code,
        "OUT.RC.PRODUCT_CODE",
        expected=f"ProductCode {code!r}",
        actual=f"ProductCode {body.get('ProductCode')!r}",
        exchange=ex,
    )
    agreement = (body.get("Metadata") or {}).get("AgreementId") if isinstance(body.get("Metadata"), dict) else None
    metering.observe("OUT.RC.METADATA", f"Metadata.AgreementId {'present' if agreement else 'absent'}", ex)
    return body


@pytest.mark.clause(*FIELD_CLAUSES)
def test_each_valid_token_resolves_to_its_customer(metering):
    for token in metering.profile.need("registration_tokens.valid"):
        _expect_resolved(metering, token, _resolve(metering, token.token))


@pytest.mark.clause("RC.TOKEN.REUSE", *FIELD_CLAUSES)
def test_resolving_a_token_again_is_reported(metering):
    """Whether a resubmitted token still resolves is contested: the second answer is reported, not judged."""
    token = metering.profile.need("registration_tokens.valid")[-1]
    first = _resolve(metering, token.token)
    _expect_resolved(metering, token, first)
    again = _resolve(metering, token.token)
    seen = f"HTTP {again.status} {again.error_code}" if again.error_code else f"resolved again (HTTP {again.status})"
    metering.observe("RC.TOKEN.REUSE", f"a token resolved once, sent again: {seen}", again)


@pytest.mark.clause("RC.TOKEN.EXPIRED")
def test_an_expired_token_is_expired_token(metering):
    for token in metering.profile.need("registration_tokens.expired"):
        metering.expect_error(_resolve(metering, token), "RC.TOKEN.EXPIRED")


@pytest.mark.clause("RC.TOKEN.INVALID")
def test_the_profiles_invalid_tokens_are_invalid_token(metering):
    for token in metering.profile.need("registration_tokens.invalid"):
        metering.expect_error(_resolve(metering, token), "RC.TOKEN.INVALID")


def _listed(profile) -> frozenset[str]:
    tokens = profile.registration_tokens
    return frozenset({t.token for t in tokens.valid} | set(tokens.expired))


@functools.lru_cache(maxsize=8)  # built once per token list, not validated again in every example
def _unlisted_tokens(listed: frozenset[str]) -> st.SearchStrategy[str]:
    return st.text(ANY_CHARACTERS, min_size=1, max_size=128).filter(lambda t: t not in listed)


@given(data=st.data())
@pytest.mark.clause("RC.TOKEN.INVALID")
def test_a_token_nobody_issued_is_invalid_token(data):
    """Any non-empty string (the pattern is [\\s\\S]+) that is not one of the profile's valid or expired tokens."""
    metering = current_metering()
    token = data.draw(_unlisted_tokens(_listed(metering.profile)), label="token")
    metering.expect_error(_resolve(metering, token), "RC.TOKEN.INVALID")


@pytest.mark.clause("RC.TOKEN.NON_EMPTY")
def test_an_empty_token_is_refused(metering):
    metering.expect_error(_resolve(metering, ""), "RC.TOKEN.NON_EMPTY")


@pytest.mark.clause("RC.TOKEN.REQUIRED")
def test_a_request_without_a_token_is_refused(metering):
    metering.expect_error(metering.call("ResolveCustomer", {}), "RC.TOKEN.REQUIRED")
