"""`meterconform serve` prints the target profile that matches it; `--print-profile` writes it for the port it got."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tomllib

from meterconform.harness.profile import load_profile
from meterconform.harness.served_profile import served_profile, served_profile_data
from meterconform.transport.preflight import preflight

from .test_serve import REPO, run, serve

LISTENING = "meterconform reference endpoint listening on "


def _stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGINT)
    process.communicate(timeout=10)
    assert process.returncode == 0


def test_the_example_profile_is_the_served_profile_of_port_4566():
    expected = served_profile(None, "http://127.0.0.1:4566", command="meterconform serve --port 4566")
    assert (REPO / "examples" / "reference.toml").read_text() == expected
    assert tomllib.loads(expected) == served_profile_data(None, "http://127.0.0.1:4566")


def test_print_profile_alone_on_stdout_round_trips_into_a_conformant_run(tmp_path):
    process = serve("--port", "0", "--print-profile")
    try:
        line = process.stderr.readline()
        assert line.startswith(LISTENING), line
        url = line[len(LISTENING) :].split()[0]
        port = url.rsplit(":", 1)[1]
        expected = served_profile(None, url, command=f"meterconform serve --port {port}")
        assert process.stdout.read(len(expected)) == expected
        profile = tmp_path / "ref.toml"
        profile.write_text(expected)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("METERCONFORM_", "PYTEST_XDIST"))}
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "meterconform",
                "run",
                "--profile",
                str(profile),
                "--depth",
                "quick",
                "-n",
                "1",
                "--report-dir",
                str(tmp_path / "r"),
            ],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
        )
        _stop(process)
    finally:
        if process.poll() is None:
            process.kill()
    verdicts = [v for v in result.stdout.splitlines() if v.startswith("verdict: ")]
    assert result.returncode == 0 and len(verdicts) == 1, result.stdout[-3000:] + result.stderr[-2000:]
    counts = [c for c in result.stdout.splitlines() if c.startswith("checks: ")]
    assert verdicts == ["verdict: CONFORMANT"] and len(counts) == 1 and " 0 failed, 0 errors," in counts[0], counts


def test_print_profile_file_holds_the_seed_of_the_given_profile_and_the_actual_port(tmp_path):
    seed = tmp_path / "seed.toml"
    seed.write_text(
        '[endpoint]\nurl = "http://127.0.0.1:4566"\nsecret_access_key = "own-secret"\n\n'
        '[product]\ncode = "prod-from-file"\n'
    )
    written = tmp_path / "served.toml"
    process = serve("--port", "0", "--profile", str(seed), "--print-profile", str(written))
    try:
        line = process.stdout.readline()
        assert line.startswith(LISTENING), line
        url = line[len(LISTENING) :].split()[0]
        assert process.stdout.readline() == (
            f"meterconform serve: its target profile is in {written}: meterconform run --profile {written}\n"
        )
        profile = load_profile(written)
        assert (profile.endpoint.url, profile.endpoint.secret_access_key, profile.endpoint.access_key_id) == (
            url,
            "own-secret",
            "AKIDMETERCONFORM0001",
        )  # the default seed fills what the file leaves out
        assert profile.product.code == "prod-from-file" and profile.customers.subscribed
        assert preflight(profile, url) is None
        assert written.read_text().splitlines()[1] == (
            f"# Start it with `meterconform serve --port {url.rsplit(':', 1)[1]} --profile {seed}`, then: "
            "meterconform run --profile THIS-FILE"
        )
        _stop(process)
    finally:
        if process.poll() is None:
            process.kill()


def test_plain_serve_prints_its_profile_after_the_listening_line():
    process = serve("--port", "0")
    try:
        line = process.stdout.readline()
        url = line[len(LISTENING) :].split()[0]
        expected = "\n" + served_profile(None, url, command=f"meterconform serve --port {url.rsplit(':', 1)[1]}")
        assert process.stdout.read(len(expected)) == expected
        _stop(process)
    finally:
        if process.poll() is None:
            process.kill()


def test_print_profile_to_a_path_that_cannot_be_written_is_one_sentence(tmp_path):
    target = tmp_path / "no-such-dir" / "ref.toml"
    result = run("--print-profile", str(target))
    assert result.returncode == 2 and result.stderr == (
        f"meterconform: cannot write the profile to {target}: No such file or directory; give --print-profile "
        "a writable file path.\n"
    )
