"""The pytest plugin's fixtures: the run, the endpoint under test, its profile and transport, each check's handle."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import pytest

from ..plugin import METERING, RUN, RunContext
from ..transport.clients import Transport
from ..transport.ratelimit import RateLimiter
from .profile import Profile
from .slots import Slots

if TYPE_CHECKING:
    from .checks import Metering


@pytest.fixture(scope="session")
def mc_run(request: pytest.FixtureRequest) -> RunContext:
    """What the run shares: the profile, where the endpoint is, the collected events."""
    return request.config.stash[RUN]


@pytest.fixture(scope="session")
def endpoint_url(mc_run: RunContext) -> str:
    """The endpoint under test: the profile's URL, else an embedded reference endpoint for this process."""
    if mc_run.url is None:
        from ..reference import running_endpoint

        mc_run.url = mc_run.stack.enter_context(
            running_endpoint(dict(mc_run.profile.raw), faults=mc_run.faults, readings=mc_run.readings)
        )
        mc_run.embedded = True
    return mc_run.url


@pytest.fixture(scope="session")
def profile(mc_run: RunContext, endpoint_url: str) -> Profile:
    """The target profile, aimed at the endpoint under test."""
    return mc_run.profile.with_url(endpoint_url) if mc_run.profile.endpoint.url != endpoint_url else mc_run.profile


@pytest.fixture(scope="session")
def transport(profile: Profile, endpoint_url: str):
    """The signed HTTP transport to the endpoint, held to the profile's rate_per_second if it sets one (across
    the run's processes, through METERCONFORM_RATE_FILE)."""
    rate = profile.endpoint.rate_per_second
    limiter = None
    if rate:
        shared = os.environ.get("METERCONFORM_RATE_FILE")
        limiter = RateLimiter(rate, shared)
    t = Transport(profile, endpoint_url, limiter=limiter)
    yield t
    t.close()


@pytest.fixture(scope="session")
def slots(profile: Profile, mc_run: RunContext, endpoint_url: str, request: pytest.FixtureRequest) -> Slots:
    """The run's batch-key allocator; keys are per hour when the profile reads de-duplication that way, and
    a long-lived endpoint (anything but an embedded one, fresh each run) gets the history of earlier runs."""
    from .slots import KeyHistory, SharedKeyLedger

    fuzz_worker = request.config.getoption("mc_fuzz_worker")
    if fuzz_worker:  # a campaign's independent worker process: its own share of the seconds
        index, count = fuzz_worker[0] - 1, fuzz_worker[1]
    else:  # a pytest-xdist worker (gw0, gw1, ...), or the only process
        worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
        index, count = (
            int(worker[2:]) if worker.startswith("gw") else 0,
            int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")),
        )
    # A built-in target is fresh for each `run`; a campaign's rounds share theirs, so they keep the history.
    campaign_round = request.config.getoption("mc_fuzz_deadline") is not None
    built_in = mc_run.embedded or os.environ.get("METERCONFORM_TARGET") in ("reference", "moto")
    fresh_endpoint = not campaign_round and built_in
    # A named endpoint that machines share: a campaign's Redis also keeps their keys apart (this machine's own
    # processes are kept apart by the history file).
    database = request.config.getoption("mc_database") or os.environ.get("METERCONFORM_DATABASE")
    ledger = None if built_in else SharedKeyLedger.for_database(database, endpoint_url)
    return Slots(
        index,
        count,
        granularity=3600 if profile.contract.batch_dedup == "hour" else 1,
        history=None if fresh_endpoint else KeyHistory.for_endpoint(endpoint_url),
        ledger=ledger,
    )


@pytest.fixture
def metering(
    mc_run: RunContext, profile: Profile, transport: Transport, slots: Slots, request: pytest.FixtureRequest
) -> Metering:
    """The check's handle on the endpoint: call/raw, verdict helpers, its own identity and evidence."""
    from .checks import Metering

    guarded = (
        profile.endpoint.is_real
        and not mc_run.allow_billing
        and request.node.get_closest_marker("records_usage") is None
    )
    m = Metering(profile=profile, transport=transport, slots=slots, billing_guarded=guarded)
    m.known_failures = mc_run.known.get(request.node.nodeid, frozenset())
    m.identity = m.fresh_identity()
    request.node.stash[METERING] = m  # the check's event is built from it (the plugin's pytest_runtest_makereport)
    return m


@pytest.fixture(autouse=True)
def _meterconform_current(request: pytest.FixtureRequest):
    """A property check (@given) takes no fixture: it asks meterconform.harness.current for its handle, which is this
    check's `metering` fixture here. So a fuzzer that calls the test function itself, running no pytest
    fixture (HypoFuzz), can run the checks unchanged: they then get a standalone handle."""
    function = getattr(request.node, "obj", None)
    if not getattr(function, "is_hypothesis_test", False) or request.node.get_closest_marker("clause") is None:
        yield
        return
    from .current import using

    with using(request.getfixturevalue("metering")):
        yield
