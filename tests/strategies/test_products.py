"""Products and dimensions: the profile's, near misses that are not, and over-long product codes."""

from __future__ import annotations

import re

import pytest
from hypothesis import find, given, settings

from meterconform.harness.profile import MissingProfileData, from_dict
from meterconform.strategies import (
    dimensions,
    overlong_product_codes,
    product_codes,
    unknown_dimensions,
    unknown_product_codes,
)
from tests.strategies.checker import MODEL
from tests.strategies.helpers import FIND, PROFILE

CODE = MODEL.shape_for("ProductCode").metadata
DIMENSION = MODEL.shape_for("UsageDimension").metadata
SETTINGS = settings(max_examples=60, deadline=None, database=None)


@SETTINGS
@given(d=dimensions(PROFILE), code=product_codes(PROFILE))
def test_known_ones_come_from_the_profile(d, code):
    assert d in PROFILE.product.dimensions
    assert code == PROFILE.product.code


@SETTINGS
@given(d=unknown_dimensions(PROFILE))
def test_unknown_dimensions_are_well_formed_and_unknown(d):
    assert d not in PROFILE.product.dimensions
    assert DIMENSION["min"] <= len(d) <= DIMENSION["max"]
    assert re.fullmatch(DIMENSION["pattern"], d)


@pytest.mark.parametrize("variant", ["hours", "HOURS", "Hours ", " Hours", "Hours\n", "storage.gb"])
def test_near_misses_are_reachable(variant):
    assert find(unknown_dimensions(PROFILE), lambda d: d == variant, settings=FIND) == variant


@SETTINGS
@given(code=unknown_product_codes(PROFILE))
def test_unknown_product_codes_match_the_pattern_and_are_not_the_profile_code(code):
    assert code != PROFILE.product.code
    assert 1 <= len(code) <= CODE["max"]
    assert re.fullmatch(CODE["pattern"], code)


def test_a_case_variant_of_the_product_code_is_reachable():
    upper = PROFILE.product.code.upper()
    assert find(unknown_product_codes(PROFILE), lambda c: c == upper, settings=FIND) == upper


@SETTINGS
@given(code=unknown_product_codes())
def test_unknown_product_codes_work_without_a_profile(code):
    assert re.fullmatch(CODE["pattern"], code) and len(code) >= 1


@SETTINGS
@given(code=overlong_product_codes())
def test_overlong_product_codes_break_only_the_length(code):
    assert len(code) > CODE["max"]
    assert re.fullmatch(CODE["pattern"], code)


def test_the_first_overlong_length_is_reachable():
    assert len(find(overlong_product_codes(), lambda c: len(c) == CODE["max"] + 1, settings=FIND)) == CODE["max"] + 1


def test_missing_profile_data_is_named():
    empty = from_dict({})
    for make, key in [
        (dimensions, "product.dimensions"),
        (unknown_dimensions, "product.dimensions"),
        (product_codes, "product.code"),
    ]:
        with pytest.raises(MissingProfileData) as info:
            make(empty)
        assert info.value.key == key


def test_a_non_profile_is_refused():
    with pytest.raises(TypeError, match="profile="):
        dimensions({"product": {"dimensions": ["Hours"]}})
