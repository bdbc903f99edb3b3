"""One run of the suites in this process (pytest.main): the reports staged, the exit code mapped from how it ended."""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sys
from contextlib import ExitStack
from pathlib import Path

from ..errors import ExitCode, UsageError
from ..results.reportdir import StagedReports
from .pytest_command import suites_args
from .target_options import load_target, moto_profile_path, start_target, target_env


class _Outcome:
    """How pytest.main ended, beyond its exit code: 3 is both the plugin's "the endpoint cannot be reached" (the
    reachability probe's pytest.exit) and pytest's own INTERNAL_ERROR."""

    def __init__(self) -> None:
        self.unreachable: str | None = None  # the probe's sentence
        self.collection_errors: dict[str, None] = {}  # suite modules that could not be imported

    def pytest_collectreport(self, report) -> None:
        from ..plugin import collected_module

        if report.failed:
            self.collection_errors[collected_module(report)] = None

    def pytest_keyboard_interrupt(self, excinfo) -> None:  # pytest.exit() ends a session through this hook too
        import pytest

        value = excinfo.value
        if (
            isinstance(value, pytest.exit.Exception)
            and value.returncode == ExitCode.UNREACHABLE
            and value.msg.startswith("meterconform: ")
        ):
            self.unreachable = value.msg


def _terminate_as_interrupt(signum, frame) -> None:
    """SIGTERM (a CI job cancelled) ends the run as Ctrl-C does: the reports still say what ran."""
    raise KeyboardInterrupt


def run_suites(args: argparse.Namespace) -> int:
    """`meterconform run`: check the options, start the target, run the suites, write the reports; the exit code."""
    if args.database and args.seed is not None:
        raise UsageError(
            "--seed with --database: Hypothesis reads no example database under a fixed seed; "
            "drop --seed to replay the database's failures"
        )
    profile, url = load_target(args)
    staged = StagedReports(args.report_dir)
    staged.check()
    with ExitStack() as stack:
        named = url
        url = start_target(stack, profile, url, args)
        staged.open()
        stack.callback(lambda: None if staged.committed else staged.discard())
        if not named and args.target == "moto":
            print(
                f"meterconform: moto server at {url} (subscribers seeded: "
                f"{', '.join(profile.customers.subscribed) or 'none'})"
            )
        elif not named:
            print(
                f"meterconform: embedded reference endpoint at {url}"
                + (f" (faults: {', '.join(args.fault)})" if args.fault else "")
                + (f" (readings: {', '.join(args.reading)})" if args.reading else "")
            )
        code, outcome = _pytest_run(args, profile, url, named, staged.path, staged.final, stack)
        return _finish(args, code, outcome, staged)


def _pytest_run(
    args: argparse.Namespace, profile, url: str, named: str | None, work: Path, final: Path, stack: ExitStack
):
    """Run the suites in this process (pytest.main) with the run's events going to `work`; (exit code, _Outcome)."""
    import pytest

    from ..results.summary import BASELINE_ENV

    seed = args.seed if args.seed is not None else random.randrange(2**32)
    extra = list(args.pytest_args or [])
    if extra and extra[0] == "--":
        extra = extra[1:]
    profile_path = args.profile or (str(moto_profile_path(work)) if args.target == "moto" else None)
    # conformance.json and junit.xml are written afterwards from the events (render.finish_run).
    # -qq: no pytest counts line after ours (its xfailed/skipped are not our verdicts)
    pytest_args = suites_args(
        url=url,
        depth=args.depth,
        profile=profile_path,
        events=work / "events.jsonl",
        extra=["--report-location", str(final / "conformance.html"), "-qq", "-rN", "--tb=no"],
    )
    os.environ["METERCONFORM_TARGET"] = target_env(args, named)
    for fault in args.fault:
        pytest_args += ["--reference-fault", fault]
    for reading in args.reading:
        pytest_args += ["--reference-reading", reading]
    if args.allow_billing:
        pytest_args.append("--allow-billing")
    if args.database:
        pytest_args += ["--database", args.database]
    else:
        pytest_args.append(f"--hypothesis-seed={seed}")
    if args.max_examples:
        pytest_args += ["--max-examples", str(args.max_examples)]
    if args.workers and str(args.workers) not in ("0", "1"):
        pytest_args += ["-n", str(args.workers)]
    pytest_args += extra
    if profile.endpoint.rate_per_second and not os.environ.get("METERCONFORM_RATE_FILE"):
        stack.callback(os.environ.pop, "METERCONFORM_RATE_FILE", None)
        os.environ["METERCONFORM_RATE_FILE"] = str(work / ".rate-limit")
    outcome = _Outcome()
    if args.baseline:  # the plugin's summary then counts "before the baseline"; the verdict follows it
        stack.callback(os.environ.pop, BASELINE_ENV, None)
        os.environ[BASELINE_ENV] = "1"
    stack.callback(signal.signal, signal.SIGTERM, signal.signal(signal.SIGTERM, _terminate_as_interrupt))
    return pytest.main(pytest_args, plugins=[outcome]), outcome


