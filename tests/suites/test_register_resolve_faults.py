"""The RegisterUsage and ResolveCustomer suites pass on the faithful reference endpoint and fail, on exactly the
clauses a deviation breaks, on a faulty one (the endpoint's own faults, or a proxy in front of it)."""

from __future__ import annotations

import base64
import json

import pytest

from meterconform.harness.profile import load_profile
from meterconform.reference import ReferenceEndpoint
from tests.suites.runner import errors, failed_clauses, run_suites
from tests.suites.test_protocol_faults import Deviation, RequestRewrite, ResponseRewrite, _resign, run_behind

RU, RC = "suites/test_register_usage.py", "suites/test_resolve_customer.py"


@pytest.fixture(scope="module")
def upstream():
    with ReferenceEndpoint(dict(load_profile(None).raw)) as endpoint:
        yield endpoint.url


@pytest.fixture(scope="module")
def faithful():
    return run_suites(RU, RC)


def test_register_usage_and_resolve_customer_are_green_on_the_faithful_endpoint(faithful):
    assert errors(faithful) == []
    assert failed_clauses(faithful) == set()
    assert len(faithful) >= 40
    assert {e["verdict"] for e in faithful} <= {"PASS", "INFO"}


@pytest.mark.parametrize(
    "fault,broken",
    [
        (
            "errors-with-200",
            {
                "RU.NONCE.LENGTH",
                "RU.PRODUCT_CODE.PATTERN",
                "RU.PRODUCT_CODE.LENGTH",
                "RU.PRODUCT_CODE.UNKNOWN",
                "RU.PRODUCT_CODE.REQUIRED",
                "RU.PUBLIC_KEY_VERSION.MIN",
                "RU.PUBLIC_KEY_VERSION.REQUIRED",
                "RU.PUBLIC_KEY_VERSION.UNKNOWN",
                "RC.TOKEN.REQUIRED",
                "RC.TOKEN.INVALID",
                "RC.TOKEN.NON_EMPTY",
                "RC.TOKEN.EXPIRED",
            },
        ),
        ("expired-token-as-invalid", {"RC.TOKEN.EXPIRED"}),
    ],
)
def test_each_reference_fault_fails_exactly_its_clauses(fault, broken):
    events = run_suites(RU, RC, faults=[fault])
    assert errors(events) == []
    assert failed_clauses(events) == broken


# -- proxied deviations ------------------------------------------------------------------------------------


def _b64(value: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


def _unb64(text: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))


def _result(fn):
    """Rewrites a successful JSON result with `fn(result) -> result`."""

    def apply(status, headers, body):
        if status >= 300:
            return status, headers, body
        return status, headers, json.dumps(fn(json.loads(body))).encode()

    return ResponseRewrite(apply)


def _signature(fn):
    """Rewrites the JWT's (header, payload) with `fn`."""

    def rewrite(result):
        if "Signature" in result:
            head, payload, sig = result["Signature"].split(".")
            head, payload = fn(_unb64(head), _unb64(payload))
            result["Signature"] = f"{_b64(head)}.{_b64(payload)}.{sig}"
        return result

    return _result(rewrite)


def _error_renamed(old: str, new: str):
    def apply(status, headers, body):
        if status >= 400 and old.encode() in body:
            data = json.loads(body)
            data["__type"] = new
            headers = [(k, new if k.lower() == "x-amzn-errortype" else v) for k, v in headers]
            return status, headers, json.dumps(data).encode()
        return status, headers, body

    return ResponseRewrite(apply)


def _member_rewrite(member: str, change):
    """Rewrites `member` of the request body (then re-signs)."""

    def apply(method, headers, body):
        try:
            data = json.loads(body)
        except ValueError:
            return method, headers, body
        if isinstance(data, dict) and member in data:
            data[member] = change(data[member])
            return _resign(method, headers, json.dumps(data).encode())
        return method, headers, body

    return RequestRewrite(apply)


def _valid_token(token):
    return next(iter(load_profile(None).raw["registration_tokens"]["valid"])) if token == "" else token


DEVIATIONS: list[tuple[str, Deviation, list[str], set[str]]] = [
    ("jwt-hs256", _signature(lambda h, p: ({**h, "alg": "HS256"}, p)), [RU, "-k", "echo"], {"OUT.RU.SIGNATURE_JWT"}),
    (
        "payload-without-nonce",
        _signature(lambda h, p: (h, {k: v for k, v in p.items() if k != "nonce"})),
        [RU, "-k", "echo"],
        {"OUT.RU.SIGNATURE_PAYLOAD"},
    ),
    (
        "payload-iat-in-millis",
        _signature(lambda h, p: (h, {**p, "iat": p["iat"] * 1000})),
        [RU, "-k", "echo"],
        {"OUT.RU.SIGNATURE_PAYLOAD"},
    ),
    (
        "rotation-timestamp-always",
        _result(lambda r: {**r, "PublicKeyRotationTimestamp": 1700000000}),
        [RU, "-k", "echo"],
        {"OUT.RU.ROTATION_TIMESTAMP"},
    ),
    ("nonce-truncated-to-255", _member_rewrite("Nonce", lambda n: n[:255]), [RU, "-k", "nonce"], {"RU.NONCE.LENGTH"}),
    (
        "unknown-product-as-validation",
        _error_renamed("InvalidProductCodeException", "ValidationException"),
        [RU, "-k", "not_the_sellers"],
        {"RU.PRODUCT_CODE.UNKNOWN"},
    ),
    (
        "unknown-version-as-validation",
        _error_renamed("InvalidPublicKeyVersionException", "ValidationException"),
        [RU, "-k", "unpublished"],
        {"RU.PUBLIC_KEY_VERSION.UNKNOWN"},
    ),
    (
        "wrong-account",
        _result(lambda r: {**r, "CustomerAWSAccountId": "999999999999"} if "LicenseArn" in r else r),
        [RC, "-k", "valid_token"],
        {"OUT.RC.FIELDS"},
    ),
    (
        "wrong-product",
        _result(lambda r: {**r, "ProductCode": "prod-other"} if "LicenseArn" in r else r),
        [RC, "-k", "valid_token"],
        {"OUT.RC.PRODUCT_CODE"},
    ),
    (
        "invalid-as-expired",
        _error_renamed("InvalidTokenException", "ExpiredTokenException"),
        [RC, "-k", "invalid or nobody"],
        {"RC.TOKEN.INVALID"},
    ),
    (
        "empty-token-resolved",
        _member_rewrite("RegistrationToken", _valid_token),
        [RC, "-k", "empty"],
        {"RC.TOKEN.NON_EMPTY"},
    ),
]


@pytest.mark.parametrize("name,deviation,selection,broken", DEVIATIONS, ids=[d[0] for d in DEVIATIONS])
def test_each_proxied_deviation_fails_exactly_its_clauses(upstream, name, deviation, selection, broken):
    events = run_behind(upstream, deviation, *selection)
    assert events, f"{name}: the selection {selection} ran no check"
    assert errors(events) == []
    assert failed_clauses(events) == broken
