"""Checks that regenerate the report fixtures: with the faults below, every verdict label occurs.

Not collected by the self-tests (the name does not match test_*.py); see README.md in this folder.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st


@pytest.mark.clause("PROTO.ERROR.HEADER")
def test_a_malformed_body_error_names_its_type_in_the_header(metering):
    """NON-STRICT under the malformed-json-500 fault: the 500 text/html page has no x-amzn-ErrorType."""
    ex = metering.raw(b"{not json", operation="MeterUsage")
    metering.expect(
        bool(ex.headers.get("x-amzn-errortype")),
        "PROTO.ERROR.HEADER",
        expected="an x-amzn-ErrorType header",
        actual=ex.summary(),
        exchange=ex,
    )


@pytest.mark.clause("PROTO.UNKNOWN_MEMBER.HANDLING")
def test_an_unknown_member_is_reported(metering):
    """INFO: how the endpoint answers an unknown member, observed and never judged."""
    p = metering.profile
    request = {
        "ProductCode": p.need("product.code"),
        "Timestamp": int(metering.now()) - 60,
        "UsageDimension": p.need("product.dimensions")[0],
        "UsageQuantity": 1,
        "NotAMember": "<b>x</b>",
    }
    ex = metering.raw(request, operation="MeterUsage")
    metering.observe("PROTO.UNKNOWN_MEMBER.HANDLING", f"an unknown member is answered with {ex.summary()}", ex)


@pytest.mark.records_usage
@pytest.mark.clause("TAG.COUNT.MAX")
@settings(max_examples=5, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(count=st.integers(6, 7))
def test_an_allocation_with_more_than_five_tags_is_rejected(metering, count):
    """FAIL with a falsifying example under the six-tags-accepted fault."""
    p = metering.profile
    tags = [{"Key": f"k{i}", "Value": "v"} for i in range(count)]
    request = {
        "ProductCode": p.need("product.code"),
        "Timestamp": int(metering.now()) - 60,
        "UsageDimension": p.need("product.dimensions")[0],
        "UsageQuantity": 1,
        "UsageAllocations": [{"AllocatedUsageQuantity": 1, "Tags": tags}],
    }
    metering.identity = metering.fresh_identity()
    metering.expect_error(metering.call("MeterUsage", request), "TAG.COUNT.MAX")


@pytest.mark.clause("PROTO.TARGET.DISPATCH")
def test_a_check_that_breaks_is_an_error(metering):
    """ERROR: the check itself raises (a suite bug), which gates like a failure."""
    ex = metering.call("RegisterUsage", {"ProductCode": metering.profile.need("product.code"), "PublicKeyVersion": 1})
    ex.json["NoSuchMember"]


HOSTILE = "</pre><script>alert('meterconform')</script><img src=x onerror=alert(1)>&amp;"


@pytest.mark.clause("BMU.DIMENSION.UNKNOWN")
def test_a_hostile_dimension_name_is_rejected(metering):
    """FAIL under unknown-dimension-wrong-error, whose message echoes the markup: the reports must escape it."""
    customer, _, ts = metering.batch_key()
    record = {"Timestamp": ts, "CustomerIdentifier": customer, "Dimension": HOSTILE, "Quantity": 1}
    ex = metering.call(
        "BatchMeterUsage", {"ProductCode": metering.profile.need("product.code"), "UsageRecords": [record]}
    )
    metering.expect_error(ex, "BMU.DIMENSION.UNKNOWN")
