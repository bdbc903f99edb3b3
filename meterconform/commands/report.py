"""`meterconform report`: regenerate every report from events files, merging several into one."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EPILOG = """\
Each RUN is an events file (events.jsonl) or a report directory holding one. With several, the events are
merged: a later file's event for the same check (node id) replaces an earlier one's, so a re-run of the
failures (`meterconform run -- --lf`) can be laid over the full run. The merged events are written to
DIR/events.jsonl, so the result can be merged, compared or re-rendered again.

exit codes:
  0  no gating verdict (or, with --baseline, every failure is expected and no entry is stale or expired)
  1  a check FAILed or ERRORed (or the baseline gates: an unexpected failure, a stale or an expired entry)
  2  usage error: a file is missing or is not an events file, the baseline is invalid

examples:
  meterconform report reports/events.jsonl -o reports/          # re-render in place
  meterconform report full/ rerun/ -o merged/                    # merge a re-run over a full run
  meterconform report reports/ -o out/ --baseline baseline.toml --allure
"""


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "report",
        help="regenerate the reports from events files (merging several)",
        description="Regenerate conformance.html, conformance.json, junit.xml and (with --allure) "
        "Allure results from one or more events files.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "runs", nargs="+", metavar="RUN", help="events file or report directory (several: merged, later wins)"
    )
    p.add_argument("-o", "--output", metavar="DIR", required=True, help="directory for the reports")
    p.add_argument("--baseline", metavar="TOML", help="expectations baseline: known deviations that do not gate")
    p.add_argument(
        "--allure", action="store_true", help="also write allure-results/ and render them when Allure is installed"
    )
    p.add_argument("--no-html", action="store_true", help="skip conformance.html")


def run(args: argparse.Namespace) -> int:
    from ..render import write_reports
    from ..results.run_results import RunResults, endpoints_differ
    from . import make_output_dir

    runs = [RunResults.load(path) for path in args.runs]  # RunError: a UsageError
    if len(runs) > 1 and endpoints_differ(runs):
        print(
            "meterconform: warning: these runs tested different targets or profiles; merging mixes their verdicts "
            "(use `meterconform compare` to set them side by side)",
            file=sys.stderr,
        )
    merged = RunResults.merge(runs)
    out = Path(args.output)
    make_output_dir(out, "--output")
    merged.write(out / "events.jsonl")
    merged.sources = [str(p) for p in args.runs]
    return write_reports(merged, out, baseline=args.baseline, html=not args.no_html, allure=args.allure)
