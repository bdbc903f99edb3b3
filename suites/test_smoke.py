"""Smoke: one success and one documented error per operation, through the whole chain."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.smoke


@pytest.mark.records_usage
@pytest.mark.clause("MU.WINDOW.RECENT", "OUT.MU.SCHEMA")
def test_meter_usage_accepts_a_valid_record(metering):
    p = metering.profile
    request = {
        "ProductCode": p.need("product.code"),
        "Timestamp": int(metering.now()) - 60,
        "UsageDimension": p.need("product.dimensions")[0],
        "UsageQuantity": 1,
    }
    body = metering.expect_success(metering.call("MeterUsage", request), "MU.WINDOW.RECENT")
    metering.expect(
        bool(body.get("MeteringRecordId")), "MU.WINDOW.RECENT", expected="a MeteringRecordId", actual=f"result {body}"
    )


@pytest.mark.clause("MU.PRODUCT_CODE.UNKNOWN")
def test_meter_usage_rejects_an_unknown_product_code(metering):
    p = metering.profile
    request = {
        "ProductCode": "meterconform-no-such-product",
        "Timestamp": int(metering.now()) - 60,
        "UsageDimension": p.need("product.dimensions")[0],
        "UsageQuantity": 1,
    }
    metering.expect_error(metering.call("MeterUsage", request), "MU.PRODUCT_CODE.UNKNOWN")


@pytest.mark.records_usage
@pytest.mark.clause("BMU.CUSTOMER.SUBSCRIBED", "OUT.BMU.SCHEMA")
def test_batch_meter_usage_accepts_a_valid_record(metering):
    p = metering.profile
    customer, dimension, ts = metering.batch_key()
    record = {"Timestamp": ts, "CustomerIdentifier": customer, "Dimension": dimension, "Quantity": 1}
    body = metering.expect_success(
        metering.call("BatchMeterUsage", {"ProductCode": p.need("product.code"), "UsageRecords": [record]}),
        "BMU.CUSTOMER.SUBSCRIBED",
    )
    results = body.get("Results") or []
    status = results[0].get("Status") if results else None
    metering.expect(
        status == "Success",
        "BMU.CUSTOMER.SUBSCRIBED",
        expected="one result with Status Success",
        actual=f"Results {results}",
    )


@pytest.mark.clause("BMU.DIMENSION.UNKNOWN")
def test_batch_meter_usage_rejects_an_unknown_dimension(metering):
    p = metering.profile
    customer, _, ts = metering.batch_key()
    record = {
        "Timestamp": ts,
        "CustomerIdentifier": customer,
        "Dimension": "meterconform-no-such-dimension",
        "Quantity": 1,
    }
    ex = metering.call("BatchMeterUsage", {"ProductCode": p.need("product.code"), "UsageRecords": [record]})
    metering.expect_error(ex, "BMU.DIMENSION.UNKNOWN")


@pytest.mark.clause("RU.REGISTER.SUCCESS", "OUT.RU.SCHEMA")
def test_register_usage_returns_a_signature(metering):
    p = metering.profile
    request = {"ProductCode": p.need("product.code"), "PublicKeyVersion": p.need("product.public_key_versions")[0]}
    body = metering.expect_success(metering.call("RegisterUsage", request), "RU.REGISTER.SUCCESS")
    metering.expect(
        bool(body.get("Signature")), "RU.REGISTER.SUCCESS", expected="a Signature", actual=f"result keys {sorted(body)}"
    )


@pytest.mark.clause("RU.PRODUCT_CODE.UNKNOWN")
def test_register_usage_rejects_an_unknown_product_code(metering):
    p = metering.profile
    request = {
        "ProductCode": "meterconform-no-such-product",
        "PublicKeyVersion": p.need("product.public_key_versions")[0],
    }
    metering.expect_error(metering.call("RegisterUsage", request), "RU.PRODUCT_CODE.UNKNOWN")


@pytest.mark.clause("RC.TOKEN.VALID", "OUT.RC.SCHEMA")
def test_resolve_customer_resolves_a_valid_token(metering):
    token = metering.profile.need("registration_tokens.valid")[0]
    body = metering.expect_success(
        metering.call("ResolveCustomer", {"RegistrationToken": token.token}), "RC.TOKEN.VALID"
    )
    if token.customer is not None:
        metering.expect(
            body.get("CustomerIdentifier") == token.customer,
            "RC.TOKEN.VALID",
            expected=f"CustomerIdentifier {token.customer!r}",
            actual=f"{body.get('CustomerIdentifier')!r}",
        )


@pytest.mark.clause("RC.TOKEN.INVALID")
def test_resolve_customer_rejects_an_invalid_token(metering):
    token = metering.profile.need("registration_tokens.invalid")[0]
    metering.expect_error(metering.call("ResolveCustomer", {"RegistrationToken": token}), "RC.TOKEN.INVALID")
