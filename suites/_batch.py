"""BatchMeterUsage helpers shared by the suites: building batch requests from the run's batch keys, reading
the window and de-duplication rules off the profile, and `expect_results`, which judges every batch answer
against the output clauses every BatchMeterUsage answer must meet (RESULT_CLAUSES: schema, Status enum,
partition of the records, echo, record ids). Used by test_batch_meter_usage.py, test_ledger_stateful.py and
test_concurrency.py.
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import pytest

from meterconform.harness.failures import skip_unprocessed
from meterconform.strategies.targets import aim_at_limits
from meterconform.strategies.timestamps import HOUR
from meterconform.transport.clients import Exchange

STATUSES = ("Success", "CustomerNotSubscribed", "DuplicateRecord")
RESULT_CLAUSES = (
    "OUT.BMU.SCHEMA",
    "OUT.BMU.STATUS_ENUM",
    "OUT.BMU.PARTITION",
    "OUT.BMU.ECHO",
    "OUT.BMU.SUCCESS_RECORD_ID",
)
# How far inside / beyond a window edge (after the clock tolerance) the window checks place a record: never
# the boundary second, and far enough that the seconds a run takes cannot carry a record across.
EDGE_NEAR, EDGE_FAR = 60, 600
MONTH_GRACE = 6 * 3600  # the previous month is accepted until 06:00 UTC on the 1st


# -- building requests ---------------------------------------------------------------------------------


def product_code(metering) -> str:
    return metering.profile.need("product.code")


def customer_record(
    metering,
    quantity: int | None = 1,
    *,
    customers: Sequence[str] | None = None,
    min_age: float = 60,
    max_age: float | None = None,
    **members: Any,
) -> dict:
    """A UsageRecord naming its customer by CustomerIdentifier, on a fresh key (Quantity omitted when None)."""
    customer, dimension, ts = metering.batch_key(min_age=min_age, max_age=max_age, customers=customers)
    record: dict[str, Any] = {"Timestamp": ts, "CustomerIdentifier": customer, "Dimension": dimension}
    if quantity is not None:
        record["Quantity"] = quantity
    record.update(members)
    return record


def accounts(metering) -> tuple[str, ...]:
    return metering.profile.need("customers.subscribed_accounts", "records naming the customer by AWS account need one")


def account_record(
    metering, quantity: int | None = 1, *, min_age: float = 60, max_age: float | None = None, **members: Any
) -> dict:
    """A Concurrent Agreements UsageRecord (CustomerAWSAccountId + its LicenseArn), on a fresh key."""
    account, dimension, ts = metering.batch_key(min_age=min_age, max_age=max_age, customers=accounts(metering))
    record: dict[str, Any] = {
        "Timestamp": ts,
        "CustomerAWSAccountId": account,
        "LicenseArn": metering.profile.customers.licenses[account],
        "Dimension": dimension,
    }
    if quantity is not None:
        record["Quantity"] = quantity
    record.update(members)
    return record


def batch_request(metering, records: Sequence[dict], *, product: str | None = "<profile>") -> dict:
    """The request body: the profile's ProductCode (or `product`; None leaves it out) and the records."""
    request: dict[str, Any] = {"UsageRecords": [dict(r) for r in records]}
    if product == "<profile>":
        product = product_code(metering)
    if product is not None:
        request["ProductCode"] = product
    return request


def send(metering, records: Sequence[dict], *, product: str | None = "<profile>") -> Exchange:
    return metering.call("BatchMeterUsage", batch_request(metering, records, product=product))


def aim(metering, records: Sequence[dict]) -> None:
    """Steer the target phase (deep depth) toward the batch limits `records` can approach, up to the drawn
    range's own maximum; the times come from metering.batch_key, which Hypothesis cannot steer. Only checks
    without tag strings aim: on examples carrying allocations, Hypothesis's bookkeeping of the best-scoring
    examples (it compares whole choice sequences) made each example 5-13x slower."""
    metering.reached(
        aim_at_limits("BatchMeterUsage", {"UsageRecords": list(records)}, metering.profile, drawn_timestamps=False)
    )


