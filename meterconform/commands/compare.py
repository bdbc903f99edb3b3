"""`meterconform compare`: one HTML matrix of clauses × runs (endpoints), the differences, a regression exit code."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import UsageError

EPILOG = """\
Each RUN is an events file or a report directory, optionally named: NAME=PATH (default name: the report
directory's name, or the events file's stem). The first run is the reference for regressions.

exit codes:
  0  no regression: no clause is PASS in the first run and FAIL or ERROR in another
  1  at least one regression (listed on the terminal and in the page)
  2  usage error (a run is missing or is not an events file)

examples:
  meterconform compare embedded=reports/ moto=moto-reports/ mine=my-reports/ -o comparison.html
  meterconform compare main/events.jsonl branch/events.jsonl      # did the branch break a clause?
"""


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "compare",
        help="compare runs (endpoints) clause by clause in one HTML matrix",
        description="Set the clause verdicts of several runs side by side (for instance the embedded "
        "reference endpoint, moto and your service), list the differences, and exit 1 "
        "on a regression against the first run.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "runs", nargs="+", metavar="RUN", help="[NAME=]events file or report directory; the first is the reference"
    )
    p.add_argument(
        "-o", "--output", metavar="FILE", default="comparison.html", help="the HTML page (default: comparison.html)"
    )


def _named(spec: str) -> tuple[str | None, str]:
    name, sep, path = spec.partition("=")
    if sep and name and not Path(spec).exists():
        return name, path
    return None, spec


def run(args: argparse.Namespace) -> int:
    from ..render.compare import compare_runs, write_comparison
    from ..results.run_results import RunError, RunResults

    if len(args.runs) < 2:
        raise UsageError("give at least two runs (events files or report directories)")
    try:
        runs = [RunResults.load(path, name) for name, path in map(_named, args.runs)]
    except RunError as exc:
        raise UsageError(str(exc)) from None
    names = [r.name for r in runs]
    for i, run_ in enumerate(runs):  # the same directory name twice (a/reports, b/reports): number them
        if names.count(run_.name) > 1:
            run_.name = f"{run_.name}#{i + 1}"
    comparison = compare_runs(runs)
    out = Path(args.output)
    write_comparison(comparison, out)
    for line in comparison.lines():
        print(line)
    print(f"meterconform: comparison in {out}")
    return 1 if comparison.regressed else 0
