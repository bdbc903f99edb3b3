"""Fixtures for the reference endpoint's self-tests: endpoints with a fake clock, boto3 clients, raw signed HTTP."""

from __future__ import annotations

import http.client
import itertools
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import botocore.session
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from meterconform.reference import ReferenceEndpoint
from meterconform.reference.seed import seed_from_profile

DEFAULT = seed_from_profile(None)
SECRET = DEFAULT.secret_access_key
REGION = DEFAULT.region
PRODUCT = DEFAULT.product_code
TARGET = "AWSMPMeteringService."
# A fixed instant half-way through an hour, near real time (SigV4 checks the signing date against real time).
T0 = (int(time.time()) // 3600) * 3600 + 1800
HOUR = 3600

_session = botocore.session.get_session()
_identities = itertools.count(1)


class FakeClock:
    """A settable clock for the endpoint's rules (windows, iat)."""

    def __init__(self, now: float = T0):
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def new_identity() -> str:
    """A fresh access key id: a fresh metering identity (MeterUsage slots are per identity)."""
    return f"AKIDTEST{next(_identities):012d}"


def make_client(url: str, *, access_key: str | None = None, secret: str = SECRET, region: str = REGION) -> Any:
    """A boto3-style metering client: retries off, client-side validation off (so bad values reach the server)."""
    return _session.create_client(
        "meteringmarketplace",
        region_name=region,
        endpoint_url=url,
        aws_access_key_id=access_key or new_identity(),
        aws_secret_access_key=secret,
        config=Config(retries={"max_attempts": 1}, parameter_validation=False),
    )


def client_error(call: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[str, int, str]:
    """Run a client call that must fail; return (error code, HTTP status, message)."""
    with pytest.raises(ClientError) as info:
        call(*args, **kwargs)
    response = info.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Message"]


@dataclass
class RawResponse:
    """A response read with http.client."""

    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def error(self) -> str:
        return self.json["__type"]


def sign(
    url: str,
    target: str | None,
    body: bytes,
    *,
    secret: str = SECRET,
    region: str = REGION,
    access_key: str = "AKIDRAW",
    service: str = "aws-marketplace",
    headers: dict[str, str] | None = None,
    method: str = "POST",
    path: str = "/",
) -> dict[str, str]:
    """Headers of a request signed with botocore's SigV4Auth."""
    all_headers = {"Content-Type": "application/x-amz-json-1.1", **(headers or {})}
    if target is not None:
        all_headers["X-Amz-Target"] = target
    request = AWSRequest(method, url.rstrip("/") + path, data=body, headers=all_headers)
    SigV4Auth(Credentials(access_key, secret), service, region).add_auth(request)
    return dict(request.headers)


def raw(
    url: str,
    target: str | None = None,
    body: bytes | str | dict | None = b"",
    *,
    signed: bool = True,
    headers: dict[str, str] | None = None,
    method: str = "POST",
    path: str = "/",
    **sign_args: Any,
) -> RawResponse:
    """Send one request over a fresh connection; `target` is an operation name or a full X-Amz-Target value."""
    if isinstance(body, dict):
        body = json.dumps(body)
    if isinstance(body, str):
        body = body.encode()
    body = body or b""
    if target is not None and "." not in target:
        target = TARGET + target
    if signed:
        all_headers = sign(url, target, body, headers=headers, method=method, path=path, **sign_args)
    else:
        all_headers = {**({"X-Amz-Target": target} if target else {}), **(headers or {})}
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        connection.request(method, path, body=body, headers=all_headers)
        response = connection.getresponse()
        return RawResponse(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
    finally:
        connection.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def make_endpoint(clock: FakeClock) -> Iterator[Callable[..., ReferenceEndpoint]]:
    """Start endpoints (default: default profile, no faults or readings, the test's fake clock); all stopped at
    teardown."""
    started: list[ReferenceEndpoint] = []

    def start(
        profile: dict | None = None,
        faults: tuple[str, ...] = (),
        clock_: Callable[[], float] | None = None,
        readings: tuple[str, ...] = (),
    ):
        endpoint = ReferenceEndpoint(profile, faults, clock=clock_ or clock, readings=readings)
        endpoint.start()
        started.append(endpoint)
        return endpoint

    yield start
    for endpoint in started:
        assert endpoint.protocol.unexpected_errors == 0, "a request reached the catch-all InternalServiceError"
        endpoint.stop()


@pytest.fixture
def endpoint(make_endpoint: Callable[..., ReferenceEndpoint]) -> ReferenceEndpoint:
    return make_endpoint()


@pytest.fixture
def client(endpoint: ReferenceEndpoint) -> Any:
    return make_client(endpoint.url)


def usage(**overrides: Any) -> dict[str, Any]:
    """A valid MeterUsage input at T0 (override or drop members with None)."""
    params = {"ProductCode": PRODUCT, "Timestamp": T0, "UsageDimension": "Hours", "UsageQuantity": 5}
    params.update(overrides)
    return {k: v for k, v in params.items() if v is not None}


def record(**overrides: Any) -> dict[str, Any]:
    """A valid UsageRecord for a subscribed customer at T0 (override or drop members with None)."""
    params = {"Timestamp": T0, "CustomerIdentifier": "cust-alpha", "Dimension": "Hours", "Quantity": 3}
    params.update(overrides)
    return {k: v for k, v in params.items() if v is not None}


def account_record(**overrides: Any) -> dict[str, Any]:
    """A valid UsageRecord by CustomerAWSAccountId and LicenseArn."""
    account = "111122223333"
    return record(
        **{
            "CustomerIdentifier": None,
            "CustomerAWSAccountId": account,
            "LicenseArn": DEFAULT.licenses[account],
            **overrides,
        }
    )
