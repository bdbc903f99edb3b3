"""An https endpoint whose certificate a private CA signed: trusted through `endpoint.ca_bundle`, refused (exit 3,
one sentence naming the key to set) without it. The reference endpoint serves behind real TLS here."""

from __future__ import annotations

import datetime
import ipaddress
import ssl
import subprocess
import sys
import threading

import pytest

from meterconform.reference import ReferenceEndpoint
from meterconform.reference.server import MeteringHTTPServer
from tests.suites.runner import REPO

x509 = pytest.importorskip("cryptography.x509")  # moto's dependency, in the [test] extra


def _ca_and_certificate(tmp_path):
    """A CA (ca.pem) and a certificate it signed for localhost / 127.0.0.1 (cert.pem, key.pem)."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "meterconform test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    (tmp_path / "ca.pem").write_bytes(ca.public_bytes(pem))
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(pem))
    (tmp_path / "key.pem").write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )


@pytest.fixture
def https_endpoint(tmp_path):
    """The reference endpoint (default seed) serving https on 127.0.0.1 with the private CA's certificate."""
    _ca_and_certificate(tmp_path)
    endpoint = ReferenceEndpoint()
    server = MeteringHTTPServer(("127.0.0.1", 0), endpoint.protocol)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.close_connections()
    server.server_close()


def _profile(tmp_path, url: str, ca_bundle: str | None) -> str:
    """The embedded default profile (its seed matches the endpoint's) aimed at `url`, with `ca_bundle`."""
    from meterconform.harness.profile import default_profile_text

    text = default_profile_text().replace(
        "[endpoint]\n", f'[endpoint]\nurl = "{url}"\n' + (f'ca_bundle = "{ca_bundle}"\n' if ca_bundle else ""), 1
    )
    (tmp_path / "p.toml").write_text(text)
    return str(tmp_path / "p.toml")


def _run(tmp_path, profile: str, *select: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in __import__("os").environ.items() if not k.startswith(("METERCONFORM_", "PYTEST_XDIST"))}
    env.pop("AWS_CA_BUNDLE", None)  # the system's trust store only, whatever this machine sets
    env["METERCONFORM_STATE_DIR"] = str(tmp_path / "state")
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "meterconform",
            "run",
            "--profile",
            profile,
            "--report-dir",
            str(tmp_path / "out"),
            "--no-html",
            "--",
            *select,
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def test_a_private_ca_is_trusted_through_the_profiles_ca_bundle(tmp_path, https_endpoint):
    """boto3's calls and the raw SigV4 client both go over TLS: the smoke checks (boto3) and the protocol checks
    on X-Amz-Target (raw HTTP) pass; the relative path is read from the profile's directory."""
    proc = _run(tmp_path, _profile(tmp_path, https_endpoint, "ca.pem"), "-k", "smoke or target")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "verdict: CONFORMANT" in proc.stdout
    import json

    events = [json.loads(line) for line in (tmp_path / "out" / "events.jsonl").read_text().splitlines()[1:]]
    raw = [e for e in events if "target" in e["nodeid"]]
    assert len(raw) >= 3 and {e["verdict"] for e in events} == {"PASS"}


def test_without_the_ca_bundle_the_run_stops_naming_the_key(tmp_path, https_endpoint):
    proc = _run(tmp_path, _profile(tmp_path, https_endpoint, None), "-k", "smoke")
    assert proc.returncode == 3, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert (
        f"the endpoint {https_endpoint} presented a TLS certificate that this machine's trust store does not accept"
        in proc.stderr
    )
    assert "set endpoint.ca_bundle in the profile" in proc.stderr


def test_a_ca_bundle_that_is_not_a_file_is_a_profile_error(tmp_path):
    proc = _run(tmp_path, _profile(tmp_path, "https://127.0.0.1:1", "missing.pem"), "-k", "smoke")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert f"`endpoint.ca_bundle` is '{tmp_path / 'missing.pem'}', which is not a file" in proc.stderr
