"""The ledger, stateful: a small explicit model of what the endpoint should have recorded, driven by
Hypothesis through sequences of MeterUsage and BatchMeterUsage calls; every answer is predicted by the model.

MeterUsage: one record per (instance, dimension, hour) — the instance is the signing identity, fresh per
machine run on an emulator. BatchMeterUsage: one record per (customer, dimension, time), or per hour under
`contract.batch_dedup = "hour"`. The model answers, for any request, what a conformant endpoint says:
a new record, the same record (same MeteringRecordId), a duplicate, or an error — and which clause it rests on.
"""

from __future__ import annotations

import functools
import math
import time
import uuid
from dataclasses import dataclass
from decimal import Decimal

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    invariant,
    multiple,
    precondition,
    rule,
    run_state_machine_as_test,
)

from meterconform.harness.checks import unimplemented_evidence
from meterconform.harness.failures import ConformanceFailure, skip_unimplemented
from meterconform.strategies import quantities

from ._batch import (
    EDGE_FAR,
    HOUR,
    RESULT_CLAUSES,
    batch_request,
    customer_record,
    dedup_key,
    expect_results,
    quantity_value,
    requantified,
    same_hour_second,
    window_ages,
)

STEPS = 12  # steps per machine run (the depth's max_examples sets how many runs)
NEW = "<new>"


def _brief(request) -> str:
    """A request in one short line: the members that matter to the ledger."""
    if not isinstance(request, dict):
        return repr(request)[:80]
    if "UsageRecords" in request:
        keys = [
            (r.get("CustomerIdentifier"), r.get("Dimension"), r.get("Timestamp"), r.get("Quantity", "-"))
            for r in request["UsageRecords"]
        ]
        return f"{len(keys)} record(s) (customer, dimension, time, quantity): {keys}"
    return ", ".join(
        f"{k}={request[k]}" for k in ("UsageDimension", "Timestamp", "UsageQuantity", "ClientToken") if k in request
    )


def _answer(ex) -> str:
    body = ex.json
    if ex.ok and isinstance(body, dict) and "Results" in body:
        return (
            "["
            + ", ".join(
                f"{r.get('Status')} {str(r.get('MeteringRecordId', ''))[:8]}"
                for r in body["Results"]
                if isinstance(r, dict)
            )
            + "]"
        )
    if ex.ok and isinstance(body, dict):
        return f"{str(body.get('MeteringRecordId', ''))[:8]}"
    return ex.summary()[:80]


