"""Parallel checks without a second start-up: worker processes forked after collection (`--fork-workers N`).

pytest-xdist starts each worker as a fresh interpreter that imports pytest, Hypothesis, boto3 and the suites and
collects them again. Forked here, the workers share the controller's imports and collected items, copy on write.
Each takes the next check from a shared counter (the slowest checks do not pile up on one worker), runs it
through pytest's own runtest protocol and sends the controller its reports, which go through the controller's
hooks as they would in one process: the run's events, the terminal, -x.

A worker is `gw<i>` of `count` in $PYTEST_XDIST_WORKER / $PYTEST_XDIST_WORKER_COUNT, exactly as under xdist, so
the batch-key slots (harness/slots.py) keep them apart the same way; each draws fresh randomness after the fork.
POSIX only (os.fork); elsewhere the checks run in the one process.
"""

from __future__ import annotations

import gc
import os
import pickle
import random
import signal
import sys
import time
import traceback
from multiprocessing.connection import Connection, Pipe, wait

import pytest

WORKERS_ENV = "PYTEST_XDIST_WORKER"
COUNT_ENV = "PYTEST_XDIST_WORKER_COUNT"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("meterconform")
    group.addoption(
        "--fork-workers",
        dest="mc_fork_workers",
        type=int,
        default=0,
        metavar="N",
        help="run the checks in N worker processes forked after collection (no second start-up; POSIX)",
    )


def pytest_configure(config: pytest.Config) -> None:
    workers = config.getoption("mc_fork_workers", 0) or 0
    if workers < 0:
        raise pytest.UsageError(f"--fork-workers {workers}: expected a number of processes >= 0")
    if workers > 1 and getattr(config.option, "numprocesses", None):
        raise pytest.UsageError("--fork-workers with -n: choose one way to run the checks in parallel")


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session: pytest.Session):
    config = session.config
    workers = config.getoption("mc_fork_workers", 0) or 0
    if workers <= 1 or config.option.collectonly or not hasattr(os, "fork") or hasattr(config, "workerinput"):
        _freeze_start_up()
        return None  # pytest's own loop
    if session.testsfailed and not config.option.continue_on_collection_errors:
        raise session.Interrupted(
            f"{session.testsfailed} error{'s' if session.testsfailed != 1 else ''} during collection"
        )
    if session.items:
        _run_forked(session, min(workers, len(session.items)))
    return True


END_GRACE_SECONDS = 10  # after SIGTERM, how long an ended worker gets before it is killed


class _Counter:
    """The index of the next check to run, shared by the forked workers (an anonymous shared page and a lock)."""

    def __init__(self) -> None:
        import multiprocessing

        self._value = multiprocessing.get_context("fork").Value("i", 0)

    def take(self) -> int:
        with self._value.get_lock():
            index = self._value.value
            self._value.value = index + 1
        return index


def _run_forked(session: pytest.Session, count: int) -> None:
    """Fork `count` workers, relay their reports through this process's hooks until every worker is done."""
    _share_start_up(session.config)
    workers = _Workers(session, count)
    finished = False
    try:
        for index in range(count):
            workers.fork(index)
        finished = workers.relay()
    finally:
        workers.close(end=not finished)


