"""Preflight: wrong credentials, a plain-HTTP server behind https:// and a path that serves nothing stop a run
before its first check, in one line; conformant endpoints that differ (readings, moto) pass it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from meterconform.harness.profile import from_dict, load_profile
from meterconform.harness.served_profile import served_profile_data, to_toml
from meterconform.reference import ReferenceEndpoint, running_endpoint
from meterconform.transport.clients import Exchange
from meterconform.transport.preflight import credentials_refusal, preflight
from tests.suites.runner import REPO

CLI = [sys.executable, "-m", "meterconform"]
BAD_SIGNATURE = (
    "HTTP 400 InvalidSignatureException: The request signature we calculated does not match the signature "
    "you provided. Check your AWS Secret Access Key and signing method."
)


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("METERCONFORM_", "PYTEST_XDIST"))}


def _profile(tmp_path: Path, url: str, **endpoint) -> Path:
    """The served endpoint's own profile, with `endpoint` keys changed."""
    data = served_profile_data(None, url)
    data["endpoint"].update(endpoint)
    path = tmp_path / "p.toml"
    path.write_text(to_toml(data))
    return path


def _cli(args: list[str], cwd: Path, timeout: float = 120) -> tuple[subprocess.CompletedProcess, float]:
    start = time.monotonic()
    proc = subprocess.run(args, cwd=cwd, capture_output=True, text=True, env=_env(), timeout=timeout)
    return proc, time.monotonic() - start


def _refused_credentials(url: str, path: Path) -> str:
    return (
        f"meterconform: the endpoint {url} refuses the credentials (the secret does not match); set "
        f"endpoint.access_key_id and endpoint.secret_access_key in the profile {path} to the keys it expects "
        f"(its answer to a DryRun MeterUsage: {BAD_SIGNATURE})\n"
    )


@pytest.mark.parametrize("command", [["run"], ["fuzz", "--duration", "30s"]], ids=["run", "fuzz"])
def test_a_wrong_secret_stops_the_run_at_once_naming_the_credentials_keys(command, tmp_path):
    with ReferenceEndpoint() as endpoint:
        url = endpoint.url
        path = _profile(tmp_path, url, secret_access_key="not-the-secret")
        proc, took = _cli(CLI + command + ["--profile", str(path), "--report-dir", str(tmp_path / "r")], tmp_path)
    assert (proc.returncode, proc.stderr) == (2, _refused_credentials(url, path)), proc.stdout[-2000:]
    assert took < 10 and not (tmp_path / "r" / "events.jsonl").exists()
    assert endpoint.model.record_count() == 0


def test_plain_pytest_stops_on_a_wrong_secret_before_the_first_check(tmp_path):
    with ReferenceEndpoint() as endpoint:
        url = endpoint.url
        path = _profile(tmp_path, url, secret_access_key="not-the-secret")
        proc, took = _cli(
            [
                sys.executable,
                "-m",
                "pytest",
                "suites",
                "-p",
                "meterconform.plugin",
                "-p",
                "no:cacheprovider",
                "-c",
                os.devnull,
                "--rootdir",
                str(REPO),
                "--profile",
                str(path),
                "-q",
            ],
            REPO,
        )
    assert proc.returncode == pytest.ExitCode.USAGE_ERROR, proc.stdout[-2000:]
    assert f"Exit: {_refused_credentials(url, path)}" in proc.stdout + proc.stderr
    assert " passed" not in proc.stdout and " failed" not in proc.stdout and took < 20
    assert "Traceback" not in proc.stdout + proc.stderr and "INTERNALERROR" not in proc.stdout + proc.stderr


