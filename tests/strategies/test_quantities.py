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


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(max_value=2**31), "invalid_quantities"),
        (dict(min_value=-1), "min_value=-1"),
        (dict(min_value=3, max_value=2), "min_value=3"),
        (dict(max_value=1.5), "max_value=1.5"),
    ],
)
def test_bad_bounds_are_refused(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        quantities(**kwargs)


# -- decimal quantities binary floats get wrong ------------------------------------------------------------------

from decimal import Decimal  # noqa: E402

from meterconform.strategies.quantities import (  # noqa: E402
    FLOAT_COLLIDING_QUANTITIES,
    FLOAT_COLLIDING_SUMS,
    FLOAT_INEXACT_SUMS,
    float_colliding_splits,
    float_inexact_splits,
)

# The installed model's pattern (and length) of the decimal quantities, read as a whole-string match.
DECIMAL_SHAPE = MODEL.shape_for("MeterUsageRequest").members["UsageQuantityAsDecimal"].metadata


def _float_sum(parts):
    total = 0.0
    for part in parts:
        total += float(part)
    return total


def _valid_decimal(text: str) -> bool:
    import re

    return (
        re.fullmatch(DECIMAL_SHAPE["pattern"].lstrip("^").rstrip("$"), text) is not None
        and DECIMAL_SHAPE["min"] <= len(text) <= DECIMAL_SHAPE["max"]
    )


@SETTINGS
@given(split=float_inexact_splits())
def test_inexact_splits_add_up_in_decimal_but_not_in_floats(split):
    parts, quantity = split
    assert all(map(_valid_decimal, (*parts, quantity)))
    assert sum(map(Decimal, parts)) == Decimal(quantity)
    assert _float_sum(parts) != float(quantity)


@SETTINGS
@given(split=float_colliding_splits())
def test_colliding_splits_add_up_in_floats_but_not_in_decimal(split):
    parts, quantity = split
    assert all(map(_valid_decimal, (*parts, quantity)))
    assert abs(sum(map(Decimal, parts)) - Decimal(quantity)) == Decimal("0.000001")
    assert _float_sum(parts) == float(quantity)


def test_the_fixed_cases_are_what_they_say():
    for parts, quantity in FLOAT_INEXACT_SUMS:
        assert sum(map(Decimal, parts)) == Decimal(quantity) and _float_sum(parts) != float(quantity)
    for parts, quantity in FLOAT_COLLIDING_SUMS:
        assert sum(map(Decimal, parts)) != Decimal(quantity) and _float_sum(parts) == float(quantity)
    for a, b in FLOAT_COLLIDING_QUANTITIES:
        assert Decimal(a) != Decimal(b) and float(a) == float(b) and _valid_decimal(a) and _valid_decimal(b)