def traced(method):
    """A rule or invariant whose ConformanceFailure carries the run's requests so far (the shrunk sequence)."""

    @functools.wraps(method)
    def run(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except ConformanceFailure as failure:
            trail = "\n".join(f"    {i + 1}. {step}" for i, step in enumerate(self.trail[-12:]))
            failure.note = (
                failure.note + "\n" if failure.note else ""
            ) + f"in {method.__name__}, after these requests:\n{trail}"
            failure.args = (failure.render(),)
            raise

    return run


@dataclass(frozen=True)
class Slot:
    """A MeterUsage slot: who metered, which dimension, which hour (its first second)."""

    identity: str | None
    dimension: str
    hour: int


@dataclass
class MeterEntry:
    quantity: int
    record_id: str
    request: dict  # the request that created it, ClientToken included


@dataclass
class BatchEntry:
    quantity: Decimal
    record_id: str


def _missing_operations(metering) -> dict[str, str]:
    """The operations the endpoint lacks altogether, with the evidence: found before the machine runs (an empty
    input, which records nothing, then unimplemented_evidence's probe), so its rules are the same in every run."""
    missing = {}
    for operation in ("MeterUsage", "BatchMeterUsage"):
        evidence = unimplemented_evidence(metering.transport, metering.transport.raw({}, operation=operation))
        if evidence:
            missing[operation] = evidence
    return missing


def _ledger_machine(metering, missing: dict[str, str]) -> type[RuleBasedStateMachine]:
    """The machine class, bound to this check's `metering` (a closure: Hypothesis builds the instances). The
    rules of an operation in `missing` never run: the other operation's deviations still fail the check."""
    profile = metering.profile
    code = profile.need("product.code")
    dimensions = list(profile.need("product.dimensions"))
    subscribed = list(profile.need("customers.subscribed"))
    unsubscribed = list(profile.customers.unsubscribed)
    contract = profile.contract
    isolated = metering.fresh_identity() is not None  # MeterUsage slots can be made fresh per run
    meter_span = contract.meter_window_hours * HOUR - contract.clock_tolerance_seconds - EDGE_FAR
    meter_hours = max(1, int((meter_span - 60) // HOUR) + 1)

    def meter_bounds() -> tuple[int, int]:
        """The oldest and newest MeterUsage timestamps certainly inside the window now."""
        now = time.time()
        return math.ceil(now - meter_span), math.floor(now - 60)

    def second_in(hour: int, fraction: float) -> int | None:
        oldest, newest = meter_bounds()
        lo, hi = max(hour, oldest), min(hour + HOUR - 1, newest)
        return None if lo > hi else lo + int(fraction * (hi - lo))

    class LedgerMachine(RuleBasedStateMachine):
        meter_slots = Bundle("meter_slots")
        batch_records = Bundle("batch_records")
        rejected_records = Bundle("rejected_records")

        def __init__(self):
            super().__init__()
            self.identities = [metering.fresh_identity() for _ in range(2)]
            self.meter_ledger: dict[Slot, MeterEntry] = {}
            self.batch_ledger: dict[tuple, BatchEntry] = {}
            self.owners: dict[str, set] = {}  # every MeteringRecordId the endpoint answered -> what it answered it for
            self.last_batch: list[dict] | None = None
            self.trail: list[str] = []  # the requests of this run, for the failure report

        # -- the model's predictions, checked against the endpoint ---------------------------------------

        def sent(self, ex):
            """Note one exchange in the run's trail (shown with a failure) and pass it on."""
            self.trail.append(f"{ex.operation} {_brief(ex.request)} -> {_answer(ex)}")
            return ex

        def _answered(self, record_id, owner) -> None:
            self.owners.setdefault(record_id, set()).add(owner)

        def send_meter(self, slot: Slot, request: dict, new_clause: str) -> str | None:
            """Send a MeterUsage request for `slot` and check the model's prediction; the record id if recorded."""
            ex = self.sent(metering.call("MeterUsage", request, identity=slot.identity))
            entry = self.meter_ledger.get(slot)
            quantity = request.get("UsageQuantity", 0)
            if entry is not None and entry.quantity != quantity:
                metering.expect_error(ex, "MU.HOUR.DUPLICATE")
                return None
            clause = new_clause if entry is None else "MU.HOUR.IDEMPOTENT"
            body = metering.expect_success(ex, clause)
            rid = body.get("MeteringRecordId")
            metering.expect(
                isinstance(rid, str) and rid != "",
                "OUT.MU.RECORD_ID",
                expected="a non-empty MeteringRecordId",
                actual=f"result {body}",
                exchange=ex,
            )
            if entry is None:  # a new record: its id must be new too (the invariant judges that)
                self.meter_ledger[slot] = MeterEntry(quantity, rid, dict(request))
            else:
                metering.expect(
                    rid == entry.record_id,
                    "MU.HOUR.IDEMPOTENT",
                    expected=f"the slot's MeteringRecordId {entry.record_id!r} (same dimension, hour and quantity)",
                    actual=f"{rid!r}",
                    exchange=ex,
                )
            self._answered(rid, ("MeterUsage", slot))
            return rid

        def submit(self, items: list[tuple[dict, str]], product: str | None = code) -> list[dict]:
            """Send the records as one batch; each record's Status and MeteringRecordId must be what the model
            predicts (a new record, the recorded one, DuplicateRecord, CustomerNotSubscribed), judged by the
            clause paired with it for a new record or a DuplicateRecord. Returns the records now recorded."""
            records = [r for r, _ in items]
            ex = self.sent(metering.call("BatchMeterUsage", batch_request(metering, records, product=product)))
            first_clause = items[0][1]
            outcome = expect_results(metering, ex, records, first_clause)
            recorded = []
            for i, (record, clause) in enumerate(items):
                result = outcome.results[i]
                if result is None:  # unprocessed (transient): not recorded, nothing to predict
                    continue
                status, rid = result.get("Status"), result.get("MeteringRecordId")
                key = dedup_key(record, profile)
                if record["CustomerIdentifier"] in unsubscribed:
                    want, why = "CustomerNotSubscribed", "BMU.CUSTOMER.UNSUBSCRIBED"
                elif key not in self.batch_ledger:
                    want, why = "Success", clause
                elif self.batch_ledger[key].quantity == quantity_value(record):
                    want, why = "Success", clause if clause.startswith("BMU.IDEMPOTENT") else "BMU.IDEMPOTENT.RETRY"
                else:
                    want, why = (
                        "DuplicateRecord",
                        clause if clause.startswith("BMU.DEDUP") else "BMU.DEDUP.DUPLICATE_RECORD",
                    )
                metering.expect(
                    status == want,
                    why,
                    expected=f"UsageRecords[{i}] answered {want} (the ledger holds "
                    f"{self.batch_ledger.get(key)} for {key})",
                    actual=f"Status {status!r}: {result}",
                    exchange=ex,
                )
                if want != "Success":
                    continue
                entry = self.batch_ledger.get(key)
                if entry is None:  # a new record: its id must be new too (the invariant judges that)
                    self.batch_ledger[key] = BatchEntry(quantity_value(record), rid)
                    recorded.append(record)
                else:
                    metering.expect(
                        rid == entry.record_id,
                        why,
                        expected=f"the recorded MeteringRecordId {entry.record_id!r}",
                        actual=f"{rid!r} for {record}",
                        exchange=ex,
                    )
                self._answered(rid, ("BatchMeterUsage", key))
            self.last_batch = records
            return recorded

        def fresh_records(self, data, count: int) -> list[dict]:
            kinds = ["subscribed"] + (["unsubscribed"] if unsubscribed else [])
            out = []
            for _ in range(count):
                kind = data.draw(st.sampled_from(kinds), label="customer")
                quantity = data.draw(st.none() | quantities(0, 1000), label="quantity")
                out.append(
                    customer_record(metering, quantity, customers=subscribed if kind == "subscribed" else unsubscribed)
                )
            return out

        # -- MeterUsage ---------------------------------------------------------------------------------

        @precondition(lambda self: isolated and "MeterUsage" not in missing)
        @rule(
            target=meter_slots,
            who=st.integers(0, 1),
            dimension=st.sampled_from(dimensions),
            hour=st.integers(0, meter_hours - 1),
            fraction=st.floats(0, 1),
            quantity=quantities(0, 1000),
        )
        @traced
        def meter_new_slot(self, who, dimension, hour, fraction, quantity):
            start = (math.floor(time.time() - 60) // HOUR - hour) * HOUR
            ts = second_in(start, fraction)
            slot = Slot(self.identities[who], dimension, start)
            if ts is None or slot in self.meter_ledger:
                return multiple()
            request = {
                "ProductCode": code,
                "Timestamp": ts,
                "UsageDimension": dimension,
                "UsageQuantity": quantity,
                "ClientToken": uuid.uuid4().hex,
            }
            return slot if self.send_meter(slot, request, "MU.WINDOW.RECENT") else multiple()

        @rule(slot=meter_slots, fraction=st.floats(0, 1))
        @traced
        def meter_identical_retry(self, slot, fraction):
            """The same dimension and quantity at another second of the hour (a new ClientToken): the same record."""
            ts = second_in(slot.hour, fraction)
            if ts is not None:
                request = {k: v for k, v in self.meter_ledger[slot].request.items() if k != "ClientToken"} | {
                    "Timestamp": ts
                }
                self.send_meter(slot, request, "MU.HOUR.IDEMPOTENT")

        @rule(slot=meter_slots)
        @traced
        def meter_token_replay(self, slot):
            """The very request that created the slot, ClientToken included: the same record."""
            ex = self.sent(metering.call("MeterUsage", self.meter_ledger[slot].request, identity=slot.identity))
            body = metering.expect_success(ex, "MU.CLIENT_TOKEN.REPLAY")
            metering.expect(
                body.get("MeteringRecordId") == self.meter_ledger[slot].record_id,
                "MU.CLIENT_TOKEN.REPLAY",
                expected=f"the MeteringRecordId of the first call, {self.meter_ledger[slot].record_id!r}",
                actual=f"{body.get('MeteringRecordId')!r}",
                exchange=ex,
            )

        @precondition(lambda self: len(dimensions) > 1)
        @rule(slot=meter_slots, data=st.data())
        @traced
        def meter_token_conflict(self, slot, data):
            """The slot's ClientToken on a request for another dimension (which would otherwise be a new
            record): IdempotencyConflictException, and nothing recorded."""
            other = data.draw(st.sampled_from([d for d in dimensions if d != slot.dimension]), label="other dimension")
            request = dict(self.meter_ledger[slot].request, UsageDimension=other)
            if Slot(slot.identity, other, slot.hour) in self.meter_ledger:
                return
            ex = self.sent(metering.call("MeterUsage", request, identity=slot.identity))
            metering.expect_error(ex, "MU.CLIENT_TOKEN.CONFLICT", status=contract.idempotency_conflict_status)

        @rule(slot=meter_slots, delta=st.integers(1, 1000))
        @traced
        def meter_other_quantity(self, slot, delta):
            entry = self.meter_ledger[slot]
            ts = second_in(slot.hour, 0.5)
            if ts is not None:
                request = {k: v for k, v in entry.request.items() if k != "ClientToken"} | {
                    "Timestamp": ts,
                    "UsageQuantity": entry.quantity + delta,
                }
                self.send_meter(slot, request, "MU.HOUR.DUPLICATE")

        @rule(target=meter_slots, slot=meter_slots)
        @traced
        def meter_neighbour_hour(self, slot):
            """The same dimension and quantity on the other side of an hour boundary: a new record."""
            oldest, newest = meter_bounds()
            for ts in (slot.hour - 1, slot.hour + HOUR):
                neighbour = Slot(slot.identity, slot.dimension, ts - ts % HOUR)
                if oldest <= ts <= newest and neighbour not in self.meter_ledger:
                    request = self.meter_ledger[slot].request | {"Timestamp": ts, "ClientToken": uuid.uuid4().hex}
                    return neighbour if self.send_meter(neighbour, request, "MU.HOUR.PER_DIMENSION") else multiple()
            return multiple()

        @rule(target=meter_slots, slot=meter_slots, data=st.data())
        @traced
        def meter_other_dimension_or_instance(self, slot, data):
            """The same hour and quantity for another dimension, or from another instance: a new record."""
            choices = [("dimension", d) for d in dimensions if d != slot.dimension] + [("instance", None)]
            kind, dimension = data.draw(st.sampled_from(choices), label="what differs")
            if kind == "instance":
                neighbour = Slot(metering.fresh_identity(), slot.dimension, slot.hour)
            else:
                neighbour = Slot(slot.identity, dimension, slot.hour)
            ts = second_in(slot.hour, data.draw(st.floats(0, 1), label="second"))
            if ts is None or neighbour in self.meter_ledger:
                return multiple()
            request = self.meter_ledger[slot].request | {
                "Timestamp": ts,
                "UsageDimension": neighbour.dimension,
                "ClientToken": uuid.uuid4().hex,
            }
            return neighbour if self.send_meter(neighbour, request, "MU.HOUR.PER_DIMENSION") else multiple()

        # -- BatchMeterUsage ----------------------------------------------------------------------------

        @precondition(lambda self: "BatchMeterUsage" not in missing)
        @rule(target=batch_records, data=st.data())
        @traced
        def batch_new_records(self, data):
            records = self.fresh_records(data, data.draw(st.integers(1, 4), label="records"))
            return multiple(*self.submit([(r, "BMU.CUSTOMER.SUBSCRIBED") for r in records]))

        @precondition(lambda self: self.last_batch is not None)
        @rule()
        @traced
        def batch_whole_retry(self):
            self.submit([(r, "BMU.IDEMPOTENT.RETRY") for r in self.last_batch])

        @rule(
            records=st.lists(
                batch_records,
                min_size=1,
                max_size=3,
                unique_by=lambda r: (r["CustomerIdentifier"], r["Dimension"], r["Timestamp"]),
            ),
            data=st.data(),
        )
        @traced
        def batch_subset_retry(self, records, data):
            """Recorded records sent again, possibly alongside new ones: the originals answer their ids."""
            fresh = self.fresh_records(data, data.draw(st.integers(0, 2), label="new records"))
            self.submit(
                [(r, "BMU.IDEMPOTENT.SUBSET") for r in records] + [(r, "BMU.CUSTOMER.SUBSCRIBED") for r in fresh]
            )

        @rule(target=batch_records, record=batch_records, delta=st.integers(1, 1000), data=st.data())
        @traced
        def batch_quantity_change(self, record, delta, data):
            """A recorded key with another quantity (DuplicateRecord), alongside new records."""
            changed = requantified(record, int(quantity_value(record)) + delta)
            fresh = self.fresh_records(data, data.draw(st.integers(0, 2), label="new records"))
            items = [(r, "BMU.CUSTOMER.SUBSCRIBED") for r in fresh]
            items.insert(
                data.draw(st.integers(0, len(items)), label="position"), (changed, "BMU.DEDUP.DUPLICATE_RECORD")
            )
            return multiple(*self.submit(items))

        @rule(target=batch_records, record=batch_records)
        @traced
        def batch_same_hour(self, record):
            """Another second of a recorded record's hour with another quantity: a new record under
            batch_dedup = "time", a DuplicateRecord under "hour" (the model's key says which)."""
            second = same_hour_second(metering, record)
            if second is None:
                return multiple()
            later = {**requantified(record, int(quantity_value(record)) + 1), "Timestamp": second}
            return multiple(*self.submit([(later, "BMU.DEDUP.WITHIN_HOUR")]))

        @precondition(lambda self: "BatchMeterUsage" not in missing)
        @rule(target=rejected_records, data=st.data())
        @traced
        def batch_with_a_stale_record(self, data):
            """New records and one stale record: TimestampOutOfBoundsException, and nothing recorded."""
            good = self.fresh_records(data, data.draw(st.integers(1, 3), label="good records"))
            lo, hi = window_ages(metering, data.draw(st.sampled_from(["edge_stale", "far_stale"]), label="how stale"))
            stale = customer_record(metering, 1, customers=subscribed, min_age=lo, max_age=hi)
            at = data.draw(st.integers(0, len(good)), label="stale position")
            ex = metering.call("BatchMeterUsage", batch_request(metering, good[:at] + [stale] + good[at:]))
            metering.expect_error(self.sent(ex), "BMU.WINDOW.STALE")
            return multiple(*good)

        @rule(target=batch_records, record=consumes(rejected_records))
        @traced
        def batch_resend_rejected(self, record):
            """A record of a rejected batch, sent with another quantity: the model holds nothing for its key."""
            again = requantified(record, int(quantity_value(record)) + 1)
            return multiple(*self.submit([(again, "BMU.WINDOW.WHOLE_BATCH")]))

        # -- invariants ---------------------------------------------------------------------------------

        @invariant()
        @traced
        def each_record_id_names_one_record(self):
            """No MeteringRecordId the endpoint answered stands for two records (slots or batch keys)."""
            for rid, owners in self.owners.items():
                if len(owners) > 1:
                    ops = {op for op, _ in owners}
                    clause = "OUT.BMU.SUCCESS_RECORD_ID" if "BatchMeterUsage" in ops else "OUT.MU.RECORD_ID"
                    metering.fail(
                        clause,
                        expected="one MeteringRecordId per metering record",
                        actual=f"{rid!r} was answered for {len(owners)} records: {sorted(map(str, owners))[:4]}",
                    )

    return LedgerMachine


@pytest.mark.records_usage
@pytest.mark.clause(
    "MU.WINDOW.RECENT",
    "MU.HOUR.IDEMPOTENT",
    "MU.HOUR.DUPLICATE",
    "MU.HOUR.PER_DIMENSION",
    "MU.CLIENT_TOKEN.REPLAY",
    "MU.CLIENT_TOKEN.CONFLICT",
    "OUT.MU.SCHEMA",
    "OUT.MU.RECORD_ID",
    "BMU.CUSTOMER.SUBSCRIBED",
    "BMU.CUSTOMER.UNSUBSCRIBED",
    "BMU.IDEMPOTENT.RETRY",
    "BMU.IDEMPOTENT.SUBSET",
    "BMU.DEDUP.DUPLICATE_RECORD",
    "BMU.DEDUP.WITHIN_HOUR",
    "BMU.WINDOW.STALE",
    "BMU.WINDOW.WHOLE_BATCH",
    *RESULT_CLAUSES,
)
def test_ledger(metering):
    """TestLedger = LedgerMachine.TestCase, with the check's `metering` reaching the machine."""
    missing = _missing_operations(metering)
    if len(missing) == 2 or ("BatchMeterUsage" in missing and metering.fresh_identity() is None):
        # no rule could run (MeterUsage slots are only made fresh on an emulator)
        skip_unimplemented(" and ".join(missing), "; ".join(missing.values()))
    current = settings()
    run_state_machine_as_test(
        _ledger_machine(metering, missing),
        settings=settings(current, stateful_step_count=STEPS * (4 if current.max_examples > 100 else 1)),
    )
    if missing:  # the other operation held; the missing one's clauses have no verdict
        skip_unimplemented(" and ".join(missing), "; ".join(missing.values()))
