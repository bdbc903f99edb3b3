"""An independent checker for the self-tests: which contract rules a request body breaks.

It shares no code with the strategies. Model constraints come from walking botocore's shapes (including
the max lengths, patterns and list and integer bounds botocore's own validator skips) and are named by
the catalog clause whose `model` refs list them; the semantic rules (allocation sums, unique tag sets,
the window, the profile's data) are written out here again. `Finding.rule` is a clause id, or an
"X." name for a habit of the valid strategies that no clause states (e.g. an explicit quantity
beside allocations).
"""

from __future__ import annotations

import datetime
import decimal
import math
import re
import time
from dataclasses import dataclass
from functools import cache

import botocore.session
from botocore.model import Shape

from meterconform.contract.catalog import load_catalog
from meterconform.harness.profile import Profile

MODEL = botocore.session.get_session().get_service_model("meteringmarketplace")
AREA = {"MeterUsage": "MU", "BatchMeterUsage": "BMU", "RegisterUsage": "RU", "ResolveCustomer": "RC"}
NULL_REQUIRED = "PROTO.NULL.REQUIRED"
WRONG_TYPE = "PROTO.JSON.WRONG_TYPE"
UNKNOWN_MEMBER = "PROTO.UNKNOWN_MEMBER.HANDLING"
INT_MAX = 2**31 - 1


@dataclass(frozen=True)
class Finding:
    """One broken rule: the clause id, where in the request, and what was seen."""

    rule: str
    path: str
    detail: str


@cache
def model_clauses() -> dict[str, str]:
    """Catalog model refs ("BatchMeterUsage:UsageRecords[].Dimension.required") → clause id."""
    return {ref: clause.id for clause in load_catalog() for ref in clause.model}


# ------------------------------------------------------------------------------------------ model walk


def model_findings(operation: str, request) -> list[tuple[str, str, str]]:
    """(concrete path, constraint kind, detail) for every model constraint `request` breaks."""
    out: list[tuple[str, str, str]] = []
    _walk(MODEL.operation_model(operation).input_shape, request, "", out)
    return out


def _walk(shape: Shape, value, path: str, out: list) -> None:
    t, meta = shape.type_name, shape.metadata
    if t == "structure":
        if not isinstance(value, dict):
            out.append((path, "type", repr(value)[:40]))
            return
        for name in value:
            if name not in shape.members:
                out.append((f"{path}.{name}", "unknown_member", name))
        for name in shape.required_members:
            if name not in value:
                out.append((f"{path}.{name}", "required", "absent"))
            elif value[name] is None:
                out.append((f"{path}.{name}", "null_required", "null"))
        for name, member in shape.members.items():
            if value.get(name) is not None:  # null on an optional member is the same as absent
                _walk(member, value[name], f"{path}.{name}", out)
    elif t == "list":
        if not isinstance(value, list):
            out.append((path, "type", repr(value)[:40]))
            return
        if len(value) < meta.get("min", 0):
            out.append((path, "min", f"{len(value)} items"))
        if "max" in meta and len(value) > meta["max"]:
            out.append((path, "max", f"{len(value)} items"))
        for i, item in enumerate(value):
            _walk(shape.member, item, f"{path}[{i}]", out)
    elif t == "string":
        if not isinstance(value, str):
            out.append((path, "type", repr(value)[:40]))
            return
        if len(value) < meta.get("min", 0):
            out.append((path, "min", f"{len(value)} chars"))
        if "max" in meta and len(value) > meta["max"]:
            out.append((path, "max", f"{len(value)} chars"))
        # fullmatch: `$` alone would let a trailing newline through.
        if "pattern" in meta and re.fullmatch(meta["pattern"], value) is None:
            out.append((path, "pattern", repr(value)[:60]))
    elif t in ("integer", "long"):
        if not isinstance(value, int) or isinstance(value, bool):
            out.append((path, "type", repr(value)[:40]))
            return
        if "min" in meta and value < meta["min"]:
            out.append((path, "min", str(value)))
        if "max" in meta and value > meta["max"]:
            out.append((path, "max", str(value)))
    elif t == "boolean":
        if not isinstance(value, bool):
            out.append((path, "type", repr(value)[:40]))
    elif t == "timestamp":
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
            out.append((path, "type", repr(value)[:40]))
    else:  # pragma: no cover - the metering model has no other input types
        raise AssertionError(f"unhandled shape type {t} at {path}")


