"""One run of the suites in this process (pytest.main): the reports staged, the exit code mapped from how it ended."""

from __future__ import annotations

import argparse
import os
import random
import signal
import sys
from contextlib import ExitStack
from pathlib import Path

from ..errors import ExitCode, UsageError
from ..results.reportdir import StagedReports
from .pytest_command import suites_args
from .target_options import load_target, start_target, target_env
from .workers import LATENCY_SAMPLES, default_workers, observed_latency, parse_workers, usable_cpus


class _Outcome:
    """How pytest.main ended, beyond its exit code: 3 is both the plugin's "the endpoint cannot be reached" (the
    reachability probe's pytest.exit) and pytest's own INTERNAL_ERROR."""

    def __init__(self) -> None:
        self.unreachable: str | None = None  # the probe's sentence
        self.collection_errors: dict[str, None] = {}  # suite modules that could not be imported
        self.run = None  # the plugin's RunResults at the session's end; events.jsonl is written from it, once

    def pytest_configure(self, config) -> None:
        from ..plugin import CALLER_WRITES_EVENTS

        config.stash[CALLER_WRITES_EVENTS] = True

    def pytest_unconfigure(self, config) -> None:
        from ..plugin import RESULTS

        self.run = config.stash.get(RESULTS, None)

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
    try:
        given = parse_workers(args.workers)
    except ValueError:
        raise UsageError(f"-n {args.workers}: expected a number of processes or 'auto'") from None
    with ExitStack() as stack:
        named = url
        per_worker = not named and args.target != "moto" and given != 1
        if per_worker and (given or usable_cpus()) > 1:  # each worker starts its own (plugin fixture endpoint_url)
            validated_switches(args.fault, args.reading)
            url = None
        else:
            per_worker = False
            url = start_target(stack, profile, url, args)
        workers, why = run_workers(given, profile, named and url)
        staged.open()
        stack.callback(lambda: None if staged.committed else staged.discard())
        switches = (f" (faults: {', '.join(args.fault)})" if args.fault else "") + (
            f" (readings: {', '.join(args.reading)})" if args.reading else ""
        )
        if not named and args.target == "moto":
            print(
                f"meterconform: moto server at {url} (subscribers seeded: "
                f"{', '.join(profile.customers.subscribed) or 'none'})"
            )
        elif per_worker:
            print("meterconform: embedded reference endpoint, one in each worker" + switches)
        elif not named:
            print(f"meterconform: embedded reference endpoint at {url}" + switches)
        if workers > 1:
            print(f"meterconform: {workers} worker processes ({why})")
        args.workers = workers
        code, outcome = _pytest_run(args, profile, url, named, staged.path, staged.final, stack)
        return _finish(args, code, outcome, staged)


def validated_switches(faults, readings) -> None:
    """Unknown --fault / --reading names, found before any worker starts its own reference endpoint."""
    from ..reference import faults as fault_names
    from ..reference import readings as reading_names
    from .builtin_targets import TargetError

    try:
        fault_names.validated(faults)
        reading_names.validated(readings)
    except ValueError as exc:
        raise TargetError(str(exc)) from None


def run_workers(given: int | None, profile, named_url: str | None) -> tuple[int, str]:
    """(worker processes, why that many): -n as given, else one per core, more against a slow named endpoint."""
    cpus = usable_cpus()
    if given is not None:
        return given, "-n"
    if not named_url:
        return cpus, "one per core on a built-in endpoint; -n sets another number"
    rate = profile.endpoint.rate_per_second
    latency = observed_latency(
        named_url,
        timeout=profile.endpoint.connect_timeout,
        ca_bundle=profile.endpoint.tls_trust,
        samples=min(LATENCY_SAMPLES, max(1, int(rate or LATENCY_SAMPLES))),
        rate_per_second=rate,
    )
    limit = f", rate_per_second {rate:g}" if rate else ""
    return default_workers(
        latency, cpus, rate
    ), f"{cpus} cores, the endpoint answers in {latency * 1000:.1f} ms{limit}; -n sets another number"


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
    # conformance.json and junit.xml are written afterwards from the events (render.finish_run).
    # -qq: no pytest counts line after ours (its xfailed/skipped are not our verdicts)
    pytest_args = suites_args(
        url=url,
        depth=args.depth,
        profile=args.profile,
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
    if args.workers > 1:  # forked after collection: one start-up (harness/forked_workers.py)
        pytest_args += ["--fork-workers", str(args.workers)]
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
    from ..results.events import endpoint_stopped
    from ..results.gate import Completion
    from ..results.run_results import RunResults

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
        # Interrupted before the plugin had a run (during its configuration, say): an empty one.
        run = outcome.run if outcome.run is not None else RunResults({"endpoint": None}, [])
        # Every report from this run, marked interrupted, never the previous run's beside it.
        finish_run(
            args,
            staged.path,
            events_path,
            Completion("interrupted", "stopped by Ctrl-C or SIGTERM"),
            staged.final,
            run=run,
        )
        staged.commit()
        print(
            f"meterconform: interrupted; the reports in {staged.final} hold only the checks that ran before it",
            file=sys.stderr,
        )
        return ExitCode.INTERRUPTED
    if code in (pytest.ExitCode.USAGE_ERROR, pytest.ExitCode.INTERNAL_ERROR):
        return ExitCode.USAGE if code == pytest.ExitCode.USAGE_ERROR else ExitCode.FAILED
    run = outcome.run
    if run is None or not run.events:
        print("meterconform: no check ran (the selection matched nothing?)", file=sys.stderr)
        return ExitCode.USAGE
    stopped = endpoint_stopped(run.events)
    completion = Completion("incomplete", stopped[0]) if stopped else Completion()
    code = finish_run(args, staged.path, events_path, completion, staged.final, run=run)
    staged.commit()
    if stopped is not None:  # the reports are written; the run could not finish
        print(
            f"meterconform: {stopped[0]} The {stopped[1]} checks after it did not run (SKIPPED in the reports); the "
            "checks before it stand.",
            file=sys.stderr,
        )
    return code
