import time

import pytest
from botocore.exceptions import ClientError


def test_metering(metering_endpoint):
    client, e = metering_endpoint.client(), metering_endpoint
    record = {
        "CustomerIdentifier": e.customers[0],
        "Dimension": e.dimensions[0],
        "Quantity": 3,
        "Timestamp": int(time.time()),
    }
    assert (
        client.batch_meter_usage(ProductCode=e.product_code, UsageRecords=[record])["Results"][0]["Status"] == "Success"
    )
    assert [(r.customer, r.quantity) for r in e.records()] == [(e.customers[0], 3)]
    with e.chaos(throttle=1.0), pytest.raises(ClientError, match="ThrottlingException"):
        client.batch_meter_usage(ProductCode=e.product_code, UsageRecords=[record])
    with e.chaos(unprocessed=1.0):
        assert (
            len(client.batch_meter_usage(ProductCode=e.product_code, UsageRecords=[record])["UnprocessedRecords"]) == 1
        )
