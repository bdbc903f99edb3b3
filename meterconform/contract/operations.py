"""The four operations of the service, the clause-id prefix of each, and the report area a clause belongs to."""

from __future__ import annotations

OPERATIONS = ("MeterUsage", "BatchMeterUsage", "RegisterUsage", "ResolveCustomer")
# A clause id starts with its area: MU.WINDOW.STALE, BMU.RECORDS.MAX; output clauses name it second (OUT.MU.SCHEMA).
PREFIX = {"MeterUsage": "MU", "BatchMeterUsage": "BMU", "RegisterUsage": "RU", "ResolveCustomer": "RC"}
OPERATION_OF_PREFIX = {prefix: operation for operation, prefix in PREFIX.items()}
TAGS_AND_ALLOCATIONS = "Tags & allocations"
# The sections of a report, in order: every area a clause can belong to.
AREAS = ("Protocol", *OPERATIONS, TAGS_AND_ALLOCATIONS, "Modelled errors", "Other")
_SHARED_AREAS = {"PROTO": "Protocol", "TAG": TAGS_AND_ALLOCATIONS, "ALLOC": TAGS_AND_ALLOCATIONS}


def operation_of_clause(clause_id: str) -> str | None:
    """The operation a clause is about (MU.X and OUT.MU.X: MeterUsage), or None for a shared clause."""
    parts = clause_id.split(".")
    if parts[0] in OPERATION_OF_PREFIX:
        return OPERATION_OF_PREFIX[parts[0]]
    if parts[0] == "OUT" and len(parts) > 1 and parts[1] in OPERATION_OF_PREFIX:
        return OPERATION_OF_PREFIX[parts[1]]
    return None


def area_of_clauses(clause_ids: list[str] | tuple[str, ...]) -> str:
    """The area of a check citing these clauses: the first clause naming an operation decides, else the first
    clause's shared area (Protocol, Tags & allocations), else "Other"."""
    for cid in clause_ids:
        if (operation := operation_of_clause(cid)) is not None:
            return operation
    first = clause_ids[0].split(".", 1)[0] if clause_ids else ""
    return _SHARED_AREAS.get(first, "Other")


def area_of(clause_id: str) -> str:
    """The report section of one clause: its operation, Protocol, Tags & allocations, Modelled errors (ERR.*)."""
    area = area_of_clauses([clause_id])
    if area == "Other" and clause_id.startswith("ERR."):
        return "Modelled errors"
    return area
