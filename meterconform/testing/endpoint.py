"""MeteringEndpoint: a faithful Marketplace Metering endpoint on loopback with its seed, ledger, chaos and clock."""

from __future__ import annotations

import contextlib
import copy
import functools
import os
import threading
from collections.abc import Iterable, Iterator, Mapping
from datetime import timedelta
from typing import Any

from ..reference import Chaos, Clock, ReferenceEndpoint
from ..reference.journal import Exchange
from ..reference.ledger import Allocation, Record, select
from ..reference.seed import default_profile

__all__ = ["Allocation", "Chaos", "Clock", "Exchange", "MeteringEndpoint", "Record"]

_SESSION_LOCK = threading.Lock()


@functools.cache
def _session() -> Any:
    """One botocore session for every client (its loader caches the service model), blind to the machine's AWS
    profile and config files: a test double's client must not depend on ~/.aws or AWS_PROFILE."""
    import botocore.session

    # (config file key, environment variables, default, conversion): no AWS_PROFILE, no files read
    return botocore.session.Session(
        session_vars={
            "profile": (None, None, None, None),
            "config_file": (None, None, os.devnull, None),
            "credentials_file": (None, None, os.devnull, None),
        }
    )


def _profile(base: Mapping[str, Any] | None, overrides: Mapping[str, Any]) -> dict[str, Any]:
    """The default profile, then `base`'s sections, then the keyword overrides, key by key."""
    merged = copy.deepcopy(default_profile())
    for section, values in (base or {}).items():
        merged[section] = {**merged.get(section, {}), **values} if isinstance(values, Mapping) else values
    given = {k: v for k, v in overrides.items() if v is not None}
    product, customers, contract = merged["product"], merged["customers"], merged["contract"]
    if "product_code" in given:
        product["code"] = given["product_code"]
    if "dimensions" in given:
        product["dimensions"] = list(given["dimensions"])
    if "customers" in given:
        customers["subscribed"] = list(given["customers"])
    if "unsubscribed_customers" in given:
        customers["unsubscribed"] = list(given["unsubscribed_customers"])
    if "accounts" in given:
        customers["subscribed_accounts"] = list(given["accounts"])
        customers["licenses"] = dict(given["accounts"])
    if "registration_tokens" in given:
        merged["registration_tokens"]["valid"] = {t: dict(v) for t, v in given["registration_tokens"].items()}
    for window in ("meter_window_hours", "batch_window_hours"):
        if window in given:
            contract[window] = given[window]
    if "region" in given:
        merged["endpoint"]["region"] = given["region"]
    return merged


