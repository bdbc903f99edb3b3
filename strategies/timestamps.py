"""Timestamps for usage: epoch seconds inside, at the edge of, or outside the metering window."""

from __future__ import annotations

import dataclasses
import datetime
import math
import time
from dataclasses import dataclass
from typing import Literal

from hypothesis import strategies as st

from meterconform.harness.profile import Profile
from meterconform.strategies._memo import memoized

Window = Literal["meter", "batch"]
Where = Literal["inside", "stale", "future", "edge_inside", "edge_outside", "hour_boundary"]

WINDOWS = ("meter", "batch")
WHERES = ("inside", "stale", "future", "edge_inside", "edge_outside", "hour_boundary")

# An edge value sits this many seconds (at least, at most) beyond window ± tolerance, so that the few
# milliseconds between drawing and sending cannot carry it across.
EDGE_MIN_SECONDS = 5
EDGE_MAX_SECONDS = 30
# The oldest stale and the farthest future timestamp drawn: a year beyond the window.
FAR_SECONDS = 366 * 24 * 3600
HOUR = 3600
# BatchMeterUsage takes the previous month's usage until 06:00 UTC on the first day of the next.
MONTH_GRACE_SECONDS = 6 * HOUR


def hour_floor(ts: float) -> int:
    """The epoch second of the start of the UTC hour containing `ts` (how MeterUsage rounds a Timestamp)."""
    return int(math.floor(ts / HOUR) * HOUR)


def month_start(ts: float) -> int:
    """The epoch second of 00:00:00 UTC on the first day of the month containing `ts`."""
    day = datetime.datetime.fromtimestamp(ts, tz=datetime.UTC)
    return int(day.replace(day=1, hour=0, minute=0, second=0, microsecond=0).timestamp())


def window_seconds(profile: Profile, window: Window = "meter") -> float:
    """The profile's metering window in seconds: `contract.meter_window_hours` or `contract.batch_window_hours`."""
    _check_window(window)
    hours = profile.contract.meter_window_hours if window == "meter" else profile.contract.batch_window_hours
    return hours * HOUR


def inside_limit(profile: Profile, window: Window = "meter") -> int:
    """The exclusive upper bound on the age (seconds before now) that is inside the window whatever the clock skew."""
    limit = math.floor(window_seconds(profile, window) - profile.contract.clock_tolerance_seconds)
    if limit <= EDGE_MAX_SECONDS:
        key = f"contract.{window}_window_hours"
        raise ValueError(
            f"the profile's `{key}` minus `contract.clock_tolerance_seconds` leaves {limit} s inside the window; "
            f"make the window longer or the tolerance smaller so at least {EDGE_MAX_SECONDS + 1} s remain"
        )
    return limit


def stale_limit(profile: Profile, window: Window = "meter") -> int:
    """The exclusive lower bound on an age that is outside the window whatever the clock skew."""
    return math.ceil(window_seconds(profile, window) + profile.contract.clock_tolerance_seconds)


def _check_window(window: str) -> None:
    if window not in WINDOWS:
        raise ValueError(
            f'window={window!r} is not a metering window; pass window="meter" (MeterUsage) or window="batch" '
            "(BatchMeterUsage)"
        )


def _check_args(profile: Profile, window: str, where: str, fractional: bool | None) -> None:
    if not isinstance(profile, Profile):
        raise TypeError(
            f"profile={profile!r} is not a Profile; pass meterconform.harness.profile.load_profile() or the harness's "
            "profile"
        )
    _check_window(window)
    if where not in WHERES:
        raise ValueError(
            f"where={where!r} is not a place relative to the window; pass one of {', '.join(map(repr, WHERES))}"
        )
    if not (fractional is None or fractional is True or fractional is False):
        raise TypeError(
            f"fractional={fractional!r} must be True (always a fraction), False (whole seconds) or None (either)"
        )


