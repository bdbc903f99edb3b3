"""The rules of Marketplace Metering and the ledger of what was metered: no HTTP, thread-safe, injectable clock."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from . import exceptions as exc
from . import faults as fault
from . import readings as reading
from .chaos import Trouble
from .ledger import Record, allocations_of, utc
from .seed import Seed
from .shapes import check_constraints, input_node

FUTURE_TOLERANCE_SECONDS = 3600  # a timestamp more than this far ahead of the clock is out of bounds
HOUR = 3600
RACE_WINDOW_SECONDS = 0.005  # race-on-identical-requests: the pause between checking a slot and storing it
# tag-range-literal: the tag pattern ^[a-zA-Z0-9+ -=._:\/@]+$ with ` -=` misread as three literal characters.
LITERAL_TAG_PATTERN = re.compile(r"^[a-zA-Z0-9+ \-=._:\/@]+\Z")

# Which named error a broken model constraint (length, range, pattern) of each shape is answered with;
# shapes not listed answer ValidationException.
CONSTRAINT_ERRORS: Mapping[str, Callable[[str], exc.MeteringError]] = {
    "ProductCode": exc.InvalidProductCodeException,
    "UsageDimension": exc.InvalidUsageDimensionException,
    "TagList": exc.InvalidTagException,
    "TagKey": exc.InvalidTagException,
    "TagValue": exc.InvalidTagException,
    "UsageAllocations": exc.InvalidUsageAllocationsException,
    "CustomerIdentifier": exc.InvalidCustomerIdentifierException,
    "LicenseArn": exc.InvalidLicenseException,
    "VersionInteger": exc.InvalidPublicKeyVersionException,
    "NonEmptyString": exc.InvalidTokenException,
}


@dataclass(frozen=True)
class Caller:
    """Who signed the request: the access key id (the metering identity, as an EC2 instance) and the Region."""

    identity: str
    region: str


@dataclass(frozen=True)
class Quantity:
    """A usage quantity compared by value; `decimal` says whether it was sent as a decimal string, `spelled`
    how it was sent (only the quantity-compared-as-text fault compares that)."""

    decimal: bool
    value: Decimal
    spelled: str = field(default="0", compare=False)


@dataclass(frozen=True)
class StoredRecord:
    """One metering record in the ledger: its keys for the rules, and `entry`, what a seller's test reads."""

    record_id: str
    operation: str
    key: tuple[Any, ...]
    fingerprint: tuple[Any, ...]
    entry: Record | None = field(default=None, compare=False)


@dataclass(frozen=True)
class _TokenUse:
    request: tuple[Any, ...]
    record_id: str


@dataclass(frozen=True)
class _Judged:
    """A UsageRecord that passed the request-level checks, with what per-record judgement needs."""

    record: dict[str, Any]
    timestamp: int | float
    key: tuple[Any, ...]
    fingerprint: tuple[Any, ...]
    subscribed: bool
    quantity: Quantity