def _model_rule(operation: str, path: str, kind: str) -> str:
    if kind == "null_required":
        return NULL_REQUIRED
    if kind == "unknown_member":
        return UNKNOWN_MEMBER
    if kind == "type":
        return WRONG_TYPE
    member_path = re.sub(r"\[\d+\]", "[]", path.lstrip("."))
    ref = f"{operation}:{member_path}.{kind}"
    rule = model_clauses().get(ref)
    if rule is None:
        raise AssertionError(
            f"no catalog clause lists the model constraint {ref}; the catalog or the checker is out of date"
        )
    return rule


def _valid(shape_name: str, value) -> bool:
    """Whether `value` meets every model constraint of the named shape."""
    out: list = []
    _walk(MODEL.shape_for(shape_name), value, "", out)
    return value is not None and not out


# ------------------------------------------------------------------------------------------ semantic rules


def _month_start(ts: float) -> float:
    day = datetime.datetime.fromtimestamp(ts, tz=datetime.UTC)
    return datetime.datetime(day.year, day.month, 1, tzinfo=datetime.UTC).timestamp()


def _amount(holder: dict, whole: str) -> decimal.Decimal | None:
    """The quantity a usage or allocation states, by value (absent: 0); None when it is not a number."""
    if holder.get(whole) is not None:
        value = holder[whole]
        return decimal.Decimal(value) if isinstance(value, int) and not isinstance(value, bool) else None
    text = holder.get(whole + "AsDecimal")
    if text is not None:
        return (
            decimal.Decimal(text)
            if isinstance(text, str) and re.fullmatch(r"(0|[1-9][0-9]{0,9})(\.[0-9]{1,6})?", text)
            else None
        )
    return decimal.Decimal(0)


