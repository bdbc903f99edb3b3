"""No draw depends on the clock: the same choices give the same shape of data whatever the time reads."""

from __future__ import annotations

import contextlib
import datetime
import importlib
import types

import pytest
from hypothesis import find, given, settings
from hypothesis import strategies as st

from meterconform.harness.profile import from_dict
from meterconform.strategies import batch_meter_usage_requests, meter_usage_requests, timestamps, usage_record_lists
from meterconform.strategies.timestamps import When, month_start
from tests.strategies.checker import duplicate_keys, rules
from tests.strategies.helpers import PROFILE

# The package re-exports functions named like these modules, so reach the modules themselves.
timestamps_module = importlib.import_module("meterconform.strategies.timestamps")
usage_records_module = importlib.import_module("meterconform.strategies.usage_records")


class JumpingClock:
    """A clock that moves on by `step` seconds at every reading: drawing and replaying see other times."""

    def __init__(self, start: float, step: float):
        self.now, self.step = start, step

    def time(self) -> float:
        self.now += self.step
        return self.now


@pytest.fixture
def jumping_clock(monkeypatch):
    clock = JumpingClock(datetime.datetime(2026, 11, 30, 22, 59, 58, tzinfo=datetime.UTC).timestamp(), 1234.5)
    fake = types.SimpleNamespace(time=clock.time)
    monkeypatch.setattr(timestamps_module, "time", fake)
    monkeypatch.setattr(usage_records_module, "time", fake)
    return clock


@contextlib.contextmanager
def clock_at(now: float):
    """The strategies read `now` from the clock meanwhile."""
    fake = types.SimpleNamespace(time=lambda: now)
    saved = timestamps_module.time, usage_records_module.time
    timestamps_module.time = usage_records_module.time = fake
    try:
        yield
    finally:
        timestamps_module.time, usage_records_module.time = saved


def hourly(window_hours: float = 6):
    return from_dict(
        {
            **PROFILE.raw,
            "contract": {**PROFILE.raw["contract"], "batch_dedup": "hour", "batch_window_hours": window_hours},
        }
    )


@pytest.mark.parametrize(
    "strategy, condition",
    [
        (usage_record_lists(PROFILE, 1, 4, with_allocations=False), lambda rs: len(rs) >= 2),
        (usage_record_lists(hourly(), 1, 4, with_allocations=False), lambda rs: len(rs) >= 2),
        (
            batch_meter_usage_requests(PROFILE, max_size=4, with_allocations=False),
            lambda r: len(r["UsageRecords"]) >= 2,
        ),
        (meter_usage_requests(PROFILE, with_quantity=True), lambda r: r["UsageQuantity"] > 10),
        (timestamps(PROFILE, "batch", "inside"), lambda ts: int(ts) % 3600 == 3599),
    ],
    ids=["time-dedup list", "hour-dedup list", "batch", "meter usage", "hour boundary"],
)
def test_shrinking_replays_under_a_moving_clock(jumping_clock, strategy, condition):
    # Shrinking replays choice sequences; were any draw decided by the clock, Hypothesis would raise
    # FlakyStrategyDefinition here.
    find(strategy, condition, settings=settings(database=None, max_examples=300, deadline=None))


@settings(max_examples=15, deadline=None, database=None)
@given(data=st.data())
def test_hour_dedup_lists_keep_one_record_per_hour_at_any_time(data):
    profile = hourly()
    now = data.draw(st.floats(1.7e9, 1.9e9))
    with clock_at(now):
        records = data.draw(usage_record_lists(profile, 1, 25))
    assert duplicate_keys(records, per_hour=True) == []
    assert (
        rules("BatchMeterUsage", {"ProductCode": PROFILE.product.code, "UsageRecords": records}, profile, now=now)
        == set()
    )


FIRST = datetime.datetime(2026, 12, 1, tzinfo=datetime.UTC).timestamp()


def test_month_start():
    assert month_start(FIRST + 10 * 3600) == FIRST
    assert month_start(FIRST - 1) == datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC).timestamp()


@pytest.mark.parametrize(
    "now, expected",
    [
        (FIRST + 10 * 3600, FIRST),  # after 06:00 on the first: held to the month's first second
        (FIRST + 5 * 3600, FIRST + 5 * 3600 - 20 * 3600),  # before 06:00: the previous month is still open
    ],
)
def test_batch_timestamps_keep_to_the_month_after_its_grace(now, expected):
    assert When("age", age=20 * 3600, month_floor=True).at(now) == expected
    assert When("age", age=20 * 3600).at(now) == now - 20 * 3600


@settings(max_examples=25, deadline=None, database=None)
@given(data=st.data())
def test_inside_batch_timestamps_are_accepted_on_the_first_of_the_month(data):
    day = from_dict({**PROFILE.raw, "contract": {**PROFILE.raw["contract"], "batch_window_hours": 24}})
    now = FIRST + data.draw(st.integers(0, 24 * 3600))
    with clock_at(now):
        records = data.draw(usage_record_lists(day, 1, 10))
    assert (
        rules("BatchMeterUsage", {"ProductCode": PROFILE.product.code, "UsageRecords": records}, day, now=now) == set()
    )
