"""Real endpoints, safely: the billing guard, redaction canaries, unreachable / throttling endpoints, the limiter."""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from meterconform.reference import ReferenceEndpoint
from meterconform.transport.ratelimit import RateLimiter
from tests.suites.runner import REPO

CLI = [sys.executable, "-m", "meterconform"]


def _profile_text(
    url: str | None, kind: str, *, key="AKIDMETERCONFORM0001", secret="meterconform-reference-secret", extra: str = ""
) -> str:
    default = (REPO / "meterconform/data/default-profile.toml").read_text()
    body = default.split("[endpoint]", 1)[1].split("[contract]", 1)[1]
    endpoint = [
        f'kind = "{kind}"',
        'region = "us-east-1"',
        f'access_key_id = "{key}"',
        f'secret_access_key = "{secret}"',
        "rate_per_second = 1000",
        "connect_timeout = 2",
        "read_timeout = 5",
    ]
    if url:
        endpoint.insert(0, f'url = "{url}"')
    return "[endpoint]\n" + "\n".join(endpoint) + "\n" + extra + "\n[contract]" + body


def _run(args: list[str], cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("METERCONFORM_", "PYTEST_XDIST"))}
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)


def test_billing_guard_sends_nothing_that_could_record_usage(tmp_path):
    """kind = "aws": the whole suite runs against a reference endpoint and not one usage record is stored."""
    with ReferenceEndpoint() as endpoint:
        profile = tmp_path / "aws.toml"
        profile.write_text(_profile_text(endpoint.url, "aws"))
        proc = _run(
            CLI
            + ["run", "--profile", str(profile), "--report-dir", str(tmp_path / "r"), "--depth", "quick", "-n", "2"],
            tmp_path,
        )
        assert proc.returncode in (0, 1), proc.stdout[-3000:] + proc.stderr[-3000:]
        assert endpoint.model.record_count() == 0, [r for r in endpoint.model.records()][:5]
        events = [json.loads(line) for line in (tmp_path / "r/events.jsonl").read_text().splitlines()[1:]]
        guarded = [e for e in events if e["reason"].startswith("BILLING GUARD")]
        assert guarded, "no check was held back: the guard did nothing"
        assert "billing: guarded" in proc.stdout


def test_billing_guard_opt_in_lets_usage_through(tmp_path):
    with ReferenceEndpoint() as endpoint:
        profile = tmp_path / "aws.toml"
        profile.write_text(_profile_text(endpoint.url, "aws"))
        proc = _run(
            CLI
            + [
                "run",
                "--profile",
                str(profile),
                "--report-dir",
                str(tmp_path / "r"),
                "--allow-billing",
                "--",
                "-k",
                "smoke",
            ],
            tmp_path,
        )
        assert proc.returncode == 0, proc.stdout[-3000:]
        assert endpoint.model.record_count() >= 2


CANARIES = {
    "access key": "AKIDCANARY7Q3XW9PLM2",
    "secret": "canary-secret-0f9e8d7c6b5a",
    "valid token": "canary-valid-token-5e4d3c",
    "expired token": "canary-expired-token-2b1a",
    "invalid token": "canary-invalid-token-9z8y",
}


def test_no_canary_secret_reaches_any_output(tmp_path):
    tokens = (
        f'[registration_tokens]\nexpired = ["{CANARIES["expired token"]}"]\ninvalid = ["{CANARIES["invalid token"]}"]\n'
        f'[registration_tokens.valid.{CANARIES["valid token"]}]\ncustomer = "cust-alpha"\naccount = "111122223333"\n'
        'license_arn = "arn:aws:license-manager::111122223333:license:l-0123456789abcdef0123456789abcdef"\n'
    )
    text = _profile_text(None, "emulator", key=CANARIES["access key"], secret=CANARIES["secret"])
    text = text.split("[registration_tokens]")[0] + tokens
    profile = tmp_path / "canary.toml"
    profile.write_text(text)
    out = tmp_path / "out"
    # A fault makes checks fail, so failure texts and reproductions are written too.
    proc = _run(
        CLI
        + [
            "run",
            "--profile",
            str(profile),
            "--report-dir",
            str(out),
            "--depth",
            "quick",
            "--allure",
            "--fault",
            "expired-token-as-invalid",
            "--fault",
            "unknown-dimension-wrong-error",
        ],
        tmp_path,
    )
    assert proc.returncode == 1, proc.stdout[-3000:] + proc.stderr[-2000:]
    files = [p for p in out.rglob("*") if p.is_file()]
    assert any(p.name == "junit.xml" for p in files) and any(p.name == "events.jsonl" for p in files)
    leaks = {
        (name, str(p.relative_to(out)))
        for p in files
        for name, canary in CANARIES.items()
        if canary in p.read_text(encoding="utf-8", errors="replace")
    }
    leaks |= {(name, "<terminal>") for name, canary in CANARIES.items() if canary in proc.stdout + proc.stderr}
    assert leaks == set()


