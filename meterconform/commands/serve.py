"""`meterconform serve`: run the reference endpoint in the foreground until Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import tomllib
from typing import Any
from urllib.parse import urlsplit

from ..errors import UsageError

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


def _load_profile(path: str) -> dict[str, Any]:
    """The parsed profile; UsageError says in one sentence why it cannot be read."""
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise UsageError(f"the profile {path} does not exist; pass the path of a TOML target profile.") from None
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise UsageError(f"the profile {path} is not a readable TOML file ({error}).") from None


def _command(args: argparse.Namespace, port: int) -> str:
    """The `meterconform serve` command line that starts this endpoint again, on the port it got."""
    words = ["meterconform serve"] + (["--host", args.host] if args.host != "127.0.0.1" else []) + ["--port", str(port)]
    words += ["--profile", args.profile] if args.profile else []
    words += [f"--fault {name}" for name in args.fault] + [f"--reading {name}" for name in args.reading]
    words += [f"--chaos {args.chaos} --seed {args.seed}"] if args.chaos else []
    words += ["--admin"] if args.admin else []
    return " ".join(words)


def run(args: argparse.Namespace) -> int:
    """Serve until SIGINT or SIGTERM; 0 on a clean stop, 2 on a usage, profile or bind error."""
    from ..harness.served_profile import served_profile
    from ..reference import Chaos, ReferenceEndpoint, faults, readings

    if args.list_faults:
        print(faults.table())
        return 0
    if args.list_readings:
        print(readings.table())
        return 0
    profile = None
    if args.profile:
        profile = _load_profile(args.profile)
    try:
        chaos = Chaos.parse(args.chaos, args.seed) if args.chaos else None
        endpoint = ReferenceEndpoint(
            profile,
            args.fault,
            args.host,
            args.port,
            verbose=args.verbose,
            readings=args.reading,
            chaos=chaos,
            admin=args.admin,
        )
    except ValueError as error:
        raise UsageError(str(error)) from None

    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        try:
            url = endpoint.start()
        except OSError as error:
            raise UsageError(f"cannot listen on {args.host}:{args.port}: {error.strerror or error}.") from None
        active = ", ".join(sorted(endpoint.faults)) or "none"
        permitted = ", ".join(sorted(endpoint.readings)) or "none"
        listening = f"meterconform reference endpoint listening on {url} (faults: {active}; readings: {permitted})"
        if chaos is not None:
            settings = ", ".join(f"{k}={v:g}" for k, v in chaos.as_dict().items() if v and k != "seed")
            listening += f" (chaos: {settings or 'none'}, seed {args.seed})"
        if args.admin:
            listening += f" (admin: {url}/meterconform-admin/)"
        text = served_profile(profile, url, source=args.profile, command=_command(args, urlsplit(url).port))
        if args.print_profile == "-":  # stdout holds the profile alone: `serve --print-profile > ref.toml`
            print(text, end="", flush=True)
            print(listening, file=sys.stderr, flush=True)
        elif args.print_profile:
            try:
                with open(args.print_profile, "w", encoding="utf-8") as handle:
                    handle.write(text)
            except OSError as error:
                raise UsageError(
                    f"cannot write the profile to {args.print_profile}: "
                    f"{error.strerror or error}; give --print-profile a writable file path."
                ) from None
            print(listening, flush=True)
            print(
                f"meterconform serve: its target profile is in {args.print_profile}: "
                f"meterconform run --profile {args.print_profile}",
                flush=True,
            )
        else:
            print(listening, flush=True)
            print(f"\n{text}", end="", flush=True)
        while not stop.wait(0.5):
            pass
        endpoint.stop()
        print("meterconform reference endpoint stopped", file=sys.stderr, flush=True)
        return 0
    finally:
        endpoint.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
