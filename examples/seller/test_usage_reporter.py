"""The usage reporter's tests, against the `metering_endpoint` fixture (pip install meterconform).

SELLER_REPORTER=module:Class picks the reporter under test (default usage_reporter:UsageReporter); the project's
self-tests run this file against each of broken_reporters' variants, and each fails a named test."""

from __future__ import annotations

import importlib
import os
import random
from datetime import UTC, datetime, timedelta

import pytest
from usage_reporter import MAX_BATCH, Usage

MAX_SLEEPS = 100  # a reporter that sleeps more often than this is retrying without end


def reporter_class():
    module, _, name = os.environ.get("SELLER_REPORTER", "usage_reporter:UsageReporter").partition(":")
    return getattr(importlib.import_module(module), name)


class Sleeps(list):
    """Records each backoff instead of sleeping; fails the test past MAX_SLEEPS."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)
        if len(self) > MAX_SLEEPS:
            raise RuntimeError(f"more than {MAX_SLEEPS} retries: the reporter does not give up")


@pytest.fixture
def sleeps():
    return Sleeps()


@pytest.fixture
def reporter(metering_endpoint, sleeps):
    return reporter_class()(
        metering_endpoint.client(),
        metering_endpoint.product_code,
        max_attempts=6,
        base_delay=0.1,
        max_delay=1.0,
        now=metering_endpoint.clock.now,
        sleep=sleeps,
        rng=random.Random(0),
    )


def usages(endpoint, n: int, *, at: datetime | None = None, quantity: int = 1) -> list[Usage]:
    """n usages spread over the subscribed customers, the dimensions and distinct seconds."""
    at = (at or endpoint.clock.now()).replace(microsecond=0)
    return [
        Usage(
            endpoint.customers[i % len(endpoint.customers)],
            endpoint.dimensions[i % len(endpoint.dimensions)],
            at - timedelta(seconds=i),
            quantity,
        )
        for i in range(n)
    ]


def billed(endpoint) -> int:
    return sum(record.quantity for record in endpoint.records())


def test_records_are_sent_in_batches_of_at_most_25(metering_endpoint, reporter):
    report = reporter.report(usages(metering_endpoint, 60))
    assert len(report.billed) == 60 and len(metering_endpoint.records()) == 60
    sizes = [len(request.body["UsageRecords"]) for request in metering_endpoint.requests]
    assert sizes == [MAX_BATCH, MAX_BATCH, 10]


def test_unprocessed_records_are_sent_again_until_recorded(metering_endpoint, reporter):
    with metering_endpoint.chaos(unprocessed=0.5, seed=3):
        report = reporter.report(usages(metering_endpoint, 60))
    assert any(request.injected == "unprocessed" for request in metering_endpoint.requests)
    assert len(report.billed) == 60 and report.failed == []
    assert len(metering_endpoint.records()) == 60


def test_throttling_is_retried_with_capped_backoff(metering_endpoint, reporter, sleeps):
    with metering_endpoint.chaos(throttle=0.5, internal_error=0.1, seed=7):
        report = reporter.report(usages(metering_endpoint, 60))
    assert len(metering_endpoint.records()) == 60 and report.failed == []
    assert sleeps and all(0 <= s <= 1.0 for s in sleeps)


def test_gives_up_when_throttling_does_not_stop(metering_endpoint, reporter, sleeps):
    batch = usages(metering_endpoint, 3)
    with metering_endpoint.chaos(throttle=1.0):
        report = reporter.report(batch)
    assert report.failed == batch and report.billed == []
    assert len(metering_endpoint.requests) == 6  # max_attempts
    assert len(sleeps) == 5 and all(s <= min(1.0, 0.1 * 2**i) for i, s in enumerate(sleeps))


def test_unsubscribed_customers_are_not_retried(metering_endpoint, reporter):
    lapsed = Usage(
        metering_endpoint.unsubscribed_customers[0],
        metering_endpoint.dimensions[0],
        metering_endpoint.clock.now().replace(microsecond=0),
        4,
    )
    report = reporter.report([lapsed])
    assert report.not_subscribed == [lapsed] and report.failed == []
    assert len(metering_endpoint.requests) == 1 and metering_endpoint.records() == []


def test_a_duplicate_record_counts_as_already_billed(metering_endpoint):
    """A run that crashed after sending but before saving: the next run's changed quantity is DuplicateRecord."""
    usage = usages(metering_endpoint, 1, quantity=5)[0]
    first = reporter_class()(metering_endpoint.client(), metering_endpoint.product_code)
    assert first.report([usage]).billed == [usage]
    restarted = reporter_class()(metering_endpoint.client(), metering_endpoint.product_code)
    changed = Usage(usage.customer, usage.dimension, usage.timestamp, 7)
    report = restarted.report([changed])
    assert report.already_billed == [changed] and report.failed == []
    assert [record.quantity for record in metering_endpoint.records()] == [5]


def test_a_late_increase_is_billed_without_changing_the_recorded_hour(metering_endpoint, reporter):
    metering_endpoint.clock.set(datetime(2026, 3, 1, 12, 30, tzinfo=UTC))
    hour = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    customer, dimension = metering_endpoint.customers[0], metering_endpoint.dimensions[0]
    reporter.report([Usage(customer, dimension, hour, 5)])
    metering_endpoint.clock.advance(minutes=40)
    reporter.report([Usage(customer, dimension, hour, 8)])  # 3 more arrived late for 12:00
    assert billed(metering_endpoint) == 8
    first, late = metering_endpoint.records()
    assert (first.timestamp, first.quantity) == (hour, 5)
    assert (late.timestamp, late.quantity) == (datetime(2026, 3, 1, 13, 10, tzinfo=UTC), 3)


def test_records_older_than_the_window_are_not_sent(metering_endpoint, reporter):
    metering_endpoint.clock.set(datetime(2026, 3, 1, 18, 0, tzinfo=UTC))
    stale = Usage(
        metering_endpoint.customers[0],
        metering_endpoint.dimensions[0],
        datetime(2026, 3, 1, 11, 58, tzinfo=UTC),
        1,
    )
    edge = Usage(
        metering_endpoint.customers[1],
        metering_endpoint.dimensions[0],
        datetime(2026, 3, 1, 12, 10, tzinfo=UTC),
        1,
    )
    report = reporter.report([stale, edge])
    assert report.too_old == [stale] and report.billed == [edge]
    assert [request.body["UsageRecords"][0]["CustomerIdentifier"] for request in metering_endpoint.requests] == [
        edge.customer
    ]
