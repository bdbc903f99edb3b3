"""Timestamps for usage: epoch seconds inside, at the edge of, or outside the metering window."""

from __future__ import annotations

import math
import time
from typing import Literal

from hypothesis import strategies as st

from meterconform.profile import Profile

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


def hour_floor(ts: float) -> int:
    """The epoch second of the start of the UTC hour containing `ts` (how MeterUsage rounds a Timestamp)."""
    return int(math.floor(ts / HOUR) * HOUR)


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
        raise ValueError(f"window={window!r} is not a metering window; pass window=\"meter\" (MeterUsage) or window=\"batch\" (BatchMeterUsage)")


def _check_args(profile: Profile, window: str, where: str, fractional: bool | None) -> None:
    if not isinstance(profile, Profile):
        raise TypeError(f"profile={profile!r} is not a Profile; pass meterconform.profile.load_profile() or the harness's profile")
    _check_window(window)
    if where not in WHERES:
        raise ValueError(f"where={where!r} is not a place relative to the window; pass one of {', '.join(map(repr, WHERES))}")
    if fractional not in (None, True, False):
        raise TypeError(f"fractional={fractional!r} must be True (always a fraction), False (whole seconds) or None (either)")


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


@st.composite
def _timestamps(draw, profile: Profile, window: Window, where: str, fractional: bool | None):
    frac = draw(st.booleans()) if fractional is None else fractional
    micros = draw(st.integers(1, 999_999)) if frac else 0
    if where == "hour_boundary" or (where == "inside" and draw(st.integers(0, 4)) == 4):
        return _hour_boundary(draw, profile, window, frac)
    age = draw(_ages(profile, window, where))
    return _at_age(age, micros, time.time())


def _hour_boundary(draw, profile: Profile, window: Window, frac: bool) -> int | float:
    """HH:00:00 or HH:59:59 (HH:00:00.001 / HH:59:59.999 when fractional) of an hour inside the window."""
    limit = inside_limit(profile, window)
    now = time.time()
    oldest = now - (limit - 1)
    # Hour starts and the second before them, newest first, that are inside the window right now.
    candidates = []
    start = hour_floor(now)
    while start >= oldest:
        for ts in (start, start - 1):
            if oldest <= ts <= now - 1:
                candidates.append(ts)
        start -= HOUR
    if not candidates:  # a window shorter than an hour that straddles no boundary
        return _at_age(1, 500_000 if frac else 0, now)
    ts = draw(st.sampled_from(candidates))
    if not frac:
        return ts
    # Stay on the same side of the hour: just after HH:00:00, just before HH:59:59 + 1.
    return round(ts + (0.001 if ts % HOUR == 0 else 0.999), 6)


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

    `fractional`: True always adds a nonzero fraction of microseconds, False gives whole seconds,
    None either. Shrinks toward the window edge nearest `where` (now for "inside", the first stale second
    for "stale", the nearest future second for "future"), whole seconds before fractional ones.
    """
    _check_args(profile, window, where, fractional)
    inside_limit(profile, window)  # fail now, not at the first draw, when the window is too short
    return _timestamps(profile, window, where, fractional)
