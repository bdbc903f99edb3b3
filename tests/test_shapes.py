"""Self-test: response-body validation names the JSON path of each problem and accepts conformant bodies."""

from __future__ import annotations

import pytest

from meterconform.contract.response_schemas import error_body_errors, input_errors, output_errors

RECORD = {"Timestamp": 1700000000, "CustomerIdentifier": "cust-alpha", "Dimension": "Hours", "Quantity": 3}


@pytest.mark.parametrize(
    "operation, body",
    [
        ("MeterUsage", {"MeteringRecordId": "8f2c1b4e"}),
        ("MeterUsage", {}),
        (
            "BatchMeterUsage",
            {
                "Results": [{"UsageRecord": RECORD, "MeteringRecordId": "r1", "Status": "Success"}],
                "UnprocessedRecords": [],
            },
        ),
        (
            "BatchMeterUsage",
            {
                "Results": [{"UsageRecord": {**RECORD, "Timestamp": 1700000000.25}, "Status": "DuplicateRecord"}],
                "FutureMember": 1,
            },
        ),
        ("RegisterUsage", {"Signature": "a.b.c"}),
        ("RegisterUsage", {"Signature": "a.b.c", "PublicKeyRotationTimestamp": 1700000000}),
        (
            "ResolveCustomer",
            {
                "CustomerIdentifier": "",
                "ProductCode": "prod-x",
                "CustomerAWSAccountId": "111122223333",
                "LicenseArn": "arn:aws:license-manager::1:license:l-1",
                "Metadata": {"AgreementId": "agmt-1"},
            },
        ),
    ],
)
def test_conformant_bodies_have_no_errors(operation, body):
    assert output_errors(operation, body) == []


@pytest.mark.parametrize(
    "operation, body, expected",
    [
        ("MeterUsage", {"MeteringRecordId": 7}, "$.MeteringRecordId: 7 is not of type 'string'"),
        ("MeterUsage", [], "$: [] is not of type 'object'"),
        ("BatchMeterUsage", {"Results": [{"Status": "Accepted"}]}, "$.Results[0].Status: 'Accepted' is not one of"),
        (
            "BatchMeterUsage",
            {"Results": [{"UsageRecord": {**RECORD, "Timestamp": "2024-01-01T00:00:00Z"}}]},
            "$.Results[0].UsageRecord.Timestamp: '2024-01-01T00:00:00Z' is not of type 'number'",
        ),
        ("BatchMeterUsage", {"UnprocessedRecords": {"a": 1}}, "$.UnprocessedRecords: {'a': 1} is not of type 'array'"),
        (
            "RegisterUsage",
            {"PublicKeyRotationTimestamp": "soon"},
            "$.PublicKeyRotationTimestamp: 'soon' is not of type 'number'",
        ),
        ("ResolveCustomer", {"Metadata": {"AgreementId": 5}}, "$.Metadata.AgreementId: 5 is not of type 'string'"),
    ],
)
def test_nonconformant_bodies_are_reported_with_their_json_path(operation, body, expected):
    errors = output_errors(operation, body)
    assert any(e.startswith(expected) for e in errors), errors


def test_unknown_operation_is_refused_with_the_known_ones():
    with pytest.raises(ValueError, match="MeterUsage, BatchMeterUsage"):
        output_errors("MeterUsages", {})


def test_request_and_error_schemas_are_reachable_too():
    assert input_errors("RegisterUsage", {"ProductCode": "p", "PublicKeyVersion": 0}) == [
        "$.PublicKeyVersion: 0 is less than the minimum of 1"
    ]
    assert error_body_errors({"__type": "com.amazonaws#ThrottlingException", "message": "slow down"}) == []
    assert error_body_errors({"message": "no type"}) == ["$: '__type' is a required property"]