def test_a_wrong_region_names_endpoint_region(tmp_path):
    with ReferenceEndpoint() as endpoint:
        url = endpoint.url
        path = _profile(tmp_path, url, region="eu-west-1")
        proc, _ = _cli(CLI + ["run", "--profile", str(path), "--report-dir", str(tmp_path / "r")], tmp_path)
    assert proc.returncode == 2 and proc.stderr == (
        f"meterconform: the endpoint {url} refuses the Region the requests are signed for; set endpoint.region "
        f"in the profile {path} to the Region it serves (its answer to a DryRun MeterUsage: HTTP 400 "
        "InvalidEndpointRegionException: The request is signed for Region 'eu-west-1' but this endpoint is in "
        "'us-east-1'.)\n"
    ), proc.stderr


def test_https_to_a_plain_http_server_says_plain_http(tmp_path):
    with ReferenceEndpoint() as endpoint:
        plain = endpoint.url
        tls = plain.replace("http://", "https://")
        path = _profile(tmp_path, plain)
        proc, _ = _cli(
            CLI + ["run", "--profile", str(path), "--endpoint-url", tls, "--report-dir", str(tmp_path / "r")], tmp_path
        )
    lines = proc.stderr.splitlines()
    assert proc.returncode == 3 and len(lines) == 1, proc.stderr
    assert lines[0].startswith(
        f"meterconform: the endpoint {tls} answers plain HTTP, not TLS (the TLS handshake got a non-TLS reply: "
    )
    assert lines[0].endswith(f"); use {plain} in endpoint.url / --endpoint-url") and "ca_bundle" not in lines[0]


def test_a_path_that_serves_nothing_is_named_and_the_run_does_not_go_on(tmp_path):
    with ReferenceEndpoint() as endpoint:
        url = endpoint.url
        seen: list[str] = []
        handle = endpoint.protocol.handle
        endpoint.protocol.handle = lambda method, path, *rest: seen.append(path) or handle(method, path, *rest)
        path = _profile(tmp_path, url)
        proc, took = _cli(
            CLI
            + [
                "run",
                "--profile",
                str(path),
                "--endpoint-url",
                url + "/v1/metering",
                "--report-dir",
                str(tmp_path / "r"),
            ],
            tmp_path,
        )
    assert proc.returncode == 2 and proc.stderr == (
        f"meterconform: the endpoint {url}/v1/metering answers HTTP 404 NotFoundException to every operation: "
        "no Marketplace Metering service is at the path /v1/metering; AWS JSON services answer at the root, so use "
        f"{url} in endpoint.url / --endpoint-url (or the path your gateway really serves it at)\n"
    ), proc.stderr
    # the reachability probe, then one records-nothing request per operation; no check ran
    assert seen == ["/v1/metering/"] * 5 and took < 10
    assert not (tmp_path / "r" / "events.jsonl").exists()


CONFORMANT_VARIANTS = [
    [],
    ["dryrun-200-empty"],
    ["throttle-sometimes"],
    ["internal-error-sometimes"],
    ["error-type-namespaced"],
    ["error-type-suffixed"],
    ["message-capitalised"],
    ["non-post-404"],
    ["request-id-missing", "header-names-lowercase", "chunked-responses", "connection-close"],
]


@pytest.mark.parametrize("readings", CONFORMANT_VARIANTS, ids=lambda r: "+".join(r) or "default")
def test_conformant_endpoints_that_differ_pass_and_wrong_secrets_still_stop(readings):
    profile = load_profile(None)
    with running_endpoint(readings=readings) as url:
        start = time.perf_counter()
        assert preflight(profile.with_url(url), url) is None
        assert time.perf_counter() - start < 1.0
        wrong = dict(profile.raw, endpoint={**profile.raw["endpoint"], "url": url, "secret_access_key": "not-it"})
        refusal = preflight(from_dict(wrong, "wrong.toml"), url)
    assert refusal is not None and refusal.code == 2
    assert "set endpoint.access_key_id and endpoint.secret_access_key in the profile wrong.toml" in refusal.message


def test_moto_as_a_server_passes_the_preflight():
    pytest.importorskip("moto")
    from meterconform.harness.builtin_targets import moto_profile, running_moto

    profile = moto_profile()
    with running_moto(profile) as url:
        assert preflight(profile.with_url(url), url) is None


