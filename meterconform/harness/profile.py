"""The target profile: one TOML file describing what the suite may assume about an endpoint."""

from __future__ import annotations

import difflib
import json
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import pytest

from ..errors import UsageError

EMBEDDED = "<embedded default>"
LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1", "[::1]"}


class ProfileError(UsageError):
    """A target profile that cannot be used; the message names the key and the fix."""


class MissingProfileData(pytest.skip.Exception):
    """A check needs data the profile does not declare; carries the dotted key to add.

    It is pytest's skip outcome, so it ends the check as SKIPPED wherever it is raised — also inside a
    Hypothesis strategy, which re-raises skips at once instead of calling the test flaky."""

    def __init__(self, key: str, why: str = "", *, message: str | None = None):
        self.key = key
        self.why = why
        super().__init__(
            message
            or (
                f"SKIPPED: the target profile has no `{key}`"
                + (f" ({why})" if why else "")
                + f"; add `{key}` to the profile to run this check"
            )
        )

    def __str__(self) -> str:
        return self.msg


def _resource_text(package: str, name: str) -> str:
    try:
        return resources.files(package).joinpath(name).read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError):
        # A bare checkout without an install: schemas/ sits beside the package.
        here = Path(__file__).resolve().parents[1]  # the package: harness/ is one below it
        fallback = {"meterconform.schemas": here.parent / "schemas", "meterconform": here}[package]
        return (fallback / name).read_text(encoding="utf-8")


def default_profile_text() -> str:
    """The TOML text of the embedded default profile (it describes the reference endpoint)."""
    return _resource_text("meterconform", "data/default-profile.toml")


SCHEMA_HINT = "`meterconform profile --schema` prints every key a profile may have"


def schema_text() -> str:
    """The target profile's JSON schema as shipped in the package (package data, so it works from a wheel)."""
    return _resource_text("meterconform.schemas", "target-profile.schema.json")


def _schema() -> dict:
    return json.loads(schema_text())


@dataclass(frozen=True)
class Endpoint:
    url: str | None = None
    region: str = "us-east-1"
    kind: str = "emulator"
    access_key_id: str | None = None
    secret_access_key: str | None = None
    session_token: str | None = None
    config_profile: str | None = None
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    rate_per_second: float | None = None
    ca_bundle: str | None = None
    transient_retries: int = 3  # a transient answer (throttling, an internal error, unprocessed records): resends
    transient_backoff: float = 0.05  # seconds before the first resend, doubling for each next one
    hang_timeout_floor: float = 3.0  # after a hang: the shortest read timeout a request still gets

    @property
    def tls_trust(self) -> str | None:
        """The CA bundle an https endpoint's certificate is checked against: the profile's `ca_bundle`, else
        $AWS_CA_BUNDLE (as boto3 reads it), else None (the system's trust store)."""
        return self.ca_bundle or os.environ.get("AWS_CA_BUNDLE") or None

    @property
    def is_loopback(self) -> bool:
        """True when the URL is absent (embedded endpoint) or names a loopback host."""
        if self.url is None:
            return True
        host = (urlsplit(self.url).hostname or "").lower()
        return host in LOOPBACK_HOSTS or host.startswith("127.")

    @property
    def is_real(self) -> bool:
        """An endpoint that may bill: declared kind "aws", or anything off loopback."""
        return self.kind == "aws" or not self.is_loopback


BATCH_WINDOW_READINGS = (6, 24)  # the seed-era docs say 6 h; the installed model and current docs say 24 h


@dataclass(frozen=True)
class Contract:
    """Readings of the contract where its sources disagree.

    `batch_window_hours` is the age below which a record must be accepted and `batch_stale_hours` the age
    beyond which it must be rejected. A profile that sets `batch_window_hours` makes both that value; one
    that omits it accepts either reading (6 h or 24 h): inside means younger than 6 h, stale older than 24 h.
    `token_reuse` is what a listed valid registration token may answer once it has been resolved (by another
    check, another worker, an earlier run): "allowed" (it resolves again) or "expired" (ExpiredTokenException,
    the resubmission reading); a profile that omits it accepts both."""

    meter_window_hours: float = 6
    batch_window_hours: float = 6
    batch_stale_hours: float = 24
    clock_tolerance_seconds: float = 120
    max_allocations: int = 2500
    idempotency_conflict_status: tuple[int, ...] = (400, 409)
    batch_dedup: str = "time"
    token_reuse: tuple[str, ...] = ("allowed", "expired")


@dataclass(frozen=True)
class Product:
    code: str | None = None
    dimensions: tuple[str, ...] = ()
    public_key_versions: tuple[int, ...] = ()