def _ages(profile: Profile, window: Window, where: str) -> st.SearchStrategy[int]:
    """Whole-second ages (seconds before now) for `where`; each shrinks toward the window edge nearest to it."""
    if where == "inside":
        limit = inside_limit(profile, window)
        # The boundaries first: now, a second ago and the last second inside; then anything inside.
        return st.one_of(st.sampled_from([0, 1, limit - 1]), st.integers(0, limit - 1))
    if where == "edge_inside":
        limit = inside_limit(profile, window)
        return st.integers(EDGE_MIN_SECONDS, EDGE_MAX_SECONDS).map(lambda margin: limit - margin)
    if where == "edge_outside":
        lower = stale_limit(profile, window)
        return st.integers(EDGE_MIN_SECONDS, EDGE_MAX_SECONDS).map(lambda margin: lower + margin)
    if where == "stale":
        lower = stale_limit(profile, window) + 1
        return st.one_of(st.integers(lower, lower + 3 * HOUR), st.integers(lower, lower + FAR_SECONDS))
    if where == "future":
        # Negative ages: ahead of now by more than the clock tolerance.
        ahead = math.ceil(profile.contract.clock_tolerance_seconds) + 1
        return st.one_of(st.integers(ahead, ahead + HOUR), st.integers(ahead, ahead + FAR_SECONDS)).map(lambda s: -s)
    raise AssertionError(where)  # pragma: no cover - checked by _check_args


def _at_age(age: int, micros: int, now: float) -> int | float:
    """The timestamp whose real age is in [age, age + 1): whole seconds, or with `micros` as its fraction."""
    base = now - age
    ts: int | float = math.floor(base)
    if micros:
        ts = round(ts + micros / 1_000_000, 6)
        if ts > base:
            ts = round(ts - 1, 6)
    return ts


@dataclass(frozen=True)
class When:
    """A drawn Timestamp not yet tied to the clock: what Hypothesis draws, so no draw depends on the time.

    kind "age": `age` whole seconds before now. kind "boundary": HH:00:00 (second 0) or HH:59:59
    (second −1) of the hour `hour` hours before the current one. kind "slot": `second` seconds into
    that hour, moved into the window (and not after now) if that part of the hour is outside it.
    `micros` is the fraction (0: whole seconds). `limit` is the window's inside limit for "slot".
    `month_floor` (BatchMeterUsage, inside): from MONTH_GRACE_SECONDS into a month on, a time in the
    previous month becomes the first second of this one, which is then the real edge of the window.
    """

    kind: str
    age: int = 0
    hour: int = 0
    second: int = 0
    micros: int = 0
    limit: int = 0
    month_floor: bool = False

    def at(self, now: float) -> int | float:
        """The epoch-seconds Timestamp this stands for when the clock reads `now`."""
        ts = self._unfloored(now)
        if self.month_floor:
            first = month_start(now)
            if now - first >= MONTH_GRACE_SECONDS and ts < first:
                return round(first + self.micros / 1_000_000, 6) if self.micros else first
        return ts

    def _unfloored(self, now: float) -> int | float:
        if self.kind == "age":
            return _at_age(self.age, self.micros, now)
        start = hour_floor(now) - self.hour * HOUR
        if self.kind == "boundary":
            if not self.micros:
                return start + self.second
            # Stay on the same side of the hour: HH:00:00.001, HH:59:59.999.
            return round(start + (0.001 if self.second == 0 else -0.001), 6)
        whole = start + self.second
        whole = max(whole, math.ceil(now - (self.limit - 1)))
        whole = min(whole, math.floor(now) - (1 if self.micros else 0))
        if whole < start:  # the first second of the current hour: now itself, whole
            return start
        return round(whole + self.micros / 1_000_000, 6) if self.micros else whole


def boundary_hours(profile: Profile, window: Window) -> int:
    """How many hours back an hour boundary is inside the window whatever the minute now: HH:00:00 and
    HH:59:59 of hours 0..n−1 before the current one are (n ≤ 0: none, the window is about an hour or less)."""
    return (inside_limit(profile, window) - HOUR - 2) // HOUR + 1


def slot_hours(profile: Profile, window: Window) -> int:
    """How many hours (the current one and those before it) always have part inside the window."""
    return (inside_limit(profile, window) - 2) // HOUR + 1


def _fractions(fractional: bool | None) -> st.SearchStrategy[int]:
    """Microseconds of the fraction: 0 for whole seconds, 1..999999 for fractional ones."""
    fraction = st.integers(1, 999_999)
    if fractional is None:
        return st.one_of(st.just(0), fraction)
    return fraction if fractional else st.just(0)


def _boundaries(profile: Profile, window: Window, fractional: bool | None) -> st.SearchStrategy[When]:
    hours = boundary_hours(profile, window)
    if hours <= 0:  # a window under an hour: no boundary is always inside; fall back to a second ago
        return st.builds(When, st.just("age"), age=st.just(1), micros=_fractions(fractional))
    return st.builds(
        When,
        st.just("boundary"),
        hour=st.integers(0, hours - 1),
        second=st.sampled_from([0, -1]),
        micros=_fractions(fractional),
    )


