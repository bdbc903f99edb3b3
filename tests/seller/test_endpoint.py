"""MeteringEndpoint: its seed as attributes, the ledger, the request journal, reset, and the fixtures."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from botocore.exceptions import ClientError

from meterconform.testing import MeteringEndpoint, Record
from meterconform.testing.endpoint import Allocation

NOW = int(time.time())


def usage(endpoint: MeteringEndpoint, customer: str | None = None, **fields) -> dict:
    return {
        "Timestamp": NOW,
        "CustomerIdentifier": customer or endpoint.customers[0],
        "Dimension": endpoint.dimensions[0],
        "Quantity": 1,
        **fields,
    }


def batch(endpoint: MeteringEndpoint, *records: dict, client=None) -> dict:
    client = client or endpoint.client()
    return client.batch_meter_usage(ProductCode=endpoint.product_code, UsageRecords=list(records))


def test_the_seed_is_readable_as_attributes(metering_endpoint):
    assert metering_endpoint.product_code == "prod-meterconform0001"
    assert metering_endpoint.dimensions == ["Hours", "Requests", "Storage.GB"]
    assert metering_endpoint.customers == ["cust-alpha", "cust-bravo", "cust-charlie", "cust-delta"]
    assert metering_endpoint.unsubscribed_customers == ["cust-lapsed"]
    assert list(metering_endpoint.accounts) == ["111122223333", "444455556666"]
    assert metering_endpoint.registration_tokens["valid-token-alpha"]["customer"] == "cust-alpha"
    assert metering_endpoint.batch_window == timedelta(hours=6)
    assert metering_endpoint.url.startswith("http://127.0.0.1:") and metering_endpoint.region == "us-east-1"


def test_overrides_replace_parts_of_the_seed():
    with MeteringEndpoint(
        product_code="prod-mine",
        dimensions=["api_calls"],
        customers=["c-1"],
        unsubscribed_customers=["c-gone"],
        batch_window_hours=24,
    ) as endpoint:
        assert (endpoint.product_code, endpoint.dimensions, endpoint.customers) == ("prod-mine", ["api_calls"], ["c-1"])
        results = batch(endpoint, usage(endpoint, Timestamp=NOW - 20 * 3600), usage(endpoint, "c-gone"))["Results"]
        assert [r["Status"] for r in results] == ["Success", "CustomerNotSubscribed"]
        assert endpoint.records()[0].product_code == "prod-mine"


def test_the_ledger_holds_one_record_per_recorded_usage_record(metering_endpoint):
    assert metering_endpoint.records() == []
    first = usage(metering_endpoint, Quantity=5)
    decimal = usage(metering_endpoint, "cust-bravo", Quantity=None, QuantityAsDecimal="2.50")
    decimal.pop("Quantity")
    answer = batch(metering_endpoint, first, decimal, usage(metering_endpoint, "cust-lapsed"))
    batch(metering_endpoint, first)  # an identical retry records nothing new
    records = metering_endpoint.records()
    assert [(r.customer, r.dimension, r.quantity) for r in records] == [
        ("cust-alpha", "Hours", 5),
        ("cust-bravo", "Hours", Decimal("2.5")),
    ]
    assert records[0].metering_record_id == answer["Results"][0]["MeteringRecordId"]
    assert records[0].timestamp == datetime.fromtimestamp(NOW, UTC)
    assert records[0].operation == "BatchMeterUsage" and records[0].product_code == metering_endpoint.product_code


def test_a_duplicate_record_leaves_the_first_quantity_in_the_ledger(metering_endpoint):
    batch(metering_endpoint, usage(metering_endpoint, Quantity=5))
    answer = batch(metering_endpoint, usage(metering_endpoint, Quantity=6))
    assert answer["Results"][0]["Status"] == "DuplicateRecord"
    assert [r.quantity for r in metering_endpoint.records()] == [5]


def test_the_ledger_carries_accounts_allocations_and_meter_usage(metering_endpoint):
    account, license_arn = next(iter(metering_endpoint.accounts.items()))
    allocated = {
        "Timestamp": NOW,
        "CustomerAWSAccountId": account,
        "LicenseArn": license_arn,
        "Dimension": "Requests",
        "Quantity": 10,
        "UsageAllocations": [
            {"AllocatedUsageQuantity": 4, "Tags": [{"Key": "team", "Value": "a"}]},
            {"AllocatedUsageQuantity": 6, "Tags": [{"Key": "team", "Value": "b"}]},
        ],
    }
    metering_endpoint.client().batch_meter_usage(UsageRecords=[allocated])
    metering_endpoint.client(access_key_id="AKIDINSTANCE000001").meter_usage(
        ProductCode=metering_endpoint.product_code, Timestamp=NOW, UsageDimension="Hours", UsageQuantity=2
    )
    by_account, metered = metering_endpoint.records()
    assert (by_account.account, by_account.license_arn, by_account.customer) == (account, license_arn, None)
    assert by_account.allocations == (Allocation(Decimal(4), {"team": "a"}), Allocation(Decimal(6), {"team": "b"}))
    assert (metered.operation, metered.identity, metered.dimension, metered.quantity) == (
        "MeterUsage",
        "AKIDINSTANCE000001",
        "Hours",
        2,
    )


def test_records_are_filtered_by_customer_dimension_and_time(metering_endpoint):
    batch(
        metering_endpoint,
        usage(metering_endpoint, Timestamp=NOW - 7200),
        usage(metering_endpoint, Timestamp=NOW),
        usage(metering_endpoint, "cust-bravo", Dimension="Requests"),
    )
    assert len(metering_endpoint.records()) == 3
    assert [r.customer for r in metering_endpoint.records(dimension="Requests")] == ["cust-bravo"]
    assert len(metering_endpoint.records(customer="cust-alpha")) == 2
    recent = metering_endpoint.records(customer="cust-alpha", since=NOW - 3600)
    assert [r.timestamp.timestamp() for r in recent] == [NOW]
    until = datetime.fromtimestamp(NOW, UTC)
    assert [r.timestamp.timestamp() for r in metering_endpoint.records(until=until)] == [NOW - 7200]
    assert metering_endpoint.records(customer="cust-zulu") == []
    assert all(isinstance(r, Record) for r in metering_endpoint.records())


def test_requests_are_journaled_with_answers_and_credentials_redacted(metering_endpoint):
    batch(metering_endpoint, usage(metering_endpoint))
    with pytest.raises(ClientError):
        metering_endpoint.client().resolve_customer(RegistrationToken="no-such-token")
    first, second = metering_endpoint.requests
    assert (first.operation, first.status, first.error, first.injected) == ("BatchMeterUsage", 200, None, None)
    assert first.body["UsageRecords"][0]["CustomerIdentifier"] == "cust-alpha"
    assert first.answer["Results"][0]["Status"] == "Success"
    assert (second.operation, second.status, second.error) == ("ResolveCustomer", 400, "InvalidTokenException")
    assert first.headers["Authorization"] == "<redacted>"
    assert metering_endpoint.secret_access_key not in repr(metering_endpoint.requests)


def test_reset_forgets_records_requests_chaos_and_clock(metering_endpoint):
    batch(metering_endpoint, usage(metering_endpoint))
    metering_endpoint.set_chaos(throttle=1.0)
    metering_endpoint.clock.set(datetime(2030, 1, 1))
    metering_endpoint.reset()
    assert metering_endpoint.records() == [] and metering_endpoint.requests == []
    assert metering_endpoint.current_chaos is None and not metering_endpoint.clock.frozen
    assert batch(metering_endpoint, usage(metering_endpoint))["Results"][0]["Status"] == "Success"


def test_faults_pass_through(metering_endpoint_factory):
    faulty = metering_endpoint_factory(faults=["unsubscribed-as-success"])
    assert batch(faulty, usage(faulty, "cust-lapsed"))["Results"][0]["Status"] == "Success"
    assert faulty.faults == frozenset({"unsubscribed-as-success"})


def test_the_factory_starts_independent_endpoints(metering_endpoint_factory, metering_endpoint):
    other = metering_endpoint_factory(customers=["c-9"])
    batch(other, usage(other))
    assert other.url != metering_endpoint.url and other.customers == ["c-9"]
    assert len(other.records()) == 1 and metering_endpoint.records() == []


def test_environ_points_an_sdk_at_the_endpoint(metering_endpoint, monkeypatch):
    import boto3

    for name, value in metering_endpoint.environ.items():
        monkeypatch.setenv(name, value)
    client = boto3.client("meteringmarketplace")
    client.resolve_customer(RegistrationToken="valid-token-alpha")
    assert [e.operation for e in metering_endpoint.requests] == ["ResolveCustomer"]


def test_the_endpoint_is_a_context_manager_outside_pytest():
    with MeteringEndpoint() as endpoint:
        url = endpoint.url
        assert batch(endpoint, usage(endpoint))["Results"][0]["Status"] == "Success"
    with pytest.raises(RuntimeError, match="not started"):
        _ = endpoint.url
    assert url.startswith("http://127.0.0.1:")


def test_a_refused_body_is_journaled_too(metering_endpoint):
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(metering_endpoint.url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    connection.request(
        "POST", "/", body=b"x" * (1024 * 1024 + 1), headers={"X-Amz-Target": "AWSMPMeteringService.BatchMeterUsage"}
    )
    assert connection.getresponse().status == 413
    connection.close()
    (exchange,) = metering_endpoint.requests
    assert (exchange.status, exchange.error, exchange.body) == (413, "RequestEntityTooLargeException", None)


def test_the_machines_aws_profile_and_config_are_not_consulted(tmp_path):
    """A developer's AWS_PROFILE naming a profile this machine lacks, or a broken ~/.aws/config, must not stop
    the endpoint or its client (botocore sessions raise ProfileNotFound on both)."""
    import os
    import subprocess
    import sys

    (tmp_path / "config").write_text("[profile other]\nregion = eu-west-1\nmax_attempts = 9\n")
    script = (
        "from meterconform.testing import MeteringEndpoint\n"
        "with MeteringEndpoint() as e:\n"
        "    c = e.client()\n"
        "    print(c.resolve_customer(RegistrationToken='valid-token-alpha')['CustomerIdentifier'],"
        " c.meta.config.retries['total_max_attempts'])\n"
    )
    env = {
        **os.environ,
        "AWS_PROFILE": "no-such-profile",
        "AWS_CONFIG_FILE": str(tmp_path / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "missing"),
    }
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.split() == ["cust-alpha", "1"]
