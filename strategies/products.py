"""Products and their dimensions: the profile's, and well-formed ones the endpoint does not know."""

from __future__ import annotations

import string

from hypothesis import strategies as st

from meterconform.harness.profile import Profile
from meterconform.strategies._memo import memoized
from meterconform.strategies._model import DIMENSION_MAX, DIMENSION_MIN, PRODUCT_CODE_MAX, matches

# The ProductCode pattern's class `[-a-zA-Z0-9/=:_.@]`, spelled out.
PRODUCT_CODE_ALPHABET = "-" + string.ascii_letters + string.digits + "/=:_.@"
# Any Unicode scalar that JSON and UTF-8 can carry: every code point but the surrogates (category Cs), the
# same set as `codec="utf-8"`, whose table Hypothesis would build by encoding all 1.1M code points, 1.5 s in
# each process of a run in a fresh directory.
ANY_CHARACTERS = st.characters(exclude_categories=["Cs"])
# UsageDimension's pattern is [\s\S]+.
DIMENSION_CHARACTERS = ANY_CHARACTERS


def _check_profile(profile: object) -> None:
    if not isinstance(profile, Profile):
        raise TypeError(
            f"profile={profile!r} is not a Profile; pass meterconform.harness.profile.load_profile() or the harness's "
            "profile"
        )


@memoized
def dimensions(profile: Profile) -> st.SearchStrategy[str]:
    """The profile's `product.dimensions` (UsageDimension / Dimension values the endpoint knows).

    Shrinks toward the first listed dimension. MissingProfileData when the profile lists none.
    """
    _check_profile(profile)
    return st.sampled_from(list(profile.need("product.dimensions")))


def _near_misses(real: str) -> list[str]:
    """Strings one edit away from a real dimension: other case, surrounding space, a trailing newline."""
    return [
        real.lower(),
        real.upper(),
        real.swapcase(),
        real.capitalize(),
        real + " ",
        " " + real,
        real + "\n",
        real + "\t",
        real.replace(".", "_"),
        real[:-1],
        real + "\u200b",  # zero-width space: renders the same
    ]


@memoized
def unknown_dimensions(profile: Profile) -> st.SearchStrategy[str]:
    """Valid UsageDimension strings (1–255 chars, any characters) that are not in `product.dimensions`.

    Near misses of the real dimensions come first: case variants ("hours" for "Hours"), a leading or
    trailing space, a trailing newline or tab, a zero-width space, one character short; then arbitrary
    text. A candidate that happens to equal a real dimension, is empty, or is over 255 chars is dropped.
    Shrinks toward the near misses of the first dimension.
    """
    _check_profile(profile)
    real = list(profile.need("product.dimensions"))
    known = set(real)
    misses = [m for r in real for m in _near_misses(r) if DIMENSION_MIN <= len(m) <= DIMENSION_MAX and m not in known]
    misses = list(dict.fromkeys(misses))
    arbitrary = st.text(DIMENSION_CHARACTERS, min_size=DIMENSION_MIN, max_size=40)
    candidates = st.one_of(st.sampled_from(misses), arbitrary) if misses else arbitrary
    return candidates.filter(lambda d: d not in known)


@memoized
def product_codes(profile: Profile) -> st.SearchStrategy[str]:
    """The profile's `product.code` (the only ProductCode the endpoint accepts); does not shrink."""
    _check_profile(profile)
    return st.just(profile.need("product.code"))


@memoized
def unknown_product_codes(profile: Profile | None = None) -> st.SearchStrategy[str]:
    """ProductCode strings that match `^[-a-zA-Z0-9/=:_.@]*$` (1–255 chars) and are not the profile's code.

    With a profile, near misses of its `product.code` come first (other case, one char more or less);
    then arbitrary pattern-valid codes, among them codes shaped like real ones (25 lowercase alphanumerics).
    Never empty: an empty string could be read as a missing member, which is another rule.
    Shrinks toward the first near miss, or toward "0".
    """
    known: set[str] = set()
    misses: list[str] = []
    if profile is not None:
        _check_profile(profile)
        code = profile.need("product.code")
        known.add(code)
        misses = [
            c
            for c in (code.upper(), code.lower(), code.swapcase(), code[:-1], code + "0", "x" + code)
            if c and len(c) <= PRODUCT_CODE_MAX and c != code
        ]
        misses = list(dict.fromkeys(misses))
    shaped = st.text(string.ascii_lowercase + string.digits, min_size=25, max_size=25)
    arbitrary = st.text(PRODUCT_CODE_ALPHABET, min_size=1, max_size=PRODUCT_CODE_MAX)
    options = [st.sampled_from(misses)] if misses else []
    return st.one_of(*options, arbitrary, shaped).filter(lambda c: c not in known and matches("ProductCode", c))


@memoized
def overlong_product_codes() -> st.SearchStrategy[str]:
    """Pattern-valid ProductCode strings longer than the model's 255: exactly 256 weighted, up to 1024.

    Such a code is necessarily also unknown to the endpoint. Shrinks toward 256 zeros.
    """
    over = PRODUCT_CODE_MAX + 1
    return st.one_of(
        st.text(PRODUCT_CODE_ALPHABET, min_size=over, max_size=over),
        st.text(PRODUCT_CODE_ALPHABET, min_size=over, max_size=4 * over),
    )