def requantified(record: dict, quantity: int) -> dict:
    """The same key with another whole Quantity (and no allocations, which would no longer add up)."""
    out = {k: v for k, v in record.items() if k not in ("Quantity", "QuantityAsDecimal", "UsageAllocations")}
    out["Quantity"] = quantity
    return out


def quantity_value(record: dict) -> Decimal:
    """The record's quantity by value: QuantityAsDecimal, else Quantity, else 0."""
    try:
        if "QuantityAsDecimal" in record:
            return Decimal(str(record["QuantityAsDecimal"]))
        return Decimal(str(record.get("Quantity", 0)))
    except InvalidOperation:
        return Decimal("NaN")


def same_hour_second(metering, record: dict) -> int | None:
    """Another second of the record's hour, in this worker's share of seconds, claimed for the record's
    customer and dimension and still inside the window (at least a minute old); None when there is none."""
    customer = record.get("CustomerIdentifier", record.get("CustomerAWSAccountId"))
    ts = int(record["Timestamp"])
    start = ts - ts % HOUR
    step = metering.slots.worker_count
    newest = int(metering.now()) - 60
    oldest = int(
        metering.now()
        - metering.profile.contract.batch_window_hours * HOUR
        + metering.profile.contract.clock_tolerance_seconds
        + EDGE_FAR
    )
    for k in range(1, 400):
        for candidate in (ts - k * step, ts + k * step):
            if start <= candidate < start + HOUR and oldest <= candidate <= newest:
                if metering.slots.claim((customer, record["Dimension"], candidate)):
                    return candidate
    return None


# -- window ages ----------------------------------------------------------------------------------------


def window_ages(metering, where: str) -> tuple[float, float]:
    """(min_age, max_age) in seconds for a batch record `where` = "edge_inside", "edge_stale", "far_stale",
    "future_hour" or "future_day", always clear of the window edge plus or minus the clock tolerance."""
    c = metering.profile.contract
    window, tol = c.batch_window_hours * HOUR, c.clock_tolerance_seconds
    if where == "edge_inside":
        lo, hi = window - tol - EDGE_FAR, window - tol - EDGE_NEAR
        # Month-end rule: after 06:00 UTC on the 1st the previous month is closed, whatever the window says.
        now = _dt.datetime.fromtimestamp(metering.now(), _dt.UTC)
        month = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        since = (now - month).total_seconds()
        if since >= MONTH_GRACE + tol:
            hi = min(hi, since - tol - EDGE_NEAR)
        if hi <= lo:
            pytest.skip(
                "SKIPPED: the window's oldest edge falls in the previous, already closed, billing month (month-end "
                "rule)"
            )
        return lo, hi
    if where == "edge_stale":
        return window + tol + EDGE_NEAR, window + tol + EDGE_FAR
    if where == "far_stale":
        return window + 24 * HOUR, window + 25 * HOUR
    if where == "future_hour":
        return -(HOUR + tol + EDGE_FAR), -(HOUR + tol + EDGE_NEAR)
    if where == "future_day":
        return -(24 * HOUR + tol + EDGE_FAR), -(24 * HOUR + tol + EDGE_NEAR)
    raise ValueError(f"where={where!r}: use edge_inside, edge_stale, far_stale, future_hour or future_day")


# -- reading answers ------------------------------------------------------------------------------------


def instant(value: Any) -> Decimal | None:
    """A timestamp as epoch seconds rounded to the millisecond, whatever form it comes in (a number, a
    numeric string, an ISO-8601 string); None when it is none of these."""
    if isinstance(value, bool):
        return None
    try:
        if isinstance(value, (int, float)):
            if isinstance(value, float) and not math.isfinite(value):
                return None
            seconds = Decimal(str(value))
        elif isinstance(value, str):
            try:
                seconds = Decimal(value.strip())
                if not seconds.is_finite():
                    return None
            except InvalidOperation:
                parsed = _dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
                if parsed.tzinfo is None:
                    parsed = parsed.replace(tzinfo=_dt.UTC)
                seconds = Decimal(str(parsed.timestamp()))
        else:
            return None
        return seconds.quantize(Decimal("0.001"))
    except (ValueError, InvalidOperation, OverflowError):
        return None


