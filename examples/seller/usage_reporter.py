"""A seller's usage reporter for a SaaS product: sends usage to AWS Marketplace with BatchMeterUsage.

It sends at most 25 records per call, retries UnprocessedRecords, throttling and internal errors with capped
exponential backoff and full jitter (giving up after `max_attempts`), never retries CustomerNotSubscribed,
counts DuplicateRecord as already billed, refuses records older than the window, and bills a late increase of
an hour already reported as a new record stamped now (a recorded quantity cannot be changed)."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

MAX_BATCH = 25
RETRYABLE = {"ThrottlingException", "InternalServiceErrorException"}


@dataclass(frozen=True)
class Usage:
    """Usage of one customer on one dimension at one time."""

    customer: str
    dimension: str
    timestamp: datetime
    quantity: int

    @property
    def key(self) -> tuple[str, str, float]:
        return self.customer, self.dimension, self.timestamp.timestamp()

    def as_record(self) -> dict[str, Any]:
        return {
            "CustomerIdentifier": self.customer,
            "Dimension": self.dimension,
            "Timestamp": self.timestamp,
            "Quantity": self.quantity,
        }


@dataclass
class Report:
    """What became of each Usage handed to `report`."""

    billed: list[Usage] = field(default_factory=list)
    already_billed: list[Usage] = field(default_factory=list)  # DuplicateRecord: billed before, not changed
    not_subscribed: list[Usage] = field(default_factory=list)
    too_old: list[Usage] = field(default_factory=list)
    failed: list[Usage] = field(default_factory=list)  # gave up: keep them and send them again later


class UsageReporter:
    """Reports usage through a boto3 `meteringmarketplace` client."""

    def __init__(
        self,
        client: Any,
        product_code: str,
        *,
        window: timedelta = timedelta(hours=6),
        margin: timedelta = timedelta(minutes=5),
        max_attempts: int = 6,
        base_delay: float = 0.1,
        max_delay: float = 5.0,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        sleep: Callable[[float], Any] = time.sleep,
        rng: random.Random | None = None,
    ):
        self.client = client
        self.product_code = product_code
        self.window, self.margin = window, margin
        self.max_attempts, self.base_delay, self.max_delay = max_attempts, base_delay, max_delay
        self.now, self.sleep = now, sleep
        self.rng = rng or random.Random()
        self.sent: dict[tuple[str, str, float], int] = {}  # what this reporter got recorded, by key

    def report(self, usages: Iterable[Usage]) -> Report:
        report = Report()
        fresh = []
        for usage in usages:
            usage = self._correction(usage)
            if usage is None:
                continue
            if self.now() - usage.timestamp > self.window - self.margin:
                report.too_old.append(usage)
            else:
                fresh.append(usage)
        for batch in self._batches(fresh):
            self._send(batch, report)
        return report

    # --- the steps, one method each ------------------------------------------------------------------------------

    def _correction(self, usage: Usage) -> Usage | None:
        """A usage for a key already recorded with another quantity: bill only the increase, as a new record
        stamped now (the recorded one cannot change); nothing for a decrease or the same quantity."""
        sent = self.sent.get(usage.key)
        if sent is None:
            return usage
        if usage.quantity <= sent:
            return None
        self.sent[usage.key] = usage.quantity
        return replace(usage, timestamp=self.now().replace(microsecond=0), quantity=usage.quantity - sent)

    @staticmethod
    def _batches(usages: list[Usage]) -> Iterator[list[Usage]]:
        for start in range(0, len(usages), MAX_BATCH):
            yield usages[start : start + MAX_BATCH]

    def _send(self, batch: list[Usage], report: Report) -> None:
        pending = {usage.key: usage for usage in batch}
        attempt = 0
        while pending:
            if attempt and self._give_up(attempt):
                report.failed.extend(pending.values())
                return
            if attempt:
                self.sleep(self._delay(attempt))
            attempt += 1
            try:
                answer = self.client.batch_meter_usage(
                    ProductCode=self.product_code, UsageRecords=[u.as_record() for u in pending.values()]
                )
            except Exception as error:  # botocore's ClientError
                code = getattr(error, "response", {}).get("Error", {}).get("Code")
                if code in RETRYABLE:
                    continue
                raise
            again = {}
            for result in answer.get("Results", []):
                echoed = result["UsageRecord"]
                key = (echoed["CustomerIdentifier"], echoed["Dimension"], echoed["Timestamp"].timestamp())
                if self._settle(pending[key], result["Status"], report):
                    again[key] = pending[key]
            again.update((k, pending[k]) for k in self._unprocessed(answer) if k in pending)
            pending = again

    def _settle(self, usage: Usage, status: str, report: Report) -> bool:
        """File one record's result; whether to send it again."""
        if status == "Success":
            self.sent[usage.key] = usage.quantity
            report.billed.append(usage)
        elif status == "DuplicateRecord":
            report.already_billed.append(usage)
        else:  # CustomerNotSubscribed: retrying cannot help
            report.not_subscribed.append(usage)
        return False

    @staticmethod
    def _unprocessed(answer: dict[str, Any]) -> set[tuple[str, str, float]]:
        """The keys of the records handed back unprocessed: to be sent again."""
        return {
            (r["CustomerIdentifier"], r["Dimension"], r["Timestamp"].timestamp())
            for r in answer.get("UnprocessedRecords", [])
        }

    def _give_up(self, attempt: int) -> bool:
        return attempt >= self.max_attempts

    def _delay(self, attempt: int) -> float:
        """Full jitter: uniform between 0 and the capped exponential step."""
        return self.rng.uniform(0, min(self.max_delay, self.base_delay * 2 ** (attempt - 1)))