@dataclass(frozen=True)
class Customers:
    subscribed: tuple[str, ...] = ()
    unsubscribed: tuple[str, ...] = ()
    subscribed_accounts: tuple[str, ...] = ()
    licenses: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ValidToken:
    token: str
    customer: str | None = None
    account: str | None = None
    license_arn: str | None = None
    product_code: str | None = None


@dataclass(frozen=True)
class RegistrationTokens:
    valid: tuple[ValidToken, ...] = ()
    expired: tuple[str, ...] = ()
    invalid: tuple[str, ...] = ()


@dataclass(frozen=True)
class Profile:
    """A validated target profile; `raw` is the parsed TOML, `source` where it came from."""

    endpoint: Endpoint
    contract: Contract
    product: Product
    customers: Customers
    registration_tokens: RegistrationTokens
    raw: Mapping[str, Any]
    source: str

    def with_url(self, url: str | None) -> Profile:
        """The same profile aimed at another URL (from --endpoint-url or the embedded endpoint)."""
        raw = json.loads(json.dumps(self.raw))
        raw.setdefault("endpoint", {})
        if url is None:
            raw["endpoint"].pop("url", None)
        else:
            raw["endpoint"]["url"] = url
        return from_dict(raw, self.source)

    def need(self, dotted_key: str, why: str = "") -> Any:
        """The value at `dotted_key` (e.g. "customers.subscribed"), or MissingProfileData if empty."""
        node: Any = self
        for part in dotted_key.split("."):
            node = getattr(node, part, None)
            if node is None:
                break
        if node is None or (hasattr(node, "__len__") and len(node) == 0):
            raise MissingProfileData(dotted_key, why)
        return node


def _describe(error: jsonschema.ValidationError, schema: dict) -> str:
    """One sentence for a schema violation: the key, what is wrong, and the fix."""
    path = ".".join(str(p) for p in error.absolute_path)
    where = f"`{path}`" if path else "the top level"
    if error.validator == "additionalProperties":
        parent_schema = error.schema
        allowed = sorted(parent_schema.get("properties", {}))
        extra = [k for k in error.instance if k not in parent_schema.get("properties", {})]
        parts = []
        for key in extra:
            name = f"{path}.{key}" if path else key
            close = difflib.get_close_matches(key, allowed, n=1)
            hint = f"did you mean `{close[0]}`?" if close else "remove it"
            parts.append(f"unknown key `{name}`: {hint} (allowed here: {', '.join(allowed)})")
        return "; ".join(parts)
    if error.validator == "enum":
        return f"{where} is {error.instance!r}; use one of {', '.join(repr(v) for v in error.validator_value)}"
    if error.validator == "type":
        return f"{where} is {error.instance!r}; it must be a {error.validator_value}"
    if (
        error.validator == "pattern"
        and path == "endpoint.url"
        and (problem := url_problem(error.instance, "`endpoint.url`"))
    ):
        return problem
    if error.validator == "pattern":
        return f"{where} is {error.instance!r}, which does not match {error.validator_value}"
    if error.validator in ("minimum", "exclusiveMinimum", "maximum", "minLength", "maxLength", "minItems"):
        return f"{where} is {error.instance!r}; {error.message}"
    if error.validator == "oneOf" and path.endswith("idempotency_conflict_status"):
        return f"{where} is {error.instance!r}; use 400, 409 or a list of them"
    return f"{where}: {error.message}"


