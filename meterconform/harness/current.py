"""The Metering handle of the check that is running: the pytest fixture's one under pytest, else a standalone one.

The property checks (`@given`) take no pytest fixture: they call `current_metering()`. Under pytest the
plugin's autouse fixture has set it to the check's `metering` fixture (whose evidence becomes the check's
event). Called with nothing set, as when a fuzzer such as HypoFuzz calls the test function itself after
collecting it with pytest (it runs no fixture), it builds a standalone handle from the environment:
METERCONFORM_PROFILE and METERCONFORM_ENDPOINT_URL as for the plugin, or the embedded reference endpoint,
started once per process. Each call then gives a fresh handle (evidence and identity of its own) on one
shared transport.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import threading
from contextvars import ContextVar
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .checks import Metering

ENV_PROFILE = "METERCONFORM_PROFILE"
ENV_URL = "METERCONFORM_ENDPOINT_URL"
ENV_ALLOW_BILLING = "METERCONFORM_ALLOW_BILLING"

STANDALONE_SHARES = 16  # standalone processes that can share one endpoint at a time
_held_locks: list = []  # the share lock this process holds (kept open until it exits)

_current: ContextVar[Metering | None] = ContextVar("meterconform_metering", default=None)
_standalone_lock = threading.Lock()
_standalone_parts: tuple | None = None


class StandaloneRefused(RuntimeError):
    """A standalone handle on a real endpoint without METERCONFORM_ALLOW_BILLING=1."""


def current_metering() -> Metering:
    """The running check's handle (see the module's docstring)."""
    metering = _current.get()
    return metering if metering is not None else _standalone()


@contextlib.contextmanager
def using(metering: Metering):
    """Make `metering` the current handle for the `with` block (the plugin's autouse fixture)."""
    token = _current.set(metering)
    try:
        yield metering
    finally:
        _current.reset(token)


def _standalone() -> Metering:
    from .checks import Metering

    profile, transport, slots = _standalone_setup()
    metering = Metering(profile=profile, transport=transport, slots=slots, billing_guarded=profile.endpoint.is_real)
    metering.identity = metering.fresh_identity()
    return metering


def _standalone_setup() -> tuple:
    global _standalone_parts
    with _standalone_lock:
        if _standalone_parts is None:
            from ..transport.clients import Transport
            from ..transport.ratelimit import RateLimiter
            from .profile import load_profile
            from .slots import KeyHistory, Slots

            profile = load_profile(os.environ.get(ENV_PROFILE) or None)
            url = os.environ.get(ENV_URL) or profile.endpoint.url
            if url:
                profile = profile.with_url(url)
            if profile.endpoint.is_real:
                if os.environ.get(ENV_ALLOW_BILLING) != "1":
                    raise StandaloneRefused(
                        "meterconform: outside pytest (e.g. under HypoFuzz) no check can be held back by the billing "
                        f"guard; against a real endpoint set {ENV_ALLOW_BILLING}=1 if recording usage for the "
                        "profile's test customers is acceptable"
                    )
            if not url:
                from ..reference import running_endpoint

                stack = contextlib.ExitStack()
                url = stack.enter_context(running_endpoint(dict(profile.raw)))
                atexit.register(stack.close)
                profile = profile.with_url(url)
            rate = profile.endpoint.rate_per_second
            transport = Transport(
                profile, url, limiter=RateLimiter(rate, os.environ.get("METERCONFORM_RATE_FILE")) if rate else None
            )
            granularity = 3600 if profile.contract.batch_dedup == "hour" else 1
            # A fuzzer may run several processes on one endpoint: each holds one of STANDALONE_SHARES locks for its
            # lifetime and takes only the seconds of that share; the history keeps later runs apart.
            history = KeyHistory.for_endpoint(url)
            index = _claim_share(history.path.parent)
            slots = Slots(index, STANDALONE_SHARES, granularity=granularity, history=history)
            _standalone_parts = (profile, transport, slots)
        return _standalone_parts


def _claim_share(state_dir) -> int:
    """The lowest share of the batch-key seconds no other live standalone process holds (a flock per share)."""
    import fcntl
    from pathlib import Path

    state = Path(state_dir)
    state.mkdir(parents=True, exist_ok=True)
    for index in range(STANDALONE_SHARES):
        fh = (state / f"standalone-share-{index}.lock").open("a")
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.close()
            continue
        _held_locks.append(fh)
        return index
    raise StandaloneRefused(
        f"meterconform: {STANDALONE_SHARES} standalone processes already share the batch keys of "
        f"this machine (locks in {state}); run fewer fuzzing processes"
    )