def test_unreachable_endpoint_exits_3_with_one_sentence(tmp_path):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = _run(CLI + ["run", "--endpoint-url", f"http://127.0.0.1:{port}", "--report-dir", str(tmp_path)], tmp_path)
    assert proc.returncode == 3
    assert "Traceback" not in proc.stderr
    assert f"127.0.0.1:{port}" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


class _Gateway(http.server.BaseHTTPRequestHandler):
    """What a load balancer answers with nothing behind it: the status and body set on the server."""

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        status, content_type, body, error_type = self.server.answer
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        if error_type:
            self.send_header("x-amzn-ErrorType", error_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def gateway():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Gateway)
    server.answer = (502, "text/html", b"<html><body><h1>502 Bad Gateway</h1></body></html>", None)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def test_a_gateway_with_nothing_behind_it_exits_3_naming_it(tmp_path, gateway):
    """Every request answered with a proxy's own 502 page: the run stops at the probe (exit 3), instead of
    reporting an endpoint that implements no operation."""
    url = f"http://127.0.0.1:{gateway.server_address[1]}"
    proc = _run(CLI + ["run", "--endpoint-url", url, "--report-dir", str(tmp_path)], tmp_path)
    assert proc.returncode == 3, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert (
        f"{url} answers with a gateway's error page, HTTP 502 (text/html: '<html><body><h1>502 Bad Gateway"
        in proc.stderr
    )
    assert "Start the endpoint or fix endpoint.url" in proc.stderr
    assert not (tmp_path / "events.jsonl").exists()


@pytest.mark.parametrize(
    "answer",
    [
        (503, "text/plain", b"Service Unavailable", None),
        (504, "text/html", b"", None),
    ],
    ids=["503-text", "504-empty"],
)
def test_the_probe_names_every_gateway_status(gateway, answer):
    from meterconform.transport.clients import probe

    gateway.answer = answer
    problem = probe(f"http://127.0.0.1:{gateway.server_address[1]}", timeout=2, pause=0.01)
    assert problem is not None and f"HTTP {answer[0]} ({answer[1]}: " in problem and "3 times in a row" in problem


@pytest.mark.parametrize(
    "answer",
    [
        (503, "application/x-amz-json-1.1", b'{"__type": "ThrottlingException", "message": "slow down"}', None),
        (502, "text/html", b"<html>busy</html>", "InternalServiceErrorException"),
        (500, "text/html", b"<html>oops</html>", None),
        (404, "text/html", b"<html>Not Found</html>", None),
    ],
    ids=["503-aws-json", "502-aws-header", "500-html", "404-html"],
)
def test_the_probe_lets_the_service_speak_for_itself(gateway, answer):
    """An AWS error (a __type or x-amzn-ErrorType), or any status but 502/503/504, is the service answering:
    the run goes on and the checks judge it."""
    from meterconform.transport.clients import probe

    gateway.answer = answer
    assert probe(f"http://127.0.0.1:{gateway.server_address[1]}", timeout=2, pause=0.01) is None


def test_a_gateway_that_recovers_between_probes_is_reachable(gateway):
    """One transient 502 is not a verdict: the probe asks again."""
    from meterconform.transport.clients import probe

    def recover():
        time.sleep(0.3)
        gateway.answer = (400, "application/x-amz-json-1.1", b'{"__type": "UnknownOperationException"}', None)

    threading.Thread(target=recover).start()
    assert probe(f"http://127.0.0.1:{gateway.server_address[1]}", timeout=2, pause=0.5) is None


