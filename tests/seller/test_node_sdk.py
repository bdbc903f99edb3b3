"""Another language's SDK against the admin surface: examples/node's suite (AWS SDK for JavaScript v3) passes
against `ReferenceEndpoint(admin=True)`, installed from the npm registry into a temporary directory."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from meterconform.reference import ReferenceEndpoint

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "node"
NETWORK_ERRORS = ("ENOTFOUND", "EAI_AGAIN", "ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "ENETUNREACH")


@pytest.mark.skipif(not (shutil.which("node") and shutil.which("npm")), reason="node and npm are not installed")
def test_the_node_example_suite_passes_against_the_admin_surface(tmp_path):
    for name in ("package.json", "metering.test.mjs"):
        shutil.copy(EXAMPLE / name, tmp_path / name)
    install = subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=240,
    )
    if install.returncode != 0 and any(code in install.stderr for code in NETWORK_ERRORS):
        pytest.skip(f"the npm registry cannot be reached: {install.stderr.strip().splitlines()[0]}")
    assert install.returncode == 0, install.stderr
    with ReferenceEndpoint(admin=True) as endpoint:
        result = subprocess.run(
            ["node", "--test", "metering.test.mjs"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            env={**_env(), "METERCONFORM_URL": endpoint.url},
        )
        requests = endpoint.journal.exchanges() if endpoint.journal else []
    assert result.returncode == 0, result.stdout + result.stderr
    assert "# pass 4" in result.stdout and "# fail 0" in result.stdout
    # each test resets the endpoint first: the journal holds the last test's request, refused by the moved clock
    assert [(e.operation, e.error) for e in requests] == [("BatchMeterUsage", "TimestampOutOfBoundsException")]


def _env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
