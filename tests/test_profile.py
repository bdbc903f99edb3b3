"""Target profile validation: each bad key gets a message naming the key and the fix."""

from __future__ import annotations

import pytest

from meterconform.harness.profile import MissingProfileData, ProfileError, from_dict, load_profile


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"endpoint": {"regoin": "us-east-1"}}, "unknown key `endpoint.regoin`: did you mean `region`?"),
        ({"endpont": {}}, "unknown key `endpont`: did you mean `endpoint`?"),
        ({"endpoint": {"kind": "production"}}, "`endpoint.kind` is 'production'; use one of 'emulator', 'aws'"),
        (
            {"endpoint": {"url": "localhost:4566"}},
            "`endpoint.url` localhost:4566 has no scheme; write http://localhost:4566",
        ),
        ({"endpoint": {"read_timeout": 0}}, "`endpoint.read_timeout` is 0"),
        ({"contract": {"batch_window_hours": "24"}}, "`contract.batch_window_hours` is '24'; it must be a number"),
        ({"contract": {"max_allocations": 1000}}, "`contract.max_allocations` is 1000; use one of 500, 2500"),
        ({"contract": {"batch_dedup": "minute"}}, "`contract.batch_dedup` is 'minute'; use one of 'time', 'hour'"),
        ({"contract": {"token_reuse": "once"}}, "`contract.token_reuse` is 'once'; use one of 'allowed', 'expired'"),
        (
            {"contract": {"idempotency_conflict_status": 418}},
            "`contract.idempotency_conflict_status` is 418; use 400, 409 or a list of them",
        ),
        ({"product": {"code": "has space"}}, "`product.code` is 'has space', which does not match"),
        ({"product": {"public_key_versions": [0]}}, "`product.public_key_versions.0` is 0"),
        (
            {"customers": {"subscribed_accounts": ["12ab"]}},
            "`customers.subscribed_accounts.0` is '12ab', which does not match",
        ),
        (
            {"customers": {"subscribed_accounts": ["111122223333"]}},
            'add `"111122223333" = "arn:aws:license-manager::..."` under [customers.licenses]',
        ),
        (
            {"registration_tokens": {"valid": {"t": {"customr": "x"}}}},
            "unknown key `registration_tokens.valid.t.customr`: did you mean `customer`?",
        ),
        (
            {"endpoint": {"secret_access_key": "s"}},
            "`endpoint.secret_access_key` is set without `endpoint.access_key_id`",
        ),
    ],
)
def test_each_bad_key_is_named_with_its_fix(raw, expected):
    with pytest.raises(ProfileError) as info:
        from_dict(raw, "p.toml")
    assert expected in str(info.value)
    assert "p.toml" in str(info.value)


def test_every_problem_is_reported_at_once():
    with pytest.raises(ProfileError) as info:
        from_dict({"endpoint": {"regoin": "x", "kind": "prod"}, "contract": {"batch_window_hours": "6"}}, "p.toml")
    assert str(info.value).count("\n  - ") == 3


def test_missing_file_and_bad_toml(tmp_path):
    with pytest.raises(ProfileError, match="does not exist; pass the path of a TOML file"):
        load_profile(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[endpoint\nurl = 1")
    with pytest.raises(ProfileError, match="is not valid TOML"):
        load_profile(bad)


def test_the_embedded_default_describes_the_reference_endpoint():
    p = load_profile()
    assert p.endpoint.url is None and p.endpoint.is_loopback and not p.endpoint.is_real
    assert p.product.code and p.product.dimensions and p.customers.subscribed and p.registration_tokens.valid
    assert p.contract.meter_window_hours == 6 and p.contract.batch_window_hours == 6
    assert p.contract.idempotency_conflict_status == (400, 409)
    assert p.contract.token_reuse == ("allowed",)  # the reference endpoint resolves a token every time


def test_kind_aws_or_a_remote_host_is_real_and_rate_limited():
    aws = from_dict({"endpoint": {"kind": "aws", "url": "https://metering.marketplace.us-east-1.amazonaws.com"}})
    assert aws.endpoint.is_real and aws.endpoint.rate_per_second == 10
    remote = from_dict({"endpoint": {"url": "http://10.1.2.3:4566"}})
    assert remote.endpoint.is_real and remote.endpoint.rate_per_second is None
    local = from_dict({"endpoint": {"url": "http://localhost:4566"}})
    assert not local.endpoint.is_real


def test_need_names_the_missing_key():
    with pytest.raises(MissingProfileData) as info:
        from_dict({}).need("customers.subscribed", "BatchMeterUsage needs a customer")
    assert info.value.key == "customers.subscribed"
    assert "add `customers.subscribed` to the profile" in str(info.value)


def test_with_url_keeps_everything_else():
    p = load_profile().with_url("http://127.0.0.1:9")
    assert p.endpoint.url == "http://127.0.0.1:9" and p.product == load_profile().product


def test_an_omitted_token_reuse_accepts_both_readings():
    """A resolved token may resolve again or answer ExpiredTokenException (the model: "the buyer has resubmitted
    the registration token"; whether AWS does so is contested)."""
    assert from_dict({}).contract.token_reuse == ("allowed", "expired")
    assert from_dict({"contract": {"token_reuse": "expired"}}).contract.token_reuse == ("expired",)


def test_an_omitted_batch_window_accepts_both_readings():
    """6 h (seed-era docs) and 24 h (installed model, current docs): inside < 6 h, stale > 24 h."""
    either = from_dict({}).contract
    assert (either.batch_window_hours, either.batch_stale_hours) == (6, 24)
    strict = from_dict({"contract": {"batch_window_hours": 24}}).contract
    assert (strict.batch_window_hours, strict.batch_stale_hours) == (24, 24)


def test_a_bad_profile_points_to_the_schema_command_not_a_checkout_path(tmp_path):
    import os
    import subprocess
    import sys

    bad = tmp_path / "bad.toml"
    bad.write_text('[endpoint]\nregoin = "us-east-1"\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("METERCONFORM_")}
    proc = subprocess.run(
        [sys.executable, "-m", "meterconform", "run", "--profile", str(bad)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.splitlines()[-1] == "(`meterconform profile --schema` prints every key a profile may have)"
    assert "schemas/" not in proc.stderr and "Traceback" not in proc.stderr


def test_profile_schema_prints_the_shipped_schema(tmp_path):
    import json
    import subprocess
    import sys
    from pathlib import Path

    proc = subprocess.run(
        [sys.executable, "-m", "meterconform", "profile", "--schema"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    shipped = Path(__file__).resolve().parents[1] / "schemas" / "target-profile.schema.json"
    assert (proc.returncode, proc.stdout) == (0, shipped.read_text(encoding="utf-8"))
    assert json.loads(proc.stdout)["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    bare = subprocess.run(
        [sys.executable, "-m", "meterconform", "profile"], cwd=tmp_path, capture_output=True, text=True
    )
    assert (bare.returncode, bare.stderr) == (
        2,
        "meterconform: say what to print: `meterconform profile --schema` prints the target profile's JSON schema\n",
    )
