"""The pytest plugin: options, the target profile, clause markers, guards and raw events (fixtures: fixtures.py)."""

from __future__ import annotations

import argparse
import json
import os
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from . import __version__
from .harness.hypothesis_profiles import DEPTHS, load_depth
from .harness.profile import Profile, ProfileError, load_profile, url_problem
from .results.check_result import CheckResult
from .results.events import NOT_RUN, build_event, write_events
from .results.redact import register_secret
from .transport.clients import credentials_problem, probe
from .transport.preflight import preflight

# Loaded wherever this module is (`-p meterconform.plugin`, a conftest's pytest_plugins, each xdist worker).
pytest_plugins = ["meterconform.harness.fixtures", "meterconform.harness.forked_workers"]

ENV_PROFILE = "METERCONFORM_PROFILE"
ENV_URL = "METERCONFORM_ENDPOINT_URL"
ENV_DEPTH = "METERCONFORM_DEPTH"
PYTEST_COUNTS_NOTE = (
    "(pytest's own count below is of its outcomes: INFO counts as passed, NON-STRICT as xfailed, "
    "UNIMPLEMENTED as skipped; the verdict is the line above)"
)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("meterconform", "meterconform: Marketplace Metering conformance")
    group.addoption(
        "--profile",
        dest="mc_profile",
        default=None,
        metavar="PATH",
        help=f"target profile TOML (env {ENV_PROFILE}; ini meterconform_profile). Omit for the embedded reference "
        "endpoint.",
    )
    group.addoption(
        "--endpoint-url",
        dest="mc_endpoint_url",
        default=None,
        metavar="URL",
        help=f"endpoint URL, overriding the profile's endpoint.url (env {ENV_URL}; ini meterconform_endpoint_url)",
    )
    group.addoption(
        "--depth",
        dest="mc_depth",
        default=None,
        choices=sorted(DEPTHS),
        help=f"how hard Hypothesis searches: quick (smoke), ci (default), deep (a fuzzing campaign) (env {ENV_DEPTH})",
    )
    group.addoption(
        "--events",
        dest="mc_events",
        default=None,
        metavar="PATH",
        help="write one JSON line per check (the raw results every report is computed from)",
    )
    group.addoption("--report-location", dest="mc_report_location", default=None, help=argparse.SUPPRESS)
    group.addoption(
        "--conformance-json",
        dest="mc_conformance_json",
        default=None,
        metavar="PATH",
        help="write the per-check and per-clause verdicts as one JSON document",
    )
    group.addoption(
        "--reference-fault",
        dest="mc_faults",
        action="append",
        default=[],
        metavar="NAME",
        help="switch a named deviation on in the embedded reference endpoint (repeatable; see `meterconform serve "
        "--list-faults`)",
    )
    group.addoption(
        "--reference-reading",
        dest="mc_readings",
        action="append",
        default=[],
        metavar="NAME",
        help="switch a permitted behaviour on in the embedded reference endpoint (repeatable; see `meterconform serve "
        "--list-readings`)",
    )
    group.addoption(
        "--database",
        dest="mc_database",
        default=None,
        metavar="URL",
        help="shared Hypothesis example database: redis://host:port/db or a directory; read-only unless "
        "--database-writable (env METERCONFORM_DATABASE). Stored failures replay first.",
    )
    group.addoption(
        "--no-example-database",
        dest="mc_no_database",
        action="store_true",
        default=False,
        help="keep no Hypothesis example database (a reproducible run: nothing replays from earlier runs)",
    )
    group.addoption(
        "--database-writable",
        dest="mc_database_writable",
        action="store_true",
        default=False,
        help="write new examples into --database too (what `meterconform fuzz` does)",
    )
    group.addoption("--fuzz-deadline", dest="mc_fuzz_deadline", type=float, default=None, help=argparse.SUPPRESS)
    group.addoption("--fuzz-worker", dest="mc_fuzz_worker", type=fuzz_worker, default=None, help=argparse.SUPPRESS)
    group.addoption("--fuzz-progress", dest="mc_fuzz_progress", default=None, help=argparse.SUPPRESS)
    group.addoption("--fuzz-known", dest="mc_fuzz_known", default=None, help=argparse.SUPPRESS)
    group.addoption("--fuzz-cover", dest="mc_fuzz_cover", action="store_true", default=False, help=argparse.SUPPRESS)
    group.addoption(
        "--max-examples",
        dest="mc_max_examples",
        type=int,
        default=None,
        metavar="N",
        help="override the depth's examples per property check",
    )
    group.addoption(
        "--allow-billing",
        dest="mc_allow_billing",
        action="store_true",
        default=False,
        help="on a real endpoint, also run checks that record usage (they may bill the profile's test customers)",
    )
    parser.addini("meterconform_profile", "target profile TOML path", default=None)
    parser.addini("meterconform_endpoint_url", "endpoint URL", default=None)
    parser.addini("meterconform_depth", "Hypothesis depth: quick, ci or deep", default=None)


