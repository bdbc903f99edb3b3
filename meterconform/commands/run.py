"""`meterconform run`: run the suites against one endpoint and gate on the verdicts."""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sys
from contextlib import ExitStack
from pathlib import Path

from ..results.gate import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_UNREACHABLE, EXIT_USAGE

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
        if isinstance(value, pytest.exit.Exception) and value.returncode == EXIT_UNREACHABLE and value.msg.startswith("meterconform: "):
            self.unreachable = value.msg


def suites_dir() -> Path:
    """Where the suites are: the installed package's copy, else the checkout's suites/."""
    try:
        from importlib import resources

        path = Path(str(resources.files("meterconform.suites")))
        if path.is_dir():
            return path
    except ModuleNotFoundError:
        pass
    return Path(__file__).resolve().parents[2] / "suites"


def _moto_profile_path(report_dir: Path) -> Path:
    """The moto profile as a file the pytest run can load."""
    from ..harness.profile import _resource_text

    path = report_dir / ".moto-profile.toml"
    path.write_text(_resource_text("meterconform", "data/moto-profile.toml"), encoding="utf-8")
    return path


def register(subparsers) -> None:
    p = subparsers.add_parser("run", help="run the conformance suites against an endpoint",
                              description="Run the conformance suites against one endpoint (the embedded reference endpoint "
                                          "when neither --profile nor --endpoint-url names one) and write the reports.",
                              epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--profile", metavar="PATH", help="target profile TOML (default: the embedded default profile)")
    p.add_argument("--endpoint-url", metavar="URL", help="endpoint URL; overrides the profile's endpoint.url")
    target_option(p)
    p.add_argument("--report-dir", metavar="DIR", default="reports", help="where reports go (default: ./reports)")
    p.add_argument("-n", "--workers", metavar="N", default=None, help="parallel processes (pytest-xdist), a number or 'auto'")
    p.add_argument("--depth", choices=["quick", "ci", "deep"], default="ci", help="how hard Hypothesis searches (default: ci)")
    p.add_argument("--seed", type=int, default=None,
                   help="Hypothesis seed (default: random, printed in the header; none with --database, whose replay "
                        "Hypothesis skips under a fixed seed)")
    p.add_argument("--database", metavar="URL",
                   help="a campaign's example database (redis://host:port/db or a directory), read-only: its stored "
                        "failures replay first (see `meterconform fuzz`); what this run finds goes to ./.hypothesis only")
    p.add_argument("--max-examples", type=int, default=None, metavar="N", help="examples per property check (default: the depth's)")
    p.add_argument("--fault", metavar="NAME", action="append", default=[],
                   help="embedded endpoint only: switch on a named deviation (repeatable; `meterconform serve --list-faults`)")
    p.add_argument("--reading", metavar="NAME", action="append", default=[],
                   help="embedded endpoint only: switch on a permitted behaviour (repeatable; `meterconform serve --list-readings`)")
    p.add_argument("--allow-billing", action="store_true", help="on a real endpoint, also run checks that may record usage")
    p.add_argument("--baseline", metavar="TOML", help="expectations baseline: known deviations that do not gate (see `meterconform baseline --help`)")
    p.add_argument("--allure", action="store_true", help="also write Allure results and render them when an Allure renderer is installed")
    p.add_argument("--no-html", action="store_true", help="skip conformance.html")
    p.add_argument("pytest_args", nargs=argparse.REMAINDER, help="after --: extra pytest arguments (-k, -x, --lf, ...)")


def target_problem(args: argparse.Namespace, url: str | None) -> str | None:
    """Why --target, --fault and a named endpoint cannot go together, or None."""
    if args.target and url:
        return f"--target {args.target} starts its own endpoint; drop --endpoint-url / endpoint.url"
    if args.target == "moto" and args.fault:
        return "--fault applies to the reference endpoint, not to moto"
    if url and args.fault:
        return ("--fault switches deviations on in the embedded reference endpoint; drop --endpoint-url/"
                "endpoint.url to use it, or start `meterconform serve --fault ...` yourself")
    if (args.target == "moto" or url) and getattr(args, "reading", None):
        return ("--reading applies to the embedded reference endpoint only; drop --target / --endpoint-url, or "
                "start `meterconform serve --reading ...` yourself")
    return None


def target_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--target", choices=["reference", "moto"], default=None,
                   help="start a built-in target: the reference endpoint (the default without a URL) or moto's server, "
                        "seeded in-process (needs pip install 'meterconform[moto]')")


