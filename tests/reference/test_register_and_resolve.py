"""RegisterUsage (the JWT, key versions, Region) and ResolveCustomer (valid, expired, invalid tokens)."""

from __future__ import annotations

import base64
import json

import pytest

from .conftest import DEFAULT, PRODUCT, T0, client_error, make_client


def jwt_part(segment: str) -> dict:
    assert "=" not in segment, "JWT segments are base64url without padding"
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


def test_register_usage_answers_a_ps256_jwt_echoing_the_request(client):
    result = client.register_usage(ProductCode=PRODUCT, PublicKeyVersion=2, Nonce="nonce-1")
    header, payload, signature = result["Signature"].split(".")
    assert jwt_part(header) == {"alg": "PS256", "typ": "JWT"}
    assert jwt_part(payload) == {"productCode": PRODUCT, "publicKeyVersion": 2, "nonce": "nonce-1", "iat": T0}
    assert len(base64.urlsafe_b64decode(signature + "==")) == 256
    assert "PublicKeyRotationTimestamp" not in result


def test_register_usage_without_nonce_has_no_nonce_claim(client):
    payload = jwt_part(client.register_usage(ProductCode=PRODUCT, PublicKeyVersion=1)["Signature"].split(".")[1])
    assert "nonce" not in payload


@pytest.mark.parametrize(
    "params, code",
    [
        ({"PublicKeyVersion": 1}, "ValidationException"),
        ({"ProductCode": PRODUCT}, "ValidationException"),
        ({"ProductCode": "prod-other", "PublicKeyVersion": 1}, "InvalidProductCodeException"),
        ({"ProductCode": PRODUCT, "PublicKeyVersion": 0}, "InvalidPublicKeyVersionException"),
        ({"ProductCode": PRODUCT, "PublicKeyVersion": -5}, "InvalidPublicKeyVersionException"),
        ({"ProductCode": PRODUCT, "PublicKeyVersion": 3}, "InvalidPublicKeyVersionException"),
        ({"ProductCode": PRODUCT, "PublicKeyVersion": 1, "Nonce": "n" * 256}, "ValidationException"),
    ],
)
def test_register_usage_errors(client, params, code):
    assert client_error(client.register_usage, **params)[:2] == (code, 400)


def test_register_usage_accepts_a_255_char_nonce(client):
    assert client.register_usage(ProductCode=PRODUCT, PublicKeyVersion=1, Nonce="n" * 255)["Signature"]


def test_register_usage_in_another_region_is_invalid_region(endpoint):
    client = make_client(endpoint.url, region="ap-southeast-2")
    assert client_error(client.register_usage, ProductCode=PRODUCT, PublicKeyVersion=1)[:2] == (
        "InvalidRegionException",
        400,
    )


def test_resolve_customer_resolves_a_valid_token_repeatedly(client):
    expected = DEFAULT.valid_tokens["valid-token-alpha"]
    for _ in range(2):
        result = client.resolve_customer(RegistrationToken="valid-token-alpha")
        assert {k: result[k] for k in ("CustomerIdentifier", "ProductCode", "CustomerAWSAccountId", "LicenseArn")} == {
            "CustomerIdentifier": expected.customer,
            "ProductCode": PRODUCT,
            "CustomerAWSAccountId": expected.account,
            "LicenseArn": expected.license_arn,
        }


def test_under_the_resubmission_reading_a_token_resolves_once(make_endpoint):
    client = make_client(make_endpoint({"contract": {"token_reuse": "expired"}}).url)
    assert client.resolve_customer(RegistrationToken="valid-token-alpha")["CustomerIdentifier"] == "cust-alpha"
    for _ in range(2):
        code, status, _ = client_error(client.resolve_customer, RegistrationToken="valid-token-alpha")
        assert (code, status) == ("ExpiredTokenException", 400)
    # Each token is spent on its own.
    assert client.resolve_customer(RegistrationToken="valid-token-bravo")["CustomerIdentifier"] == "cust-bravo"


def test_resolve_customer_metadata_and_empty_identifier_follow_the_profile(make_endpoint):
    profile = {
        "registration_tokens": {
            "valid": {
                "new-style": {
                    "customer": "",
                    "account": "444455556666",
                    "license_arn": DEFAULT.licenses["444455556666"],
                    "agreement_id": "agmt-0123",
                }
            }
        }
    }
    result = make_client(make_endpoint(profile).url).resolve_customer(RegistrationToken="new-style")
    assert "CustomerIdentifier" not in result
    assert result["Metadata"] == {"AgreementId": "agmt-0123"}


@pytest.mark.parametrize(
    "token, code",
    [
        ("expired-token-0001", "ExpiredTokenException"),
        ("invalid-token-0001", "InvalidTokenException"),
        ("never-issued", "InvalidTokenException"),
        ("", "InvalidTokenException"),
        ("VALID-TOKEN-ALPHA", "InvalidTokenException"),
    ],
)
def test_resolve_customer_errors(client, token, code):
    assert client_error(client.resolve_customer, RegistrationToken=token)[:2] == (code, 400)


def test_resolve_customer_requires_a_token(client):
    assert client_error(client.resolve_customer)[:2] == ("ValidationException", 400)
