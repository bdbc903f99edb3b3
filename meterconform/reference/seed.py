"""Turns a target-profile dict (parsed TOML) into the reference endpoint's seed, filling gaps from the default."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any


@dataclass(frozen=True)
class ResolvedCustomer:
    """What ResolveCustomer answers for a valid registration token."""

    customer: str
    account: str
    license_arn: str
    agreement_id: str | None = None


@dataclass(frozen=True)
class Seed:
    """Everything the endpoint knows about its product, customers, tokens and contract readings."""

    region: str
    access_key_id: str
    secret_access_key: str
    meter_window_hours: float
    batch_window_hours: float
    max_allocations: int
    batch_dedup: str  # "time" or "hour"
    idempotency_conflict_status: int
    product_code: str
    dimensions: frozenset[str]
    public_key_versions: frozenset[int]
    subscribed: frozenset[str]
    unsubscribed: frozenset[str]
    subscribed_accounts: frozenset[str]
    licenses: Mapping[str, str] = field(default_factory=dict)
    expired_tokens: frozenset[str] = frozenset()
    invalid_tokens: frozenset[str] = frozenset()
    valid_tokens: Mapping[str, ResolvedCustomer] = field(default_factory=dict)
    client_read_timeout: float = 30.0  # the profile's endpoint.read_timeout: how long a hang must last to be one
    token_reuse: str = "allowed"  # "allowed": a valid token resolves every time; "expired": only the first time


def default_profile() -> dict[str, Any]:
    """The built-in default target profile (meterconform/data/default-profile.toml), freshly parsed."""
    text = resources.files("meterconform").joinpath("data/default-profile.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def _section(profile: Mapping[str, Any], default: Mapping[str, Any], name: str) -> dict[str, Any]:
    """Section `name` of the profile, each missing key taken from the default profile's section."""
    given = profile.get(name, {})
    if not isinstance(given, Mapping):
        raise ValueError(f"profile section [{name}] must be a table, got {type(given).__name__}")
    return {**default.get(name, {}), **given}


def _strings(value: Any, where: str) -> frozenset[str]:
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"profile {where} must be a list of strings, got {value!r}")
    return frozenset(value)


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise ValueError(f"profile {where} must be a positive number, got {value!r}")
    return value


def seed_from_profile(profile: Mapping[str, Any] | None = None) -> Seed:
    """Build the Seed from a target-profile dict; missing sections and keys fall back to the default profile."""
    profile = profile or {}
    default = default_profile()
    endpoint = _section(profile, default, "endpoint")
    contract = _section(profile, default, "contract")
    product = _section(profile, default, "product")
    customers = _section(profile, default, "customers")
    tokens = _section(profile, default, "registration_tokens")

    batch_dedup = contract.get("batch_dedup", "time")
    if batch_dedup not in ("time", "hour"):
        raise ValueError(f'profile contract.batch_dedup must be "time" or "hour", got {batch_dedup!r}')
    conflict_status = contract.get("idempotency_conflict_status", 400)
    if isinstance(conflict_status, bool) or not isinstance(conflict_status, int) or not 400 <= conflict_status < 500:
        raise ValueError(f"profile contract.idempotency_conflict_status must be a 4xx integer, got {conflict_status!r}")
    token_reuse = contract.get("token_reuse", "allowed")
    if token_reuse not in ("allowed", "expired"):
        raise ValueError(f'profile contract.token_reuse must be "allowed" or "expired", got {token_reuse!r}')
    max_allocations = contract.get("max_allocations", 2500)
    if isinstance(max_allocations, bool) or not isinstance(max_allocations, int) or max_allocations < 1:
        raise ValueError(f"profile contract.max_allocations must be a positive integer, got {max_allocations!r}")

    versions = product.get("public_key_versions", [])
    if not isinstance(versions, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in versions):
        raise ValueError(f"profile product.public_key_versions must be a list of integers, got {versions!r}")

    licenses = customers.get("licenses", {})
    if not isinstance(licenses, Mapping) or not all(isinstance(v, str) for v in licenses.values()):
        raise ValueError("profile [customers.licenses] must map account ids to license ARN strings")

    valid: dict[str, ResolvedCustomer] = {}
    for token, entry in (tokens.get("valid") or {}).items():
        if not isinstance(entry, Mapping):
            raise ValueError(f"profile [registration_tokens.valid.{token}] must be a table")
        valid[token] = ResolvedCustomer(
            customer=str(entry.get("customer", "")),
            account=str(entry.get("account", "")),
            license_arn=str(entry.get("license_arn", "")),
            agreement_id=entry.get("agreement_id"),
        )

    return Seed(
        region=str(endpoint.get("region", "us-east-1")),
        access_key_id=str(endpoint.get("access_key_id", "")),
        secret_access_key=str(endpoint.get("secret_access_key", "")),
        meter_window_hours=_number(contract.get("meter_window_hours", 6), "contract.meter_window_hours"),
        batch_window_hours=_number(contract.get("batch_window_hours", 6), "contract.batch_window_hours"),
        max_allocations=max_allocations,
        batch_dedup=batch_dedup,
        idempotency_conflict_status=conflict_status,
        product_code=str(product.get("code", "")),
        dimensions=_strings(product.get("dimensions", []), "product.dimensions"),
        public_key_versions=frozenset(versions),
        subscribed=_strings(customers.get("subscribed", []), "customers.subscribed"),
        unsubscribed=_strings(customers.get("unsubscribed", []), "customers.unsubscribed"),
        subscribed_accounts=_strings(customers.get("subscribed_accounts", []), "customers.subscribed_accounts"),
        licenses=dict(licenses),
        expired_tokens=_strings(tokens.get("expired", []), "registration_tokens.expired"),
        invalid_tokens=_strings(tokens.get("invalid", []), "registration_tokens.invalid"),
        valid_tokens=valid,
        client_read_timeout=_number(endpoint.get("read_timeout", 30), "endpoint.read_timeout"),
        token_reuse=token_reuse,
    )