class _Workers:
    """The controller's side: the forked workers, what each is running and has taken, and their messages."""

    def __init__(self, session: pytest.Session, count: int):
        self.session, self.count = session, count
        self.counter = _Counter()
        self.index_of = {item.nodeid: i for i, item in enumerate(session.items)}
        self.pids: dict[Connection, tuple[int, int]] = {}  # connection -> (pid, worker index)
        self.current: dict[Connection, tuple[str, tuple] | None] = {}  # the check each worker is running
        self.taken: dict[Connection, list[int]] = {}  # checks a worker took but has not started

    def fork(self, index: int, first: tuple[int, ...] = ()) -> None:
        """Start worker `index` (gw<index>); it runs the checks `first` before taking others from the counter."""
        receive, send = Pipe(duplex=False)
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the worker: never returns
            receive.close()
            for other in self.pids:
                other.close()
            _worker(self.session, self.counter, send, index, self.count, list(first))
        send.close()
        self.pids[receive], self.current[receive], self.taken[receive] = (pid, index), None, list(first)

    def relay(self) -> bool:
        """Pass the workers' messages to this process's hooks until each is done (True) or the session is to
        stop (-x, --maxfail: False)."""
        hook, config = self.session.config.hook, self.session.config
        while self.current:
            for conn in wait(list(self.current)):
                try:
                    kind, *payload = conn.recv()
                except (EOFError, OSError):
                    self._lost(conn)
                    continue
                if kind == "take":
                    self.taken[conn].append(payload[0])
                elif kind == "logstart":
                    self.current[conn] = (payload[0], payload[1])
                    if self.index_of.get(payload[0]) in self.taken[conn]:
                        self.taken[conn].remove(self.index_of[payload[0]])
                    hook.pytest_runtest_logstart(nodeid=payload[0], location=payload[1])
                elif kind == "report":
                    hook.pytest_runtest_logreport(
                        report=hook.pytest_report_from_serializable(config=config, data=payload[0])
                    )
                elif kind == "logfinish":
                    self.current[conn] = None
                    hook.pytest_runtest_logfinish(nodeid=payload[0], location=payload[1])
                elif kind == "done":
                    self.current.pop(conn)
                elif kind == "error":
                    raise RuntimeError(f"a forked worker broke:\n{payload[0]}")
            if self.session.shouldfail or self.session.shouldstop:  # -x / --maxfail: no further check starts
                return False
        return True

    def _lost(self, conn: Connection) -> None:
        """A worker's pipe closed before it said it was done (it crashed): the check it was running fails; the
        checks it had taken but not started go to a new worker in its place."""
        pid, index = self.pids.pop(conn)
        conn.close()
        status = _stop(pid, end=False)
        if status == "exit 130":  # Ctrl-C reached the worker first: the run is interrupted, not the check failed
            raise KeyboardInterrupt
        current, taken = self.current.pop(conn), self.taken.pop(conn)
        if current is not None:
            nodeid, location = current
            report = pytest.TestReport(
                nodeid, location, {}, "failed", f"the worker process running this check died ({status})", "call"
            )
            self.session.config.hook.pytest_runtest_logreport(report=report)
            self.session.config.hook.pytest_runtest_logfinish(nodeid=nodeid, location=location)
        if taken:
            self.fork(index, tuple(taken))

    def close(self, *, end: bool) -> None:
        """Reap every worker, ending those still running first if `end` (Ctrl-C, SIGTERM, -x). An ended worker gets
        SIGTERM, which it takes as Ctrl-C; while it stops, its pipe is drained (a worker blocked on a full pipe
        could not exit otherwise), and one still there after END_GRACE_SECONDS is killed: an interrupted run
        never hangs on its workers."""
        if not end:
            for conn, (pid, _) in self.pids.items():
                _stop(pid, end=False)
                conn.close()
            return
        for pid, _ in self.pids.values():
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        until = time.monotonic() + END_GRACE_SECONDS
        for conn, (pid, _) in self.pids.items():
            while not _reaped(pid):
                _drain(conn)
                if time.monotonic() > until:
                    os.kill(pid, signal.SIGKILL)
                    _stop(pid, end=False)
                    break
                time.sleep(0.02)
            conn.close()


def _reaped(pid: int) -> bool:
    """Whether worker `pid` has ended (and is reaped now)."""
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True
    return done == pid


def _drain(conn: Connection) -> None:
    """Read and drop what a stopping worker still sends."""
    try:
        while conn.poll(0):
            conn.recv()
    except (EOFError, OSError):
        pass


def _stop(pid: int, *, end: bool) -> str:
    """Reap a worker, ending it first (SIGTERM, which it takes as Ctrl-C) if `end`; how it ended."""
    try:
        if end:
            os.kill(pid, signal.SIGTERM)
        done, status = os.waitpid(pid, 0)
    except (ChildProcessError, ProcessLookupError):
        return "already reaped"
    return f"signal {os.WTERMSIG(status)}" if os.WIFSIGNALED(status) else f"exit {os.WEXITSTATUS(status)}"


