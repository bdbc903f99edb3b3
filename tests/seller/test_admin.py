"""The admin surface over raw HTTP: off by default, and under `serve --admin` the ledger, requests, clock, chaos
and reset, as a test suite in another language reaches them."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any

import pytest

from meterconform.reference import ReferenceEndpoint
from meterconform.testing import MeteringEndpoint
from tests.reference.test_serve import serving

NOW = int(time.time())


def admin(url: str, method: str, route: str, body: Any = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        f"{url}/meterconform-admin/{route}", data=data, method=method, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def client(url: str) -> Any:
    """A plain MeteringEndpoint's client settings, pointed at `url` (another process's endpoint)."""
    import boto3
    from botocore.config import Config

    return boto3.client(
        "meteringmarketplace",
        region_name="us-east-1",
        endpoint_url=url,
        aws_access_key_id="AKIDMETERCONFORM0001",
        aws_secret_access_key="meterconform-reference-secret",
        config=Config(retries={"total_max_attempts": 1}),
    )


def batch(url: str, customer: str = "cust-alpha", when: float = NOW, quantity: int = 1) -> str:
    record = {"Timestamp": when, "CustomerIdentifier": customer, "Dimension": "Hours", "Quantity": quantity}
    try:
        body = client(url).batch_meter_usage(ProductCode="prod-meterconform0001", UsageRecords=[record])
    except Exception as error:  # botocore's ClientError
        return error.response["Error"]["Code"]  # type: ignore[attr-defined]
    return "unprocessed" if body["UnprocessedRecords"] else body["Results"][0]["Status"]


@pytest.fixture(params=["reference", "double"])
def served(request):
    """The admin surface of a ReferenceEndpoint(admin=True) and of a MeteringEndpoint(admin=True)."""
    endpoint = ReferenceEndpoint(admin=True) if request.param == "reference" else MeteringEndpoint(admin=True)
    with endpoint:
        yield endpoint.url


def test_the_admin_surface_is_off_by_default(metering_endpoint):
    """Neither the plain reference endpoint nor the test double serves it: the suite meets the bare service."""
    with ReferenceEndpoint() as plain:
        for url in (plain.url, metering_endpoint.url):
            status, body = admin(url, "GET", "records")
            assert (status, body["__type"]) == (405, "MethodNotAllowedException")
            status, body = admin(url, "POST", "reset", {})
            assert (status, body["__type"]) == (404, "NotFoundException")


def test_records_and_requests_are_read_as_json(served):
    assert batch(served, quantity=3) == "Success"
    assert batch(served, "cust-lapsed") == "CustomerNotSubscribed"
    status, body = admin(served, "GET", "records")
    assert status == 200 and len(body["records"]) == 1
    record = body["records"][0]
    assert (record["customer"], record["dimension"], record["quantity"], record["timestamp"]) == (
        "cust-alpha",
        "Hours",
        "3",
        NOW,
    )
    assert admin(served, "GET", "records?customer=cust-bravo")[1] == {"records": []}
    assert len(admin(served, "GET", f"records?dimension=Hours&since={NOW}")[1]["records"]) == 1
    assert admin(served, "GET", f"records?until={NOW}")[1] == {"records": []}
    status, body = admin(served, "GET", "requests")
    assert [(r["operation"], r["status"]) for r in body["requests"]] == [("BatchMeterUsage", 200)] * 2
    assert body["requests"][0]["headers"]["Authorization"] == "<redacted>"


def test_the_clock_is_set_advanced_and_reset(served):
    noon = 1_780_000_000 - 1_780_000_000 % 3600 + 1800
    assert admin(served, "POST", "clock", {"now": noon}) == (200, {"now": noon, "frozen": True})
    assert batch(served, when=noon - 5 * 3600) == "Success"
    assert admin(served, "POST", "clock", {"advance_seconds": 3600 + 1})[1]["now"] == noon + 3601
    assert batch(served, "cust-bravo", when=noon - 5 * 3600) == "TimestampOutOfBoundsException"
    iso = admin(served, "POST", "clock", {"now": "2026-03-01T12:00:00Z"})[1]
    assert iso == {"now": 1772366400.0, "frozen": True}
    status, body = admin(served, "POST", "clock", {"reset": True})
    assert status == 200 and not body["frozen"] and abs(body["now"] - time.time()) < 5
    assert admin(served, "POST", "clock", {"now": 1, "advance_seconds": 1})[0] == 400


def test_chaos_is_set_read_and_cleared(served):
    settings = {"throttle": 1.0, "seed": 7}
    status, body = admin(served, "POST", "chaos", settings)
    assert status == 200 and body["chaos"]["throttle"] == 1.0 and body["chaos"]["seed"] == 7
    assert batch(served) == "ThrottlingException"
    assert admin(served, "GET", "requests")[1]["requests"][-1]["injected"] == "throttle"
    assert admin(served, "POST", "chaos", {}) == (200, {"chaos": None})
    assert batch(served) == "Success"
    status, body = admin(served, "POST", "chaos", {"throttle": 2})
    assert status == 400 and "fraction" in body["error"]


def test_reset_forgets_everything(served):
    batch(served)
    admin(served, "POST", "clock", {"now": 1_700_000_000})
    assert admin(served, "POST", "reset", {}) == (200, {"reset": True})
    assert admin(served, "GET", "records")[1] == {"records": []}
    assert admin(served, "GET", "requests")[1] == {"requests": []}
    assert admin(served, "GET", "clock")[1]["frozen"] is False


def test_the_seed_is_readable(served):
    seed = admin(served, "GET", "seed")[1]
    assert seed["product_code"] == "prod-meterconform0001" and seed["customers"][0] == "cust-alpha"
    assert seed["dimensions"] == ["Hours", "Requests", "Storage.GB"]


def test_unknown_routes_and_filters_name_the_known_ones(served):
    status, body = admin(served, "GET", "ledger")
    assert status == 404 and "GET /meterconform-admin/records" in body["error"]
    status, body = admin(served, "GET", "records?customers=x")
    assert status == 400 and "customer" in body["error"]


def test_serve_with_chaos_and_a_seed_repeats_its_sequence():
    """Two `serve --admin --chaos ... --seed 7` processes answer the same sequence; the admin surface resets it."""
    sequences = []
    for _ in range(2):
        with serving("--admin", "--chaos", "throttle=0.3,unprocessed=0.2,internal_error=0.1", "--seed", "7") as line:
            assert "(chaos: throttle=0.3, unprocessed=0.2, internal_error=0.1, seed 7)" in line
            url = line.split(" listening on ")[1].split()[0]
            first = [batch(url, when=NOW - i) for i in range(25)]
            admin(url, "POST", "reset", {})
            assert [batch(url, when=NOW - i) for i in range(25)] == first
            sequences.append(first)
    assert sequences[0] == sequences[1]
    assert {"ThrottlingException", "unprocessed", "Success"} <= set(sequences[0])


def test_serve_refuses_bad_chaos_in_one_sentence():
    from tests.reference.test_serve import run

    result = run("--chaos", "throttle=lots")
    assert result.returncode == 2 and "needs a number" in result.stderr and "Traceback" not in result.stderr
