"""Quantities: the model's integer range, its boundaries reachable, and integers just outside it."""

from __future__ import annotations

import pytest
from hypothesis import find, given, settings

from meterconform.strategies import invalid_quantities, quantities
from tests.strategies.checker import MODEL
from tests.strategies.helpers import FIND

RANGE = MODEL.shape_for("UsageQuantity").metadata
SETTINGS = settings(max_examples=100, deadline=None, database=None)


@SETTINGS
@given(q=quantities())
def test_quantities_are_in_range(q):
    assert type(q) is int and RANGE["min"] <= q <= RANGE["max"]


def test_allocated_quantities_share_the_range():
    assert MODEL.shape_for("AllocatedUsageQuantity").metadata == RANGE


@pytest.mark.parametrize("boundary", [RANGE["min"], 1, RANGE["max"], RANGE["max"] - 1])
def test_boundaries_are_reachable(boundary):
    assert find(quantities(), lambda q: q == boundary, settings=FIND) == boundary


@SETTINGS
@given(q=invalid_quantities())
def test_invalid_quantities_are_integers_out_of_range(q):
    assert type(q) is int and not RANGE["min"] <= q <= RANGE["max"]


@pytest.mark.parametrize("value", [-1, 2**31, 2**63, 2**64])
def test_invalid_edges_are_reachable(value):
    assert find(invalid_quantities(), lambda q: q == value, settings=FIND) == value


@SETTINGS
@given(q=quantities(5, 10))
def test_bounds_narrow_the_range(q):
    assert 5 <= q <= 10


@pytest.mark.parametrize("kwargs, match", [(dict(max_value=2**31), "invalid_quantities"), (dict(min_value=-1), "min_value=-1"),
                                           (dict(min_value=3, max_value=2), "min_value=3"), (dict(max_value=1.5), "max_value=1.5")])
def test_bad_bounds_are_refused(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        quantities(**kwargs)