def target_env(args: argparse.Namespace, url: str | None) -> str:
    """$METERCONFORM_TARGET for the pytest runs: which built-in target (fresh each run) they talk to, if any."""
    return args.target or ("reference" if not url else "")


def baseline_problem(args: argparse.Namespace) -> str | None:
    """Why --baseline cannot be used (missing or malformed), checked before the run rather than after it."""
    if not getattr(args, "baseline", None):
        return None
    from ..results.baseline import BaselineError, load_baseline

    try:
        load_baseline(args.baseline)
    except BaselineError as exc:
        return str(exc)
    return None


def _terminate_as_interrupt(signum, frame) -> None:
    """SIGTERM (a CI job cancelled) ends the run as Ctrl-C does: the reports still say what ran."""
    raise KeyboardInterrupt


def load_target(args: argparse.Namespace):
    """The profile and the named endpoint URL (None: a built-in target) of `run` and `fuzz`, after checking the
    baseline, the profile and the target options; or the exit code, the problem printed in one line."""
    from ..harness.builtin_targets import TargetError, run_profile

    if (problem := baseline_problem(args)) is not None:
        print(f"meterconform: {problem}", file=sys.stderr)
        return EXIT_USAGE
    try:
        profile = run_profile(args.profile, target=args.target, database=args.database)
    except TargetError as exc:
        print(f"meterconform: {exc}", file=sys.stderr)
        return EXIT_USAGE
    url = args.endpoint_url or profile.endpoint.url
    from ..harness.profile import url_problem

    if (problem := url_problem(args.endpoint_url)) is not None:
        print(f"meterconform: {problem}", file=sys.stderr)
        return EXIT_USAGE
    if (problem := target_problem(args, url)) is not None:
        print(f"meterconform: {problem}", file=sys.stderr)
        return EXIT_USAGE
    from ..transport.clients import credentials_problem

    if (problem := credentials_problem(profile)) is not None:
        print(f"meterconform: {problem}", file=sys.stderr)
        return EXIT_USAGE
    return profile, url


def start_target(stack, profile, url: str | None, args: argparse.Namespace):
    """targets.open_endpoint inside `stack`: the URL to talk to, or the exit code, the problem printed."""
    from ..harness.builtin_targets import EndpointUnreachable, TargetError, open_endpoint

    try:
        return open_endpoint(stack, profile, url, target=args.target, faults=args.fault, readings=args.reading)
    except EndpointUnreachable as exc:
        print(f"meterconform: {exc}", file=sys.stderr)
        return EXIT_UNREACHABLE
    except TargetError as exc:
        print(f"meterconform: {exc}", file=sys.stderr)
        return EXIT_USAGE


def run(args: argparse.Namespace) -> int:
    from ..results.reportdir import ReportDirError, StagedReports

    if args.database and args.seed is not None:
        print("meterconform: --seed with --database: Hypothesis reads no example database under a fixed seed; "
              "drop --seed to replay the database's failures", file=sys.stderr)
        return EXIT_USAGE
    loaded = load_target(args)
    if isinstance(loaded, int):
        return loaded
    profile, url = loaded
    staged = StagedReports(args.report_dir)
    try:
        staged.check()
    except ReportDirError as exc:
        print(f"meterconform: {exc}", file=sys.stderr)
        return EXIT_USAGE
    with ExitStack() as stack:
        named = url
        url = start_target(stack, profile, url, args)
        if isinstance(url, int):
            return url
        try:
            work = staged.open()
        except ReportDirError as exc:
            print(f"meterconform: {exc}", file=sys.stderr)
            return EXIT_USAGE
        stack.callback(lambda: None if staged.committed else staged.discard())
        if not named and args.target == "moto":
            print(f"meterconform: moto server at {url} (subscribers seeded: {', '.join(profile.customers.subscribed) or 'none'})")
        elif not named:
            print(f"meterconform: embedded reference endpoint at {url}" + (f" (faults: {', '.join(args.fault)})" if args.fault else "")
                  + (f" (readings: {', '.join(args.reading)})" if args.reading else ""))
        code, outcome = _pytest_run(args, profile, url, named, work, staged.final, stack)
        return _finish(args, code, outcome, staged)