def _allocations_value(allocs: Any) -> Any:
    if not isinstance(allocs, list):
        return allocs
    out = []
    for a in allocs:
        if not isinstance(a, dict):
            return allocs
        tags = a.get("Tags")
        tag_set = (
            None if tags is None else tuple(sorted((t.get("Key"), t.get("Value")) for t in tags if isinstance(t, dict)))
        )
        amount = quantity_value(
            {"Quantity": a.get("AllocatedUsageQuantity", 0)}
            if "AllocatedUsageQuantityAsDecimal" not in a
            else {"QuantityAsDecimal": a["AllocatedUsageQuantityAsDecimal"]}
        )
        out.append((repr(tag_set), str(amount.normalize()) if amount.is_finite() else "NaN"))
    return tuple(sorted(out))


def echoes(sent: dict, echo: Any) -> bool:
    """Whether `echo` is the UsageRecord `sent`: every member sent comes back equal (the Timestamp as the same
    instant, the quantity by value with an absent one as 0, allocations and tags as sets)."""
    if not isinstance(echo, dict):
        return False
    if instant(echo.get("Timestamp")) != instant(sent["Timestamp"]):
        return False
    if quantity_value(echo) != quantity_value(sent):
        return False
    for member in ("CustomerIdentifier", "CustomerAWSAccountId", "LicenseArn", "Dimension"):
        if member in sent and echo.get(member) != sent[member]:
            return False
    if "UsageAllocations" in sent and _allocations_value(echo.get("UsageAllocations")) != _allocations_value(
        sent["UsageAllocations"]
    ):
        return False
    return True


