"""BatchMeterUsage on the reference endpoint: per-record statuses, echoes, de-duplication, all-or-nothing errors."""

from __future__ import annotations

import pytest

from .conftest import DEFAULT, HOUR, PRODUCT, T0, account_record, client_error, make_client, raw, record


def batch(client, records, product=PRODUCT):
    params = {"UsageRecords": records}
    if product is not None:
        params["ProductCode"] = product
    return client.batch_meter_usage(**params)


def statuses(result) -> list[str]:
    return [r["Status"] for r in result["Results"]]


def test_results_follow_input_order_with_one_status_each(endpoint, client):
    records = [
        record(),
        record(CustomerIdentifier="cust-lapsed"),
        record(CustomerIdentifier="cust-nobody"),
        record(CustomerIdentifier="cust-bravo", Dimension="Requests"),
    ]
    result = batch(client, records)
    assert statuses(result) == ["Success", "CustomerNotSubscribed", "CustomerNotSubscribed", "Success"]
    assert [r["UsageRecord"]["CustomerIdentifier"] for r in result["Results"]] == [
        "cust-alpha",
        "cust-lapsed",
        "cust-nobody",
        "cust-bravo",
    ]
    assert "MeteringRecordId" in result["Results"][0] and "MeteringRecordId" not in result["Results"][1]
    assert result["UnprocessedRecords"] == []
    assert endpoint.model.record_count() == 2


def test_each_result_echoes_its_usage_record_as_received(endpoint):
    sent = [
        {
            "Timestamp": T0 - 0.25,
            "CustomerIdentifier": "cust-alpha",
            "Dimension": "Hours",
            "Quantity": 0,
            "UsageAllocations": [{"AllocatedUsageQuantity": 0, "Tags": [{"Key": "a", "Value": "b"}]}],
        },
        {"Timestamp": T0, "CustomerIdentifier": "cust-bravo", "Dimension": "Hours", "QuantityAsDecimal": "1.50"},
        {"Timestamp": T0 - 2, **{k: v for k, v in account_record().items() if k != "Timestamp"}},
    ]
    response = raw(endpoint.url, "BatchMeterUsage", {"ProductCode": PRODUCT, "UsageRecords": sent})
    assert response.status == 200, response.body
    assert [r["UsageRecord"] for r in response.json["Results"]] == sent
    assert b'"Timestamp":1' in response.body and str(T0 - 0.25).encode() in response.body


def test_null_and_unknown_members_are_not_echoed(endpoint):
    sent = {**record(), "Quantity": None, "Extra": 1}
    response = raw(endpoint.url, "BatchMeterUsage", {"ProductCode": PRODUCT, "UsageRecords": [sent]})
    assert response.json["Results"][0]["UsageRecord"] == record(Quantity=None)


def test_an_empty_batch_is_accepted(client):
    result = batch(client, [])
    assert (result["Results"], result["UnprocessedRecords"]) == ([], [])


@pytest.mark.parametrize("count, code", [(25, None), (26, "ValidationException")])
def test_at_most_25_usage_records(endpoint, client, count, code):
    records = [record(Timestamp=T0 - i) for i in range(count)]
    if code is None:
        assert statuses(batch(client, records)) == ["Success"] * count
    else:
        assert client_error(batch, client, records)[:2] == (code, 400)
        assert endpoint.model.record_count() == 0


