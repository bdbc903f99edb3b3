"""Target scores: how close a request is to the limits that matter, reported with hypothesis.target().

Hypothesis's target phase (on at the `deep` depth, off at `quick` and `ci`) keeps the examples with the best
score for each label and mutates them, so a campaign climbs toward a limit instead of waiting to draw it.
Every score is a closeness, 0 at the limit and negative away from it on either side, so one label serves
valid requests (which climb to the limit) and broken ones (whose best is one past it).

target() is not free outside that phase: Hypothesis still keeps the best example per label (comparing whole
choice sequences on ties) and a Pareto front of scores (written to the example database). So the scores are
reported only when the active settings include Phase.target.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable
from typing import Any

from hypothesis import Phase, settings, target

from meterconform.harness.profile import Profile
from meterconform.strategies._model import NONCE_MAX, RECORDS_MAX, TAG_KEY_MAX, TAG_VALUE_MAX, TAGS_MAX
from meterconform.strategies.timestamps import HOUR, window_seconds

WINDOWS = {"MeterUsage": "meter", "BatchMeterUsage": "batch"}


def _usages(operation: str, request: Any) -> list[dict]:
    """The dicts carrying a usage: the MeterUsage request itself, or each UsageRecord of a batch."""
    if not isinstance(request, dict):
        return []
    if operation == "BatchMeterUsage":
        records = request.get("UsageRecords")
        return [r for r in records if isinstance(r, dict)] if isinstance(records, list) else []
    return [request] if operation == "MeterUsage" else []


def _closest(values: Iterable[float], limit: float) -> float | None:
    """-min |v - limit| over `values` (0 at the limit), or None when there is no value."""
    distances = [abs(v - limit) for v in values]
    return -min(distances) if distances else None


def limit_scores(
    operation: str, request: Any, profile: Profile, *, drawn_timestamps: bool = True, now: float | None = None
) -> dict[str, float]:
    """The closeness of `request` to each limit it can approach, by target label:

    - records in the batch to 25 (BatchMeterUsage);
    - allocations of one usage to the profile's `contract.max_allocations`, tags of one allocation to 5;
    - tag Key length to 100 and tag Value length to 256 (the tag nearest its limit);
    - Nonce length to 255 (RegisterUsage);
    - with `drawn_timestamps` (leave it False when the times come from metering.batch_key, which Hypothesis
      cannot steer): the age of the usage nearest the window edge to window − clock tolerance, and the
      seconds from its Timestamp to the next hour to 0 (HH:59:59 and its fractions).

    Labels whose members the request does not carry are left out.
    """
    scores: dict[str, float] = {}

    def put(label: str, value: float | None) -> None:
        if value is not None:
            scores[label] = float(value)

    usages = _usages(operation, request)
    if operation == "BatchMeterUsage" and isinstance(request, dict) and isinstance(request.get("UsageRecords"), list):
        put("records in the batch (to 25)", -abs(len(request["UsageRecords"]) - RECORDS_MAX))
    allocation_lists = [u["UsageAllocations"] for u in usages if isinstance(u.get("UsageAllocations"), list)]
    allocations = [a for lst in allocation_lists for a in lst if isinstance(a, dict)]
    tag_lists = [a["Tags"] for a in allocations if isinstance(a.get("Tags"), list)]
    tags = [t for lst in tag_lists for t in lst if isinstance(t, dict)]
    put(
        "allocations of a usage (to contract.max_allocations)",
        _closest((len(lst) for lst in allocation_lists), profile.contract.max_allocations),
    )
    put("tags of an allocation (to 5)", _closest((len(lst) for lst in tag_lists), TAGS_MAX))
    put(
        "tag Key length (to 100)", _closest((len(t["Key"]) for t in tags if isinstance(t.get("Key"), str)), TAG_KEY_MAX)
    )
    put(
        "tag Value length (to 256)",
        _closest((len(t["Value"]) for t in tags if isinstance(t.get("Value"), str)), TAG_VALUE_MAX),
    )
    if operation == "RegisterUsage" and isinstance(request, dict) and isinstance(request.get("Nonce"), str):
        put("Nonce length (to 255)", -abs(len(request["Nonce"]) - NONCE_MAX))
    if drawn_timestamps and operation in WINDOWS:
        times = [
            u["Timestamp"]
            for u in usages
            if isinstance(u.get("Timestamp"), (int, float))
            and not isinstance(u["Timestamp"], bool)
            and math.isfinite(u["Timestamp"])
        ]
        clock = time.time() if now is None else now
        edge = window_seconds(profile, WINDOWS[operation]) - profile.contract.clock_tolerance_seconds
        put("age to window - tolerance (seconds)", _closest((clock - ts for ts in times), edge))
        put("seconds to the next hour", _closest(((HOUR - ts % HOUR) for ts in times), 0))
    return scores


def aim_at_limits(operation: str, request: Any, profile: Profile, *, drawn_timestamps: bool = True) -> dict[str, float]:
    """Report limit_scores() of the request an example is about with hypothesis.target(); returns them.

    Call it once per example (a label may be targeted once per test case), inside a @given check, on the
    request the example sends — before its verdict, so a failing example is scored too. Without the target
    phase in the running check's settings (`quick`, `ci`) nothing is reported and {} is returned.
    """
    if Phase.target not in settings.default.phases:  # inside a test: that test's own settings
        return {}
    scores = limit_scores(operation, request, profile, drawn_timestamps=drawn_timestamps)
    for label, score in scores.items():
        target(score, label=label)
    return scores
