"""The pytest11 entry point: a seller's first test passes under plain `pytest` on a plain install, and a pytest
project that does not ask for the fixtures collects, runs and is offered options exactly as without it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from tests.test_install_layouts import wheel_venv  # noqa: F401 (a fixture: this checkout installed as a wheel)

REPO = Path(__file__).resolve().parents[2]
FIRST_TEST = REPO / "examples" / "first-test" / "test_metering.py"
# the modules loading the entry point imports: the package (for its path) and the plugin module
ENTRY_POINT_MODULES = [
    "meterconform",
    "meterconform._checkout",
    "meterconform.testing",
    "meterconform.testing.pytest_plugin",
]

UNRELATED = {
    "conftest.py": "import pytest\n\n@pytest.fixture\ndef numbers():\n    return [3, 1, 2]\n",
    "test_things.py": """import json, os, sys
import pytest

def test_sorted(numbers):
    assert sorted(numbers) == [1, 2, 3]

@pytest.mark.parametrize("n", [1, 2, 3])
def test_positive(n):
    assert n > 0

def test_fails():
    assert 1 == 2

@pytest.mark.skip(reason="not today")
def test_skipped():
    pass

def test_what_is_imported():
    with open(os.environ["MODULES_OUT"], "w") as out:
        json.dump(sorted(m for m in sys.modules if m.split(".")[0] in ("meterconform", "boto3", "botocore")), out)
""",
}


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("METERCONFORM_", "PYTEST_", "PYTHONPATH", "AWS_"))}
    return {**env, **extra}


def _pytest(python: Path | str, args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(python), "-m", "pytest", *args], cwd=cwd, capture_output=True, text=True, timeout=300, env=_env(**env)
    )


def test_a_first_test_passes_under_plain_pytest_on_a_plain_install(wheel_venv, tmp_path):  # noqa: F811
    shutil.copy(FIRST_TEST, tmp_path / "test_metering.py")
    assert [p.name for p in tmp_path.iterdir()] == ["test_metering.py"]  # no conftest.py, no ini file
    proc = _pytest(wheel_venv / "bin" / "python", [], tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "1 passed" in proc.stdout


def _outcomes(junit: Path) -> list[tuple[str, str]]:
    found = []
    for case in ET.parse(junit).getroot().iter("testcase"):
        kind = next((c.tag for c in case if c.tag in ("failure", "error", "skipped")), "passed")
        found.append((case.get("name"), kind))
    return found


def test_an_unrelated_project_runs_exactly_as_without_the_plugin(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    for name, text in UNRELATED.items():
        (project / name).write_text(text)
    runs = {}
    for label, disable in (("with", []), ("without", ["-p", "no:meterconform"])):
        modules = tmp_path / f"modules-{label}.json"
        junit = tmp_path / f"junit-{label}.xml"
        common = ["-p", "no:cacheprovider", "-p", "no:randomly", *disable]
        collected = _pytest(sys.executable, [*common, "--collect-only", "-q"], project)
        ran = _pytest(sys.executable, [*common, f"--junitxml={junit}"], project, MODULES_OUT=str(modules))
        helped = _pytest(sys.executable, [*common, "--help"], project)
        assert ran.returncode == 1, ran.stdout[-3000:] + ran.stderr[-3000:]  # test_fails fails
        items = [line for line in collected.stdout.splitlines() if "::" in line]
        runs[label] = (items, _outcomes(junit), json.loads(modules.read_text()), helped.stdout)
    with_plugin, without = runs["with"], runs["without"]
    assert with_plugin[0] == without[0] and len(with_plugin[0]) == 7  # the same items collected
    assert with_plugin[1] == without[1]  # the same outcomes
    assert ("test_fails", "failure") in with_plugin[1] and ("test_skipped", "skipped") in with_plugin[1]
    assert with_plugin[3] == without[3]  # no new options
    assert with_plugin[2] == ENTRY_POINT_MODULES  # no boto3, botocore, nor the endpoint
    assert without[2] == []


def test_options_overridden_in_a_conftest_seed_every_endpoint(tmp_path):
    """A seller's conftest.py overrides metering_endpoint_options; the session endpoint is one for all tests."""
    (tmp_path / "conftest.py").write_text(
        "import pytest\n\n@pytest.fixture(scope='session')\ndef metering_endpoint_options():\n"
        "    return {'product_code': 'prod-mine', 'customers': ['c-1'], 'chaos': {'throttle': 1.0}}\n"
    )
    (tmp_path / "test_seeded.py").write_text("""
URLS = []

def test_function_scoped(metering_endpoint, metering_endpoint_factory):
    assert (metering_endpoint.product_code, metering_endpoint.customers) == ("prod-mine", ["c-1"])
    assert metering_endpoint.current_chaos.throttle == 1.0
    assert metering_endpoint_factory(customers=["c-2"]).customers == ["c-2"]

def test_session_first(metering_endpoint_session):
    URLS.append(metering_endpoint_session.url)
    assert metering_endpoint_session.product_code == "prod-mine"

def test_session_again(metering_endpoint_session):
    assert URLS == [metering_endpoint_session.url]
""")
    proc = _pytest(sys.executable, ["-p", "no:cacheprovider", "-p", "no:randomly", "-q"], tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "3 passed" in proc.stdout
