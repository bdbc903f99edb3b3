"""The fault switch: named, documented deviations from the contract that the endpoint can be told to commit."""

from __future__ import annotations

from typing import Iterable

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
}


def validated(names: Iterable[str]) -> frozenset[str]:
    """Return `names` as a frozenset, or raise ValueError naming the unknown ones and the valid ones."""
    if isinstance(names, str):
        names = (names,)
    chosen = frozenset(names)
    unknown = sorted(chosen - FAULTS.keys())
    if unknown:
        raise ValueError(
            f"unknown fault name(s): {', '.join(unknown)}; valid faults are: {', '.join(sorted(FAULTS))} "
            "(see `meterconform serve --list-faults`)"
        )
    return chosen


def on(active: frozenset[str], name: str) -> bool:
    """Whether fault `name` is active; a name missing from FAULTS is a programming error (KeyError)."""
    if name not in FAULTS:
        raise KeyError(f"fault {name!r} is consulted but not registered in FAULTS")
    return name in active


def table() -> str:
    """The faults as a two-column text table, one per line, sorted by name."""
    width = max(map(len, FAULTS))
    return "\n".join(f"{name:<{width}}  {FAULTS[name]}" for name in sorted(FAULTS))