def fuzz_worker(text: str) -> tuple[int, int]:
    """`--fuzz-worker I/N` (I counted from 1): this process is campaign worker I of N, each its own pytest run."""
    try:
        index, count = (int(part) for part in text.split("/"))
    except ValueError:
        raise pytest.UsageError(f"--fuzz-worker {text!r}: expected I/N, e.g. 1/2") from None
    if not 1 <= index <= count:
        raise pytest.UsageError(f"--fuzz-worker {text!r}: I must be between 1 and N")
    return index, count


def _pick(config: pytest.Config, option: str, env: str, ini: str) -> str | None:
    """Command line, then environment, then [tool.pytest.ini_options]."""
    value = config.getoption(option)
    if value:
        return value
    if os.environ.get(env):
        return os.environ[env]
    return config.getini(ini) or None


@dataclass(eq=False)  # registered as a plugin (it collects the events): must stay hashable
class RunContext:
    """Everything a run shares: the profile, where the endpoint is, and the collected events."""

    profile: Profile
    url: str | None
    depth: str
    faults: list[str]
    allow_billing: bool
    readings: list[str] = field(default_factory=list)
    events_by_node: dict[str, CheckResult] = field(default_factory=dict)  # a teardown failure replaces its result
    progress_path: str | None = None  # a campaign round's live feed: one event line per check as it ends
    known: dict[str, frozenset[str]] = field(default_factory=dict)  # a campaign round: per check, clauses found broken
    stack: ExitStack = field(default_factory=ExitStack)
    started: float = field(default_factory=time.time)
    embedded: bool = False
    gone: str | None = None  # the endpoint stopped answering mid-run: why, and during which check (this process)
    collection_errors: dict[str, None] = field(
        default_factory=dict
    )  # suite modules that could not be imported (ordered set)

    @property
    def events(self) -> list[CheckResult]:
        return list(self.events_by_node.values())

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Collect the event a check's report carries (in the controller under xdist)."""
        raw_event = getattr(report, "meterconform", None)
        if raw_event is not None:
            result = CheckResult.from_json(json.loads(raw_event))
            self.events_by_node[result.nodeid] = result
            if self.progress_path:
                with open(self.progress_path, "a", encoding="utf-8") as feed:
                    feed.write(raw_event + "\n")

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        """A suite module that cannot be imported: its checks never run, so the run has no verdict (under xdist
        the controller hears of each worker's, once per module)."""
        if report.failed:
            self.collection_errors[collected_module(report)] = None

    def meta(self, config: pytest.Config) -> dict[str, Any]:
        import boto3
        import botocore
        import hypothesis

        seed = config.getoption("hypothesis_seed", default=None)
        return {
            "tool": "meterconform",
            "version": __version__,
            "profile": self.profile.source,
            "endpoint": self.url or "embedded reference endpoint (one per worker)",
            "embedded": self.url is None or self.embedded or os.environ.get("METERCONFORM_TARGET") == "reference",
            "target": os.environ.get("METERCONFORM_TARGET") or ("reference" if self.embedded else "external"),
            "kind": self.profile.endpoint.kind,
            "region": self.profile.endpoint.region,
            "depth": self.depth,
            "faults": self.faults,
            "readings": self.readings,
            "billing": "allowed"
            if self.allow_billing
            else ("guarded" if self.profile.endpoint.is_real else "not applicable (loopback emulator)"),
            "hypothesis_seed": seed,
            "database": config.getoption("mc_database") or os.environ.get("METERCONFORM_DATABASE"),
            "started": self.started,
            "finished": time.time(),
            "collection_errors": list(self.collection_errors),
            "versions": {
                "botocore": botocore.__version__,
                "boto3": boto3.__version__,
                "hypothesis": hypothesis.__version__,
                "pytest": pytest.__version__,
            },
        }


