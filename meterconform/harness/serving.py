"""The reference endpoint in the foreground (`meterconform serve`): started from the command's options, its
matching target profile printed or written, stopped cleanly on SIGINT or SIGTERM."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import tomllib
from typing import Any
from urllib.parse import urlsplit

from ..errors import UsageError
from ..reference import Chaos, ReferenceEndpoint, faults, readings
from .served_profile import served_profile


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


def serve(args: argparse.Namespace) -> int:
    """`meterconform serve`: serve until SIGINT or SIGTERM; 0 on a clean stop, UsageError on a profile or bind error."""

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