def _jwt_segment(obj: Mapping[str, Any]) -> str:
    raw = json.dumps(obj, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class MeteringModel:
    """The endpoint's state and rules; each operation takes a Caller and a type-checked input dict."""

    def __init__(
        self,
        seed: Seed,
        faults: frozenset[str] = frozenset(),
        clock: Callable[[], float] | None = None,
        readings: frozenset[str] = frozenset(),
        trouble: Trouble | None = None,
    ):
        self.seed = seed
        self.faults = frozenset(faults)
        self.readings = frozenset(readings)
        self.trouble = trouble if trouble is not None else Trouble(self.readings)
        self.clock = clock or time.time
        self._lock = threading.Lock()
        self._records: dict[str, StoredRecord] = {}
        self._slots: dict[tuple[Any, ...], StoredRecord] = {}  # MeterUsage (identity, product, dimension, hour)
        self._tokens: dict[tuple[str | None, str], _TokenUse] = {}  # MeterUsage (identity or None, ClientToken)
        self._batch: dict[tuple[Any, ...], StoredRecord] = {}  # BatchMeterUsage (customer, dimension, time)
        self._resolved: set[str] = set()  # ResolveCustomer: valid tokens resolved so far
        self._limits = {"UsageAllocations": (1, seed.max_allocations)}
        self._patterns: dict[str, re.Pattern[str] | None] = {}
        if self._on("six-tags-accepted"):
            self._limits["TagList"] = (1, 6)
        if self._on("five-tags-rejected"):
            self._limits["TagList"] = (1, 4)
        if self._on("batch-cap-26"):
            self._limits["UsageRecordList"] = (0, 26)
        if self._on("batch-cap-24"):
            self._limits["UsageRecordList"] = (0, 24)
        if self._on("tag-key-100-rejected"):
            self._limits["TagKey"] = (1, 99)
        if self._on("allocations-cap-500"):
            self._limits["UsageAllocations"] = (1, min(500, seed.max_allocations))
        if self._on("client-token-length-unchecked"):
            self._limits["ClientToken"] = (1, None)
        if self._on("tag-range-literal"):
            self._patterns.update(TagKey=LITERAL_TAG_PATTERN, TagValue=LITERAL_TAG_PATTERN)
        if self._on("tag-pattern-unchecked"):
            self._patterns.update(TagKey=None, TagValue=None)
        self._dimensions_folded = {d.casefold(): d for d in seed.dimensions}

    # --- white-box views for self-tests ------------------------------------------------------------------------

    def record_count(self) -> int:
        """How many metering records the ledger holds (MeterUsage and BatchMeterUsage)."""
        with self._lock:
            return len(self._records)

    def records(self) -> list[StoredRecord]:
        """A snapshot of the ledger."""
        with self._lock:
            return list(self._records.values())

    def ledger(self) -> list[Record]:
        """The ledger as Records, in the order they were recorded."""
        with self._lock:
            return [r.entry for r in self._records.values() if r.entry is not None]

    def reset(self) -> None:
        """Forget everything recorded and resolved; trouble starts again from its beginning."""
        with self._lock:
            for state in (self._records, self._slots, self._tokens, self._batch, self._resolved):
                state.clear()
        self.trouble.reset()

    # --- shared rules ---------------------------------------------------------------------------------------------

    def _on(self, name: str) -> bool:
        return fault.on(self.faults, name)

    def _reading(self, name: str) -> bool:
        return reading.on(self.readings, name)

    def _constraints(self, operation: str, params: Mapping[str, Any]) -> None:
        check_constraints(params, input_node(operation), CONSTRAINT_ERRORS, self._limits, patterns=self._patterns)

    def _product(self, code: str) -> None:
        if code != self.seed.product_code:
            raise exc.InvalidProductCodeException(
                f"ProductCode {code!r} does not match the product {self.seed.product_code!r}.",
                status=500 if self._on("invalid-product-code-as-500") else None,
            )

    def _quantity(
        self, struct: Mapping[str, Any], whole: str, decimal: str, where: str, *, usage: bool = True
    ) -> Quantity:
        """The quantity of a request, record (`usage`) or allocation; both members given is a ValidationException."""
        if whole in struct and decimal in struct:
            if usage and self._on("both-quantities-accepted"):
                return Quantity(False, Decimal(struct[whole]), str(struct[whole]))
            raise exc.ValidationException(
                f"{where}{whole} and {where}{decimal} are both set; send exactly one of them."
            )
        if decimal in struct:
            return Quantity(True, Decimal(struct[decimal]), struct[decimal])
        return Quantity(False, Decimal(struct.get(whole, 0)), str(struct.get(whole, 0)))

    def _compared(self, quantity: Quantity) -> Any:
        """What a quantity is compared by for duplicates and retries: its value (its spelling under a fault)."""
        if self._on("quantity-compared-as-text"):
            return quantity.spelled
        if quantity.decimal and self._on("decimal-compared-as-float"):
            return Decimal(float(quantity.value))  # the float's exact value: 17 still equals 17.0
        return quantity.value

    def _dimension(self, name: str, where: str) -> str:
        """The profile's spelling of dimension `name`, or the error for an unknown dimension."""
        if name in self.seed.dimensions:
            return name
        if self._on("dimension-case-insensitive") and name.casefold() in self._dimensions_folded:
            return self._dimensions_folded[name.casefold()]
        message = f"{where} {name!r} is not a dimension of the product; known: {sorted(self.seed.dimensions)}."
        if self._on("unknown-dimension-wrong-error"):
            raise exc.InvalidProductCodeException(message)
        raise exc.InvalidUsageDimensionException(message)

    def _allocations(self, struct: Mapping[str, Any], quantity: Quantity, where: str) -> frozenset[Any] | None:
        """The allocations as a canonical set of (tag set, quantity), after checking the allocation rules."""
        allocations = struct.get("UsageAllocations")
        if allocations is None:
            return None
        canonical: set[tuple[Any, Decimal]] = set()
        tag_sets: set[Any] = set()
        total = Decimal(0)
        as_float = 0.0  # decimal-sums-as-float: the sum a binary-float endpoint computes
        for i, allocation in enumerate(allocations):
            at = f"{where}UsageAllocations[{i}]."
            if "AllocatedUsageQuantity" not in allocation and "AllocatedUsageQuantityAsDecimal" not in allocation:
                raise exc.ValidationException(
                    f"{at[:-1]} has no quantity; set AllocatedUsageQuantity or AllocatedUsageQuantityAsDecimal."
                )
            share = self._quantity(
                allocation, "AllocatedUsageQuantity", "AllocatedUsageQuantityAsDecimal", at, usage=False
            )
            if share.decimal != quantity.decimal:
                raise exc.InvalidUsageAllocationsException(
                    f"{at[:-1]} uses a {'decimal' if share.decimal else 'whole'} quantity but the usage quantity "
                    f"is {'decimal' if quantity.decimal else 'whole'}; allocations must use the same type."
                )
            tags = allocation.get("Tags")
            tag_set: Any = None if tags is None else frozenset((t["Key"], t["Value"]) for t in tags)
            if tags is not None and self._on("tag-sets-compared-ordered"):
                tag_set = tuple((t["Key"], t["Value"]) for t in tags)
            if tag_set is None and None in tag_sets and self._on("two-untagged-accepted"):
                tag_set = ("<untagged>", i)
            if tag_set in tag_sets:
                what = "a second allocation without tags" if tag_set is None else "a tag set already used"
                raise exc.InvalidUsageAllocationsException(
                    f"{at[:-1]} has {what}; each allocation needs a unique set of tags (at most one without)."
                )
            tag_sets.add(tag_set)
            canonical.add((tag_set, share.value))
            total += share.value
            as_float += float(share.value)
        if quantity.decimal and self._on("decimal-sums-as-float"):
            wrong = as_float != float(quantity.value)
        else:
            wrong = total != quantity.value
        if wrong and not self._on("allocation-sum-unchecked"):
            raise exc.InvalidUsageAllocationsException(
                f"{where}UsageAllocations add up to {total} but the usage quantity is {quantity.value}; "
                "the allocated quantities must sum to the usage quantity."
            )
        return frozenset(canonical)

    def _in_window(self, timestamp: int | float, hours: float) -> bool:
        try:
            age = self.clock() - timestamp
        except OverflowError:
            return False
        return -self._future_tolerance() <= age <= hours * HOUR

    def _future_tolerance(self) -> int:
        """How far ahead of the clock a timestamp may be: an hour, or the skew under future-timestamps-refused."""
        return reading.FUTURE_SKEW_SECONDS if self._reading("future-timestamps-refused") else FUTURE_TOLERANCE_SECONDS

    def _stale(self, where: str, timestamp: int | float, hours: float) -> exc.MeteringError:
        message = (
            f"{where}Timestamp {timestamp} is outside the accepted window: at most {hours:g} hours in the past "
            f"and {self._future_tolerance()} seconds in the future of {int(self.clock())}."
        )
        if self._on("stale-as-validation-error"):
            return exc.ValidationException(message)
        return exc.TimestampOutOfBoundsException(message)

    def _window(self, hours: float, longer: str, shorter: str) -> float:
        """The window in hours: the profile's, one hour longer or shorter under a fault."""
        return hours + (1 if self._on(longer) else 0) - (1 if self._on(shorter) else 0)

    def _store(
        self,
        operation: str,
        key: tuple[Any, ...],
        fingerprint: tuple[Any, ...],
        struct: Mapping[str, Any],
        dimension: str,
        quantity: Quantity,
        **who: Any,
    ) -> StoredRecord:
        """Record one usage record (`struct`: the MeterUsage request or the UsageRecord) under `key`."""
        record_id = str(uuid.uuid4())
        if self._reading("record-ids-opaque"):
            record_id = f"mr{len(self._records) + 1:06d}." + base64.b32encode(os.urandom(10)).decode().lower()
        entry = Record(
            operation,
            record_id,
            dimension,
            utc(struct["Timestamp"]),
            quantity.value,
            allocations=allocations_of(struct),
            recorded_at=utc(self.clock()),
            **who,
        )
        record = StoredRecord(record_id, operation, key, fingerprint, entry)
        self._records[record.record_id] = record
        return record

    # --- operations -----------------------------------------------------------------------------------------------

    def meter_usage(self, caller: Caller, params: dict[str, Any]) -> dict[str, Any]:
        """MeterUsage: one record per (identity, dimension, hour); identical retries and token replays idempotent."""
        self._constraints("MeterUsage", params)
        if caller.region != self.seed.region:
            raise exc.InvalidEndpointRegionException(
                f"The request is signed for Region {caller.region!r} but this endpoint is in {self.seed.region!r}."
            )
        self._product(params["ProductCode"])
        dimension = self._dimension(params["UsageDimension"], "UsageDimension")
        quantity = self._quantity(params, "UsageQuantity", "UsageQuantityAsDecimal", "")
        allocations = self._allocations(params, quantity, "")
        timestamp = params["Timestamp"]
        window = self._window(self.seed.meter_window_hours, "meter-window-7h", "meter-window-5h")
        if not self._in_window(timestamp, window):
            raise self._stale("", timestamp, window)

        fingerprint: tuple[Any, ...] = (self._compared(quantity), allocations)
        request = (params["ProductCode"], timestamp, dimension) + fingerprint
        if self._on("token-conflict-ignores-allocations"):
            request = request[:-1]
        if self._on("idempotency-by-exact-time"):
            fingerprint += (timestamp,)
        token = None if self._on("client-token-ignored") else params.get("ClientToken")
        dry_run = params.get("DryRun", False)
        records_on_dry_run = self._on("dryrun-records")
        new_id_on_retry = self._on("new-id-on-retry")
        racy = self._on("race-on-identical-requests")
        instance = None if self._on("identity-ignored") else caller.identity
        slot_dimension = None if self._on("hour-slot-ignores-dimension") else dimension
        slot = (instance, params["ProductCode"], slot_dimension, int(timestamp // HOUR))
        token_scope = None if self._reading("token-scope-endpoint") else caller.identity
        conflict_status = 409 if self._reading("idempotency-conflict-409") else self.seed.idempotency_conflict_status
        dry_run_answer: dict[str, Any] | None = {} if self._reading("dryrun-200-empty") else None

        with contextlib.nullcontext() if racy else self._lock:
            if token is not None:
                prior = self._tokens.get((token_scope, token))
                if prior is not None:
                    if prior.request != request and not self._on("token-replay-ignores-parameters"):
                        raise exc.IdempotencyConflictException(
                            f"ClientToken {token!r} was already used with different parameters; use a new "
                            "ClientToken for a different request.",
                            status=conflict_status,
                        )
                    if dry_run and not records_on_dry_run:
                        if dry_run_answer is not None:
                            return dry_run_answer
                        raise exc.DryRunOperation("Request would have succeeded, but DryRun flag is set.")
                    if not new_id_on_retry:
                        return {"MeteringRecordId": prior.record_id}
            existing = self._slots.get(slot)
            if existing is not None and existing.fingerprint != fingerprint:
                raise exc.DuplicateRequestException(
                    f"Usage for dimension {dimension!r} in the hour of {timestamp} was already metered with a "
                    "different quantity or allocations; recorded values cannot be changed."
                )
            if dry_run and not records_on_dry_run:
                if dry_run_answer is not None:
                    return dry_run_answer
                raise exc.DryRunOperation("Request would have succeeded, but DryRun flag is set.")
            if existing is None or new_id_on_retry:
                if racy:
                    time.sleep(RACE_WINDOW_SECONDS)
                existing = self._slots[slot] = self._store(
                    "MeterUsage",
                    slot,
                    fingerprint,
                    params,
                    dimension,
                    quantity,
                    product_code=params["ProductCode"],
                    identity=caller.identity,
                )
            if token is not None:
                self._tokens[(token_scope, token)] = _TokenUse(request, existing.record_id)
        if dry_run:
            if dry_run_answer is not None:
                return dry_run_answer
            raise exc.DryRunOperation("Request would have succeeded, but DryRun flag is set.")
        return {"MeteringRecordId": existing.record_id}

    def _judge_request_level(self, product: str | None, index: int, record: dict[str, Any]) -> _Judged:
        """Check one UsageRecord for the errors that reject the whole batch; return what judging it needs."""
        where = f"UsageRecords[{index}]."
        by_customer = "CustomerIdentifier" in record
        if by_customer == ("CustomerAWSAccountId" in record):
            raise exc.ValidationException(
                f"{where[:-1]} must have exactly one of CustomerIdentifier and CustomerAWSAccountId, "
                f"has {'both' if by_customer else 'neither'}."
            )
        if by_customer and product is None:
            raise exc.InvalidProductCodeException(
                f"{where[:-1]} uses CustomerIdentifier, which needs the request's ProductCode; send ProductCode "
                "or identify the customer by CustomerAWSAccountId and LicenseArn."
            )
        dimension = self._dimension(record["Dimension"], f"{where}Dimension")
        quantity = self._quantity(record, "Quantity", "QuantityAsDecimal", where)
        allocations = self._allocations(record, quantity, where)
        license_arn = record.get("LicenseArn")
        if by_customer:
            if license_arn is not None:
                raise exc.InvalidLicenseException(
                    f"{where}LicenseArn is set on a record identified by CustomerIdentifier; LicenseArn goes "
                    "with CustomerAWSAccountId."
                )
            who: tuple[str, str] = ("customer", record["CustomerIdentifier"])
            subscribed = who[1] in self.seed.subscribed
        else:
            account = record["CustomerAWSAccountId"]
            expected = self.seed.licenses.get(account)
            if license_arn is None or (license_arn != expected and not self._on("license-unchecked")):
                raise exc.InvalidLicenseException(
                    f"{where}LicenseArn {license_arn!r} is not the license of account {account!r}"
                    + (f" (expected {expected!r})." if expected else " (the account holds no license).")
                )
            who = ("account", account)
            subscribed = account in self.seed.subscribed_accounts
        subscribed = subscribed or self._on("unsubscribed-as-success")
        timestamp = record["Timestamp"]
        return _Judged(
            record, timestamp, (who, dimension), (self._compared(quantity), allocations), subscribed, quantity
        )

    def _result(self, record: dict[str, Any], status: str, record_id: str | None = None) -> dict[str, Any]:
        """One UsageRecordResult: the echoed UsageRecord, the Status and (for Success) the MeteringRecordId."""
        result: dict[str, Any] = {}
        if not self._on("batch-echo-missing"):
            echo = record
            if "QuantityAsDecimal" in record and self._on("batch-echo-mangled"):
                echo = {k: v for k, v in record.items() if k != "QuantityAsDecimal"}
                echo["Quantity"] = int(Decimal(record["QuantityAsDecimal"]))
            if self._reading("echo-defaults-filled") and "Quantity" not in echo and "QuantityAsDecimal" not in echo:
                echo = {**echo, "Quantity": 0}
            if self._reading("echo-decimals-normalised") and "QuantityAsDecimal" in echo:
                shortest = format(Decimal(echo["QuantityAsDecimal"]).normalize(), "f")
                echo = {**echo, "QuantityAsDecimal": shortest}
            if self._reading("echo-numbers-as-float"):
                echo = {k: float(v) if k in ("Timestamp", "Quantity") else v for k, v in echo.items()}
            result["UsageRecord"] = echo
        if record_id is not None:
            result["MeteringRecordId"] = record_id
        result["Status"] = status
        if self._reading("extra-response-members"):
            result["RecordedAt"] = int(self.clock())
        return result

    def batch_meter_usage(self, caller: Caller, params: dict[str, Any]) -> dict[str, Any]:
        """BatchMeterUsage: request-level checks, the all-or-nothing window, then one result per record in order."""
        self._constraints("BatchMeterUsage", params)
        product = params.get("ProductCode")
        if product is not None:
            self._product(product)
        judged = [self._judge_request_level(product, i, r) for i, r in enumerate(params["UsageRecords"])]
        window = self._window(self.seed.batch_window_hours, "batch-window-7h", "batch-window-5h")
        stale = [i for i, j in enumerate(judged) if not self._in_window(j.timestamp, window)]
        if stale and not self._on("partial-batch-on-stale"):
            raise self._stale(f"UsageRecords[{stale[0]}].", judged[stale[0]].timestamp, window)
        if not self.trouble.quiet:
            request = json.dumps(params, sort_keys=True, separators=(",", ":"))
            if self.trouble.unprocessed(reading.Sometimes.fingerprint(caller.identity, request)):
                return {"Results": [], "UnprocessedRecords": params["UsageRecords"]}
        by_hour = self.seed.batch_dedup == "hour"
        results = []
        with self._lock:
            for i, j in enumerate(judged):
                if i in stale:
                    continue
                if not j.subscribed:
                    if not self._on("unsubscribed-results-dropped"):
                        results.append(self._result(j.record, "CustomerNotSubscribed"))
                    continue
                key = j.key + (int(j.timestamp // HOUR) if by_hour else j.timestamp,)
                existing = self._batch.get(key)
                (kind, who), dimension = j.key
                details = {"product_code": product, kind: who, "license_arn": j.record.get("LicenseArn")}
                if existing is None:
                    existing = self._batch[key] = self._store(
                        "BatchMeterUsage", key, j.fingerprint, j.record, dimension, j.quantity, **details
                    )
                elif existing.fingerprint != j.fingerprint:
                    if not self._on("duplicate-record-as-success"):
                        results.append(self._result(j.record, "DuplicateRecord"))
                        continue
                    existing = self._store(
                        "BatchMeterUsage", key, j.fingerprint, j.record, dimension, j.quantity, **details
                    )
                results.append(self._result(j.record, "Success", existing.record_id))
        if stale:
            raise self._stale(f"UsageRecords[{stale[0]}].", judged[stale[0]].timestamp, window)
        if self._reading("results-reversed"):
            results.reverse()
        answer: dict[str, Any] = {"Results": results, "UnprocessedRecords": []}
        if self._reading("empty-lists-omitted"):
            answer = {k: v for k, v in answer.items() if v}
        return answer

    def register_usage(self, caller: Caller, params: dict[str, Any]) -> dict[str, Any]:
        """RegisterUsage: check Region, product and key version; answer a PS256-shaped JWT (random signature)."""
        self._constraints("RegisterUsage", params)
        if caller.region != self.seed.region:
            raise exc.InvalidRegionException(
                f"RegisterUsage is signed for Region {caller.region!r} but must be called in {self.seed.region!r}."
            )
        self._product(params["ProductCode"])
        version = params["PublicKeyVersion"]
        if version not in self.seed.public_key_versions:
            raise exc.InvalidPublicKeyVersionException(
                f"PublicKeyVersion {version} is not one of {sorted(self.seed.public_key_versions)}."
            )
        payload: dict[str, Any] = {"productCode": params["ProductCode"], "publicKeyVersion": version}
        if "Nonce" in params and not self._on("jwt-payload-missing-nonce"):
            payload["nonce"] = params["Nonce"]
        payload["iat"] = int(self.clock())
        signature = base64.urlsafe_b64encode(os.urandom(256)).rstrip(b"=").decode()
        header: dict[str, Any] = {"alg": "PS256", "typ": "JWT"}
        if self._reading("jwt-extra-claims"):
            header["kid"] = f"metering-key-v{version}"
            payload.update(iss="aws-marketplace-metering", exp=payload["iat"] + 3600)
        return {"Signature": f"{_jwt_segment(header)}.{_jwt_segment(payload)}.{signature}"}

    def resolve_customer(self, caller: Caller, params: dict[str, Any]) -> dict[str, Any]:
        """ResolveCustomer: a valid token resolves (every time, or under the seed's token_reuse = "expired" reading
        only the first time: a resubmitted token is expired), an expired one is expired, anything else invalid."""
        self._constraints("ResolveCustomer", params)
        token = params["RegistrationToken"]
        resolved = self.seed.valid_tokens.get(token)
        if resolved is not None:
            with self._lock:
                again = token in self._resolved
                self._resolved.add(token)
            if again and self.seed.token_reuse == "expired":
                raise exc.ExpiredTokenException(
                    "The registration token was already resolved; a resubmitted token has expired."
                )
            earlier_listing = self._on("wrong-product-code-in-resolve")
            result: dict[str, Any] = {
                "ProductCode": f"{self.seed.product_code}-v0" if earlier_listing else self.seed.product_code,
                "CustomerAWSAccountId": resolved.account,
                "LicenseArn": resolved.license_arn,
            }
            if resolved.customer:
                result["CustomerIdentifier"] = resolved.customer
            if resolved.agreement_id:
                result["Metadata"] = {"AgreementId": resolved.agreement_id}
            return result
        if token in self.seed.expired_tokens and not self._on("expired-token-as-invalid"):
            raise exc.ExpiredTokenException("The registration token has expired; ask the buyer to register again.")
        raise exc.InvalidTokenException("The registration token is not valid.")