RUN = pytest.StashKey[RunContext]()  # config.stash: the run's context (set by pytest_configure)
METERING = pytest.StashKey["Metering"]()  # item.stash: the check's `metering` handle (set by the fixture)
EXAMPLES = pytest.StashKey[int]()  # item.stash: the examples Hypothesis ran for a property check
# config.stash: set by a caller running pytest in its own process (`meterconform run`) that takes the run's results
# from RESULTS at the session's end and writes events.jsonl itself, once, with how the run ended.
CALLER_WRITES_EVENTS = pytest.StashKey[bool]()
RESULTS = pytest.StashKey["RunResults"]()  # config.stash: the run's results, set at the session's end


def collected_module(report: pytest.CollectReport) -> str:
    """The module a failed collection report is about: its node id, or (a module outside the rootdir, whose node
    id is empty) the path pytest's error text names."""
    if report.nodeid:
        return report.nodeid
    import re

    named = re.search(r"module '([^']+)'", str(report.longrepr))
    return named.group(1) if named else str(report.longrepr).splitlines()[0][:200] if report.longrepr else "a module"


_CONFIGS: list[pytest.Config] = []  # the session's config, for the keyboard-interrupt hook (it is given none)


def pytest_configure(config: pytest.Config) -> None:
    _CONFIGS.append(config)
    config.addinivalue_line("markers", "clause(*ids): the contract clause ids a check verifies")
    config.addinivalue_line("markers", "records_usage: the check may record (bill) usage on a real endpoint")
    config.addinivalue_line("markers", "smoke: the smoke suite (one success and one error per operation)")
    if RUN in config.stash:
        return
    try:
        path = _pick(config, "mc_profile", ENV_PROFILE, "meterconform_profile")
        if path is None and os.environ.get("METERCONFORM_TARGET") == "moto":  # `run/fuzz --target moto`
            from .harness.builtin_targets import moto_profile

            profile = moto_profile()
        else:
            profile = load_profile(path)
    except ProfileError as exc:
        raise pytest.UsageError(str(exc)) from None
    url = _pick(config, "mc_endpoint_url", ENV_URL, "meterconform_endpoint_url") or profile.endpoint.url
    if (problem := url_problem(url)) is not None:
        raise pytest.UsageError(problem)
    if url:
        profile = profile.with_url(url)
    depth = _pick(config, "mc_depth", ENV_DEPTH, "meterconform_depth") or "ci"
    if depth not in DEPTHS:
        raise pytest.UsageError(f"--depth {depth!r} is not one of {', '.join(sorted(DEPTHS))}")
    if not config.getoption("hypothesis_profile", default=None):
        load_depth(depth)
    if config.getoption("mc_max_examples"):
        from hypothesis import settings

        settings.register_profile(
            "meterconform-sized", parent=settings.default, max_examples=config.getoption("mc_max_examples")
        )
        settings.load_profile("meterconform-sized")
    database_url = config.getoption("mc_database") or os.environ.get("METERCONFORM_DATABASE")
    if config.getoption("mc_no_database"):
        if database_url:
            raise pytest.UsageError("--no-example-database with --database: give one of them")
        from hypothesis import settings

        settings.register_profile("meterconform-no-database", parent=settings.default, database=None)
        settings.load_profile("meterconform-no-database")
    if database_url and config.getoption("hypothesis_seed", default=None) is not None:
        raise pytest.UsageError(
            "--database with --hypothesis-seed: Hypothesis skips the example database under a fixed seed "
            "(no stored failure replays, nothing found is saved); drop --hypothesis-seed"
        )
    if database_url:
        from hypothesis import settings

        from .harness.database import DatabaseError, example_database

        try:
            db = example_database(database_url, writable=bool(config.getoption("mc_database_writable")))
        except DatabaseError as exc:
            raise pytest.UsageError(str(exc)) from None
        settings.register_profile("meterconform-active", parent=settings.default, database=db)
        settings.load_profile("meterconform-active")
    register_secret(
        profile.endpoint.access_key_id,
        profile.endpoint.secret_access_key,
        profile.endpoint.session_token,
        *(t.token for t in profile.registration_tokens.valid),
        *profile.registration_tokens.expired,
        *profile.registration_tokens.invalid,
    )
    ctx = config.stash[RUN] = RunContext(
        profile=profile,
        url=url,
        depth=depth,
        faults=list(config.getoption("mc_faults") or []),
        allow_billing=bool(config.getoption("mc_allow_billing")),
        readings=list(config.getoption("mc_readings") or []),
    )
    ctx.progress_path = config.getoption("mc_fuzz_progress")
    if config.getoption("mc_fuzz_known"):
        ctx.known = _load_known(config.getoption("mc_fuzz_known"))
    config.pluginmanager.register(ctx, "meterconform-events")