def _usage_findings(operation: str, usage: dict, path: str, profile: Profile, now: float) -> list[Finding]:
    area = AREA[operation]
    out: list[Finding] = []
    if operation == "MeterUsage":
        quantity_member, dimension_member, hours = (
            "UsageQuantity",
            "UsageDimension",
            profile.contract.meter_window_hours,
        )
        unknown_dimension, exclusive = "MU.USAGE_DIMENSION.UNKNOWN", "MU.USAGE_QUANTITY.EXCLUSIVE"
    else:
        quantity_member, dimension_member, hours = "Quantity", "Dimension", profile.contract.batch_window_hours
        unknown_dimension, exclusive = "BMU.DIMENSION.UNKNOWN", "BMU.QUANTITY.EXCLUSIVE"
    dimension = usage.get(dimension_member)
    if _valid("UsageDimension", dimension) and dimension not in profile.product.dimensions:
        out.append(Finding(unknown_dimension, f"{path}.{dimension_member}", repr(dimension)))
    ts = usage.get("Timestamp")
    if isinstance(ts, (int, float)) and not isinstance(ts, bool):
        age = now - ts
        if age >= hours * 3600:
            out.append(Finding(f"{area}.WINDOW.STALE", f"{path}.Timestamp", f"age {age:.0f} s"))
        elif operation == "BatchMeterUsage" and now - _month_start(now) >= 6 * 3600 and ts < _month_start(now):
            out.append(
                Finding("BMU.WINDOW.MONTH_END", f"{path}.Timestamp", "in the previous month after 06:00 on the first")
            )
        if age < -1:
            out.append(Finding(f"{area}.WINDOW.FUTURE", f"{path}.Timestamp", f"{-age:.0f} s ahead"))
    if usage.get(quantity_member) is not None and usage.get(quantity_member + "AsDecimal") is not None:
        out.append(Finding(exclusive, path, "both quantity forms"))
    allocations = usage.get("UsageAllocations")
    if not isinstance(allocations, list) or not allocations:
        return out
    if usage.get(quantity_member) is None and usage.get(quantity_member + "AsDecimal") is None:
        out.append(
            Finding("X.ALLOC.IMPLICIT_QUANTITY", path, "allocations for an absent quantity (its type is undefined)")
        )
    quantity = _amount(usage, quantity_member)
    amounts = [_amount(a, "AllocatedUsageQuantity") for a in allocations]
    if quantity is not None and 0 <= quantity <= INT_MAX and None not in amounts and sum(amounts) != quantity:
        out.append(Finding("ALLOC.SUM", f"{path}.UsageAllocations", f"sum {sum(amounts)} != {quantity}"))
    usage_decimal = usage.get(quantity_member + "AsDecimal") is not None and usage.get(quantity_member) is None
    usage_whole = usage.get(quantity_member) is not None and not usage_decimal
    for i, a in enumerate(allocations):
        forms = [a.get("AllocatedUsageQuantity") is not None, a.get("AllocatedUsageQuantityAsDecimal") is not None]
        if forms.count(True) != 1:
            out.append(
                Finding("ALLOC.QUANTITY.EXACTLY_ONE", f"{path}.UsageAllocations[{i}]", "both or neither quantity form")
            )
        elif (usage_whole and forms[1]) or (usage_decimal and forms[0]):
            out.append(
                Finding("ALLOC.QUANTITY_TYPE", f"{path}.UsageAllocations[{i}]", "whole and decimal quantities mixed")
            )
    tagged = [frozenset((t.get("Key"), t.get("Value")) for t in a["Tags"]) for a in allocations if a.get("Tags")]
    if len(set(tagged)) != len(tagged):
        out.append(Finding("ALLOC.UNIQUE_TAGS", f"{path}.UsageAllocations", "two allocations share a tag set"))
    untagged = sum(1 for a in allocations if a.get("Tags") is None)
    if untagged > 1:
        out.append(Finding("ALLOC.ONE_UNTAGGED", f"{path}.UsageAllocations", f"{untagged} without Tags"))
    if len(allocations) > profile.contract.max_allocations:
        out.append(
            Finding("ALLOC.COUNT.MAX", f"{path}.UsageAllocations", f"{len(allocations)} > contract.max_allocations")
        )
    for i, a in enumerate(allocations):
        keys = [t.get("Key") for t in a.get("Tags") or () if t.get("Key") is not None]
        if len(set(keys)) != len(keys):
            out.append(Finding("TAG.KEY.REPEATED", f"{path}.UsageAllocations[{i}].Tags", "a Key repeats"))
    return out


def _record_findings(record: dict, path: str, profile: Profile) -> list[Finding]:
    out = []
    if record.get("CustomerIdentifier") is None and record.get("CustomerAWSAccountId") is None:
        out.append(Finding("BMU.CUSTOMER.MISSING", path, "no customer member"))
    elif record.get("CustomerAWSAccountId") is not None and record.get("LicenseArn") is None:
        out.append(Finding("BMU.CUSTOMER.MISSING", path, "an account without LicenseArn"))
    if record.get("CustomerIdentifier") is not None and record.get("CustomerAWSAccountId") is not None:
        out.append(Finding("BMU.CUSTOMER.EXCLUSIVE", path, "both CustomerIdentifier and CustomerAWSAccountId"))
    account, arn = record.get("CustomerAWSAccountId"), record.get("LicenseArn")
    if _valid("CustomerAWSAccountId", account) and account in profile.customers.licenses and _valid("LicenseArn", arn):
        if arn != profile.customers.licenses[account]:
            out.append(Finding("BMU.LICENSE.INVALID", f"{path}.LicenseArn", f"not the license of {account}"))
    return out


