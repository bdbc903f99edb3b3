"""The fault switch: named, documented deviations from the contract that the endpoint can be told to commit."""

from __future__ import annotations

from .switches import Switches

# name -> one line saying what the endpoint then does wrong. Adding a fault: one entry here, one
# `faults.on(active, "name")` test at the place that deviates, one self-test in tests/reference/test_faults.py.
FAULTS: dict[str, str] = {
    "meter-window-7h": "MeterUsage accepts timestamps 1 h older than the profile's window (7 h with the default).",
    "batch-window-7h": "BatchMeterUsage accepts timestamps 1 h older than the profile's window (7 h with the default).",
    "batch-cap-26": "BatchMeterUsage accepts 26 UsageRecords (the model's maximum is 25).",
    "new-id-on-retry": "An identical MeterUsage retry is metered again and gets a new MeteringRecordId.",
    "allocation-sum-unchecked": "Allocations whose quantities do not add up to the usage quantity are accepted.",
    "six-tags-accepted": "An allocation with 6 tags is accepted (the model's maximum is 5).",
    "duplicate-record-as-success": "A DuplicateRecord is reported as Success with a new MeteringRecordId.",
    "unknown-dimension-wrong-error": "An unknown dimension is answered with InvalidProductCodeException.",
    "errors-with-200": "Every error body is sent with HTTP status 200.",
    "malformed-json-500": "A body that is not JSON is answered with HTTP 500 and a text/html page.",
    "partial-batch-on-stale": "A batch with a stale record still records its good records, then answers "
    "TimestampOutOfBoundsException.",
    "dryrun-records": "MeterUsage with DryRun=true records the usage (and answers DryRunOperation).",
    "dimension-case-insensitive": "Dimensions are matched case-insensitively.",
    "client-token-ignored": "MeterUsage ignores ClientToken: reusing one with other parameters is accepted.",
    "expired-token-as-invalid": "ResolveCustomer answers an expired token with InvalidTokenException.",
    # windows and limits off by one the strict way, or not checked
    "meter-window-5h": "MeterUsage rejects timestamps 1 h younger than the profile's window (5.5 h old with the "
    "default).",
    "batch-window-5h": "BatchMeterUsage rejects timestamps 1 h younger than the profile's window (5.5 h old with the "
    "default).",
    "batch-cap-24": "BatchMeterUsage rejects 25 UsageRecords (it caps batches at 24).",
    "five-tags-rejected": "An allocation with 5 tags is rejected (it caps tags at 4).",
    "tag-key-100-rejected": "A tag key of 100 characters is rejected (it caps keys at 99).",
    "allocations-cap-500": "More than 500 allocations are rejected, as the seed-era docs said, whatever the profile "
    "says.",
    "client-token-length-unchecked": "MeterUsage accepts a ClientToken longer than 64 characters.",
    "both-quantities-accepted": "A request or UsageRecord with both the whole and the decimal quantity is accepted "
    "(the whole one wins).",
    # wrong error names and status codes
    "stale-as-validation-error": "A timestamp outside the window is answered with ValidationException, not "
    "TimestampOutOfBoundsException.",
    "invalid-product-code-as-500": "InvalidProductCodeException is sent with HTTP 500.",
    # idempotency and the ledger keyed wrongly
    "token-replay-ignores-parameters": "A reused ClientToken answers the first request's MeteringRecordId whatever "
    "the parameters (no IdempotencyConflictException).",
    "token-conflict-ignores-allocations": "A reused ClientToken is compared without UsageAllocations: other "
    "allocations of the same quantity replay the first record.",
    "idempotency-by-exact-time": "MeterUsage compares the exact Timestamp for idempotency: an identical request at "
    "another second of the hour is a DuplicateRequestException.",
    "hour-slot-ignores-dimension": "MeterUsage keeps one slot per hour for all dimensions: a second dimension in the "
    "hour is a DuplicateRequestException.",
    "identity-ignored": "MeterUsage keeps one slot per product, dimension and hour for all instances: another "
    "instance's usage in the hour is a DuplicateRequestException.",
    "race-on-identical-requests": "MeterUsage checks and stores its hour slot without a lock: identical concurrent "
    "requests may get different MeteringRecordIds.",
    "decimal-sums-as-float": "Allocated decimal quantities are added and compared with the usage quantity as binary "
    "floats: 0.1 + 0.2 is not 0.3, and 5000000000.000000 + 4999999999.999998 is 9999999999.999999.",
    "decimal-compared-as-float": "Decimal quantities are compared as binary floats for duplicates and retries: "
    "9999999999.999998 after 9999999999.999999 in the same hour is a retry, not a duplicate.",
    "quantity-compared-as-text": "Quantities are compared as sent, not by value: 17.0 after 17 in the same hour is "
    "a duplicate.",
    # allocations and tags
    "tag-range-literal": "The tag pattern's ` -=` is read as three literal characters: ! \" # $ % & ' ( ) * , ; < "
    "are rejected.",
    "tag-pattern-unchecked": "Tag keys and values are not checked against their pattern: > ? [ ] { } ~ are accepted.",
    "two-untagged-accepted": "Two allocations without tags are accepted.",
    "tag-sets-compared-ordered": "Tag sets are compared as ordered lists: the same tags in another order are a "
    "new tag set.",
    # BatchMeterUsage results
    "unsubscribed-as-success": "BatchMeterUsage does not check subscriptions: every customer's record is Success.",
    "license-unchecked": "BatchMeterUsage does not check that a LicenseArn is the account's license.",
    "batch-echo-missing": "BatchMeterUsage results carry no UsageRecord.",
    "batch-echo-mangled": "BatchMeterUsage results echo a QuantityAsDecimal as a whole Quantity (17.42 comes back "
    "as 17).",
    "unsubscribed-results-dropped": "CustomerNotSubscribed records are left out of Results (and are not in "
    "UnprocessedRecords).",
    # RegisterUsage and ResolveCustomer
    "wrong-product-code-in-resolve": "ResolveCustomer answers the ProductCode of an earlier listing, not the "
    "product's.",
    "jwt-payload-missing-nonce": "RegisterUsage's signature payload leaves out the nonce.",
    # the protocol
    "unknown-target-200": "A request whose X-Amz-Target names no operation is answered 200 with {}.",
    "missing-content-type": "Error responses carry no Content-Type header.",
    "error-type-header-missing": "Error responses carry no x-amzn-ErrorType header (a SHOULD).",
    "hang-on-large-body": "A request body over 512 KiB is never answered: the connection is closed once the "
    "client's read timeout has passed.",
    "empty-body-rejected": "An empty body is a SerializationException ({} is still an empty input).",
    "fractional-timestamp-rejected": "A timestamp with a fraction of a second is a SerializationException.",
    "lenient-json-types": 'The JSON binder coerces scalars of the wrong type: "true"/"false" are booleans, numeric '
    "strings are numbers, numbers are strings.",
    "string-booleans": 'The JSON binder reads the strings "true" and "false" as booleans (DryRun="false" meters).',
    "null-optional-rejected": "A member sent as JSON null is a SerializationException, optional ones too.",
}


_SWITCHES = Switches("fault", FAULTS)
validated = _SWITCHES.validated
on = _SWITCHES.on
table = _SWITCHES.table