def _load_known(path: str) -> dict[str, frozenset[str]]:
    """A campaign round's `--fuzz-known` file: per check, the clauses earlier rounds found it breaking. A check
    meeting one of those again rejects the example (Metering.fail) and goes on looking for the others; the
    example database keeps every entry meanwhile (KeepingDatabase), since a stored failure that is now
    rejected is not a fixed one."""
    try:
        known = {nodeid: frozenset(clauses) for nodeid, clauses in json.loads(Path(path).read_text()).items()}
    except (OSError, ValueError, AttributeError, TypeError) as exc:
        raise pytest.UsageError(f"--fuzz-known {path}: not a JSON object of check -> clauses ({exc})") from None
    from hypothesis import settings

    from .harness.database import KeepingDatabase

    if known and settings.default.database is not None:
        settings.register_profile(
            "meterconform-keeping", parent=settings.default, database=KeepingDatabase(settings.default.database)
        )
        settings.load_profile("meterconform-keeping")
    return known


def pytest_unconfigure(config: pytest.Config) -> None:
    if config in _CONFIGS:
        _CONFIGS.remove(config)
    ctx: RunContext | None = config.stash.get(RUN, None)
    if ctx is not None:
        ctx.stack.close()


def pytest_report_header(config: pytest.Config) -> list[str]:
    ctx: RunContext = config.stash[RUN]
    ep = ctx.profile.endpoint
    where = ctx.url or "the embedded reference endpoint (started on loopback)"
    lines = [
        f"meterconform {__version__}: profile {ctx.profile.source}; endpoint {where}; kind {ep.kind}; region "
        f"{ep.region}; depth {ctx.depth}"
    ]
    if ctx.faults:
        lines.append(f"meterconform: reference endpoint faults on: {', '.join(ctx.faults)}")
    if ctx.readings:
        lines.append(f"meterconform: reference endpoint readings on: {', '.join(ctx.readings)}")
    if ep.is_real:
        mode = (
            "ALLOWED (--allow-billing)"
            if ctx.allow_billing
            else "GUARDED: checks that could record usage are held back"
        )
        lines.append(f"meterconform: billing {mode}")
    return lines