def duplicate_keys(records: list[dict], per_hour: bool) -> list[tuple]:
    """(customer, dimension, time) keys shared by two records of a batch (time: the whole second or the hour)."""
    seen, dups = set(), []
    for r in records:
        ts = r.get("Timestamp")
        if not isinstance(ts, (int, float)) or r.get("Dimension") is None:
            continue
        key = (
            r.get("CustomerIdentifier", r.get("CustomerAWSAccountId")),
            r["Dimension"],
            int(ts // 3600) if per_hour else math.floor(ts),
        )
        if key in seen:
            dups.append(key)
        seen.add(key)
    return dups


def findings(operation: str, request: dict, profile: Profile, now: float | None = None) -> list[Finding]:
    """Every contract rule `request` breaks, model and semantic, with the profile's data."""
    now = time.time() if now is None else now
    area = AREA[operation]
    out = [
        Finding(_model_rule(operation, path, kind), path, detail)
        for path, kind, detail in model_findings(operation, request)
    ]
    code = request.get("ProductCode")
    if operation != "ResolveCustomer" and _valid("ProductCode", code) and code != profile.product.code:
        out.append(Finding(f"{area}.PRODUCT_CODE.UNKNOWN", ".ProductCode", repr(code)))
    if operation == "MeterUsage":
        out += _usage_findings(operation, request, "", profile, now)
    elif operation == "BatchMeterUsage":
        records = [r for r in request.get("UsageRecords") or [] if isinstance(r, dict)]
        for i, record in enumerate(records):
            out += _usage_findings(operation, record, f".UsageRecords[{i}]", profile, now)
            out += _record_findings(record, f".UsageRecords[{i}]", profile)
        if request.get("ProductCode") is None and any(r.get("CustomerIdentifier") is not None for r in records):
            out.append(
                Finding(
                    "BMU.PRODUCT_CODE.LEGACY_REQUIRED",
                    ".ProductCode",
                    "CustomerIdentifier records without a ProductCode",
                )
            )
        for key in duplicate_keys(records, per_hour=profile.contract.batch_dedup == "hour"):
            out.append(Finding("X.RECORDS.DUPLICATE_KEY", ".UsageRecords", repr(key)))
    elif operation == "RegisterUsage":
        version = request.get("PublicKeyVersion")
        if _valid("VersionInteger", version) and version not in profile.product.public_key_versions:
            out.append(Finding("RU.PUBLIC_KEY_VERSION.UNKNOWN", ".PublicKeyVersion", str(version)))
    elif operation == "ResolveCustomer":
        token = request.get("RegistrationToken")
        listed = (
            {t.token for t in profile.registration_tokens.valid}
            | set(profile.registration_tokens.expired)
            | set(profile.registration_tokens.invalid)
        )
        if _valid("NonEmptyString", token) and token not in listed:
            out.append(Finding("RC.TOKEN.INVALID", ".RegistrationToken", repr(token)[:40]))
    return out


def rules(operation: str, request: dict, profile: Profile, now: float | None = None) -> set[str]:
    """The set of rule names (clause ids) `request` breaks."""
    return {f.rule for f in findings(operation, request, profile, now)}


# ----------------------------------------------------------------------------------------- properties of valid requests


def record_identity_problems(record: dict, profile: Profile, customers: str) -> list[str]:
    """Why a UsageRecord does not name the kind of customer asked for (subscribed, unsubscribed, accounts)."""
    problems = []
    if customers in ("subscribed", "unsubscribed"):
        listed = profile.customers.subscribed if customers == "subscribed" else profile.customers.unsubscribed
        if record.get("CustomerIdentifier") not in listed:
            problems.append(f"CustomerIdentifier {record.get('CustomerIdentifier')!r} is not in customers.{customers}")
        if "CustomerAWSAccountId" in record or "LicenseArn" in record:
            problems.append("an identifier record also carries account members")
    else:
        account = record.get("CustomerAWSAccountId")
        if account not in profile.customers.subscribed_accounts:
            problems.append(f"CustomerAWSAccountId {account!r} is not in customers.subscribed_accounts")
        elif record.get("LicenseArn") != profile.customers.licenses[account]:
            problems.append(f"LicenseArn {record.get('LicenseArn')!r} is not the license of {account}")
        if "CustomerIdentifier" in record:
            problems.append("an account record also carries CustomerIdentifier")
    return problems
