"""Built-in targets: endpoints meterconform can start itself (the reference endpoint, moto's server)."""

from __future__ import annotations

import contextlib
import socket
import tomllib
from collections.abc import Iterator

from ..errors import EndpointUnreachable, UsageError
from .profile import Profile, _resource_text, from_dict

TARGETS = ("reference", "moto")


class TargetError(UsageError):
    """A built-in target cannot be started; the message says how to fix it."""


def moto_profile() -> Profile:
    """The profile describing a seeded moto server (meterconform/data/moto-profile.toml)."""
    return from_dict(tomllib.loads(_resource_text("meterconform", "data/moto-profile.toml")), "<moto target>")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_moto(profile: Profile) -> Iterator[str]:
    """moto's real HTTP server on loopback, in this process, its subscriber list seeded from the profile."""
    try:
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.meteringmarketplace.models import meteringmarketplace_backends
        from moto.server import ThreadedMotoServer
    except ImportError:
        raise TargetError("moto is not installed; install it with: pip install 'meterconform[moto]'") from None
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        backend = meteringmarketplace_backends[DEFAULT_ACCOUNT_ID][profile.endpoint.region]
        if profile.product.code:
            backend.customers_by_product[profile.product.code].extend(profile.customers.subscribed)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def run_profile(profile_path: str | None, *, target: str | None = None, database: str | None = None) -> Profile:
    """The profile a run or campaign uses (moto's built-in one for `--target moto` without --profile), after
    checking that its example database, if any, answers. TargetError carries the one sentence to print."""
    from .profile import ProfileError, load_profile

    try:
        profile = load_profile(profile_path) if (profile_path or target != "moto") else moto_profile()
    except ProfileError as exc:
        raise TargetError(str(exc)) from None
    if database:
        # Imported only here: Hypothesis loaded before pytest.main would escape pytest's assertion rewriting.
        from .database import DatabaseError, shared_database

        try:
            shared_database(database)
        except DatabaseError as exc:
            raise TargetError(str(exc)) from None
    return profile


def open_endpoint(
    stack: contextlib.ExitStack,
    profile: Profile,
    url: str | None,
    *,
    target: str | None = None,
    faults: tuple[str, ...] | list[str] = (),
    readings: tuple[str, ...] | list[str] = (),
) -> str:
    """The URL a run talks to: a named endpoint (probed: EndpointUnreachable; preflighted,
    meterconform.transport.preflight: TargetError for wrong credentials or a path that serves nothing), else moto's
    server or the embedded reference endpoint started inside `stack` (TargetError when it cannot start)."""
    from ..transport.clients import probe

    if url:
        problem = probe(url, timeout=profile.endpoint.connect_timeout, ca_bundle=profile.endpoint.tls_trust)
        if problem:
            raise EndpointUnreachable(problem)
        from ..transport.preflight import preflight

        if (refusal := preflight(profile.with_url(url), url)) is not None:
            raise (TargetError if refusal.code == 2 else EndpointUnreachable)(refusal.message)
        return url
    if target == "moto":
        return stack.enter_context(running_moto(profile))
    from ..reference import running_endpoint

    try:
        return stack.enter_context(running_endpoint(dict(profile.raw), faults=faults, readings=readings))
    except ValueError as exc:  # an unknown fault or reading name
        raise TargetError(str(exc)) from None
