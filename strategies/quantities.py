"""Usage quantities: the model's integer range 0..2147483647, integers just outside it, and decimal quantities
chosen so binary floating point gets their sums and comparisons wrong."""

from __future__ import annotations

import re
from decimal import Decimal

from hypothesis import reject
from hypothesis import strategies as st

from meterconform.strategies._memo import memoized
from meterconform.strategies._model import QUANTITY_MAX, QUANTITY_MIN


def _check_bounds(min_value: int, max_value: int) -> None:
    for name, value in (("min_value", min_value), ("max_value", max_value)):
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(f"{name}={value!r} must be an int between {QUANTITY_MIN} and {QUANTITY_MAX}")
    if not QUANTITY_MIN <= min_value <= max_value <= QUANTITY_MAX:
        raise ValueError(
            f"min_value={min_value}, max_value={max_value}: need {QUANTITY_MIN} <= min_value <= max_value <= "
            f"{QUANTITY_MAX} "
            "(the model's UsageQuantity range); for out-of-range values use invalid_quantities()"
        )


@memoized
def quantities(min_value: int = QUANTITY_MIN, max_value: int = QUANTITY_MAX) -> st.SearchStrategy[int]:
    """UsageQuantity / Quantity / AllocatedUsageQuantity values in [min_value, max_value] (default 0..2147483647).

    The boundaries of the range and of the model (0, 1, 2147483646, 2147483647 when inside the bounds) are
    drawn explicitly, one time in about two; otherwise any integer in range. Shrinks toward min_value.
    """
    _check_bounds(min_value, max_value)
    edges = sorted(
        {
            v
            for v in (
                min_value,
                min_value + 1,
                QUANTITY_MIN,
                1,
                QUANTITY_MAX - 1,
                QUANTITY_MAX,
                max_value - 1,
                max_value,
            )
            if min_value <= v <= max_value
        }
    )
    return st.one_of(st.sampled_from(edges), st.integers(min_value, max_value))


INVALID_EDGES = (QUANTITY_MIN - 1, QUANTITY_MAX + 1)
BIG_VALUES = (2**32 - 1, 2**32, 2**53 + 1, 2**63 - 1, 2**63, 2**64, -(2**31) - 1, -(2**63), -(2**63) - 1)


@memoized
def invalid_quantities() -> st.SearchStrategy[int]:
    """Integers outside the model's quantity range: −1 and 2147483648 first, then 32/53/63/64-bit edges and beyond.

    Still JSON integers (not floats or strings), so only the range rule is broken.
    Shrinks toward −1.
    """
    return st.one_of(
        st.sampled_from(INVALID_EDGES),
        st.sampled_from(BIG_VALUES),
        st.integers(max_value=QUANTITY_MIN - 1),
        st.integers(min_value=QUANTITY_MAX + 1),
    )


# -- decimal quantities binary floating point gets wrong ------------------------------------------------------
# CONTRACT-NOTES: sums and duplicate/retry comparisons of the decimal members are exact decimal arithmetic,
# never binary floats. Values a float endpoint happens to get right prove nothing, so these are chosen so that
# floats get them wrong both ways. Every value matches ^(0|[1-9][0-9]{0,9})(\.[0-9]{1,6})?$.

# (parts, quantity): the parts add up to the quantity exactly, but not as floats (a float endpoint refuses).
FLOAT_INEXACT_SUMS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("0.1", "0.2"), "0.3"),
    (("0.7", "0.1"), "0.8"),
    (("0.1", "0.2", "0.3"), "0.6"),
    (("5000000000.000001", "4999999999.999998"), "9999999999.999999"),
    (("9999999999.000003", "0.999996"), "9999999999.999999"),
)
# (parts, quantity): the parts do not add up to the quantity, but their float sum is float(quantity) (a float
# endpoint accepts). Near 10^10 a double's step is 2^-19 (about 1.9e-6), coarser than the pattern's 1e-6.
FLOAT_COLLIDING_SUMS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("9999999999.999998",), "9999999999.999999"),
    (("5000000000.000000", "4999999999.999998"), "9999999999.999999"),
    (("9999999999.999997", "0.000001"), "9999999999.999999"),
)
# Two quantities that differ by value but are one float (a float endpoint takes the second for a retry).
FLOAT_COLLIDING_QUANTITIES: tuple[tuple[str, str], ...] = (("9999999999.999999", "9999999999.999998"),)
# Above 2^33 a double's step exceeds a millionth: neighbouring six-place decimals can share a float.
_COARSE_MIN = 2**33
_MILLIONTH = Decimal("0.000001")
_DECIMAL_PATTERN = re.compile(r"^(0|[1-9][0-9]{0,9})(\.[0-9]{1,6})?\Z")


def _spelled(value: Decimal) -> str:
    """`value` (0..9999999999.999999, at most 6 places) as the model's pattern spells it: no exponent, no
    trailing zeros after the point, no bare point."""
    text = format(value.quantize(_MILLIONTH), "f").rstrip("0").rstrip(".")
    assert _DECIMAL_PATTERN.match(text), text
    return text


def _float_sum(parts: tuple[str, ...] | list[str]) -> float:
    total = 0.0
    for part in parts:
        total += float(part)
    return total


def _places(draw, low: int, high: int) -> Decimal:
    return Decimal(draw(st.integers(low, high))) * _MILLIONTH


@st.composite
def _float_inexact_split(draw):
    size = draw(st.integers(2, 3))
    scale = draw(st.sampled_from([10**6, 10**9, 10**15]))  # up to 1, 1000, 10^9
    parts = [_places(draw, 1, scale) for _ in range(size)]
    spelled = [_spelled(p) for p in parts]
    total = sum(parts, Decimal(0))
    quantity = _spelled(total)
    if not _DECIMAL_PATTERN.match(quantity) or _float_sum(spelled) == float(quantity):
        reject()
    return tuple(spelled), quantity


@st.composite
def _float_colliding_split(draw):
    total = _places(draw, _COARSE_MIN * 10**6, 10**16 - 1)
    size = draw(st.integers(1, 2))
    off = draw(st.sampled_from([_MILLIONTH, -_MILLIONTH]))
    wrong = total + off
    if wrong > Decimal("9999999999.999999"):
        reject()
    if size == 1:
        parts = [wrong]
    else:
        cut = _places(draw, 0, int(wrong / _MILLIONTH))
        parts = [cut, wrong - cut]
    spelled = tuple(_spelled(p) for p in parts)
    quantity = _spelled(total)
    if _float_sum(spelled) != float(quantity):
        reject()
    return spelled, quantity


@memoized
def float_inexact_splits() -> st.SearchStrategy[tuple[tuple[str, ...], str]]:
    """(parts, quantity) of decimal strings: the parts add up to the quantity exactly in decimal, but their
    binary-float sum is not float(quantity). The fixed FLOAT_INEXACT_SUMS first (0.1 + 0.2 = 0.3)."""
    return st.one_of(st.sampled_from(FLOAT_INEXACT_SUMS), _float_inexact_split())


@memoized
def float_colliding_splits() -> st.SearchStrategy[tuple[tuple[str, ...], str]]:
    """(parts, quantity) of decimal strings: the parts add up to the quantity ± 0.000001, yet their binary-float
    sum equals float(quantity). The fixed FLOAT_COLLIDING_SUMS first."""
    return st.one_of(st.sampled_from(FLOAT_COLLIDING_SUMS), _float_colliding_split())
