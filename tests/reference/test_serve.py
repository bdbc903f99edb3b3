"""`meterconform serve` as a subprocess: it starts, serves, logs, and stops cleanly on SIGINT and SIGTERM."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from meterconform.reference import FAULTS

from .conftest import make_client

REPO = Path(__file__).resolve().parents[2]
# The `meterconform` entry point itself (cli.main prints a usage error in one line, exit 2).
DRIVER = "import sys; from meterconform.cli import main; sys.exit(main(sys.argv[1:]))"


def serve(*args: str, **kwargs) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.Popen(
        [sys.executable, "-c", DRIVER, "serve", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=REPO,
        **kwargs,
    )


@contextlib.contextmanager
def serving(*args: str):
    """`meterconform serve ARGS` for the block: yields its first line; Ctrl-C must then stop it with exit 0."""
    process = serve(*args)
    try:
        yield process.stdout.readline()
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0


def run(*args: str) -> subprocess.CompletedProcess:
    process = serve(*args)
    out, err = process.communicate(timeout=30)
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


@pytest.mark.parametrize("stop_with", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_serve_starts_serves_and_stops_cleanly(stop_with):
    process = serve("--port", "0", "-v", "--fault", "six-tags-accepted")
    try:
        line = process.stdout.readline()
        prefix = "meterconform reference endpoint listening on "
        assert line.startswith(prefix) and line.rstrip().endswith("(faults: six-tags-accepted; readings: none)"), line
        url = line[len(prefix) :].split()[0]
        assert url.startswith("http://127.0.0.1:")
        assert make_client(url).resolve_customer(RegistrationToken="valid-token-alpha")["CustomerIdentifier"]
        process.send_signal(stop_with)
        out, err = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    assert "Traceback" not in err and "Traceback" not in out
    assert "POST ResolveCustomer 200 -" in err  # the -v request log


def test_serve_lists_the_faults():
    result = run("--list-faults")
    assert result.returncode == 0
    assert [line.split()[0] for line in result.stdout.splitlines()] == sorted(FAULTS)


@pytest.mark.parametrize("content", [None, "this is [not toml"], ids=["missing", "not-toml"])
def test_serve_refuses_an_unreadable_profile_in_one_sentence(tmp_path, content):
    path = tmp_path / "profile.toml"
    if content is not None:
        path.write_text(content)
    result = run("--profile", str(path))
    assert result.returncode == 2
    assert str(path) in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_serve_reads_a_profile(tmp_path):
    path = tmp_path / "profile.toml"
    path.write_text('[product]\ncode = "prod-from-file"\n')
    with serving("--profile", str(path)) as line:
        client = make_client(line.split()[5])
        assert client.register_usage(ProductCode="prod-from-file", PublicKeyVersion=1)["Signature"]


def test_serve_refuses_an_unknown_fault():
    result = run("--fault", "no-such-fault")
    assert result.returncode == 2 and "no-such-fault" in result.stderr and "meter-window-7h" in result.stderr


def test_serve_refuses_a_port_in_use():
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        result = run("--port", str(taken.getsockname()[1]))
    assert result.returncode == 2 and "cannot listen on" in result.stderr and "Traceback" not in result.stderr
