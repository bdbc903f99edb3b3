"""Deliberately broken variants of UsageReporter, one mistake each; the example's tests catch every one."""

from __future__ import annotations

from typing import Any

from usage_reporter import Usage, UsageReporter


class DropsUnprocessed(UsageReporter):
    """Takes a 200 for done: records handed back in UnprocessedRecords are never sent again."""

    @staticmethod
    def _unprocessed(answer: dict[str, Any]) -> set:
        return set()


class RetriesForever(UsageReporter):
    """Retries throttling and internal errors without end."""

    def _give_up(self, attempt: int) -> bool:
        return False


class ResendsChangedQuantity(UsageReporter):
    """Sends a late increase as the hour's new total at the recorded timestamp (AWS answers DuplicateRecord)."""

    def _correction(self, usage: Usage) -> Usage | None:
        return usage if self.sent.get(usage.key) != usage.quantity else None


class RetriesUnsubscribed(UsageReporter):
    """Treats CustomerNotSubscribed as transient and sends the record again."""

    def _settle(self, usage: Usage, status: str, report: Any) -> bool:
        return status == "CustomerNotSubscribed" or super()._settle(usage, status, report)