class MeteringEndpoint:
    """A reference Marketplace Metering endpoint on loopback for a seller's tests (a context manager; the
    `metering_endpoint` fixture is one, started). Seeded with the default profile's product, dimensions,
    customers, accounts and registration tokens; each keyword overrides one part. It records what it meters
    (`records()`), keeps every request (`requests`), deals out seeded chaos (`chaos()`) and has a settable
    clock (`clock`). `admin=True` also serves the /meterconform-admin/ admin surface, for a test that drives
    another language's client against it."""

    def __init__(
        self,
        *,
        product_code: str | None = None,
        dimensions: Iterable[str] | None = None,
        customers: Iterable[str] | None = None,
        unsubscribed_customers: Iterable[str] | None = None,
        accounts: Mapping[str, str] | None = None,
        registration_tokens: Mapping[str, Mapping[str, str]] | None = None,
        meter_window_hours: float | None = None,
        batch_window_hours: float | None = None,
        region: str | None = None,
        profile: Mapping[str, Any] | None = None,
        faults: Iterable[str] = (),
        readings: Iterable[str] = (),
        chaos: Chaos | Mapping[str, Any] | None = None,
        admin: bool = False,
        host: str = "127.0.0.1",
        port: int = 0,
    ):
        self.profile = _profile(
            profile,
            {
                "product_code": product_code,
                "dimensions": dimensions,
                "customers": customers,
                "unsubscribed_customers": unsubscribed_customers,
                "accounts": accounts,
                "registration_tokens": registration_tokens,
                "meter_window_hours": meter_window_hours,
                "batch_window_hours": batch_window_hours,
                "region": region,
            },
        )
        self.clock = Clock()
        self._endpoint = ReferenceEndpoint(
            self.profile,
            faults,
            host,
            port,
            clock=self.clock,
            readings=readings,
            chaos=chaos,
            journal=True,
            admin=admin,
        )
        seed, listed = self._endpoint.seed, self.profile
        self.region: str = seed.region
        self.access_key_id: str = seed.access_key_id
        self.secret_access_key: str = seed.secret_access_key
        self.product_code: str = seed.product_code
        self.dimensions: list[str] = list(listed["product"]["dimensions"])
        self.customers: list[str] = list(listed["customers"]["subscribed"])
        self.unsubscribed_customers: list[str] = list(listed["customers"]["unsubscribed"])
        self.accounts: dict[str, str] = {
            a: seed.licenses[a] for a in listed["customers"]["subscribed_accounts"] if a in seed.licenses
        }
        self.registration_tokens: dict[str, dict[str, str]] = {
            token: {"customer": r.customer, "account": r.account, "license_arn": r.license_arn}
            for token, r in seed.valid_tokens.items()
        }
        self.expired_tokens: list[str] = sorted(seed.expired_tokens)
        self.invalid_tokens: list[str] = sorted(seed.invalid_tokens)
        self.public_key_versions: list[int] = sorted(seed.public_key_versions)
        self.meter_window = timedelta(hours=seed.meter_window_hours)
        self.batch_window = timedelta(hours=seed.batch_window_hours)
        self.faults: frozenset[str] = self._endpoint.faults

    # --- running -------------------------------------------------------------------------------------------------

    def start(self) -> MeteringEndpoint:
        self._endpoint.start()
        return self

    def stop(self) -> None:
        self._endpoint.stop()

    def __enter__(self) -> MeteringEndpoint:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The endpoint URL, e.g. http://127.0.0.1:PORT."""
        return self._endpoint.url

    @property
    def environ(self) -> dict[str, str]:
        """Environment variables that point an AWS SDK (any language) at this endpoint with its credentials."""
        return {
            "AWS_ENDPOINT_URL_MARKETPLACE_METERING": self.url,
            "AWS_ACCESS_KEY_ID": self.access_key_id,
            "AWS_SECRET_ACCESS_KEY": self.secret_access_key,
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
        }

    def client(self, *, access_key_id: str | None = None, **config: Any) -> Any:
        """A boto3 `meteringmarketplace` client pointed at this endpoint with matching credentials. `config`
        goes to botocore's Config; retries are off (total_max_attempts 1) unless you pass `retries`, so your code sees
        every answer. `access_key_id` signs as another identity (MeterUsage meters once per identity and hour)."""
        from botocore.config import Config

        config.setdefault("retries", {"total_max_attempts": 1, "mode": "standard"})
        with _SESSION_LOCK:
            return _session().create_client(
                "meteringmarketplace",
                region_name=self.region,
                endpoint_url=self.url,
                aws_access_key_id=access_key_id or self.access_key_id,
                aws_secret_access_key=self.secret_access_key,
                config=Config(**config),
            )

    # --- the ledger and the journal ------------------------------------------------------------------------------

    def records(
        self,
        *,
        operation: str | None = None,
        customer: str | None = None,
        account: str | None = None,
        dimension: str | None = None,
        product_code: str | None = None,
        identity: str | None = None,
        since: Any = None,
        until: Any = None,
    ) -> list[Record]:
        """The usage records recorded, in order, one per record (an idempotent retry adds none), filtered by
        equal fields and by timestamp (`since` inclusive, `until` exclusive: datetimes or epoch seconds)."""
        return select(
            self._endpoint.model.ledger(),
            operation=operation,
            customer=customer,
            account=account,
            dimension=dimension,
            product_code=product_code,
            identity=identity,
            since=since,
            until=until,
        )

    @property
    def requests(self) -> list[Exchange]:
        """Every request received, in order of arrival, with its answer (credentials redacted)."""
        assert self._endpoint.journal is not None
        return self._endpoint.journal.exchanges()

    def reset(self) -> None:
        """Back to the start: nothing recorded or received, the endpoint's own chaos, the clock on real time."""
        self._endpoint.reset()

    # --- chaos ---------------------------------------------------------------------------------------------------

    @contextlib.contextmanager
    def chaos(
        self,
        *,
        throttle: float = 0.0,
        unprocessed: float = 0.0,
        internal_error: float = 0.0,
        latency_ms: float = 0.0,
        seed: int = 0,
    ) -> Iterator[Chaos]:
        """For the `with` block: the fraction of requests answered ThrottlingException (`throttle`) or
        InternalServiceErrorException (`internal_error`), of BatchMeterUsage calls answered with every record in
        UnprocessedRecords (`unprocessed`), and `latency_ms` added to each request. The n-th request of the block
        meets the same trouble for the same seed. The chaos before the block is back afterwards."""
        trouble = self._endpoint.trouble
        before = trouble.chaos
        settings = Chaos(throttle, unprocessed, internal_error, latency_ms, seed)
        trouble.set_chaos(settings)
        try:
            yield settings
        finally:
            trouble.set_chaos(before)

    def set_chaos(self, chaos: Chaos | Mapping[str, Any] | None = None, **settings: Any) -> None:
        """Chaos for the whole endpoint from now on (a Chaos, a mapping, or keywords as for `chaos()`); no
        argument switches it off."""
        self._endpoint.trouble.set_chaos(chaos if chaos is not None else (settings or None))

    @property
    def current_chaos(self) -> Chaos | None:
        return self._endpoint.trouble.chaos

    def __repr__(self) -> str:
        where = self.url if self._endpoint._server is not None else "not started"
        return f"<MeteringEndpoint {where} product={self.product_code}>"