def _answer(status: int, body: bytes) -> Exchange:
    """An answer as the wire carries it (the Exchange parses it as the checks do)."""
    return Exchange(
        operation="MeterUsage",
        via="raw",
        request={},
        status=status,
        body=body,
        headers={"content-type": "application/x-amz-json-1.1"},
    )


@pytest.mark.parametrize(
    "error, message, fix",
    [
        (
            "UnrecognizedClientException",
            "The security token included in the request is invalid.",
            "knows no such access key; set endpoint.access_key_id and endpoint.secret_access_key (and "
            "endpoint.session_token",
        ),
        (
            "com.amazon.coral.service#InvalidClientTokenId",
            "The security token included in the request is invalid.",
            "knows no such access key;",
        ),
        (
            "InvalidSignatureException",
            "Credential should be scoped to a valid region.",
            "set endpoint.region in the profile",
        ),
        (
            "InvalidSignatureException",
            "Credential should be scoped to correct service: 'aws-marketplace'.",
            "expects requests signed for another service; endpoint.url in the profile",
        ),
        (
            "InvalidSignatureException:http://internal.amazon.com/coral/com.amazon.coral.service/",
            "Signature expired: 20261204T100000Z is now earlier than 20261204T101500Z.",
            "this machine's clock is more than 15 minutes off",
        ),
        (
            "IncompleteSignatureException",
            "Authorization header requires 'Credential' parameter.",
            "got no complete SigV4 signature",
        ),
        ("MissingAuthenticationTokenException", "Missing Authentication Token", "got no complete SigV4 signature"),
        (
            "ExpiredTokenException",
            "The security token included in the request is expired",
            "refuses the session token as expired; refresh endpoint.session_token",
        ),
    ],
)
def test_each_refusal_of_the_signature_or_key_names_its_profile_keys(error, message, fix):
    profile = load_profile(None)
    body = json.dumps({"__type": error, "message": message}).encode()
    refusal = credentials_refusal(_answer(400, body), profile, "http://127.0.0.1:9")
    assert refusal is not None and refusal.code == 2 and refusal.message.startswith("the endpoint http://127.0.0.1:9 ")
    assert fix in refusal.message and "\n" not in refusal.message


@pytest.mark.parametrize(
    "status, body",
    [
        (400, b'{"__type":"DryRunOperation","message":"Request would have succeeded, but DryRun flag is set."}'),
        (200, b"{}"),
        (400, b'{"__type":"InvalidProductCodeException","message":"Unknown product code."}'),
        (400, b'{"__type":"CustomerNotEntitledException","message":"not entitled"}'),
        (500, b"<html><body>500 Internal Server Error</body></html>"),
        (403, b'{"__type":"AccessDeniedException","message":"not authorized to perform aws-marketplace:MeterUsage"}'),
    ],
    ids=["dryrun", "200", "product", "entitlement", "500-page", "access-denied"],
)
def test_answers_after_authentication_take_the_credentials(status, body):
    assert credentials_refusal(_answer(status, body), load_profile(None), "http://127.0.0.1:9") is None


def test_the_preflight_imports_no_hypothesis_before_pytest_starts():
    """`run` sends the preflight in its own process before pytest starts; had it imported Hypothesis (through the
    checks' module), pytest could no longer rewrite Hypothesis's plugin and every run against a named endpoint
    printed two PytestAssertRewriteWarnings."""
    with ReferenceEndpoint() as endpoint:
        code = (
            "import sys; from meterconform.transport.preflight import preflight; from meterconform.harness.profile "
            f"import load_profile; assert preflight(load_profile(None).with_url({endpoint.url!r}), {endpoint.url!r}) "
            "is None; print(sorted(m for m in sys.modules if m.split('.')[0] in ('hypothesis', '_hypothesis_globals')))"
        )
        proc = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=_env(), cwd=REPO, timeout=60
        )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "[]"
