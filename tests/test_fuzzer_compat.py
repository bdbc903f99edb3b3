"""The property checks run as a fuzzer runs them, outside pytest: HypoFuzz collects the tests with pytest
(`pytest --collect-only -m hypothesis ...`), leaves out every test that requests a fixture that is not autouse,
and then calls each test function itself, running no fixture. Here the same, without HypoFuzz (its licence
keeps it out of CI): collect, apply its rule, call the functions in a fresh process against a reference
endpoint, faithful and faulty."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from meterconform.reference import ReferenceEndpoint

REPO = Path(__file__).resolve().parents[1]
CHECKS = (
    "test_unknown_product_code_is_invalid_product_code or test_a_token_nobody_issued_is_invalid_token or "
    "test_each_record_is_answered_by_its_customer or test_valid_allocations_are_accepted"
)

SCRIPT = r"""
import inspect, json, os, sys
import pytest

class Collector:
    def __init__(self):
        self.callable, self.refused = [], {}

    def pytest_collection_finish(self, session):
        for item in session.items:
            params = dict(item.callspec.params) if hasattr(item, "callspec") else {}
            # HypoFuzz's rule: a test that requests a fixture that is not autouse is not fuzzed.
            requested = [n for n in inspect.signature(item.obj).parameters if n not in params]
            if requested:
                self.refused[item.nodeid] = requested
            else:
                self.callable.append((item.nodeid, item.obj, params))

collector = Collector()
code = pytest.main(["--collect-only", "-q", "-m", "hypothesis", "-p", "meterconform.plugin", "-c", os.devnull,
                    "--rootdir", sys.argv[1], "-p", "no:cacheprovider", "--max-examples", "5", "--no-example-database",
                    os.path.join(sys.argv[1], "suites"), *sys.argv[2:]], plugins=[collector])
results = {}
for nodeid, function, params in collector.callable:  # outside pytest now: no fixture runs
    try:
        function(**params)
        results[nodeid] = "passed"
    except BaseException as exc:
        results[nodeid] = f"{type(exc).__name__}: {str(exc)[:600]}"
print(json.dumps({"code": int(code), "refused": collector.refused, "results": results}))
"""


def _fuzz_like(url: str, tmp_path: Path, *pytest_args: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("METERCONFORM_", "PYTEST_XDIST"))}
    env.update(METERCONFORM_ENDPOINT_URL=url, METERCONFORM_STATE_DIR=str(tmp_path / "state"))
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(REPO), *pytest_args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.fixture
def endpoint(request):
    ep = ReferenceEndpoint(None, getattr(request, "param", ()))
    yield ep.start()
    ep.stop()


def test_every_property_check_takes_no_fixture_and_passes_outside_pytest(endpoint, tmp_path):
    out = _fuzz_like(endpoint, tmp_path)
    assert out["code"] == 0 and not out["refused"], out["refused"]
    assert len(out["results"]) >= 26
    failed = {node: why for node, why in out["results"].items() if why != "passed"}
    assert not failed, json.dumps(failed, indent=1)[:4000]


@pytest.mark.parametrize("endpoint", [("invalid-product-code-as-500",)], indirect=True)
def test_outside_pytest_a_check_still_fails_on_its_clause(endpoint, tmp_path):
    out = _fuzz_like(endpoint, tmp_path, "-k", CHECKS)
    results = out["results"]
    assert len(results) == 5, results
    broken = results.pop("suites/test_batch_meter_usage.py::test_unknown_product_code_is_invalid_product_code")
    assert broken.startswith("ConformanceFailure") and "BMU.PRODUCT_CODE.UNKNOWN" in broken, broken
    assert set(results.values()) == {"passed"}, results


def test_the_standalone_handle_refuses_a_real_endpoint_without_consent(tmp_path):
    """Outside pytest no check can be held back by the billing guard: a real endpoint needs an explicit yes."""
    code = (
        "from meterconform.harness.current import StandaloneRefused, current_metering\n"
        "try:\n    current_metering()\nexcept StandaloneRefused as exc:\n    print('refused:', exc)\n"
    )
    profile = tmp_path / "aws.toml"
    profile.write_text(
        '[endpoint]\nkind = "aws"\nregion = "us-east-1"\nurl = "https://metering.marketplace.us-east-1.amazonaws.com"\n'
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("METERCONFORM_")}
    env.update(METERCONFORM_PROFILE=str(profile), METERCONFORM_STATE_DIR=str(tmp_path / "state"))
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert "refused:" in proc.stdout and "METERCONFORM_ALLOW_BILLING=1" in proc.stdout, proc.stdout + proc.stderr
