"""`meterconform clauses`: the contract catalog as a table, with which checks cover each clause."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..contract.catalog import LEVELS, load_catalog
from ..contract.clause_table import citation_problems, render_table, summarize
from ..contract.operations import OPERATIONS
from ..contract.sources import source_url
from ..contract.traceability import CollectionError, collect
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
    problems = citation_problems(collection, catalog, args.suites)
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
        print(render_table(rows, coverage))
        for line in problems:
            print(f"meterconform clauses: {line}", file=sys.stderr)
        print(
            f"MUST/SHOULD clauses covered: {summary['with_checks'] + summary['untestable']}/{summary['must_should']} "
            f"({summary['covered_percent']}%) — {summary['with_checks']} by checks, {summary['untestable']} untestable "
            f"with a reason, {summary['uncovered']} uncovered"
        )
    return 1 if problems else 0