def dedup_key(record: dict, profile) -> tuple:
    """(customer, dimension, time) as the profile's `contract.batch_dedup` reads it (the second or the hour)."""
    who = record.get("CustomerIdentifier", record.get("CustomerAWSAccountId"))
    at = instant(record["Timestamp"])
    if profile.contract.batch_dedup == "hour" and at is not None:
        at = Decimal(int(at // HOUR))
    return who, record["Dimension"], at


@dataclass
class BatchOutcome:
    """A successful BatchMeterUsage answer, its results aligned with the submitted records (None: unprocessed)."""

    exchange: Exchange
    records: list[dict]
    results: list[dict | None]
    body: dict

    def status(self, i: int) -> str | None:
        r = self.results[i]
        return None if r is None else r.get("Status")

    def record_id(self, i: int) -> str | None:
        r = self.results[i]
        return None if r is None else r.get("MeteringRecordId")

    def unprocessed(self) -> list[int]:
        return [i for i, r in enumerate(self.results) if r is None]


def short_repr(value: Any, limit: int = 300) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def expect_results(metering, exchange: Exchange, records: Sequence[dict], clause: str) -> BatchOutcome:
    """The answer must be a success (else `clause` fails) meeting every output clause; returns the results
    aligned with `records` by their echo (so the order of Results does not matter)."""
    body = exchange.json
    if exchange.ok and isinstance(body, dict) and isinstance(body.get("Results"), list):
        for k, result in enumerate(body["Results"]):
            status = result.get("Status") if isinstance(result, dict) else None
            metering.expect(
                status in STATUSES,
                "OUT.BMU.STATUS_ENUM",
                expected=f"Results[{k}].Status one of {', '.join(STATUSES)}",
                actual=f"Results[{k}].Status {status!r}",
                exchange=exchange,
            )
    body = metering.expect_success(exchange, clause, allow_unprocessed=True)  # judged record by record below
    results = body.get("Results") or []
    unprocessed = body.get("UnprocessedRecords") or []
    records = [dict(r) for r in records]
    aligned: list[dict | None] = [None] * len(records)
    taken = [False] * len(records)

    def place(entry: Any, where: str, clause_if_foreign: str) -> int:
        free = [i for i, r in enumerate(records) if not taken[i] and echoes(r, entry)]
        if free:
            taken[free[0]] = True
            return free[0]
        if any(echoes(r, entry) for r in records):
            metering.fail(
                "OUT.BMU.PARTITION",
                expected="every submitted UsageRecord exactly once in Results or UnprocessedRecords",
                actual=f"{where} {short_repr(entry)} answers a record that is already answered",
                exchange=exchange,
            )
        metering.fail(
            clause_if_foreign,
            expected="an echo of one of the submitted UsageRecords " + short_repr(records, 600),
            actual=f"{where} is {short_repr(entry)}",
            exchange=exchange,
        )
        raise AssertionError("unreachable")  # pragma: no cover

    for k, result in enumerate(results):
        aligned[place(result.get("UsageRecord"), f"Results[{k}].UsageRecord", "OUT.BMU.ECHO")] = result
    # Every Result echoed a submitted record (a foreign echo failed above): judged, for the coverage and the verdicts.
    metering.expect(
        True,
        "OUT.BMU.ECHO",
        expected="each Results[].UsageRecord an echo of a submitted UsageRecord",
        actual=f"{len(results)} result(s), each echoing one",
        exchange=exchange,
    )
    for k, entry in enumerate(unprocessed):
        place(entry, f"UnprocessedRecords[{k}]", "OUT.BMU.PARTITION")
    missing = [i for i in range(len(records)) if not taken[i]]
    metering.expect(
        not missing,
        "OUT.BMU.PARTITION",
        expected="every submitted UsageRecord in Results or UnprocessedRecords",
        actual=f"{len(missing)} record(s) answered nowhere, e.g. {short_repr(records[missing[0]]) if missing else ''}",
        exchange=exchange,
    )
    seen: dict[str, tuple] = {}
    for i, result in enumerate(aligned):
        if result is None or result.get("Status") != "Success":
            continue
        rid = result.get("MeteringRecordId")
        metering.expect(
            isinstance(rid, str) and rid != "",
            "OUT.BMU.SUCCESS_RECORD_ID",
            expected="a non-empty MeteringRecordId on every Success result",
            actual=f"result for UsageRecords[{i}]: {short_repr(result)}",
            exchange=exchange,
        )
        key = dedup_key(records[i], metering.profile)
        metering.expect(
            seen.get(rid, key) == key,
            "OUT.BMU.SUCCESS_RECORD_ID",
            expected="distinct records of one batch get distinct MeteringRecordIds",
            actual=f"MeteringRecordId {rid!r} answers both {seen.get(rid)} and {key}",
            exchange=exchange,
        )
        seen[rid] = key
    return BatchOutcome(exchange, records, aligned, body)


def expect_status(metering, outcome: BatchOutcome, i: int, status: str, clause: str) -> dict:
    """Record `i` must have answered `status`; an unprocessed record (a transient failure) gives no verdict."""
    result = outcome.results[i]
    if result is None:  # unprocessed every time the Transport sent the batch (it resends a transient answer)
        skip_unprocessed(f"UsageRecords[{i}]", clause, len(outcome.exchange.transient))
    metering.expect(
        result.get("Status") == status,
        clause,
        expected=f"UsageRecords[{i}] answered with Status {status}",
        actual=f"Status {result.get('Status')!r} in {short_repr(result)}",
        exchange=outcome.exchange,
    )
    return result


def expect_same_ids(
    metering, first: BatchOutcome, again: BatchOutcome, pairs: Sequence[tuple[int, int]], clause: str
) -> None:
    """For each (i, j): record i of `first` and record j of `again` both answered Success with one MeteringRecordId."""
    for i, j in pairs:
        expect_status(metering, again, j, "Success", clause)
        metering.expect(
            again.record_id(j) == first.record_id(i),
            clause,
            expected=f"the MeteringRecordId of the first submission, {first.record_id(i)!r}",
            actual=f"{again.record_id(j)!r} for {short_repr(again.records[j])}",
            exchange=again.exchange,
        )
