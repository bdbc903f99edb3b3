"""`meterconform mutants`: prove the suite — one run per reference-endpoint fault, each must be caught
(the runs: campaign/proving.py)."""

from __future__ import annotations

import argparse

EPILOG = """\
For each named fault of the reference endpoint (see `meterconform serve --list-faults`) the suites run
(quick depth, stopping at the first failure) against a fresh embedded endpoint with that fault on, and the
table says whether it was caught, by which clause, and how many seconds the first failure took. The faithful
endpoint runs first and must pass with no failure. Every run uses the default profile with a 10 s
endpoint.read_timeout, so a fault that hangs costs seconds, not minutes.

With --readings the runs are the other way round: one full run per reading (a behaviour the contract
permits, see `meterconform serve --list-readings`), each of which must pass: any check that FAILs, ERRORs,
breaks a SHOULD (NON-STRICT) or says UNIMPLEMENTED fails the reading, and the table names those checks and
clauses.

exit codes: 0 every fault caught by its expected clause (--readings: every reading accepted) and the faithful
run clean; 1 otherwise; 2 an unknown fault or reading name.
"""


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "mutants",
        help="fault-injection analysis: is every deviation caught?",
        description=__doc__.split(":", 1)[1].strip(),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--fault", metavar="NAME", action="append", default=[], help="only these faults (repeatable; default all)"
    )
    p.add_argument(
        "--readings",
        action="store_true",
        help="prove the suite the other way: one run per reading, each must pass (see serve --list-readings)",
    )
    p.add_argument(
        "--reading",
        metavar="NAME",
        action="append",
        default=[],
        help="with --readings: only these readings (repeatable; default all)",
    )
    p.add_argument("--jobs", "-j", type=int, default=2, help="faults analysed in parallel (default 2)")
    p.add_argument("--depth", choices=["quick", "ci", "deep"], default="quick", help="Hypothesis depth (default quick)")
    p.add_argument(
        "--full", action="store_true", help="run every check for each fault instead of stopping at the first failure"
    )
    p.add_argument("--markdown", metavar="PATH", help="also write the table to this file")
    p.add_argument("pytest_args", nargs=argparse.REMAINDER, help="after --: a pytest selection (-k ...) for every run")


def run(args: argparse.Namespace) -> int:
    from ..campaign.proving import prove_faults

    return prove_faults(args)