# --- product code and customer identification -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "product, records, code",
    [
        ("prod-other", [record()], "InvalidProductCodeException"),
        ("", [record()], "InvalidProductCodeException"),
        (None, [record()], "InvalidProductCodeException"),
        (None, [account_record(), record()], "InvalidProductCodeException"),
        (PRODUCT, [record(CustomerAWSAccountId="111122223333")], "ValidationException"),  # both identifiers
        (PRODUCT, [record(CustomerIdentifier=None)], "ValidationException"),  # neither
        (PRODUCT, [record(Timestamp=None)], "ValidationException"),
        (PRODUCT, [record(Dimension=None)], "ValidationException"),
        (PRODUCT, [record(CustomerIdentifier="c" * 256)], "InvalidCustomerIdentifierException"),
        (PRODUCT, [account_record(CustomerAWSAccountId="1111-2222")], "ValidationException"),
        (PRODUCT, [account_record(LicenseArn=None)], "InvalidLicenseException"),
        (PRODUCT, [account_record(LicenseArn=DEFAULT.licenses["444455556666"])], "InvalidLicenseException"),
        (PRODUCT, [account_record(LicenseArn="not-an-arn")], "InvalidLicenseException"),
        (PRODUCT, [account_record(CustomerAWSAccountId="999999999999")], "InvalidLicenseException"),
        (PRODUCT, [record(LicenseArn=DEFAULT.licenses["111122223333"])], "InvalidLicenseException"),
        (PRODUCT, [record(), record(Dimension="Nope")], "InvalidUsageDimensionException"),
        (PRODUCT, [record(Quantity=-1)], "ValidationException"),
        (PRODUCT, [record(Quantity=2147483648)], "ValidationException"),
        (PRODUCT, [record(QuantityAsDecimal="2")], "ValidationException"),  # both quantity members
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_request_level_errors_reject_the_whole_batch(endpoint, client, product, records, code):
    assert client_error(batch, client, records, product)[:2] == (code, 400)
    assert endpoint.model.record_count() == 0


def test_without_product_code_records_use_account_and_license(endpoint, client):
    result = batch(client, [account_record(), account_record(Dimension="Requests")], product=None)
    assert statuses(result) == ["Success", "Success"]


def test_an_account_without_subscription_is_customer_not_subscribed(make_endpoint):
    endpoint = make_endpoint({"customers": {"subscribed_accounts": ["444455556666"]}})
    result = batch(make_client(endpoint.url), [account_record()], product=None)
    assert statuses(result) == ["CustomerNotSubscribed"]
    assert endpoint.model.record_count() == 0


def test_an_empty_customer_identifier_is_not_subscribed(client):
    assert statuses(batch(client, [record(CustomerIdentifier="")])) == ["CustomerNotSubscribed"]


# --- window -----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("offset", [-6 * HOUR - 1, HOUR + 1, -10 * 24 * HOUR])
def test_one_record_out_of_the_window_rejects_the_batch_and_records_nothing(endpoint, client, offset):
    records = [record(), record(CustomerIdentifier="cust-bravo", Timestamp=T0 + offset), record(Dimension="Requests")]
    assert client_error(batch, client, records)[:2] == ("TimestampOutOfBoundsException", 400)
    assert endpoint.model.record_count() == 0


@pytest.mark.parametrize("offset", [-6 * HOUR, HOUR])
def test_window_edges_are_accepted(client, offset):
    assert statuses(batch(client, [record(Timestamp=T0 + offset)])) == ["Success"]


def test_batch_window_comes_from_the_profile(make_endpoint):
    endpoint = make_endpoint({"contract": {"batch_window_hours": 24}})
    client = make_client(endpoint.url)
    assert statuses(batch(client, [record(Timestamp=T0 - 24 * HOUR)])) == ["Success"]
    assert client_error(batch, client, [record(Timestamp=T0 - 24 * HOUR - 1)])[0] == "TimestampOutOfBoundsException"


# --- de-duplication ---------------------------------------------------------------------------------------------------


def test_identical_retries_and_subsets_return_the_same_record_ids(endpoint, client):
    records = [record(), record(CustomerIdentifier="cust-bravo"), account_record()]
    first = batch(client, records)
    again = batch(client, records)
    subset = batch(client, records[1:2])
    ids = [r["MeteringRecordId"] for r in first["Results"]]
    assert [r["MeteringRecordId"] for r in again["Results"]] == ids
    assert subset["Results"][0]["MeteringRecordId"] == ids[1]
    assert statuses(again) == ["Success"] * 3
    assert endpoint.model.record_count() == 3


def test_a_different_quantity_for_the_same_customer_dimension_and_time_is_a_duplicate_record(endpoint, client):
    batch(client, [record(Quantity=3)])
    result = batch(client, [record(Quantity=4), record(Quantity=3, Dimension="Requests")])
    assert statuses(result) == ["DuplicateRecord", "Success"]
    assert "MeteringRecordId" not in result["Results"][0]
    assert result["Results"][0]["UsageRecord"]["Quantity"] == 4
    assert endpoint.model.record_count() == 2


def test_a_later_record_in_the_same_batch_is_judged_against_an_earlier_one(endpoint, client):
    result = batch(client, [record(Quantity=3), record(Quantity=3), record(Quantity=9)])
    assert statuses(result) == ["Success", "Success", "DuplicateRecord"]
    assert result["Results"][0]["MeteringRecordId"] == result["Results"][1]["MeteringRecordId"]
    assert endpoint.model.record_count() == 1


def test_quantities_compare_by_value(client):
    first = batch(client, [record(Quantity=17)])
    again = batch(client, [record(Quantity=None, QuantityAsDecimal="17.000")])
    assert again["Results"][0]["MeteringRecordId"] == first["Results"][0]["MeteringRecordId"]


def test_the_default_de_duplication_key_is_the_exact_time(endpoint, client):
    result = batch(client, [record(Quantity=3), record(Quantity=4, Timestamp=T0 - 1)])
    assert statuses(result) == ["Success", "Success"]
    assert endpoint.model.record_count() == 2


def test_hourly_de_duplication_is_a_profile_reading(make_endpoint):
    endpoint = make_endpoint({"contract": {"batch_dedup": "hour"}})
    client = make_client(endpoint.url)
    records = [record(Quantity=3), record(Quantity=3, Timestamp=T0 - 60), record(Quantity=4, Timestamp=T0 - 1)]
    result = batch(client, records)
    assert statuses(result) == ["Success", "Success", "DuplicateRecord"]
    assert endpoint.model.record_count() == 1


def test_customers_and_accounts_are_separate_keys(endpoint, client):
    result = batch(client, [record(Quantity=1), account_record(Quantity=2)])
    assert statuses(result) == ["Success", "Success"]


def test_batch_and_meter_usage_ledgers_are_independent(endpoint, client):
    from .conftest import usage

    client.meter_usage(**usage())
    assert statuses(batch(client, [record()])) == ["Success"]
    assert endpoint.model.record_count() == 2