def _no_credentials_env(tmp_path) -> dict[str, str]:
    """An environment where boto3's chain finds nothing: no key variables, empty config files, no metadata service."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(
            (
                "METERCONFORM_",
                "PYTEST_XDIST",
                "AWS_ACCESS",
                "AWS_SECRET",
                "AWS_SESSION",
                "AWS_PROFILE",
                "AWS_CONTAINER",
                "AWS_WEB_IDENTITY",
                "AWS_ROLE",
            )
        )
    }
    env.update(
        AWS_CONFIG_FILE=str(tmp_path / "no-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "no-credentials"),
        AWS_EC2_METADATA_DISABLED="true",
    )
    return env


@pytest.mark.parametrize("command", [["run"], ["fuzz", "--duration", "5s"]])
def test_no_credentials_anywhere_is_one_sentence_before_any_check(tmp_path, command):
    """A profile without keys and nothing in boto3's chain: exit 2 naming every way to give credentials, instead
    of an ERROR per check and a NOT CONFORMANT verdict the endpoint did not earn."""
    with ReferenceEndpoint() as endpoint:
        profile = tmp_path / "nokeys.toml"
        profile.write_text(
            "\n".join(
                line
                for line in _profile_text(endpoint.url, "emulator").splitlines()
                if not line.startswith(("access_key_id", "secret_access_key"))
            )
        )
        proc = subprocess.run(
            CLI + [*command, "--profile", str(profile), "--report-dir", str(tmp_path / "r")],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            env=_no_credentials_env(tmp_path),
        )
    assert proc.returncode == 2, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert proc.stderr.strip().splitlines() == [
        "meterconform: no AWS credentials found: set endpoint.access_key_id and endpoint.secret_access_key in the "
        "profile, name a config profile with endpoint.config_profile, or configure the standard boto3 chain "
        "(AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, ~/.aws/credentials, a role)"
    ]
    assert not (tmp_path / "r" / "events.jsonl").exists()


def test_a_config_profile_that_does_not_exist_is_named(tmp_path):
    profile = tmp_path / "named.toml"
    profile.write_text(
        "\n".join(
            line
            for line in _profile_text("http://127.0.0.1:1", "emulator").splitlines()
            if not line.startswith(("access_key_id", "secret_access_key"))
        ).replace("[endpoint]\n", '[endpoint]\nconfig_profile = "metering-tset"\n', 1)
    )
    proc = subprocess.run(
        CLI + ["run", "--profile", str(profile), "--report-dir", str(tmp_path / "r")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env=_no_credentials_env(tmp_path),
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert (
        "endpoint.config_profile names 'metering-tset', which is in neither ~/.aws/config nor ~/.aws/credentials"
        in proc.stderr
    )


def test_plain_pytest_without_credentials_stops_at_the_start(tmp_path):
    with ReferenceEndpoint() as endpoint:
        profile = tmp_path / "nokeys.toml"
        profile.write_text(
            "\n".join(
                line
                for line in _profile_text(endpoint.url, "emulator").splitlines()
                if not line.startswith(("access_key_id", "secret_access_key"))
            )
        )
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "suites",
                "-p",
                "meterconform.plugin",
                "-c",
                os.devnull,
                "--rootdir",
                str(REPO),
                "-q",
                "--profile",
                str(profile),
                "-k",
                "smoke",
            ],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=120,
            env=_no_credentials_env(tmp_path),
        )
    assert proc.returncode == pytest.ExitCode.USAGE_ERROR, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "meterconform: no AWS credentials found" in proc.stdout + proc.stderr
    assert " passed" not in proc.stdout and " error" not in proc.stdout


def test_bad_profile_exits_2_naming_the_key(tmp_path):
    profile = tmp_path / "bad.toml"
    profile.write_text('[endpoint]\nregoin = "us-east-1"\n')
    proc = _run(CLI + ["run", "--profile", str(profile), "--report-dir", str(tmp_path)], tmp_path)
    assert proc.returncode == 2
    assert "endpoint.regoin" in proc.stderr and "did you mean `region`" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_fault_exits_1(tmp_path):
    proc = _run(
        CLI + ["run", "--report-dir", str(tmp_path), "--fault", "unknown-dimension-wrong-error", "--", "-k", "smoke"],
        tmp_path,
    )
    assert proc.returncode == 1, proc.stdout[-2000:]
    assert "BMU.DIMENSION.UNKNOWN" in proc.stdout


def test_pytests_internal_error_exits_1_not_3(tmp_path):
    """pytest's INTERNAL_ERROR is exit 3 too: a plugin passed through to pytest that raises in a hook (here while
    collecting, after the probe found the embedded endpoint answering) is the suite broken, not the endpoint gone."""
    (tmp_path / "meterconform_broken_plugin.py").write_text(
        "def pytest_collection_modifyitems(items):\n    raise RuntimeError('broken plugin')\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("METERCONFORM_", "PYTEST_XDIST"))}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(tmp_path), env.get("PYTHONPATH")]))
    proc = subprocess.run(
        CLI + ["run", "--report-dir", str(tmp_path / "r"), "--", "-p", "meterconform_broken_plugin"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert "INTERNALERROR" in proc.stdout + proc.stderr and "broken plugin" in proc.stdout + proc.stderr
    assert proc.returncode == 1, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "meterconform: the suite itself broke" in proc.stderr
    assert "cannot be reached" not in proc.stdout + proc.stderr


class _Throttler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = b'{"__type":"ThrottlingException","message":"Rate exceeded"}'
        self.send_response(400)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("x-amzn-ErrorType", "ThrottlingException")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_throttling_is_never_a_failure(tmp_path):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Throttler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        profile = tmp_path / "p.toml"
        profile.write_text(_profile_text(f"http://127.0.0.1:{server.server_port}", "emulator"))
        proc = _run(
            CLI + ["run", "--profile", str(profile), "--report-dir", str(tmp_path / "r"), "--", "-k", "smoke"], tmp_path
        )
    finally:
        server.shutdown()
    events = [json.loads(line) for line in (tmp_path / "r/events.jsonl").read_text().splitlines()[1:]]
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert {e["verdict"] for e in events} == {"SKIPPED"}
    assert all(e["reason"].startswith("THROTTLED") for e in events)


def test_rate_limiter_never_exceeds_its_rate_across_processes(tmp_path):
    """Two processes share one limiter file: 2 × 10 acquisitions at 40/s cannot finish in under 19 intervals."""
    path = str(tmp_path / "rate")
    code = (
        "import sys,time; from meterconform.transport.ratelimit import RateLimiter; r=RateLimiter(40, sys.argv[1]);"
        "[r.acquire() for _ in range(10)]; print(time.time())"
    )
    start = time.time()
    procs = [subprocess.Popen([sys.executable, "-c", code, path], stdout=subprocess.PIPE, text=True) for _ in range(2)]
    ends = [float(p.communicate(timeout=60)[0]) for p in procs]
    assert max(ends) - start >= 19 / 40 - 0.01


def test_rate_limiter_rejects_a_nonsense_rate():
    with pytest.raises(ValueError, match="positive number"):
        RateLimiter(0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("key AKIAABCDEFGHIJKLMNOP here", "key ***redacted*** here"),
        ("AKIAABCDEFGHIJKLMNOP", "***redacted***"),
        ('"ASIAABCDEFGHIJKLMNOP"', '"***redacted***"'),
        ("xAKIAABCDEFGHIJKLMNOP", "xAKIAABCDEFGHIJKLMNOP"),  # inside a word: not a key id
        ("AKIAABCDEFGHIJKLMNOPq", "AKIAABCDEFGHIJKLMNOPq"),
        ("AKIAABCDEFG", "AKIAABCDEFG"),  # too short
        ("sig eyJhbGc.eyJzdWIi.abcdefghijkl end", "sig eyJhbGc.eyJzdWIi.***redacted*** end"),
        ("-eyJhbGc.eyJzdWIi.abcdefghijkl", "-eyJhbGc.eyJzdWIi.***redacted***"),
        ("aeyJhbGc.eyJzdWIi.abcdefghijkl", "aeyJhbGc.eyJzdWIi.abcdefghijkl"),  # inside a word: not a token
        ("eyJhbGc.eyJzdWIi.short", "eyJhbGc.eyJzdWIi.short"),
    ],
)
def test_redaction_masks_key_ids_and_jwt_signatures_only_at_a_word_boundary(text, expected):
    from meterconform.results.redact import redact_text

    assert redact_text(text) == expected
