"""Forked workers (--fork-workers, `run -n N`) and the default number of workers: real processes, real HTTP."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from meterconform.harness.workers import MAX_WORKERS, default_workers, observed_latency, parse_workers
from meterconform.reference import ReferenceEndpoint

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="forked workers need os.fork")

CHECKS = """
import os, json, pathlib, time

def _note(name):
    with open(os.environ["NOTES"], "a") as fh:
        fh.write(json.dumps({"test": name, "pid": os.getpid(), "worker": os.environ.get("PYTEST_XDIST_WORKER"),
                             "count": os.environ.get("PYTEST_XDIST_WORKER_COUNT")}) + "\\n")

def test_a():
    _note("a"); time.sleep(0.2)

def test_b():
    _note("b"); time.sleep(0.2)

def test_c():
    _note("c"); time.sleep(0.2)

def test_d():
    _note("d"); time.sleep(0.2)

def test_fails():
    _note("fails"); assert 1 == 2

def test_e():
    _note("e"); time.sleep(0.2)
"""


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("METERCONFORM_", "PYTEST_XDIST"))}
    env["NOTES"] = str(tmp_path / "notes.jsonl")
    return env


def _pytest(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            str(tmp_path / "test_forked.py"),
            "-c",
            os.devnull,
            "--rootdir",
            str(tmp_path),
            "-p",
            "no:cacheprovider",
            "-p",
            "no:randomly",
            "-p",
            "meterconform.plugin",
            *args,
        ],
        cwd=tmp_path,
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )


def _notes(tmp_path: Path) -> list[dict]:
    return [json.loads(line) for line in (tmp_path / "notes.jsonl").read_text().splitlines()]


def test_two_workers_share_out_the_checks_and_the_controller_reports_each_once(tmp_path):
    (tmp_path / "test_forked.py").write_text(CHECKS)
    proc = _pytest(tmp_path, "--fork-workers", "2", "--junitxml", str(tmp_path / "junit.xml"))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "1 failed, 5 passed" in proc.stdout, proc.stdout
    notes = _notes(tmp_path)
    assert sorted(n["test"] for n in notes) == ["a", "b", "c", "d", "e", "fails"]  # each check ran once
    assert {n["worker"] for n in notes} == {"gw0", "gw1"} and {n["count"] for n in notes} == {"2"}
    assert len({n["pid"] for n in notes}) == 2
    junit = (tmp_path / "junit.xml").read_text()
    assert junit.count("<testcase ") == 6 and junit.count("<failure ") == 1


def test_a_worker_that_dies_fails_the_check_it_was_running_and_the_others_still_run(tmp_path):
    (tmp_path / "test_forked.py").write_text(CHECKS.replace('_note("c"); time.sleep(0.2)', '_note("c"); os._exit(7)'))
    proc = _pytest(tmp_path, "--fork-workers", "2", "-rf")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "FAILED test_forked.py::test_c" in proc.stdout and "died (exit 7)" in proc.stdout, proc.stdout
    ran = sorted(n["test"] for n in _notes(tmp_path))
    assert ran == ["a", "b", "c", "d", "e", "fails"], ran  # the other worker took the rest
    assert "2 failed, 4 passed" in proc.stdout, proc.stdout


def test_x_stops_every_worker_at_the_first_failure(tmp_path):
    slow_tail = CHECKS.replace("def test_a():", "def test_fails_first():\n    assert False\n\ndef test_a():")
    (tmp_path / "test_forked.py").write_text(slow_tail)
    proc = _pytest(tmp_path, "--fork-workers", "2", "-x")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "1 failed" in proc.stdout and "stopping after 1 failures" in proc.stdout, proc.stdout
    assert len(_notes(tmp_path)) <= 2  # at most the check the other worker had already started


def test_fork_workers_and_xdist_together_are_a_usage_error(tmp_path):
    (tmp_path / "test_forked.py").write_text(CHECKS)
    proc = _pytest(tmp_path, "--fork-workers", "2", "-n", "2")
    assert proc.returncode == 4 and "choose one way" in proc.stderr, proc.stdout + proc.stderr


def test_run_with_two_workers_gives_the_verdicts_of_one(tmp_path):
    verdicts = {}
    for workers in ("1", "2"):
        reports = tmp_path / f"r{workers}"
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "meterconform",
                "run",
                "-n",
                workers,
                "--depth",
                "quick",
                "--seed",
                "7",
                "--no-html",
                "--report-dir",
                str(reports),
                "--",
                "-k",
                "smoke or resolve_customer",
            ],
            cwd=tmp_path,
            env=_env(tmp_path),
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
        if workers == "2":
            assert "embedded reference endpoint, one in each worker" in proc.stdout
            assert "meterconform: 2 worker processes (-n)" in proc.stdout
        else:
            assert "embedded reference endpoint at http://127.0.0.1:" in proc.stdout
        events = [json.loads(line) for line in (reports / "events.jsonl").read_text().splitlines()]
        verdicts[workers] = {e["nodeid"]: e["verdict"] for e in events if "nodeid" in e}
    assert len(verdicts["1"]) > 10 and verdicts["1"] == verdicts["2"]


def test_the_default_number_of_workers_follows_cores_latency_and_rate():
    assert default_workers(0.0, 2) == 2  # loopback: one per core
    assert default_workers(0.0005, 1) == 1
    assert default_workers(0.020, 2) == 12  # 2 * (1 + 20 / 4)
    assert default_workers(0.5, 8) == MAX_WORKERS
    assert default_workers(0.020, 2, rate_per_second=100) == 3  # 100/s * 24 ms in flight
    assert default_workers(0.020, 2, rate_per_second=1) == 1
    assert parse_workers(None) is None and parse_workers("auto") is None
    assert parse_workers("0") == 1 and parse_workers("3") == 3
    with pytest.raises(ValueError):
        parse_workers("-2")


def test_observed_latency_is_the_time_an_answer_takes():
    endpoint = ReferenceEndpoint()
    url = endpoint.start()
    handle = endpoint.protocol.handle

    def held_back(*args):
        time.sleep(0.03)
        return handle(*args)

    try:
        fast = observed_latency(url)
        endpoint.protocol.handle = held_back
        slow = observed_latency(url)
    finally:
        endpoint.stop()
    assert 0 < fast < 0.02
    assert 0.03 <= slow < 0.2
    assert observed_latency(url, timeout=0.5) == 0.0  # stopped: no answer, nothing to wait for


def test_observed_latency_keeps_to_the_rate():
    endpoint = ReferenceEndpoint()
    url = endpoint.start()
    handle = endpoint.protocol.handle
    arrivals: list[float] = []

    def timed(*args):
        arrivals.append(time.monotonic())
        return handle(*args)

    endpoint.protocol.handle = timed
    try:
        observed_latency(url, samples=3, rate_per_second=20)
    finally:
        endpoint.stop()
    assert len(arrivals) == 4
    assert min(b - a for a, b in itertools.pairwise(arrivals)) >= 0.05 - 0.005


def test_workers_together_keep_to_the_profiles_rate(tmp_path):
    """Four forked workers against a named endpoint with rate_per_second = 40: the requests arrive no faster."""
    rate = 40
    default = (Path(__file__).resolve().parents[1] / "meterconform/data/default-profile.toml").read_text()
    profile = tmp_path / "rated.toml"
    profile.write_text(default.replace("read_timeout = 30", f"read_timeout = 30\nrate_per_second = {rate}"))
    endpoint = ReferenceEndpoint()
    url = endpoint.start()
    handle = endpoint.protocol.handle
    arrivals: list[float] = []

    def timed(*args):
        arrivals.append(time.monotonic())
        return handle(*args)

    endpoint.protocol.handle = timed
    try:
        env = _env(tmp_path)
        env["METERCONFORM_STATE_DIR"] = str(tmp_path / "state")
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "meterconform",
                "run",
                "-n",
                "4",
                "--profile",
                str(profile),
                "--endpoint-url",
                url,
                "--depth",
                "quick",
                "--no-html",
                "--report-dir",
                str(tmp_path / "r"),
                "--",
                "-k",
                "smoke or resolve_customer",
            ],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
    finally:
        endpoint.stop()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "meterconform: 4 worker processes (-n)" in proc.stdout
    arrivals.sort()
    assert len(arrivals) >= 20
    window = 10
    tightest = min(arrivals[i + window] - arrivals[i] for i in range(len(arrivals) - window))
    assert tightest >= window / rate - 0.02, tightest  # never more than `rate` a second, whatever the workers


def test_an_ended_worker_that_will_not_stop_is_killed_not_waited_for(monkeypatch):
    """An interrupted run must never hang on its workers: one that ignores SIGTERM (or stays blocked on a full
    pipe) is killed after the grace period, and a stopping worker's pipe is drained meanwhile."""
    from multiprocessing.connection import Pipe

    from meterconform.harness import forked_workers

    monkeypatch.setattr(forked_workers, "END_GRACE_SECONDS", 0.5)
    receive, send = Pipe(duplex=False)
    pid = os.fork()
    if pid == 0:  # a worker deaf to SIGTERM that keeps sending
        try:
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            while True:
                send.send(("report", "x" * 4096))
        finally:
            os._exit(0)
    send.close()
    workers = forked_workers._Workers.__new__(forked_workers._Workers)
    workers.pids = {receive: (pid, 0)}
    started = time.monotonic()
    workers.close(end=True)
    assert time.monotonic() - started < 5
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # reaped
