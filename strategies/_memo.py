"""Private: strategy functions hand back the strategy they built before for the same arguments.

A strategy is an immutable description, so building it once is enough. Built afresh inside every example
(as `data.draw(tags())` does), each copy is validated by Hypothesis on its first draw — in a campaign that
was about a sixth of the harness's time. A Profile (unhashable: it carries the parsed TOML) counts by
identity; the cache keeps the arguments alive, so an identity cannot be reused while its entry exists.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from meterconform.harness.profile import Profile

F = TypeVar("F", bound=Callable[..., Any])
MAX_ENTRIES = 512


def _key(value: Any) -> Any:
    return ("profile", id(value)) if isinstance(value, Profile) else value


def memoized(fn: F) -> F:
    """`fn` (a function returning a strategy) remembering its results by argument; unhashable arguments
    other than a Profile bypass the cache. Arguments are still checked on the first call of each kind."""
    cache: dict[tuple, tuple[Any, tuple, dict]] = {}

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            key = (tuple(map(_key, args)), tuple(sorted((k, _key(v)) for k, v in kwargs.items())))
            hit = cache.get(key)
        except TypeError:  # an unhashable argument
            return fn(*args, **kwargs)
        if hit is not None:
            return hit[0]
        value = fn(*args, **kwargs)
        if len(cache) >= MAX_ENTRIES:
            cache.clear()
        cache[key] = (value, args, kwargs)
        return value

    wrapper.cache_clear = cache.clear  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]
