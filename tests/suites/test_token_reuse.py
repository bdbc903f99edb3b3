"""Token reuse is contested (a resolved registration token may resolve again, or answer ExpiredTokenException):
against an endpoint that expires resolved tokens, a profile that leaves `contract.token_reuse` out gets no
failure (the checks that meet a spent token are SKIPPED "TOKEN SPENT"), and one that says "allowed" fails."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from meterconform.reference import ReferenceEndpoint
from meterconform.reference.seed import default_profile

from .runner import errors, run_suites

# Every check that sends a valid registration token: the smoke and ResolveCustomer suites, and the protocol
# and wire checks parametrized with ResolveCustomer.
SUITES = (
    "suites/test_smoke.py",
    "suites/test_resolve_customer.py",
    "suites/test_protocol.py",
    "suites/test_wire_fuzz.py",
)
SELECT = "resolve or ResolveCustomer"
PROFILE = Path(__file__).resolve().parents[2] / "meterconform" / "data" / "default-profile.toml"


@pytest.fixture
def single_use_endpoint():
    """A reference endpoint under the other reading: a valid token resolves only the first time."""
    profile = default_profile()
    profile["contract"]["token_reuse"] = "expired"
    endpoint = ReferenceEndpoint(profile)
    yield endpoint.start()
    endpoint.stop()


def _profile(tmp_path, url: str, token_reuse: str | None):
    text = re.sub(r"(?m)^token_reuse = .*\n", "", PROFILE.read_text())
    assert "token_reuse" not in text
    text = text.replace("[endpoint]\n", f'[endpoint]\nurl = "{url}"\n', 1)
    if token_reuse:
        text = text.replace("[contract]\n", f'[contract]\ntoken_reuse = "{token_reuse}"\n', 1)
    path = tmp_path / "profile.toml"
    path.write_text(text)
    return str(path)


def test_a_profile_without_the_reading_accepts_single_use_tokens(single_use_endpoint, tmp_path):
    events = run_suites(*SUITES, extra=["--profile", _profile(tmp_path, single_use_endpoint, None), "-k", SELECT])
    assert not errors(events), errors(events)
    bad = [
        f"{e['nodeid']}: {e['verdict']} {e.get('failed_clause')} {e['reason'][:300]}"
        for e in events
        if e["verdict"] in ("FAIL", "NON-STRICT")
    ]
    assert not bad, "\n".join(bad)
    spent = [e for e in events if e["verdict"] == "SKIPPED" and e["reason"].startswith("TOKEN SPENT")]
    passed = [e for e in events if e["verdict"] == "PASS"]
    # The tokens are resolved once each and then spent; the checks that meet them later have no verdict.
    assert spent and passed, [(e["nodeid"], e["verdict"], e["reason"][:80]) for e in events]
    assert all("valid registration token #" in e["reason"] and "valid-token-" not in e["reason"] for e in spent)


def test_a_profile_that_says_allowed_fails_single_use_tokens(single_use_endpoint, tmp_path):
    events = run_suites(*SUITES, extra=["--profile", _profile(tmp_path, single_use_endpoint, "allowed"), "-k", SELECT])
    assert not errors(events), errors(events)
    failed = {e["failed_clause"] for e in events if e["verdict"] == "FAIL"}
    assert "RC.TOKEN.VALID" in failed or "PROTO.TARGET.DISPATCH" in failed, failed
    assert not [e for e in events if e["reason"].startswith("TOKEN SPENT")]
