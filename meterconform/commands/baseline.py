"""`meterconform baseline`: check a run against an expectations baseline, or write/refresh the baseline from it."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import UsageError

EPILOG = """\
The baseline is one TOML file of known deviations per endpoint:

  [[expected]]
  clause = "BMU.DIMENSION.UNKNOWN"          # or: check = "suites/test_x.py::test_y" (a node id)
  reason = "our gateway answers InvalidProductCodeException (TICKET-12)"
  link = "https://tracker.example/TICKET-12" # optional
  expires = 2027-03-31                      # optional: the entry gates again after this date

A failure an entry covers does not gate. An entry whose clause or check now passes is stale and gates
(remove it); an expired entry gates. `meterconform run --baseline FILE` and `meterconform report ... --baseline
FILE` apply it.

--update keeps existing entries and their reasons, adds every new failure (by the clause it failed, else by
node id) with reason "TODO: explain", and drops entries that now pass. Comments in the file are not kept.

exit codes:
  0  --update wrote the file; without --update, the run passes the baseline
  1  without --update: the baseline gates (an unexpected failure, a stale or an expired entry)
  2  usage error (missing events, invalid baseline)

examples:
  meterconform baseline --update baseline.toml --from reports/events.jsonl
  meterconform baseline baseline.toml --from reports/      # how the baseline applies to that run
"""


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "baseline",
        help="write/refresh an expectations baseline, or check a run against one",
        description="Check a run against an expectations baseline of known deviations, or write "
        "and refresh the baseline from a run (--update).",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("file", nargs="?", metavar="FILE", help="the baseline TOML to check the run against")
    p.add_argument("--update", metavar="FILE", help="write or refresh this baseline from the run")
    p.add_argument(
        "--from",
        dest="runs",
        metavar="RUN",
        nargs="+",
        required=True,
        help="events file(s) or report director(ies) of the run (several: merged, later wins)",
    )
    p.add_argument(
        "--endpoint", metavar="NAME", help="with --update: the endpoint the baseline describes (kept otherwise)"
    )


def run(args: argparse.Namespace) -> int:
    from ..results.baseline import BaselineError, apply_baseline, dump_baseline, load_baseline, update_baseline
    from ..results.run_results import RunError, RunResults

    if bool(args.file) == bool(args.update):
        raise UsageError("name the baseline once: `--update FILE` to write it, or FILE to check a run against it")
    try:
        run_ = RunResults.merge([RunResults.load(path) for path in args.runs])
    except RunError as exc:
        raise UsageError(str(exc)) from None
    path = Path(args.update or args.file)
    try:
        old = load_baseline(path) if (args.file or path.exists()) else None
    except BaselineError as exc:
        raise UsageError(str(exc)) from None
    if args.file:
        from ..results.gate import gate

        applied = apply_baseline(old, run_.events)
        for line in applied.lines():
            print(line)
        return gate(run_.events, applied).exit_code
    update = update_baseline(old, run_.events)
    if args.endpoint:
        update.baseline.endpoint = args.endpoint
    elif not update.baseline.endpoint:
        update.baseline.endpoint = str(run_.meta.get("target") or run_.meta.get("endpoint") or "") or None
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dump_baseline(update.baseline), encoding="utf-8")
    for line in update.lines(str(path)):
        print(line)
    return 0
