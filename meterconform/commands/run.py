"""`meterconform run`: run the suites against one endpoint and gate on the verdicts (harness/suite_run.py)."""

from __future__ import annotations

import argparse

from . import _options

EPILOG = """\
exit codes:
  0  every gating check passed (FAIL and ERROR gate; NON-STRICT, INFO, UNIMPLEMENTED, SKIPPED don't)
  1  at least one check failed, or the suite itself broke (an ERROR verdict, or pytest's own INTERNALERROR)
  2  usage or profile error, also found by the preflight before the first check: credentials or a
     Region the endpoint refuses, a URL path that answers 404 to every operation (docs/preflight.md)
  3  the endpoint cannot be reached (no connection, no answer, TLS that cannot be set up: an untrusted
     certificate or a plain-HTTP server behind https://, or only a gateway's 502/503/504 page),
     or it stopped answering mid-run (the reports hold the checks that ran); never pytest's own exit 3
  130  interrupted (Ctrl-C, SIGTERM): the verdict line and every report say INTERRUPTED; the reports hold
       only the checks that ran (--report-dir is written aside and swapped in whole, so it never mixes runs)

examples:
  meterconform run                                   # the embedded reference endpoint
  meterconform run --profile my-endpoint.toml -n 2   # your endpoint, two processes
  meterconform run --endpoint-url http://127.0.0.1:5000 --profile p.toml -- -k MeterUsage
  meterconform run --database redis://127.0.0.1:6379/0   # replay a fuzzing campaign's failures first
"""


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "run",
        help="run the conformance suites against an endpoint",
        description="Run the conformance suites against one endpoint (the embedded reference endpoint "
        "when neither --profile nor --endpoint-url names one) and write the reports.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _options.endpoint(p)
    p.add_argument(
        "-n",
        "--workers",
        metavar="N",
        default=None,
        help="worker processes, forked after collection (default 'auto': one per core, more against an endpoint "
        "with latency; 1: the run's own process)",
    )
    p.add_argument(
        "--depth", choices=["quick", "ci", "deep"], default="ci", help="how hard Hypothesis searches (default: ci)"
    )
    p.add_argument(
        "--seed",
        type=int,
        default=None,
        help="Hypothesis seed (default: random, printed in the header; none with --database, whose replay "
        "Hypothesis skips under a fixed seed)",
    )
    p.add_argument(
        "--database",
        metavar="URL",
        help="a campaign's example database (redis://host:port/db or a directory), read-only: its stored "
        "failures replay first (see `meterconform fuzz`); what this run finds goes to ./.hypothesis only",
    )
    p.add_argument(
        "--max-examples", type=int, default=None, metavar="N", help="examples per property check (default: the depth's)"
    )
    p.add_argument(
        "--allow-billing", action="store_true", help="on a real endpoint, also run checks that may record usage"
    )
    _options.reports(p)
    p.add_argument("pytest_args", nargs=argparse.REMAINDER, help="after --: extra pytest arguments (-k, -x, --lf, ...)")


def run(args: argparse.Namespace) -> int:
    from ..harness.suite_run import run_suites

    return run_suites(args)
