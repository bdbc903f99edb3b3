"""Tag strategies: the alphabet is exactly the model's class, lengths reach their limits, keys are distinct."""

from __future__ import annotations

import re
import sys

import pytest
from hypothesis import find, given, settings
from hypothesis import strategies as st

from meterconform.strategies import (
    TAG_ALPHABET,
    invalid_tag_chars,
    overlong_tag_keys,
    overlong_tag_values,
    tag_keys,
    tag_values,
    tags,
)
from meterconform.strategies.tags import with_invalid_char
from tests.strategies.checker import MODEL
from tests.strategies.helpers import FIND

KEY_SHAPE = MODEL.shape_for("TagKey")
VALUE_SHAPE = MODEL.shape_for("TagValue")
PATTERN = KEY_SHAPE.metadata["pattern"]
SETTINGS = settings(max_examples=60, deadline=None, database=None)


def test_key_and_value_share_one_pattern():
    assert VALUE_SHAPE.metadata["pattern"] == PATTERN


def test_the_alphabet_is_exactly_the_model_class():
    # Every code point: in the alphabet if and only if it matches the model's pattern on its own.
    matching = "".join(
        chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF and re.fullmatch(PATTERN, chr(c))
    )
    assert matching == TAG_ALPHABET
    # The range ` -=` brings in punctuation a hasty reading misses, and stops before `>`.
    assert set("!\"#$%&'()*,;<-") <= set(TAG_ALPHABET)
    assert not set(">?[]{}~^`|\\") & set(TAG_ALPHABET)


@SETTINGS
@given(c=invalid_tag_chars())
def test_invalid_chars_never_match(c):
    assert len(c) == 1
    assert re.fullmatch(PATTERN, c) is None
    assert re.fullmatch(PATTERN, "a" + c) is None


def test_the_named_invalid_chars_are_reachable():
    for c in ">?[]{}~^`|\\\n\x00\x7f\u212a\u00e9":
        find(invalid_tag_chars(), lambda x, c=c: x == c, settings=FIND)
    find(invalid_tag_chars(), lambda x: ord(x) > 0xFFFF, settings=FIND)


@SETTINGS
@given(key=tag_keys(), value=tag_values())
def test_keys_and_values_are_valid(key, value):
    assert KEY_SHAPE.metadata["min"] <= len(key) <= KEY_SHAPE.metadata["max"]
    assert VALUE_SHAPE.metadata["min"] <= len(value) <= VALUE_SHAPE.metadata["max"]
    assert re.fullmatch(PATTERN, key) and re.fullmatch(PATTERN, value)


def test_length_boundaries_are_reachable():
    key_max, value_max = KEY_SHAPE.metadata["max"], VALUE_SHAPE.metadata["max"]
    assert len(find(tag_keys(), lambda k: len(k) == key_max, settings=FIND)) == key_max
    assert len(find(tag_keys(), lambda k: len(k) == 1, settings=FIND)) == 1
    assert len(find(tag_values(), lambda v: len(v) == value_max, settings=FIND)) == value_max
    assert len(find(overlong_tag_keys(), lambda k: len(k) == key_max + 1, settings=FIND)) == key_max + 1
    assert len(find(overlong_tag_values(), lambda v: len(v) == value_max + 1, settings=FIND)) == value_max + 1
    find(tag_keys(), lambda k: ">" > k[0] >= " " and not k[0].isalnum(), settings=FIND)  # punctuation from the range


@SETTINGS
@given(key=overlong_tag_keys(), value=overlong_tag_values())
def test_overlong_ones_only_break_the_length(key, value):
    assert len(key) > KEY_SHAPE.metadata["max"] and re.fullmatch(PATTERN, key)
    assert len(value) > VALUE_SHAPE.metadata["max"] and re.fullmatch(PATTERN, value)


@SETTINGS
@given(data=st.data())
def test_with_invalid_char_keeps_the_length_in_range(data):
    original = data.draw(tag_keys())
    bad = data.draw(with_invalid_char(original, KEY_SHAPE.metadata["max"]))
    assert 1 <= len(bad) <= KEY_SHAPE.metadata["max"]
    assert re.fullmatch(PATTERN, bad) is None


@SETTINGS
@given(tag_list=tags())
def test_tag_lists_have_distinct_keys(tag_list):
    assert 1 <= len(tag_list) <= MODEL.shape_for("TagList").metadata["max"]
    assert len({t["Key"] for t in tag_list}) == len(tag_list)
    assert all(set(t) == {"Key", "Value"} for t in tag_list)


def test_five_tags_are_reachable():
    assert len(find(tags(), lambda ts: len(ts) == 5, settings=FIND)) == 5


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: tag_keys(max_size=101), "max_size=101"),
        (lambda: tag_keys(min_size=0), "min_size=0"),
        (lambda: tag_values(max_size=257), "overlong_tag_values"),
        (lambda: tags(max_size=6), "max_size=6"),
        (lambda: tags(min_size=0), "min_size=0"),
        (lambda: tag_keys(max_size=5.0), "max_size=5.0"),
        (lambda: with_invalid_char("", 10), "text is empty"),
    ],
)
def test_bad_arguments_name_the_argument_and_the_fix(make, match):
    with pytest.raises((ValueError, TypeError), match=match):
        make()