def whens(
    profile: Profile, window: Window, where: str, fractional: bool | None, slots: bool = False
) -> st.SearchStrategy[When]:
    """Clock-free Timestamps (When) for `where`; with `slots` (inside only), seconds within one of the
    slot_hours() hours, so that a list can keep one record per hour by the drawn hour alone.
    Batch-window timestamps meant to be accepted keep to the current month after its grace period."""
    drawn = _whens(profile, window, where, fractional, slots)
    if window == "batch" and where in ("inside", "edge_inside", "hour_boundary"):
        return drawn.map(lambda when: dataclasses.replace(when, month_floor=True))
    return drawn


def _whens(
    profile: Profile, window: Window, where: str, fractional: bool | None, slots: bool
) -> st.SearchStrategy[When]:
    if slots:
        limit = inside_limit(profile, window)
        second = st.one_of(st.sampled_from([0, HOUR - 1]), st.integers(0, HOUR - 1))
        return st.builds(
            When,
            st.just("slot"),
            hour=st.integers(0, slot_hours(profile, window) - 1),
            second=second,
            micros=_fractions(fractional),
            limit=st.just(limit),
        )
    if where == "hour_boundary":
        return _boundaries(profile, window, fractional)
    ages = st.builds(When, st.just("age"), age=_ages(profile, window, where), micros=_fractions(fractional))
    if where == "inside":
        # About one in five on an hour boundary; shrinking goes to the ages.
        return st.one_of(ages, ages, ages, ages, _boundaries(profile, window, fractional))
    return ages


def age_bounds(profile: Profile, window: Window, where: str) -> tuple[float, float]:
    """The real ages (seconds before now, inclusive low, exclusive high) a `where` timestamp has."""
    if where in ("inside", "hour_boundary"):
        return (0, inside_limit(profile, window))
    if where == "edge_inside":
        limit = inside_limit(profile, window)
        return (limit - EDGE_MAX_SECONDS, limit - EDGE_MIN_SECONDS + 1)
    if where == "edge_outside":
        lower = stale_limit(profile, window)
        return (lower + EDGE_MIN_SECONDS, lower + EDGE_MAX_SECONDS + 1)
    if where == "stale":
        lower = stale_limit(profile, window) + 1
        return (lower, lower + FAR_SECONDS + 1)
    ahead = math.ceil(profile.contract.clock_tolerance_seconds) + 1
    return (-(ahead + FAR_SECONDS), -ahead + 1)


@memoized
def timestamps(
    profile: Profile,
    window: Window = "meter",
    where: Where = "inside",
    fractional: bool | None = None,
) -> st.SearchStrategy[int | float]:
    """Usage Timestamps in wire form (epoch seconds: an int, or a float with a nonzero fraction).

    The age (seconds before now) is what Hypothesis draws; the timestamp is computed from `time.time()`
    at draw time, so send the request right after drawing it. `window` picks the profile's
    `contract.meter_window_hours` ("meter") or `contract.batch_window_hours` ("batch"); with W that window
    and T `contract.clock_tolerance_seconds`, `where` is:

    - "inside": age in [0, W − T), with 0, 1 and the last second weighted, plus hour boundaries;
    - "edge_inside": age W − T − 5..30 s, the last seconds certainly inside;
    - "edge_outside": age W + T + 5..30 s, the first seconds certainly outside;
    - "stale": age > W + T, up to a year older;
    - "future": ahead of now by more than T, up to a year ahead;
    - "hour_boundary": HH:00:00 or HH:59:59 of an hour inside the window (rounding down to the hour).

    For window="batch", from 06:00 UTC on the first of a month on, the accepted kinds (inside,
    edge_inside, hour_boundary) never fall in the previous month: such a time becomes 00:00:00 on the
    first, the real edge then (BatchMeterUsage's month-end rule).

    `fractional`: True always adds a nonzero fraction of microseconds, False gives whole seconds,
    None either. Shrinks toward the window edge nearest `where` (now for "inside", the first stale second
    for "stale", the nearest future second for "future"), whole seconds before fractional ones.
    """
    _check_args(profile, window, where, fractional)
    inside_limit(profile, window)  # fail now, not at the first draw, when the window is too short
    return whens(profile, window, where, fractional).map(lambda when: when.at(time.time()))
