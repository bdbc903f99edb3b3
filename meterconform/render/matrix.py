"""The clause matrix every report shares: each catalog clause with its verdict and the checks citing it."""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass, field

from ..contract.catalog import Catalog, CatalogError, Clause, load_catalog
from ..contract.operations import AREAS, area_of
from ..results.events import VERDICTS, clause_verdicts

NOT_CHECKED = "NOT CHECKED"
UNTESTABLE = "UNTESTABLE"
# Every label a clause row can carry, worst first: the run's verdicts, then the catalog's own states.
CLAUSE_LABELS = VERDICTS + (NOT_CHECKED, UNTESTABLE)
PROBLEMS = ("FAIL", "ERROR", "NON-STRICT")
LEVEL_ORDER = {"MUST": 0, "SHOULD": 1, "INFO": 2}


def report_catalog() -> Catalog:
    """The catalog for reports; if it cannot be loaded, an empty one (the reports still show every cited clause)."""
    try:
        return load_catalog()
    except CatalogError as exc:
        first = str(exc).splitlines()[0]
        print(f"meterconform: warning: reports without the catalog's text ({first})", file=sys.stderr)
        return Catalog((), {})


@dataclass
class CheckRef:
    """One check citing a clause, with its verdict on that clause (a check failing elsewhere passes here)."""

    event: dict
    verdict: str


@dataclass
class ClauseRow:
    id: str
    area: str
    level: str
    verdict: str
    clause: Clause | None = None
    checks: list[CheckRef] = field(default_factory=list)

    @property
    def title(self) -> str:
        return self.clause.title if self.clause else "(not in the catalog: a check cites an unknown clause id)"


def clause_results(events: list[dict]) -> dict[str, dict]:
    """events.clause_verdicts, plus the clauses checks failed on without citing them (a check citing MU.X that
    fails OUT.MU.SCHEMA on the way): such a failure counts against the clause it names, not nowhere."""
    results = clause_verdicts(events)
    rank = {v: i for i, v in enumerate(VERDICTS)}
    for event in events:
        failed = event.get("failed_clause")
        if not failed or failed in event["clauses"] or event["verdict"] not in rank:
            continue
        level = event.get("levels", {}).get(failed, "MUST")
        entry = results.setdefault(failed, {"verdict": event["verdict"], "checks": [], "level": level})
        entry["checks"].append({"nodeid": event["nodeid"], "verdict": event["verdict"]})
        if rank[event["verdict"]] < rank[entry["verdict"]]:
            entry["verdict"] = event["verdict"]
    return results


def clause_rows(events: list[dict], catalog: Catalog | None = None) -> list[ClauseRow]:
    """One row per catalog clause (catalog order), then any unknown id the events cite."""
    catalog = catalog if catalog is not None else report_catalog()
    verdicts = clause_results(events)
    by_nodeid = {e["nodeid"]: e for e in events}
    rows = []
    for clause in catalog:
        entry = verdicts.get(clause.id)
        if entry:
            verdict = entry["verdict"]
        else:
            verdict = UNTESTABLE if clause.untestable else NOT_CHECKED
        checks = [CheckRef(by_nodeid[c["nodeid"]], c["verdict"]) for c in (entry or {}).get("checks", [])]
        rows.append(ClauseRow(clause.id, area_of(clause.id), clause.level, verdict, clause, checks))
    for cid in sorted(set(verdicts) - set(catalog.ids)):
        entry = verdicts[cid]
        rows.append(
            ClauseRow(
                cid,
                area_of(cid),
                entry.get("level", "MUST"),
                entry["verdict"],
                None,
                [CheckRef(by_nodeid[c["nodeid"]], c["verdict"]) for c in entry["checks"]],
            )
        )
    return rows


def rows_by_area(rows: list[ClauseRow]) -> dict[str, list[ClauseRow]]:
    """Rows grouped in AREAS order (an unknown area last)."""
    grouped: dict[str, list[ClauseRow]] = {}
    for area in AREAS:
        grouped[area] = [r for r in rows if r.area == area]
    for row in rows:
        if row.area not in grouped:
            grouped.setdefault(row.area, []).append(row)
    return {area: group for area, group in grouped.items() if group}


def label_counts(labels) -> Counter:
    """How often each label occurs, in CLAUSE_LABELS order."""
    counts = Counter(labels)
    return Counter({label: counts[label] for label in CLAUSE_LABELS if counts[label]})


def check_counts(events: list[dict]) -> Counter:
    """Checks per verdict."""
    return label_counts(e["verdict"] for e in events)
