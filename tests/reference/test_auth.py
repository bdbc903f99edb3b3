"""SigV4 on the reference endpoint: boto3-signed requests pass, missing, malformed, tampered or foreign ones fail."""

from __future__ import annotations

import json
import time

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from .conftest import SECRET, TARGET, client_error, make_client, raw, sign, usage

BODY = json.dumps({"RegistrationToken": "valid-token-alpha"}).encode()


def headers_for(endpoint, **changes) -> dict[str, str]:
    headers = sign(endpoint.url, TARGET + "ResolveCustomer", BODY)
    for name, value in changes.items():
        name = name.replace("_", "-")
        if value is None:
            headers.pop(name, None)
        else:
            headers[name] = value
    return headers


def send(endpoint, headers, body=BODY):
    return raw(endpoint.url, None, body, signed=False, headers=headers)


def test_boto3_signed_requests_pass_with_any_access_key_id(endpoint):
    for key in ("AKIDONE", "ASIATEMPORARY", "x"):
        assert make_client(endpoint.url, access_key=key).resolve_customer(RegistrationToken="valid-token-alpha")


def test_a_wrong_secret_is_an_invalid_signature(endpoint):
    client = make_client(endpoint.url, secret="not-the-secret")
    assert client_error(client.resolve_customer, RegistrationToken="valid-token-alpha")[:2] == (
        "InvalidSignatureException",
        400,
    )


def test_the_secret_comes_from_the_profile(make_endpoint):
    endpoint = make_endpoint({"endpoint": {"secret_access_key": "another-secret"}})
    assert make_client(endpoint.url, secret="another-secret").resolve_customer(RegistrationToken="valid-token-alpha")
    assert client_error(make_client(endpoint.url).resolve_customer, RegistrationToken="x")[0] == (
        "InvalidSignatureException"
    )


@pytest.mark.parametrize(
    "changes, code",
    [
        ({"Authorization": None}, "MissingAuthenticationTokenException"),
        ({"X-Amz-Date": None}, "MissingAuthenticationTokenException"),
        ({"Authorization": "Bearer abc"}, "IncompleteSignatureException"),
        (
            {"Authorization": "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/aws-marketplace/aws4_request"},
            "IncompleteSignatureException",
        ),
        ({"X-Amz-Date": "yesterday"}, "IncompleteSignatureException"),
        ({"X-Amz-Target": TARGET + "ResolveCustomer "}, "UnknownOperationException"),
    ],
)
def test_missing_or_malformed_authentication(endpoint, changes, code):
    response = send(endpoint, headers_for(endpoint, **changes))
    assert (response.status, response.error) == (400, code)


def test_a_tampered_body_is_an_invalid_signature(endpoint):
    response = send(endpoint, headers_for(endpoint), BODY.replace(b"alpha", b"bravo"))
    assert (response.status, response.error) == (400, "InvalidSignatureException")


def test_a_tampered_signed_header_is_an_invalid_signature(endpoint):
    headers = headers_for(endpoint, Content_Type="application/json")
    assert "content-type" in headers["Authorization"]
    assert send(endpoint, headers).error == "InvalidSignatureException"


def test_an_unsigned_extra_header_is_ignored(endpoint):
    assert send(endpoint, headers_for(endpoint, X_Extra="anything")).status == 200


def test_a_signature_scoped_to_another_service_is_invalid(endpoint):
    headers = sign(endpoint.url, TARGET + "ResolveCustomer", BODY, service="metering.marketplace")
    assert send(endpoint, headers).error == "InvalidSignatureException"


def test_a_signature_dated_long_ago_is_invalid(endpoint):
    request = AWSRequest("POST", endpoint.url + "/", data=BODY, headers={"X-Amz-Target": TARGET + "ResolveCustomer"})
    signer = SigV4Auth(Credentials("AKID", SECRET), "aws-marketplace", "us-east-1")
    request.context["timestamp"] = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(time.time() - 3600))
    signer._modify_request_before_signing(request)
    signature = signer.signature(signer.string_to_sign(request, signer.canonical_request(request)), request)
    signer._inject_signature_to_request(request, signature)
    response = send(endpoint, dict(request.headers))
    assert (response.status, response.error) == (400, "InvalidSignatureException")
    assert "expired" in response.json["message"]


def test_the_identity_is_the_access_key_id(endpoint):
    one = make_client(endpoint.url, access_key="AKIDINSTANCE1")
    same = make_client(endpoint.url, access_key="AKIDINSTANCE1")
    other = make_client(endpoint.url, access_key="AKIDINSTANCE2")
    first = one.meter_usage(**usage())
    assert same.meter_usage(**usage())["MeteringRecordId"] == first["MeteringRecordId"]
    assert other.meter_usage(**usage())["MeteringRecordId"] != first["MeteringRecordId"]


def test_the_region_is_the_credential_scope_region(make_endpoint):
    endpoint = make_endpoint({"endpoint": {"region": "eu-central-1"}})
    assert make_client(endpoint.url, region="eu-central-1").meter_usage(**usage())["MeteringRecordId"]
    assert client_error(make_client(endpoint.url).meter_usage, **usage())[0] == "InvalidEndpointRegionException"