def _pytest_run(args: argparse.Namespace, profile, url: str, named: str | None, work: Path, final: Path, stack: ExitStack):
    """Run the suites in this process (pytest.main) with the run's events going to `work`; (exit code, _Outcome)."""
    import pytest

    from ..results.summary import BASELINE_ENV

    seed = args.seed if args.seed is not None else random.randrange(2**32)
    extra = list(args.pytest_args or [])
    if extra and extra[0] == "--":
        extra = extra[1:]
    pytest_args = [
        str(suites_dir()), "-p", "meterconform.plugin", "-c", os.devnull, "--rootdir", str(suites_dir().parent),
        "-p", "no:cacheprovider", "--endpoint-url", url, "--depth", args.depth,
        # conformance.json and junit.xml are written afterwards from the events (render.finish_run).
        # -qq: no pytest counts line after ours (its xfailed/skipped are not our verdicts)
        "--events", str(work / "events.jsonl"), "--report-location", str(final / "conformance.html"),
        "-qq", "-rN", "--tb=no",
    ]
    if args.profile:
        pytest_args += ["--profile", args.profile]
    elif args.target == "moto":
        pytest_args += ["--profile", str(_moto_profile_path(work))]
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

    from ..results.events import endpoint_stopped, read_events
    from ..results.gate import Completion
    from ..render import finish_run

    events_path = staged.path / "events.jsonl"
    if outcome.collection_errors and code != EXIT_UNREACHABLE:
        n = len(outcome.collection_errors)
        print(f"meterconform: {n} suite module{'s' if n > 1 else ''} could not be collected ({', '.join(outcome.collection_errors)}; "
              f"the errors are above): their checks did not run, so there is no verdict on the endpoint and {staged.final} "
              "was left as it was. A broken install? See docs/install.md", file=sys.stderr)
        return EXIT_FAILED
    if code == EXIT_UNREACHABLE:  # also pytest's INTERNAL_ERROR: only the probe's own exit says the endpoint is gone
        if outcome.unreachable:
            return EXIT_UNREACHABLE
        print("meterconform: the suite itself broke: pytest ended with an internal error (INTERNALERROR above); "
              f"no verdict on the endpoint, and {staged.final} was left as it was", file=sys.stderr)
        return EXIT_FAILED
    if code == pytest.ExitCode.INTERRUPTED:
        if not events_path.exists():  # interrupted before the plugin could write anything: an empty run
            events_path.write_text(json.dumps({"meta": {"endpoint": None}}) + "\n", encoding="utf-8")
        # Every report from this run, marked interrupted, never the previous run's beside it.
        finish_run(args, staged.path, events_path, Completion("interrupted", "stopped by Ctrl-C or SIGTERM"), staged.final)
        staged.commit()
        print(f"meterconform: interrupted; the reports in {staged.final} hold only the checks that ran before it",
              file=sys.stderr)
        return EXIT_INTERRUPTED
    if code in (pytest.ExitCode.USAGE_ERROR, pytest.ExitCode.INTERNAL_ERROR):
        return EXIT_USAGE if code == pytest.ExitCode.USAGE_ERROR else EXIT_FAILED
    if not events_path.exists() or not read_events(events_path)[1]:
        print("meterconform: no check ran (the selection matched nothing?)", file=sys.stderr)
        return EXIT_USAGE
    stopped = endpoint_stopped(read_events(events_path)[1])
    completion = Completion("incomplete", stopped[0]) if stopped else Completion()
    code = finish_run(args, staged.path, events_path, completion, staged.final)
    staged.commit()
    if stopped is not None:  # the reports are written; the run could not finish
        print(f"meterconform: {stopped[0]} The {stopped[1]} checks after it did not run (SKIPPED in the reports); the "
              "checks before it stand.", file=sys.stderr)
    return code
