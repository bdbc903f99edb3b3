"""The clause matrix every report shares: each catalog clause with its verdict and the checks citing it."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..contract.catalog import Catalog, CatalogError, Clause, load_catalog
from ..contract.operations import AREAS, area_of
from ..results.check_result import CheckResult, results_of
from ..results.events import VERDICTS
from ..results.run_results import RunResults

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

    event: CheckResult
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


def clause_rows(results: RunResults | Iterable[CheckResult | dict], catalog: Catalog | None = None) -> list[ClauseRow]:
    """One row per catalog clause (catalog order), then any unknown id the checks cite or failed on."""
    catalog = catalog if catalog is not None else report_catalog()
    if not isinstance(results, RunResults):
        results = RunResults({}, list(results))
    verdicts = results.clause_results
    by_nodeid = {c.nodeid: c for c in results.checks}
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


def check_counts(results: Iterable[CheckResult | dict]) -> Counter:
    """Checks per verdict."""
    return label_counts(c.verdict for c in results_of(results))
