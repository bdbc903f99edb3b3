"""The ledger's public view: one Record per usage record the endpoint recorded, and how to select among them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from .clock import When, epoch


@dataclass(frozen=True)
class Allocation:
    """One UsageAllocation of a recorded record: its quantity and its tags (Key -> Value)."""

    quantity: Decimal
    tags: Mapping[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"quantity": str(self.quantity), "tags": dict(self.tags)}


@dataclass(frozen=True)
class Record:
    """One recorded usage record. `quantity` is a Decimal (compared by value: 17 == Decimal("17.0")); a
    MeterUsage record has `identity` (the signing access key id: the instance), a BatchMeterUsage record a
    `customer` (CustomerIdentifier) or an `account` (CustomerAWSAccountId, with its `license_arn`)."""

    operation: str
    metering_record_id: str
    dimension: str
    timestamp: datetime
    quantity: Decimal
    product_code: str | None = None
    customer: str | None = None
    account: str | None = None
    license_arn: str | None = None
    identity: str | None = None
    allocations: tuple[Allocation, ...] = ()
    recorded_at: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        """A JSON object: times as epoch seconds, quantities as decimal strings (exact)."""
        return {
            "operation": self.operation,
            "metering_record_id": self.metering_record_id,
            "product_code": self.product_code,
            "customer": self.customer,
            "account": self.account,
            "license_arn": self.license_arn,
            "identity": self.identity,
            "dimension": self.dimension,
            "timestamp": self.timestamp.timestamp(),
            "quantity": str(self.quantity),
            "allocations": [a.to_json() for a in self.allocations],
            "recorded_at": self.recorded_at.timestamp() if self.recorded_at else None,
        }


def utc(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def allocations_of(struct: Mapping[str, Any]) -> tuple[Allocation, ...]:
    """The UsageAllocations of a (type-checked) request or UsageRecord, as Allocations."""
    found = []
    for allocation in struct.get("UsageAllocations") or ():
        amount = allocation.get("AllocatedUsageQuantityAsDecimal", allocation.get("AllocatedUsageQuantity", 0))
        tags = {t["Key"]: t["Value"] for t in allocation.get("Tags") or ()}
        found.append(Allocation(Decimal(amount), tags))
    return tuple(found)


FILTERS = ("operation", "customer", "account", "dimension", "product_code", "identity", "since", "until")


def select(
    records: Iterable[Record],
    *,
    operation: str | None = None,
    customer: str | None = None,
    account: str | None = None,
    dimension: str | None = None,
    product_code: str | None = None,
    identity: str | None = None,
    since: When | None = None,
    until: When | None = None,
) -> list[Record]:
    """The records matching every filter given: equal fields, and a timestamp at or after `since` and before
    `until` (datetimes, a naive one read as UTC, or epoch seconds)."""
    equal = {
        "operation": operation,
        "customer": customer,
        "account": account,
        "dimension": dimension,
        "product_code": product_code,
        "identity": identity,
    }
    wanted = {k: v for k, v in equal.items() if v is not None}
    low = epoch(since) if since is not None else None
    high = epoch(until) if until is not None else None
    chosen = []
    for record in records:
        if any(getattr(record, k) != v for k, v in wanted.items()):
            continue
        at = record.timestamp.timestamp()
        if (low is not None and at < low) or (high is not None and at >= high):
            continue
        chosen.append(record)
    return chosen
