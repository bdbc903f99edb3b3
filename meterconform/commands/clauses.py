"""`meterconform clauses`: the contract catalog as a table, with which checks cover each clause."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

from ..contract.catalog import LEVELS, Clause, load_catalog, unknown_id_message
from ..contract.operations import OPERATIONS, PREFIX
from ..contract.sources import source_url
from ..contract.traceability import Collection, CollectionError, collect, literal_clause_ids
from ..errors import UsageError

EPILOG = """\
coverage column:
  N checks         N collected checks cite the clause (@pytest.mark.clause)
  untestable: ...  no check can provoke it from outside; the reason is recorded in the catalog
  -                uncovered

exit codes:
  0  the table was printed
  1  a check (marker or code) cites an unknown clause id, or a suite module failed to collect
  2  usage error (the suites directory does not exist, pytest cannot start)

examples:
  meterconform clauses                              # the whole catalog with coverage
  meterconform clauses --operation BatchMeterUsage --level MUST
  meterconform clauses --uncovered                  # what still needs a check
  meterconform clauses --json > clauses.json
"""


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "clauses",
        help="list the contract clauses and the checks covering each",
        description="List the contract clauses (schemas/clauses.toml) with the number of suite checks citing "
        "each, or the reason it cannot be tested; end with the share of MUST/SHOULD clauses covered.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--operation", choices=OPERATIONS, help="only clauses applying to this operation")
    p.add_argument("--level", choices=LEVELS, help="only clauses of this level")
    p.add_argument(
        "--uncovered", action="store_true", help="only clauses with neither a check nor an untestable reason"
    )
    p.add_argument("--json", action="store_true", help="print one JSON document instead of the table")
    p.add_argument(
        "--suites",
        metavar="DIR",
        type=Path,
        default=None,
        help="suites directory to collect (default: the packaged suites)",
    )


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


def _table(rows: list[Clause], coverage: dict[str, list[str]]) -> str:
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


def run(args: argparse.Namespace) -> int:
    catalog = load_catalog()
    try:
        collection = collect(args.suites)
    except CollectionError as exc:
        raise UsageError(str(exc)) from None
    coverage = collection.coverage()
    selected = catalog.select(operation=args.operation, level=args.level)
    summary = summarize(selected, coverage)
    rows = [c for c in selected if not coverage.get(c.id) and not c.untestable] if args.uncovered else selected
    problems = _problems(collection, catalog, args.suites)
    if args.json:
        doc = {
            "clauses": [
                {
                    "id": c.id,
                    "level": c.level,
                    "operations": list(c.operations),
                    "title": c.title,
                    "checks": coverage.get(c.id, []),
                    "untestable": c.untestable,
                    "covered": bool(coverage.get(c.id) or c.untestable),
                    "quotes": [{"text": q.text, "source": q.source, "url": source_url(q.source)} for q in c.quotes],
                }
                for c in rows
            ],
            "summary": summary,
            "unknown_citations": collection.unknown_citations(catalog),
            "collection_errors": collection.errors,
        }
        print(json.dumps(doc, indent=2))
    else:
        print(_table(rows, coverage))
        for line in problems:
            print(f"meterconform clauses: {line}", file=sys.stderr)
        print(
            f"MUST/SHOULD clauses covered: {summary['with_checks'] + summary['untestable']}/{summary['must_should']} "
            f"({summary['covered_percent']}%) — {summary['with_checks']} by checks, {summary['untestable']} untestable "
            f"with a reason, {summary['uncovered']} uncovered"
        )
    return 1 if problems else 0


def _problems(collection: Collection, catalog, suites: Path | None) -> list[str]:
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