def _share_start_up(config: pytest.Config) -> None:
    """Before the fork: load what every worker would otherwise load for itself (botocore's service model, the
    clause catalog every event names its clauses' levels from), and freeze the objects built so far out of the
    garbage collector's sight, so that the workers' collections do not walk (and, by touching, copy) the
    controller's whole heap."""
    from ..contract.catalog import CatalogError, load_catalog
    from ..plugin import RUN
    from ..transport.clients import preload_models

    try:
        load_catalog()
    except CatalogError:  # each check then says so in its own event, as in one process
        pass
    ctx = config.stash.get(RUN, None)
    if ctx is not None:
        preload_models(ctx.profile.endpoint.region)
    _freeze_start_up()


def _freeze_start_up() -> None:
    """The modules, plugins and collected items live to the end of the run: kept out of the garbage collector's
    full collections, which the checks' many short-lived objects set off again and again. No collection first: at
    this point one finds a few hundred unreachable objects among a hundred thousand and costs 30 ms of start-up."""
    gc.freeze()


class _Forwarder:
    """In a worker: the reporting hooks, sent to the controller instead of written here."""

    def __init__(self, config: pytest.Config, conn: Connection):
        self.config, self.conn = config, conn

    def pytest_runtest_logstart(self, nodeid: str, location: tuple) -> None:
        self.conn.send(("logstart", nodeid, location))

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        data = self.config.hook.pytest_report_to_serializable(config=self.config, report=report)
        try:
            self.conn.send(("report", data))
        except (pickle.PicklingError, TypeError, AttributeError):  # an unpicklable extra: keep what JSON can carry
            import json

            self.conn.send(("report", json.loads(json.dumps(data, default=str))))

    def pytest_runtest_logfinish(self, nodeid: str, location: tuple) -> None:
        self.conn.send(("logfinish", nodeid, location))


def _worker(
    session: pytest.Session, counter: _Counter, conn: Connection, index: int, count: int, first: list[int]
) -> None:
    """A forked worker: run the checks `first`, then take checks from the counter and run them until none is
    left; then exit (os._exit: the controller alone finishes the session and writes the reports). Each check
    taken is told to the controller before the one before it runs (pytest needs the next check to know which
    fixtures to tear down), so a worker that dies leaves no taken check unrun."""
    code = 0
    try:
        signal.signal(signal.SIGTERM, _interrupt)
        os.environ[WORKERS_ENV], os.environ[COUNT_ENV] = f"gw{index}", str(count)
        random.seed()  # the controller's random state was copied into every worker
        config = session.config
        _mute_reporters(config)
        _fresh_capture(config)
        config.pluginmanager.register(_Forwarder(config, conn), "meterconform-fork-forwarder")
        items = session.items

        def take() -> int:
            position = first.pop(0) if first else counter.take()
            if position < len(items):
                conn.send(("take", position))
            return position

        position = take()
        while position < len(items):
            following = take()
            nextitem = items[following] if following < len(items) else None
            config.hook.pytest_runtest_protocol(item=items[position], nextitem=nextitem)
            if session.shouldfail or session.shouldstop:
                break
            position = following
        conn.send(("done",))
    except KeyboardInterrupt:
        code = 130
    except BaseException:  # noqa: BLE001 - told to the controller, which ends the run
        code = 1
        try:
            conn.send(("error", traceback.format_exc()))
        except OSError:
            pass
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def _mute_reporters(config: pytest.Config) -> None:
    """The controller writes the terminal output and junit.xml from the relayed reports; not each worker too."""
    from _pytest.junitxml import LogXML
    from _pytest.terminal import TerminalReporter

    for plugin in list(config.pluginmanager.get_plugins()):
        if isinstance(plugin, (TerminalReporter, LogXML)):
            config.pluginmanager.unregister(plugin)


def _fresh_capture(config: pytest.Config) -> None:
    """The captured-output files were the controller's; give this worker its own, so workers do not read or
    truncate each other's output."""
    capman = config.pluginmanager.getplugin("capturemanager")
    if capman is None or capman._global_capturing is None:
        return
    from _pytest.capture import _get_multicapture

    capman._global_capturing = _get_multicapture(capman._method)
    capman._global_capturing.start_capturing()
    capman._global_capturing.suspend_capturing()
