"""Allocation tags: keys and values over the model's exact character class, and characters outside it."""

from __future__ import annotations

import string

from hypothesis import strategies as st

from meterconform.strategies._memo import memoized
from meterconform.strategies._model import TAG_KEY_MAX, TAG_KEY_MIN, TAG_VALUE_MAX, TAG_VALUE_MIN, TAGS_MAX, TAGS_MIN

# The class of TagKey / TagValue, `^[a-zA-Z0-9+ -=._:\/@]+$`, spelled out. ` -=` is a range: every
# character from space (U+0020) to `=` (U+003D), which brings in !"#$%&'()*,;< and `-` as well.
TAG_ALPHABET = "".join(
    sorted(set(string.ascii_letters + string.digits + "+._:/@" + "".join(map(chr, range(0x20, 0x3E)))))
)

# ASCII characters outside the class: the printable ones a hasty reading lets through, then DEL and C0 controls.
INVALID_TAG_ASCII = ">?[]{}~^`|\\" + "\x7f" + "".join(map(chr, range(0x00, 0x20)))
# Non-ASCII characters chosen because a sloppy matcher accepts them: letters under Unicode or
# case-insensitive matching (é, Kelvin sign, long s, dotless i, fullwidth A), a no-break space,
# Unicode digits, a line separator, a zero-width space, an astral emoji.
INVALID_TAG_UNICODE = "é\u212a\u017f\u0131\uff21\u00a0\u0661\u2028\u200b\U0001f600"


def _check_sizes(name: str, min_size: int, max_size: int, lo: int, hi: int, fix: str) -> None:
    for arg, value in (("min_size", min_size), ("max_size", max_size)):
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(f"{name}: {arg}={value!r} must be an int between {lo} and {hi}")
    if not lo <= min_size <= max_size <= hi:
        raise ValueError(
            f"{name}: min_size={min_size}, max_size={max_size}: need {lo} <= min_size <= max_size <= {hi} (the model's "
            f"limits); {fix}"
        )


def _sized_text(min_size: int, max_size: int) -> st.SearchStrategy[str]:
    """Text over TAG_ALPHABET with the longest allowed length drawn explicitly, so the boundary is reached."""
    return st.one_of(
        st.text(TAG_ALPHABET, min_size=min_size, max_size=max_size),
        st.text(TAG_ALPHABET, min_size=max_size, max_size=max_size),
    )


@memoized
def tag_keys(min_size: int = TAG_KEY_MIN, max_size: int = TAG_KEY_MAX) -> st.SearchStrategy[str]:
    """Valid tag Keys: min_size..max_size chars (default 1–100) over TAG_ALPHABET.

    Keys of exactly max_size are drawn about half the time. Shrinks toward "0" repeated min_size times.
    """
    _check_sizes("tag_keys", min_size, max_size, TAG_KEY_MIN, TAG_KEY_MAX, "for longer keys use overlong_tag_keys()")
    return _sized_text(min_size, max_size)


@memoized
def tag_values(min_size: int = TAG_VALUE_MIN, max_size: int = TAG_VALUE_MAX) -> st.SearchStrategy[str]:
    """Valid tag Values: min_size..max_size chars (default 1–256) over TAG_ALPHABET.

    Values of exactly max_size are drawn about half the time. Shrinks toward "0" repeated min_size times.
    """
    _check_sizes(
        "tag_values", min_size, max_size, TAG_VALUE_MIN, TAG_VALUE_MAX, "for longer values use overlong_tag_values()"
    )
    return _sized_text(min_size, max_size)


@memoized
def overlong_tag_keys() -> st.SearchStrategy[str]:
    """Tag Keys over TAG_ALPHABET one char too long (101) or more (up to 400). Shrinks toward 101 chars."""
    over = TAG_KEY_MAX + 1
    return st.one_of(
        st.text(TAG_ALPHABET, min_size=over, max_size=over),
        st.text(TAG_ALPHABET, min_size=over, max_size=4 * TAG_KEY_MAX),
    )


@memoized
def overlong_tag_values() -> st.SearchStrategy[str]:
    """Tag Values over TAG_ALPHABET one char too long (257) or more (up to 1024). Shrinks toward 257 chars."""
    over = TAG_VALUE_MAX + 1
    return st.one_of(
        st.text(TAG_ALPHABET, min_size=over, max_size=over),
        st.text(TAG_ALPHABET, min_size=over, max_size=4 * TAG_VALUE_MAX),
    )


@memoized
def invalid_tag_chars() -> st.SearchStrategy[str]:
    """Single characters outside the tag class: `>?[]{}~^`|\\`, DEL and control chars, then non-ASCII.

    The listed ASCII and Unicode traps come first, then any non-ASCII character (no lone surrogates).
    Shrinks toward ">".
    """
    return st.one_of(
        st.sampled_from(INVALID_TAG_ASCII),
        st.sampled_from(INVALID_TAG_UNICODE),
        st.characters(min_codepoint=0x80, exclude_categories=["Cs"]),
    )


def with_invalid_char(text: str, size_max: int) -> st.SearchStrategy[str]:
    """`text` with one character outside the class inserted or substituted, never longer than `size_max`.

    The position is drawn (start, end, middle; a trailing "\\n" is a classic `$`-anchoring hole).
    Shrinks toward substituting ">" for the first character.
    """
    if not text:
        raise ValueError("with_invalid_char: text is empty; pass a tag key or value of at least one character")

    @st.composite
    def build(draw):
        bad = draw(invalid_tag_chars())
        at = draw(st.integers(0, len(text)))
        replace = len(text) >= size_max or draw(st.booleans()) is False
        if replace:
            at = min(at, len(text) - 1)
            return text[:at] + bad + text[at + 1 :]
        return text[:at] + bad + text[at:]

    return build()


@memoized
def tags(min_size: int = TAGS_MIN, max_size: int = TAGS_MAX) -> st.SearchStrategy[list[dict[str, str]]]:
    """Valid Tag lists: min_size..max_size (default 1–5) `{"Key", "Value"}` dicts with distinct Keys,
    max_size tags about half the time.

    Shrinks toward one tag `{"Key": "0", "Value": "0"}`.
    """
    _check_sizes(
        "tags",
        min_size,
        max_size,
        TAGS_MIN,
        TAGS_MAX,
        "for an empty or over-long tag list build it explicitly (see mutations)",
    )
    tag = st.fixed_dictionaries({"Key": tag_keys(), "Value": tag_values()})
    # The longest list is drawn explicitly one time in about two, so the limit is reached.
    return st.one_of(
        st.lists(tag, min_size=min_size, max_size=max_size, unique_by=lambda t: t["Key"]),
        st.lists(tag, min_size=max_size, max_size=max_size, unique_by=lambda t: t["Key"]),
    )


def tag_set(tag_list: list[dict[str, str]] | None) -> frozenset[tuple[str, str]]:
    """The set of (Key, Value) pairs of an allocation's Tags, the unit of the "unique set of tags" rule."""
    return frozenset((t["Key"], t["Value"]) for t in (tag_list or ()))