@pytest.hookimpl(trylast=True)  # after -m / -k deselection
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A campaign's worker I of N starts at another check than the others (the list rotated by (I-1)/N), so
    when the budget runs out mid-round, the checks the workers never reached are not the same ones. In a cover
    round (--fuzz-cover) worker I runs only its own I-th share, so the workers together run every check once
    as soon as they can."""
    fuzz_worker = config.getoption("mc_fuzz_worker") or (1, 1)
    if items and fuzz_worker != (1, 1):
        start = (fuzz_worker[0] - 1) * len(items) // fuzz_worker[1]
        end = fuzz_worker[0] * len(items) // fuzz_worker[1]
        if config.getoption("mc_fuzz_cover"):
            config.hook.pytest_deselected(items=items[:start] + items[end:])
            items[:] = items[start:end]
        else:
            items[:] = items[start:] + items[:start]


# -- guards ------------------------------------------------------------------------------------


def endpoint_gone(url: str, profile: Profile, *, attempts: int = 3, pause: float = 1.0) -> str | None:
    """After a check got no answer at all: None when the endpoint still answers the reachability probe (within
    `attempts` tries `pause` s apart: one restarting is given the time), else why it does not."""
    return probe(
        url,
        timeout=max(profile.endpoint.connect_timeout, 1.0),
        attempts=attempts,
        pause=pause,
        ca_bundle=profile.endpoint.tls_trust,
        patient=True,
    )


def pytest_runtest_setup(item: pytest.Item) -> None:
    ctx: RunContext = item.config.stash[RUN]
    deadline = item.config.getoption("mc_fuzz_deadline")
    if deadline and time.time() > deadline:
        pytest.skip("FUZZ BUDGET spent before this check's turn")
    if ctx.gone:
        pytest.skip(f"{NOT_RUN}{ctx.gone}")
    if item.get_closest_marker("records_usage") and ctx.profile.endpoint.is_real and not ctx.allow_billing:
        pytest.skip(
            "BILLING GUARD: this check may record usage on a real endpoint; run with --allow-billing to include it"
        )


@pytest.hookimpl(wrapper=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function):
    handle = getattr(pyfuncitem.obj, "hypothesis", None)
    if handle is not None and hasattr(handle, "inner_test"):
        # Count the examples Hypothesis runs (Hypothesis documents `inner_test` as the place to wrap).
        inner = handle.inner_test
        pyfuncitem.stash[EXAMPLES] = 0

        def counted(*args, **kwargs):
            pyfuncitem.stash[EXAMPLES] += 1
            metering = pyfuncitem.stash.get(METERING, None)
            if metering is not None:  # which example a verdict belongs to (clause x outcome coverage)
                metering.example = pyfuncitem.stash[EXAMPLES]
            return inner(*args, **kwargs)

        handle.inner_test = counted
    try:
        return (yield)
    finally:
        if handle is not None and hasattr(handle, "inner_test"):
            handle.inner_test = inner


# -- events ------------------------------------------------------------------------------------


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    if not hasattr(item, "get_closest_marker"):
        return report
    clauses = [cid for mark in item.iter_markers("clause") for cid in mark.args]
    if not clauses:
        return report
    is_final = (
        report.when == "call"
        or (report.when == "setup" and report.outcome != "passed")
        or (report.when == "teardown" and report.outcome == "failed")
    )
    if is_final:
        metering = item.stash.get(METERING, None)
        ctx: RunContext | None = item.config.stash.get(RUN, None)
        if (
            report.when == "call"
            and metering is not None
            and metering.unanswered
            and ctx is not None
            and ctx.gone is None
        ):
            # Requests went unanswered: if the endpoint itself is gone, the checks after this one are not run.
            problem = endpoint_gone(metering.transport.url, ctx.profile)
            if problem:
                ctx.gone = f"the endpoint stopped answering during {item.nodeid}: {problem}"
        exc = call.excinfo.value if call.excinfo else None
        result = build_event(item, report, clauses, exc, metering, examples=item.stash.get(EXAMPLES, None))
        # As JSON text: xdist's execnet cannot carry ints beyond 32 bits (quantities like 2147483648).
        report.meterconform = json.dumps(result.to_json(), default=str)
        # junit.xml takes properties from the teardown report, which copies item.user_properties.
        item.user_properties = [p for p in item.user_properties if p[0] not in ("clause", "verdict")]
        item.user_properties.extend(("clause", cid) for cid in clauses)
        item.user_properties.append(("verdict", result.verdict))
        if result.verdict == "SKIPPED" and report.outcome == "failed":  # only known failures met (a campaign)
            report.outcome = "skipped"
            report.longrepr = (str(item.path), None, result.reason)
        if result.verdict == "NON-STRICT" and report.outcome == "failed":
            # A SHOULD that is not met is reported, not gated.
            report.outcome = "skipped"
            report.wasxfail = f"NON-STRICT: {result.reason[:300]}"
    return report


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    ctx: RunContext | None = session.config.stash.get(RUN, None)
    # Probe once, in the controller (or the only process): an unreachable endpoint ends the run with exit 3.
    if (
        ctx is not None
        and ctx.url
        and not hasattr(session.config, "workerinput")
        and not session.config.option.collectonly
    ):
        if (problem := credentials_problem(ctx.profile)) is not None:  # nothing could be signed: no check can judge
            pytest.exit(f"meterconform: {problem}", returncode=pytest.ExitCode.USAGE_ERROR)
        problem = probe(
            ctx.url, timeout=max(ctx.profile.endpoint.connect_timeout, 1.0), ca_bundle=ctx.profile.endpoint.tls_trust
        )
        if problem:
            pytest.exit(f"meterconform: {problem}", returncode=3)
        if (refusal := preflight(ctx.profile, ctx.url)) is not None:  # wrong credentials or path: no check can judge
            pytest.exit(
                f"meterconform: {refusal.message}",
                returncode=pytest.ExitCode.USAGE_ERROR if refusal.code == 2 else refusal.code,
            )


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    if hasattr(config, "workerinput"):
        return
    ctx: RunContext = config.stash[RUN]
    events_path = config.getoption("mc_events")
    json_path = config.getoption("mc_conformance_json")
    caller_writes = config.stash.get(CALLER_WRITES_EVENTS, False)
    if not (events_path or json_path or caller_writes):
        return
    from .results.run_results import RunResults

    run = RunResults(ctx.meta(config), ctx.events)
    config.stash[RESULTS] = run
    if events_path and not caller_writes:
        write_events(events_path, run.meta, run.checks)
    if json_path:  # without a verdict: `meterconform run` rewrites it with the gate's (render.finish_run)
        from .render.json_report import write_json

        write_json(run, Path(json_path), with_verdict=False)


class _PlainInterrupt:
    """What pytest's terminal reporter prints for an interrupt whose traceback it could not render."""

    def __init__(self, message: str):
        self.reprcrash, self.message = self, message

    def toterminal(self, tw) -> None:
        tw.line(self.message)


