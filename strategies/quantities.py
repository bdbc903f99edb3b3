"""Usage quantities: the model's integer range 0..2147483647, and integers just outside it."""

from __future__ import annotations

from hypothesis import strategies as st

from meterconform.strategies._memo import memoized
from meterconform.strategies._model import QUANTITY_MAX, QUANTITY_MIN


def _check_bounds(min_value: int, max_value: int) -> None:
    for name, value in (("min_value", min_value), ("max_value", max_value)):
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(f"{name}={value!r} must be an int between {QUANTITY_MIN} and {QUANTITY_MAX}")
    if not QUANTITY_MIN <= min_value <= max_value <= QUANTITY_MAX:
        raise ValueError(
            f"min_value={min_value}, max_value={max_value}: need {QUANTITY_MIN} <= min_value <= max_value <= {QUANTITY_MAX} "
            "(the model's UsageQuantity range); for out-of-range values use invalid_quantities()"
        )


@memoized
def quantities(min_value: int = QUANTITY_MIN, max_value: int = QUANTITY_MAX) -> st.SearchStrategy[int]:
    """UsageQuantity / Quantity / AllocatedUsageQuantity values in [min_value, max_value] (default 0..2147483647).

    The boundaries of the range and of the model (0, 1, 2147483646, 2147483647 when inside the bounds) are
    drawn explicitly, one time in about two; otherwise any integer in range. Shrinks toward min_value.
    """
    _check_bounds(min_value, max_value)
    edges = sorted({v for v in (min_value, min_value + 1, QUANTITY_MIN, 1, QUANTITY_MAX - 1, QUANTITY_MAX, max_value - 1, max_value)
                    if min_value <= v <= max_value})
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
