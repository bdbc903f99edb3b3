"""The clause catalog as a coverage table: per clause its level, operations, the checks citing it (or why it is
untestable), the share of MUST/SHOULD clauses covered, and the citations of unknown ids (`meterconform clauses`)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from .catalog import Clause, unknown_id_message
from .operations import OPERATIONS, PREFIX
from .traceability import Collection, literal_clause_ids


def _coverage_cell(clause: Clause, checks: list[str]) -> str:
    if checks:
        return f"{len(checks)} check" + ("s" if len(checks) != 1 else "")
    if clause.untestable:
        return f"untestable: {clause.untestable}"
    return "-"


def _operations_cell(clause: Clause) -> str:
    return "all" if len(clause.operations) == len(OPERATIONS) else ",".join(PREFIX[o] for o in clause.operations)


def summarize(clauses: list[Clause], coverage: dict[str, list[str]]) -> dict[str, int | float]:
    """Counts over the MUST/SHOULD clauses: with checks, untestable (and no check), uncovered, and the covered share."""
    gated = [c for c in clauses if c.level in ("MUST", "SHOULD")]
    checked = sum(1 for c in gated if coverage.get(c.id))
    untestable = sum(1 for c in gated if not coverage.get(c.id) and c.untestable)
    covered = checked + untestable
    return {
        "must_should": len(gated),
        "with_checks": checked,
        "untestable": untestable,
        "uncovered": len(gated) - covered,
        "covered_percent": round(100.0 * covered / len(gated), 1) if gated else 100.0,
    }


def render_table(rows: list[Clause], coverage: dict[str, list[str]]) -> str:
    # Cut long lines to the terminal's width only on a terminal; piped or captured output stays whole.
    width = shutil.get_terminal_size((160, 24)).columns if sys.stdout.isatty() else 10**6
    id_w = max([len("ID")] + [len(c.id) for c in rows])
    ops_w = max([len("OPS")] + [len(_operations_cell(c)) for c in rows])
    lines = [f"{'ID':<{id_w}}  {'LEVEL':<6}  {'OPS':<{ops_w}}  {'COVERAGE':<12}  TITLE"]
    for c in rows:
        cell = _coverage_cell(c, coverage.get(c.id, []))
        if cell.startswith("untestable"):
            line = f"{c.id:<{id_w}}  {c.level:<6}  {_operations_cell(c):<{ops_w}}  {cell}"
        else:
            line = f"{c.id:<{id_w}}  {c.level:<6}  {_operations_cell(c):<{ops_w}}  {cell:<12}  {c.title}"
        lines.append(line if len(line) <= width else line[: width - 1] + "…")
    return "\n".join(lines)


def citation_problems(collection: Collection, catalog, suites: Path | None) -> list[str]:
    lines = collection.unknown_citations(catalog)
    lines += [
        f"{path.name}:{line}: {unknown_id_message(cid, catalog.ids)}"
        for path, line, cid in literal_clause_ids(suites)
        if cid not in catalog and not any(cid in ids for ids in collection.checks.values())
    ]
    lines += [
        f"{nodeid}: failed to collect: {text.strip().splitlines()[-1] if text.strip() else '?'}"
        for nodeid, text in collection.errors.items()
    ]
    return lines
