"""The `meterconform` command line: one subcommand per module of meterconform/commands (see COMMANDS)."""

from __future__ import annotations

import argparse
import atexit
import importlib
import os
import sys
import threading

from . import __version__
from .errors import EndpointUnreachable, ExitCode, UsageError

COMMANDS = ("run", "fuzz", "mutants", "serve", "clauses", "report", "baseline", "compare", "profile")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="meterconform",
        description="Conformance test suite and fuzzer for the AWS Marketplace Metering Service API. "
        "Point it at an endpoint (real AWS, moto, your emulator or gateway) to learn, clause by clause, "
        "whether it honours the contract.",
        epilog="Run `meterconform COMMAND --help` for a command's options. With no profile, `run` tests the "
        "embedded reference endpoint.",
    )
    parser.add_argument("--version", action="version", version=f"meterconform {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        # No try/except: a command whose module cannot be imported is a broken install, not a missing command.
        importlib.import_module(f".commands.{name}", __package__).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return ExitCode.USAGE
    module = importlib.import_module(f".commands.{args.command}", __package__)
    try:
        return int(module.run(args) or 0)
    except UsageError as exc:  # bad input, raised wherever it was found: one line, no traceback
        print(f"meterconform: {exc}", file=sys.stderr)
        return ExitCode.USAGE
    except EndpointUnreachable as exc:
        print(f"meterconform: {exc}", file=sys.stderr)
        return ExitCode.UNREACHABLE
    except KeyboardInterrupt:
        print("meterconform: interrupted", file=sys.stderr)
        return ExitCode.INTERRUPTED


def console_main() -> None:
    """The `meterconform` command (and `python -m meterconform`): main(), then the exit."""
    if not isinstance(sys.stdout, StdoutWhileReadersLast) and sys.stdout is not None:
        sys.stdout = StdoutWhileReadersLast(sys.stdout)
    exit_without_teardown(main())


class StdoutWhileReadersLast:
    """Standard output that a reader may stop reading (`meterconform run | head`, quitting `less`): from then on
    what is written goes to the null device, and the command carries on to its end, its reports and its exit code,
    instead of breaking off with a traceback where it happened to print next."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            self._reader_gone()
            return len(text)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            self._reader_gone()

    def _reader_gone(self) -> None:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, self._stream.fileno())  # the stream's buffered text now goes nowhere, without an error
        os.close(devnull)

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


def exit_without_teardown(code: int) -> None:
    """Exit with `code` once the atexit handlers have run and standard output and error are flushed, without
    freeing every object of the interpreter one by one: after a run that is 0.05 to 0.15 s of nothing (a run's
    files are all closed by then). The ordinary exit with a thread other than a daemon still running, no way to run
    the atexit handlers, or a profiler or tracer watching (`python -m cProfile -m meterconform` writes its profile
    after the command returns)."""
    run_exit_handlers = getattr(atexit, "_run_exitfuncs", None)
    others = [t for t in threading.enumerate() if t is not threading.main_thread() and not t.daemon]
    if run_exit_handlers is None or others or sys.getprofile() is not None or sys.gettrace() is not None:
        sys.exit(code)
    run_exit_handlers()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (`meterconform run | head`) or stream: nothing more to say
            pass
    os._exit(code)


if __name__ == "__main__":
    console_main()
