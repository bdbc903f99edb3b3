"""`meterconform fuzz`: a fuzzing campaign — the property checks under the deep settings, round after round,
until a time budget is spent, on N processes, sharing what they find through an example database
(the engine: meterconform/campaign/)."""

from __future__ import annotations

import argparse
import re

from . import _options

EPILOG = """\
A campaign covers before it digs: its first round runs every Hypothesis-driven check (pytest -m hypothesis) once
with a few examples, the workers sharing them out; if the budget ends before that, the verdict is INCOMPLETE and
names the checks never run. Every later round runs every check at the `deep` depth, unseeded (Hypothesis
uses the example database only when no seed is fixed); rounds repeat until --duration is spent. --workers N
starts N independent processes, each running rounds of every check with its own random examples, its own
share of the batch keys, and its own first check; they share what they find through the example database
(./.hypothesis, or --database). With --database redis://host:port/db the processes and machines share every
interesting example (and, against a named endpoint, the ledger that keeps their batch keys apart), and a later
`meterconform run --database <same URL>` replays stored failures first.
A check reports every clause it finds broken, and each round after the first sets aside the failures found so
far (they stay stored) to look for the others: one broken rule does not hide the rest of its check.
Progress is a line every 15 s and one per finished round; the end writes the same reports as `run` plus the
clause x outcome coverage table (examples and outcomes summed over every round of every worker). Ctrl-C (or
SIGTERM) stops the running rounds and still writes the reports of what they finished; a second Ctrl-C abandons
them. If the endpoint stops answering, the campaign stops too and reports what its rounds found. The reports
directory is written aside and swapped in whole, as for `run`.

exit codes: as for `run` (0 passed, 1 a check failed, 2 usage or profile error, 3 the endpoint cannot be reached
or stopped answering), 4 when the budget ended before every property check had run once and none failed (the
verdict line says INCOMPLETE and the checks never run are named), and 130 when interrupted (INTERRUPTED).

examples:
  meterconform fuzz --duration 10m --workers 2
  meterconform fuzz --duration 1h --database redis://127.0.0.1:6379/0 --profile my-endpoint.toml
"""


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: give a whole number of processes, 1 or more")
    return int(text)


def parse_duration(text: str) -> float:
    """Seconds from "90", "90s", "10m", "1h30m"."""
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return float(text)
    parts = re.findall(r"(\d+(?:\.\d+)?)([hms])", text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise argparse.ArgumentTypeError(f"--duration {text!r}: use seconds or a form like 90s, 10m, 1h30m")
    return sum(float(n) * {"h": 3600, "m": 60, "s": 1}[u] for n, u in parts)


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "fuzz",
        help="run a time-boxed fuzzing campaign of the property checks",
        description=__doc__.split(":", 1)[1].strip(),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--duration",
        type=parse_duration,
        default=parse_duration("10m"),
        metavar="TIME",
        help="the time budget: 90s, 10m, 1h (default 10m)",
    )
    p.add_argument(
        "--workers",
        "-n",
        type=_positive,
        default=1,
        metavar="N",
        help="independent worker processes, each running every check with its own examples (default 1)",
    )
    p.add_argument("--database", metavar="URL", help="shared example database: redis://host:port/db or a directory")
    _options.endpoint(p)
    p.add_argument(
        "--max-examples",
        type=int,
        default=None,
        metavar="N",
        help="examples per check per round (default: the deep depth's)",
    )
    _options.reports(p)
    p.add_argument("pytest_args", nargs=argparse.REMAINDER, help="after --: extra pytest arguments (-k ...)")


def run(args: argparse.Namespace) -> int:
    from ..campaign.engine import run_campaign

    return run_campaign(args)
