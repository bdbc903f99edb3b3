"""Timestamps land where asked relative to the profile's window, in wire form, with hour boundaries reachable."""

from __future__ import annotations

import math
import time

import pytest
from hypothesis import find, given, settings
from hypothesis import strategies as st

from meterconform.harness.profile import from_dict
from meterconform.strategies import hour_floor, timestamps
from meterconform.strategies.timestamps import EDGE_MAX_SECONDS, EDGE_MIN_SECONDS
from tests.strategies.helpers import FIND, PROFILE

SETTINGS = settings(max_examples=40, deadline=None, database=None)
TOL = PROFILE.contract.clock_tolerance_seconds


def window(kind: str) -> float:
    hours = PROFILE.contract.meter_window_hours if kind == "meter" else PROFILE.contract.batch_window_hours
    return hours * 3600


def age_of(ts: float) -> float:
    return time.time() - ts


@pytest.mark.parametrize("kind", ["meter", "batch"])
@SETTINGS
@given(data=st.data())
def test_inside_is_younger_than_window_minus_tolerance(kind, data):
    ts = data.draw(timestamps(PROFILE, kind, "inside"))
    assert 0 <= age_of(ts) < window(kind) - TOL


@pytest.mark.parametrize("kind", ["meter", "batch"])
@SETTINGS
@given(data=st.data())
def test_stale_is_older_than_window_plus_tolerance(kind, data):
    ts = data.draw(timestamps(PROFILE, kind, "stale"))
    assert age_of(ts) > window(kind) + TOL


@SETTINGS
@given(ts=timestamps(PROFILE, "meter", "future"))
def test_future_is_ahead_by_more_than_the_tolerance(ts):
    assert -age_of(ts) > TOL


@SETTINGS
@given(inside=timestamps(PROFILE, "meter", "edge_inside"), outside=timestamps(PROFILE, "meter", "edge_outside"))
def test_edges_sit_a_few_seconds_from_the_boundary(inside, outside):
    limit = window("meter") - TOL
    assert limit - EDGE_MAX_SECONDS - 1 <= age_of(inside) < limit - EDGE_MIN_SECONDS + 1
    assert age_of(inside) < limit
    stale = window("meter") + TOL
    assert stale + EDGE_MIN_SECONDS <= age_of(outside) <= stale + EDGE_MAX_SECONDS + 2


@SETTINGS
@given(ts=timestamps(PROFILE, "batch", "hour_boundary"))
def test_hour_boundaries_are_on_the_hour_or_the_second_before(ts):
    assert int(ts) % 3600 in (0, 3599)
    assert 0 < age_of(ts) < window("batch") - TOL


@pytest.mark.parametrize("fractional", [True, False])
@SETTINGS
@given(data=st.data())
def test_wire_form_is_int_or_float_with_a_fraction(fractional, data):
    where = data.draw(st.sampled_from(["inside", "stale", "future", "edge_inside", "edge_outside", "hour_boundary"]))
    ts = data.draw(timestamps(PROFILE, "meter", where, fractional=fractional))
    if fractional:
        assert type(ts) is float and ts != math.floor(ts)
    else:
        assert type(ts) is int


def test_boundaries_are_reachable():
    limit = window("meter") - TOL
    # The last second inside, now, both kinds of hour boundary, and a fractional one.
    find(timestamps(PROFILE, "meter", "inside", fractional=False), lambda ts: age_of(ts) >= limit - 2, settings=FIND)
    find(timestamps(PROFILE, "meter", "inside", fractional=False), lambda ts: age_of(ts) < 2, settings=FIND)
    find(timestamps(PROFILE, "meter", "inside"), lambda ts: int(ts) % 3600 == 0, settings=FIND)
    find(timestamps(PROFILE, "meter", "inside"), lambda ts: int(ts) % 3600 == 3599, settings=FIND)
    find(timestamps(PROFILE, "meter", "inside"), lambda ts: isinstance(ts, float), settings=FIND)


def test_hour_floor():
    assert hour_floor(7200) == 7200
    assert hour_floor(7199.999) == 3600
    assert hour_floor(7200.5) == 7200
    assert isinstance(hour_floor(7200.5), int)


def test_windows_follow_the_profile():
    raw = dict(PROFILE.raw)
    raw["contract"] = {**raw["contract"], "batch_window_hours": 24, "clock_tolerance_seconds": 0}
    day = from_dict(raw)
    ts = find(timestamps(day, "batch", "inside"), lambda t: age_of(t) > 20 * 3600, settings=FIND)
    assert age_of(ts) < 24 * 3600


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(window="hourly"), "window="),
        (dict(where="old"), "where="),
        (dict(fractional="yes"), "fractional="),
    ],
)
def test_bad_arguments_name_the_argument(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        timestamps(PROFILE, **kwargs)


def test_a_window_no_longer_than_the_tolerance_is_refused_naming_the_keys():
    raw = dict(PROFILE.raw)
    raw["contract"] = {**raw["contract"], "meter_window_hours": 0.01, "clock_tolerance_seconds": 60}
    with pytest.raises(ValueError, match="contract.meter_window_hours"):
        timestamps(from_dict(raw), "meter")