def _finish(args: argparse.Namespace, code: int, outcome: _Outcome, staged) -> int:
    """Map how pytest ended to the exit code; write the reports and put them in place when checks ran."""
    import pytest

    from ..render import finish_run
    from ..results.events import endpoint_stopped, read_events
    from ..results.gate import Completion

    events_path = staged.path / "events.jsonl"
    if outcome.collection_errors and code != ExitCode.UNREACHABLE:
        n = len(outcome.collection_errors)
        print(
            f"meterconform: {n} suite module{'s' if n > 1 else ''} could not be collected "
            f"({', '.join(outcome.collection_errors)}; the errors are above): their checks did not run, so there is no "
            f"verdict on the endpoint and {staged.final} "
            "was left as it was. A broken install? See docs/install.md",
            file=sys.stderr,
        )
        return ExitCode.FAILED
    if (
        code == ExitCode.UNREACHABLE
    ):  # also pytest's INTERNAL_ERROR: only the probe's own exit says the endpoint is gone
        if outcome.unreachable:
            return ExitCode.UNREACHABLE
        print(
            "meterconform: the suite itself broke: pytest ended with an internal error (INTERNALERROR above); "
            f"no verdict on the endpoint, and {staged.final} was left as it was",
            file=sys.stderr,
        )
        return ExitCode.FAILED
    if code == pytest.ExitCode.INTERRUPTED:
        if not events_path.exists():  # interrupted before the plugin could write anything: an empty run
            events_path.write_text(json.dumps({"meta": {"endpoint": None}}) + "\n", encoding="utf-8")
        # Every report from this run, marked interrupted, never the previous run's beside it.
        finish_run(
            args, staged.path, events_path, Completion("interrupted", "stopped by Ctrl-C or SIGTERM"), staged.final
        )
        staged.commit()
        print(
            f"meterconform: interrupted; the reports in {staged.final} hold only the checks that ran before it",
            file=sys.stderr,
        )
        return ExitCode.INTERRUPTED
    if code in (pytest.ExitCode.USAGE_ERROR, pytest.ExitCode.INTERNAL_ERROR):
        return ExitCode.USAGE if code == pytest.ExitCode.USAGE_ERROR else ExitCode.FAILED
    checks = read_events(events_path)[1] if events_path.exists() else []
    if not checks:
        print("meterconform: no check ran (the selection matched nothing?)", file=sys.stderr)
        return ExitCode.USAGE
    stopped = endpoint_stopped(checks)
    completion = Completion("incomplete", stopped[0]) if stopped else Completion()
    code = finish_run(args, staged.path, events_path, completion, staged.final)
    staged.commit()
    if stopped is not None:  # the reports are written; the run could not finish
        print(
            f"meterconform: {stopped[0]} The {stopped[1]} checks after it did not run (SKIPPED in the reports); the "
            "checks before it stand.",
            file=sys.stderr,
        )
    return code
