"""UsageAllocations: lists of allocations whose quantities add up to the usage quantity, each with its own tags."""

from __future__ import annotations

from itertools import pairwise

from hypothesis import strategies as st

from meterconform.harness.profile import Profile
from meterconform.strategies._memo import memoized
from meterconform.strategies._model import ALLOCATED_QUANTITY_MAX, ALLOCATIONS_MAX, ALLOCATIONS_MIN, QUANTITY_MAX
from meterconform.strategies.tags import tag_keys, tag_set, tags

# Above this many allocations a list is built without drawing each one (see max_allocations_list).
DRAWN_ALLOCATIONS_MAX = 20


def _check_total(total: int) -> None:
    if not isinstance(total, int) or isinstance(total, bool) or not 0 <= total <= QUANTITY_MAX:
        raise ValueError(
            f"total={total!r} must be the usage quantity, an int in 0..{QUANTITY_MAX}; the allocations add up to it"
        )


def allocations_from(quantities: list[int], tag_lists: list) -> list[dict]:
    """UsageAllocation dicts pairing each quantity with its tag list (None: an allocation without Tags)."""
    result = []
    for quantity, tag_list in zip(quantities, tag_lists, strict=True):
        allocation: dict = {"AllocatedUsageQuantity": quantity}
        if tag_list is not None:
            allocation["Tags"] = tag_list
        result.append(allocation)
    return result


def split(total: int, cuts: list[int]) -> list[int]:
    """`total` split at the sorted cut points into len(cuts) + 1 non-negative parts that sum to `total`."""
    points = [0, *sorted(cuts), total]
    return [b - a for a, b in pairwise(points)]


@memoized
def _sizes(min_size: int, max_size: int) -> st.SearchStrategy[int]:
    return st.one_of(st.sampled_from(sorted({min_size, max_size})), st.integers(min_size, max_size))


@memoized
def _distinct_tag_lists(count: int) -> st.SearchStrategy[list[list[dict]]]:
    return st.lists(tags(), min_size=count, max_size=count, unique_by=tag_set)


@st.composite
def _allocations(draw, total: int, min_size: int, max_size: int, allow_untagged: bool):
    size = draw(_sizes(min_size, max_size))
    untagged = allow_untagged and draw(st.integers(0, 3)) == 3
    tagged_count = size - 1 if untagged else size
    tag_lists = draw(_distinct_tag_lists(tagged_count))
    if untagged:
        at = draw(st.integers(0, tagged_count))
        tag_lists.insert(at, None)
    if draw(st.integers(0, 3)) == 3:
        # The whole quantity on one allocation (2147483647 in one bucket), 0 on the others.
        at = draw(st.integers(0, size - 1))
        cuts = [0] * at + [total] * (size - 1 - at)
    else:
        cuts = draw(st.lists(st.integers(0, total), min_size=size - 1, max_size=size - 1))
    return allocations_from(split(total, cuts), tag_lists)


@memoized
def allocations(
    total: int, min_size: int = ALLOCATIONS_MIN, max_size: int = 5, allow_untagged: bool = True
) -> st.SearchStrategy[list[dict]]:
    """Valid UsageAllocations for a usage quantity of `total`: min_size..max_size allocations (default 1–5).

    Each allocation is `{"AllocatedUsageQuantity": q, "Tags": [...]}`; the q add up to `total`, every tag
    set is distinct, and with `allow_untagged` at most one allocation (about one list in four) has no Tags.
    About one list in four puts the whole quantity on one allocation.
    Sizes min_size and max_size are drawn explicitly. For the profile's maximum count use
    max_allocations_list(), which builds thousands of allocations without drawing each one.
    Shrinks toward one allocation holding the whole quantity with the tag `{"Key": "0", "Value": "0"}`.
    """
    _check_total(total)
    for name, value in (("min_size", min_size), ("max_size", max_size)):
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(f"allocations: {name}={value!r} must be an int")
    if not ALLOCATIONS_MIN <= min_size <= max_size <= DRAWN_ALLOCATIONS_MAX:
        raise ValueError(
            f"allocations: min_size={min_size}, max_size={max_size}: need {ALLOCATIONS_MIN} <= min_size <= max_size <= "
            f"{DRAWN_ALLOCATIONS_MAX}; "
            "for the profile's maximum count use max_allocations_list(total, profile)"
        )
    return _allocations(total, min_size, max_size, bool(allow_untagged))


def bulk_allocations(total: int, count: int, key: str, spread: str = "even") -> list[dict]:
    """`count` allocations summing to `total`, allocation i tagged `{key: str(i)}` (distinct tag sets, no drawing).

    `spread` "even" shares the total out evenly (the remainder on the first ones); "first" gives it all
    to the first allocation and 0 to the others.
    """
    if count < 1:
        raise ValueError(f"count={count} must be at least 1")
    if spread == "even":
        share, rest = divmod(total, count)
        quantities = [share + (1 if i < rest else 0) for i in range(count)]
    elif spread == "first":
        quantities = [total] + [0] * (count - 1)
    else:
        raise ValueError(f'spread={spread!r}: pass "even" or "first"')
    assert max(quantities) <= ALLOCATED_QUANTITY_MAX
    return [{"AllocatedUsageQuantity": q, "Tags": [{"Key": key, "Value": str(i)}]} for i, q in enumerate(quantities)]


def max_allocations_list(total: int, profile: Profile, extra: int = 0) -> st.SearchStrategy[list[dict]]:
    """Exactly `contract.max_allocations` + `extra` allocations summing to `total`, built cheaply.

    Only the tag key (up to 20 chars) and the spread ("even" or all on the first) are drawn; allocation i
    is tagged `{key: str(i)}`. extra=0 is the largest valid list; extra=1 is one too many.
    Shrinks toward the key "0" and an even spread.
    """
    _check_total(total)
    if not isinstance(profile, Profile):
        raise TypeError(
            f"profile={profile!r} is not a Profile; pass meterconform.harness.profile.load_profile() or the harness's "
            "profile"
        )
    if not isinstance(extra, int) or extra < 0:
        raise ValueError(f"extra={extra!r} must be an int >= 0 (0 for the maximum count, 1 for one too many)")
    count = profile.contract.max_allocations + extra
    if extra == 0 and count > ALLOCATIONS_MAX:
        raise ValueError(
            f"the profile's `contract.max_allocations` = {count} exceeds the model's {ALLOCATIONS_MAX}; lower it"
        )
    return st.builds(
        bulk_allocations, st.just(total), st.just(count), tag_keys(max_size=20), st.sampled_from(["even", "first"])
    )
