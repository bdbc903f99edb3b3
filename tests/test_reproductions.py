"""A failing check's printed reproduction, executed as it stands, reproduces the failing answer."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

from meterconform.reference import running_endpoint
from meterconform.results.redact import MASK
from tests.suites.runner import REPO

CONFLICT = "suites/test_meter_usage.py::test_a_client_token_reused_with_other_parameters_conflicts[quantity]"
EXPIRED = "suites/test_resolve_customer.py::test_an_expired_token_is_expired_token"
PYTHON_MARK = re.compile(r"^# or, in Python \(prints (each answer in turn|the answer)\):\n", re.M)
SECRET = "selftest-real-secret-6d2c"
SECRET_TOKEN = "selftest-real-expired-token-41fa"


def _env(**extra: str) -> dict[str, str]:
    """No AWS_* variable of the machine running the self-tests: the snippet must carry or name its credentials."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("METERCONFORM_", "PYTEST_XDIST", "AWS_"))}
    return {**env, **extra}


def _failing_event(node: str, url: str, tmp_path: Path, profile: Path | None = None) -> dict:
    events = tmp_path / "events.jsonl"
    args = ["--profile", str(profile)] if profile else []
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            node,
            "-p",
            "meterconform.plugin",
            "-c",
            os.devnull,
            "--rootdir",
            str(REPO),
            "-p",
            "no:cacheprovider",
            "-q",
            "--tb=no",
            "--endpoint-url",
            url,
            "--events",
            str(events),
            *args,
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        env=_env(),
    )
    assert proc.returncode == 1, proc.stdout[-3000:] + proc.stderr[-3000:]
    [event] = [json.loads(line) for line in events.read_text().splitlines()[1:]]
    assert event["verdict"] == "FAIL", event
    return event


def _replay(reproduction: str, tmp_path: Path, **env: str) -> list[str]:
    """Run the reproduction's Python part in a fresh interpreter; its output lines."""
    script = tmp_path / "reproduce.py"
    script.write_text(PYTHON_MARK.split(reproduction, maxsplit=1)[-1])
    proc = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=120, env=_env(**env)
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout.splitlines()


def test_an_idempotency_failure_reproduces_as_its_whole_sequence(tmp_path):
    """A reused ClientToken with another quantity: the faulty endpoint replays the first record instead of
    IdempotencyConflictException. The reproduction sends both requests, in order, with the suite's own token."""
    with running_endpoint(faults=["token-replay-ignores-parameters"]) as url:
        event = _failing_event(CONFLICT, url, tmp_path)
        text = event["reproduction"]
        assert MASK not in text
        [token] = set(re.findall(r"'ClientToken': '([0-9a-f]{32,64})'", text))
        sends = re.findall(
            r"^send\((\d), c1\.meter_usage, .*'UsageQuantity': (\d+), 'ClientToken': '(\w+)'\}\)$", text, re.M
        )
        assert sends == [("1", "5", token), ("2", "6", token)]
        assert [line for line in text.splitlines() if line.startswith("# ") and line[2:-1].isdigit()] == [
            "# 1.",
            "# 2.",
        ]
        assert "aws_secret_access_key=SECRET" in text and "SECRET = 'meterconform-reference-secret'" in text
        first, second = _replay(text, tmp_path)  # against the still-running faulty endpoint
    record_id = re.fullmatch(r"1\. HTTP 200 \{'MeteringRecordId': '([^']+)'\}", first).group(1)
    assert second == f"2. HTTP 200 {{'MeteringRecordId': '{record_id}'}}"  # the failing answer: no conflict
    assert "HTTP 200" in event["actual"]
    with running_endpoint() as faithful_url:  # the same sequence against a faithful endpoint: the conflict
        lines = _replay(text.replace(url, faithful_url), tmp_path)
    assert lines[0].startswith("1. HTTP 200 {'MeteringRecordId': ") and lines[1].startswith("2. HTTP 400 {'Error': ")
    assert "'Code': 'IdempotencyConflictException'" in lines[1]


def test_a_public_test_token_is_shown_and_a_real_secret_is_not(tmp_path):
    """The reference endpoint's built-in expired token is a public value: shown, and the snippet replays it.
    A profile's own secret key and token are real: masked, and the snippet reads the key from the environment."""
    with running_endpoint(faults=["expired-token-as-invalid"]) as url:
        text = _failing_event(EXPIRED, url, tmp_path)["reproduction"]
        assert MASK not in text and "{'RegistrationToken': 'expired-token-0001'}" in text
        assert _replay(text, tmp_path)[0].startswith("1. HTTP 400 {'Error': {'Message': ")
        assert "'Code': 'InvalidTokenException'" in _replay(text, tmp_path)[0]

    default = tomllib.loads((REPO / "meterconform/data/default-profile.toml").read_text())
    real = (
        (REPO / "meterconform/data/default-profile.toml")
        .read_text()
        .replace('secret_access_key = "meterconform-reference-secret"', f'secret_access_key = "{SECRET}"')
        .replace('expired = ["expired-token-0001"]', f'expired = ["{SECRET_TOKEN}"]')
    )
    profile = tmp_path / "real.toml"
    profile.write_text(real)
    assert tomllib.loads(real) != default
    with running_endpoint(profile=tomllib.loads(real), faults=["expired-token-as-invalid"]) as url:
        text = _failing_event(EXPIRED, url, tmp_path, profile)["reproduction"]
        assert SECRET not in text and SECRET_TOKEN not in text
        assert f"{{'RegistrationToken': '{MASK}'}}" in text
        assert "SECRET = os.environ['AWS_SECRET_ACCESS_KEY']" in text
        assert (
            "# credentials: set AWS_SECRET_ACCESS_KEY (and AWS_ACCESS_KEY_ID) to the target profile's endpoint keys"
            in text
        )
        replayed = _replay(text.replace(MASK, SECRET_TOKEN), tmp_path, AWS_SECRET_ACCESS_KEY=SECRET)
        assert "'Code': 'InvalidTokenException'" in replayed[0]