@pytest.hookimpl(wrapper=True)
def pytest_keyboard_interrupt(excinfo):
    """Ctrl-C or SIGTERM must end the run as INTERRUPTED, whatever pytest's rendering of where it landed does.

    pytest's terminal reporter renders the interrupted traceback; a signal landing in code Python gives no line
    number (tb_lineno None) makes that rendering raise TypeError, which turned the interrupt into an INTERNALERROR
    and a clean-looking verdict. The rendering is replaced by one plain line then (the reporter asserts at the end
    of the session that it has one); the interrupt stands."""
    try:
        return (yield)
    except Exception:  # noqa: BLE001 - only the traceback's rendering failed
        reporter = _CONFIGS[-1].pluginmanager.get_plugin("terminalreporter") if _CONFIGS else None
        if reporter is not None and getattr(reporter, "_keyboardinterrupt_memo", None) is None:
            reporter._keyboardinterrupt_memo = _PlainInterrupt(f"KeyboardInterrupt ({excinfo.typename})")
        return None


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    ctx: RunContext | None = config.stash.get(RUN, None)
    interrupted = exitstatus == pytest.ExitCode.INTERRUPTED
    # A conformance run interrupted before any check ended (during collection, say) still gets its verdict line.
    wanted = ctx is not None and (
        ctx.events or ctx.collection_errors or (interrupted and config.getoption("mc_events"))
    )
    if not wanted or hasattr(config, "workerinput"):
        return
    from .results.summary import render_summary

    terminalreporter.write_sep("=", "meterconform conformance summary")
    events_path = config.getoption("mc_events")
    report = config.getoption("mc_report_location") or (
        str(Path(events_path).parent / "conformance.html") if events_path else "pytest's failure report above"
    )
    for line in render_summary(
        ctx.events,
        ctx.meta(config),
        interrupted=interrupted,
        report=report,
        collection_errors=len(ctx.collection_errors),
    ):
        terminalreporter.write_line(line)
    if (
        terminalreporter.verbosity >= -1
    ):  # plain pytest: its own counts line follows ours (`meterconform run` passes -qq)
        terminalreporter.write_line(PYTEST_COUNTS_NOTE)
