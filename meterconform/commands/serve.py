"""`meterconform serve`: run the reference endpoint in the foreground until Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
from typing import Any

EPILOG = """\
examples:
  meterconform serve                                  # default profile, a free port on 127.0.0.1
  meterconform serve --port 5000 -v                   # fixed port, one log line per request
  meterconform serve --print-profile ref.toml         # write the matching target profile, then serve
  meterconform serve --print-profile > ref.toml       # the profile alone on stdout (the rest on stderr)
  meterconform serve --fault meter-window-7h --fault batch-cap-26
  meterconform serve --list-faults
  meterconform serve --reading results-reversed --reading throttle-sometimes
  meterconform serve --list-readings
  meterconform serve --admin --chaos throttle=0.3,unprocessed=0.2 --seed 7   # a test double for any language
"""


def register(subparsers: Any) -> None:
    """Add the `serve` subcommand to an argparse subparsers object."""
    p = subparsers.add_parser(
        "serve",
        help="run the reference endpoint in the foreground",
        description="Serve the reference Marketplace Metering endpoint on loopback, seeded from a target profile, "
        "optionally with named faults (deviations the suite must catch) or readings (behaviours the contract "
        "permits, which the suite must accept) switched on. Stops on Ctrl-C or SIGTERM.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--profile", metavar="PATH", help="target profile TOML (default: the embedded default profile)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    p.add_argument("--port", type=int, default=0, help="port to listen on (default: 0, a free port)")
    p.add_argument(
        "--fault", action="append", default=[], metavar="NAME", help="switch on a named deviation (repeatable)"
    )
    p.add_argument("--list-faults", action="store_true", help="print the fault names and what each does, then exit")
    p.add_argument(
        "--reading",
        action="append",
        default=[],
        metavar="NAME",
        help="switch on a named permitted behaviour (repeatable)",
    )
    p.add_argument("--list-readings", action="store_true", help="print the reading names and what each does, then exit")
    p.add_argument(
        "--chaos",
        metavar="SETTINGS",
        default=None,
        help="deal out seeded transient trouble: comma-separated throttle=F, unprocessed=F, internal_error=F "
        "(fractions of requests, 0 to 1) and latency_ms=N, e.g. throttle=0.3,unprocessed=0.2",
    )
    p.add_argument("--seed", type=int, default=0, help="the chaos seed: the same seed, the same sequence (default 0)")
    p.add_argument(
        "--admin",
        action="store_true",
        help="also serve the admin surface under /meterconform-admin/ (ledger, requests, clock, chaos, "
        "reset) for test suites in other languages; off by default, so the endpoint is the bare service",
    )
    p.add_argument(
        "--print-profile",
        nargs="?",
        const="-",
        default=None,
        metavar="FILE",
        help="once listening, write the target profile that matches this endpoint (its URL with the actual "
        "port, credentials, product, customers, tokens) to FILE, or alone to stdout without FILE; then "
        "keep serving",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="log one line per request to stderr")


def run(args: argparse.Namespace) -> int:
    from ..harness.serving import serve

    return serve(args)