def from_dict(raw: Mapping[str, Any], source: str = "<dict>") -> Profile:
    """Validate a parsed profile and build the typed view; ProfileError names every problem."""
    schema = _schema()
    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(raw), key=lambda e: list(e.absolute_path))
    if errors:
        lines = "\n".join(f"  - {_describe(e, schema)}" for e in errors)
        raise ProfileError(f"target profile {source} is not valid:\n{lines}\n({SCHEMA_HINT})")
    ep = dict(raw.get("endpoint", {}))
    if ep.get("secret_access_key") and not ep.get("access_key_id"):
        raise ProfileError(
            f"target profile {source}: `endpoint.secret_access_key` is set without `endpoint.access_key_id`; set both "
            "or neither"
        )
    kind = ep.get("kind", "emulator")
    endpoint = Endpoint(
        url=ep.get("url"),
        region=ep.get("region", "us-east-1"),
        kind=kind,
        access_key_id=ep.get("access_key_id"),
        secret_access_key=ep.get("secret_access_key"),
        session_token=ep.get("session_token"),
        config_profile=ep.get("config_profile"),
        connect_timeout=float(ep.get("connect_timeout", 5)),
        read_timeout=float(ep.get("read_timeout", 30)),
        rate_per_second=ep.get("rate_per_second"),
        ca_bundle=ep.get("ca_bundle"),
        transient_retries=int(ep.get("transient_retries", 3)),
        # AWS's own SDKs back off from 50-100 ms upwards too, but give throttling a real pause
        transient_backoff=float(ep.get("transient_backoff", 0.5 if kind == "aws" else 0.05)),
        hang_timeout_floor=float(ep.get("hang_timeout_floor", 3)),
    )
    if endpoint.ca_bundle and not Path(endpoint.ca_bundle).is_file():
        raise ProfileError(
            f"target profile {source}: `endpoint.ca_bundle` is {endpoint.ca_bundle!r}, which is not a file; give the "
            "PEM file of the CA that signed the endpoint's certificate (a relative path is read from the profile's "
            "directory)"
        )
    if endpoint.rate_per_second is None and endpoint.kind == "aws":
        # The documented quota: 10 requests/s per account and Region (RegisterUsage 5/s).
        endpoint = Endpoint(**{**endpoint.__dict__, "rate_per_second": 10.0})
    c = raw.get("contract", {})
    status = c.get("idempotency_conflict_status", [400, 409])
    contract = Contract(
        meter_window_hours=c.get("meter_window_hours", 6),
        batch_window_hours=c.get("batch_window_hours", min(BATCH_WINDOW_READINGS)),
        batch_stale_hours=c.get("batch_window_hours", max(BATCH_WINDOW_READINGS)),
        clock_tolerance_seconds=c.get("clock_tolerance_seconds", 120),
        max_allocations=c.get("max_allocations", 2500),
        idempotency_conflict_status=tuple(status if isinstance(status, list) else [status]),
        batch_dedup=c.get("batch_dedup", "time"),
        token_reuse=(c["token_reuse"],) if "token_reuse" in c else ("allowed", "expired"),
    )
    p = raw.get("product", {})
    product = Product(
        code=p.get("code"),
        dimensions=tuple(p.get("dimensions", ())),
        public_key_versions=tuple(p.get("public_key_versions", ())),
    )
    cu = raw.get("customers", {})
    customers = Customers(
        subscribed=tuple(cu.get("subscribed", ())),
        unsubscribed=tuple(cu.get("unsubscribed", ())),
        subscribed_accounts=tuple(cu.get("subscribed_accounts", ())),
        licenses=dict(cu.get("licenses", {})),
    )
    missing = [a for a in customers.subscribed_accounts if a not in customers.licenses]
    if missing:
        raise ProfileError(
            f"target profile {source}: `customers.subscribed_accounts` lists {', '.join(missing)} without a license; "
            f'add `"{missing[0]}" = "arn:aws:license-manager::..."` under [customers.licenses]'
        )
    rt = raw.get("registration_tokens", {})
    tokens = RegistrationTokens(
        valid=tuple(ValidToken(token=t, **v) for t, v in rt.get("valid", {}).items()),
        expired=tuple(rt.get("expired", ())),
        invalid=tuple(rt.get("invalid", ())),
    )
    return Profile(endpoint, contract, product, customers, tokens, raw=raw, source=source)


def url_problem(url: str | None, where: str = "--endpoint-url") -> str | None:
    """Why `url` cannot name an endpoint (no http/https scheme, no host), with the fix; None when it can."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        if "://" not in url:
            return f"{where} {url} has no scheme; write http://{url} (or https:// for TLS)"
        return f"{where} {url} is not an http:// or https:// URL with a host, e.g. http://127.0.0.1:4566"
    return None


def load_profile(path: str | Path | None = None) -> Profile:
    """Load and validate a profile file; None gives the embedded default (the reference endpoint)."""
    if path is None:
        return from_dict(tomllib.loads(default_profile_text()), EMBEDDED)
    p = Path(path)
    if not p.is_file():
        raise ProfileError(
            f"target profile {p} does not exist; pass the path of a TOML file (see examples/) or omit --profile for "
            "the embedded default"
        )
    try:
        raw = tomllib.loads(p.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"target profile {p} is not valid TOML: {exc}; fix the syntax at that line") from None
    except UnicodeDecodeError:
        raise ProfileError(f"target profile {p} is not UTF-8 text; save it as UTF-8 TOML") from None
    bundle = raw.get("endpoint", {}).get("ca_bundle") if isinstance(raw.get("endpoint"), dict) else None
    if isinstance(bundle, str) and bundle:  # next to the profile, wherever the run starts
        path = Path(bundle).expanduser()
        raw["endpoint"]["ca_bundle"] = str(path if path.is_absolute() else (p.parent / path).resolve())
    return from_dict(raw, str(p))
