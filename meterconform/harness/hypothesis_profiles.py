"""Hypothesis settings for a run: quick (smoke), ci (the default) and deep (a fuzzing campaign).

A run under a CI service gets the same `ci` depth as a local run, deliberately: Hypothesis's own built-in
"ci" profile (loaded when the CI variable is set) derandomizes and drops the example database. `meterconform
run` fixes a seed instead (printed in the header), and Hypothesis reads no example database under a fixed
seed; `run --database URL` and `fuzz` leave the seed open so that stored failures replay first. The depths say
`derandomize=False` and the example database (./.hypothesis/examples) outright: they are registered on top of
whatever profile is active at import, and under a CI service that is Hypothesis's "ci" one, whose derandomizing
would make it ignore the seed (a run's header would name a seed that did not draw its examples) and which keeps
no database (a campaign's later rounds would not replay what its earlier ones found)."""

from __future__ import annotations

from hypothesis import HealthCheck, Phase, settings
from hypothesis.database import DirectoryBasedExampleDatabase

from .database import LOCAL_DIR

_COMMON = dict(
    derandomize=False,
    database=DirectoryBasedExampleDatabase(LOCAL_DIR),
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
    print_blob=True,
    report_multiple_bugs=False,
)

DEPTHS = {
    "quick": dict(max_examples=4, phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink], **_COMMON),
    "ci": dict(max_examples=20, phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink], **_COMMON),
    # No Phase.explain: it re-runs a failing example's parts to explain them; with it, three failing checks took
    # 95-101 s to report instead of 5-8 s (measured on 2 CPUs; docs/campaigns.md).
    # report_multiple_bugs at the deep depth: a check goes on after its first failure and reports every clause it
    # finds broken (a clause is a bug of its own, failures.failure_class), so one broken rule no longer hides the
    # others a check covers for a whole campaign. Off at the other depths: the first failure ends the check.
    "deep": dict(
        max_examples=500,
        phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
        **{**_COMMON, "report_multiple_bugs": True},
    ),
}

for _name, _values in DEPTHS.items():
    settings.register_profile(f"meterconform-{_name}", **_values)


def load_depth(depth: str) -> None:
    """Make `depth` the active Hypothesis settings profile."""
    if depth not in DEPTHS:
        raise ValueError(f"unknown depth {depth!r}; use one of {', '.join(DEPTHS)}")
    settings.load_profile(f"meterconform-{depth}")
