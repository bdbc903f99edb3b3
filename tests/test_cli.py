"""The command line and the plugin's option precedence: command line > environment > ini file > profile."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from meterconform import __version__
from tests.suites.runner import REPO


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("METERCONFORM_", "PYTEST_XDIST"))}
    env.update(extra)
    return env


def _header(args: list[str], env: dict[str, str], ini: str | None = None, tmp_path=None) -> str:
    """The plugin's report header line for a collect-only run."""
    cfg = os.devnull
    if ini is not None:
        cfg = str(tmp_path / "pytest.ini")
        (tmp_path / "pytest.ini").write_text("[pytest]\n" + ini)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "suites/test_smoke.py",
            "--co",
            "-p",
            "no:cacheprovider",
            "-p",
            "meterconform.plugin",
            "-c",
            cfg,
            "--rootdir",
            str(REPO),
            *args,
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    match = re.search(r"^meterconform .*$", proc.stdout, re.M)
    assert match, proc.stdout[-2000:] + proc.stderr[-2000:]
    return match.group(0)


@pytest.fixture
def profiles(tmp_path):
    paths = {}
    for name in ("cli", "env", "ini"):
        p = tmp_path / f"{name}.toml"
        p.write_text(f'[endpoint]\nurl = "http://127.0.0.1:1{len(name)}{ord(name[0])}"\n')
        paths[name] = p
    return paths


def test_command_line_beats_environment_beats_ini(profiles, tmp_path):
    ini = f"meterconform_profile = {profiles['ini']}\n"
    both = _header(["--profile", str(profiles["cli"])], _env(METERCONFORM_PROFILE=str(profiles["env"])), ini, tmp_path)
    assert f"profile {profiles['cli']};" in both
    env_only = _header([], _env(METERCONFORM_PROFILE=str(profiles["env"])), ini, tmp_path)
    assert f"profile {profiles['env']};" in env_only
    ini_only = _header([], _env(), ini, tmp_path)
    assert f"profile {profiles['ini']};" in ini_only
    nothing = _header([], _env())
    assert "profile <embedded default>;" in nothing and "embedded reference endpoint" in nothing


def test_endpoint_url_option_beats_env_beats_profile(profiles):
    line = _header(
        ["--profile", str(profiles["cli"]), "--endpoint-url", "http://127.0.0.1:7001"],
        _env(METERCONFORM_ENDPOINT_URL="http://127.0.0.1:7002"),
    )
    assert "endpoint http://127.0.0.1:7001;" in line
    line = _header(["--profile", str(profiles["cli"])], _env(METERCONFORM_ENDPOINT_URL="http://127.0.0.1:7002"))
    assert "endpoint http://127.0.0.1:7002;" in line
    line = _header(["--profile", str(profiles["cli"])], _env())
    assert "endpoint http://127.0.0.1:1399;" in line


def test_a_bad_profile_is_a_usage_error_for_plain_pytest(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[endpoint]\nkind = "prod"\n')
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "suites/test_smoke.py",
            "-p",
            "meterconform.plugin",
            "-c",
            os.devnull,
            "--rootdir",
            str(REPO),
            "--profile",
            str(bad),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        env=_env(),
        timeout=120,
    )
    assert proc.returncode == 4
    assert "`endpoint.kind` is 'prod'" in proc.stderr


def test_version_and_help():
    out = subprocess.run([sys.executable, "-m", "meterconform", "--version"], capture_output=True, text=True).stdout
    assert out.strip() == f"meterconform {__version__}"
    help_text = subprocess.run(
        [sys.executable, "-m", "meterconform", "run", "--help"], capture_output=True, text=True
    ).stdout
    for needle in ("--profile", "--endpoint-url", "--report-dir", "exit codes", "3  the endpoint cannot be reached"):
        assert needle in help_text
    top = subprocess.run([sys.executable, "-m", "meterconform"], capture_output=True, text=True)
    assert top.returncode == 2 and "run" in top.stdout and "serve" in top.stdout


def test_run_writes_junit_and_conformance_json(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "meterconform", "run", "--report-dir", str(tmp_path), "--", "-k", "smoke"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=_env(),
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-2000:]
    import json
    import xml.etree.ElementTree as ET

    doc = json.loads((tmp_path / "conformance.json").read_text())
    assert doc["counts"] == {"PASS": 8}
    for check in doc["checks"]:
        assert check["clauses"] and check["verdict"] == "PASS"
    cases = ET.parse(tmp_path / "junit.xml").getroot().iter("testcase")
    props = [{p.get("name"): p.get("value") for p in case.iter("property")} for case in cases]
    assert len(props) == 8 and all("clause" in p and p.get("verdict") == "PASS" for p in props)
    assert "verdict: CONFORMANT" in proc.stdout


@pytest.mark.parametrize(
    "command",
    [
        ["run", "--report-dir", "{file}"],
        ["run", "--report-dir", "{file}/sub"],
        ["fuzz", "--duration", "5s", "--report-dir", "{file}"],
        ["report", "{events}", "-o", "{file}"],
    ],
    ids=["run", "run-below-a-file", "fuzz", "report"],
)
def test_a_report_directory_that_is_a_file_is_one_sentence(tmp_path, command):
    (tmp_path / "taken").write_text("not a directory\n")
    (tmp_path / "events.jsonl").write_text("")
    args = [a.format(file=tmp_path / "taken", events=tmp_path / "events.jsonl") for a in command]
    proc = subprocess.run(
        [sys.executable, "-m", "meterconform", *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=_env(),
        timeout=120,
    )
    assert proc.returncode == 2, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert str(tmp_path / "taken") in proc.stderr and "not a directory; give" in proc.stderr


def test_comparing_a_conformance_json_points_at_the_events_beside_it(tmp_path):
    run_dir = tmp_path / "reports"
    run_dir.mkdir()
    (run_dir / "conformance.json").write_text('{\n  "counts": {}\n}\n')
    (run_dir / "events.jsonl").write_text("")
    proc = subprocess.run(
        [sys.executable, "-m", "meterconform", "compare", str(run_dir / "conformance.json"), str(run_dir)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=_env(),
        timeout=120,
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert f"pass {run_dir / 'events.jsonl'} or the report directory {run_dir}" in proc.stderr


NO_SCHEME = "--endpoint-url 127.0.0.1:4566 has no scheme; write http://127.0.0.1:4566 (or https:// for TLS)"


@pytest.mark.parametrize(
    "command",
    [
        ["run", "--endpoint-url", "127.0.0.1:4566"],
        ["run", "--endpoint-url", "127.0.0.1:4566", "--profile", str(REPO / "examples" / "reference.toml")],
        ["fuzz", "--endpoint-url", "127.0.0.1:4566", "--duration", "5s"],
    ],
)
def test_an_endpoint_url_without_a_scheme_is_a_usage_error_naming_the_fix(command, tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "meterconform", *command, "--report-dir", str(tmp_path / "r")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=_env(),
        timeout=60,
    )
    assert (proc.returncode, proc.stderr) == (2, f"meterconform: {NO_SCHEME}\n")
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize("command", [["run"], ["fuzz", "--duration", "5s"]], ids=["run", "fuzz"])
def test_a_profile_url_without_a_scheme_names_the_fix(command, tmp_path):
    profile = tmp_path / "ns.toml"
    profile.write_text('[endpoint]\nurl = "127.0.0.1:4566"\n')
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "meterconform",
            *command,
            "--profile",
            str(profile),
            "--report-dir",
            str(tmp_path / "r"),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=_env(),
        timeout=60,
    )
    assert (proc.returncode, proc.stderr) == (
        2,
        (
            f"meterconform: target profile {profile} is not valid:\n"
            "  - `endpoint.url` 127.0.0.1:4566 has no scheme; write http://127.0.0.1:4566 (or https:// for TLS)\n"
            "(`meterconform profile --schema` prints every key a profile may have)\n"
        ),
    )


def test_plain_pytest_refuses_an_endpoint_url_without_a_scheme():
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "suites/test_smoke.py",
            "-p",
            "no:cacheprovider",
            "-p",
            "meterconform.plugin",
            "-c",
            os.devnull,
            "--rootdir",
            str(REPO),
            "--endpoint-url",
            "127.0.0.1:4566",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        env=_env(),
        timeout=120,
    )
    assert proc.returncode == pytest.ExitCode.USAGE_ERROR and f"ERROR: {NO_SCHEME}" in proc.stderr, proc.stderr
    assert "INTERNALERROR" not in proc.stderr + proc.stdout and "Traceback" not in proc.stderr


def test_plain_pytest_says_what_its_own_counts_line_counts(tmp_path):
    from meterconform.plugin import PYTEST_COUNTS_NOTE

    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "suites/test_smoke.py",
            "-p",
            "meterconform.plugin",
            "-c",
            os.devnull,
            "--rootdir",
            str(REPO),
            "-p",
            "no:cacheprovider",
            "--depth",
            "quick",
            "-q",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        env=_env(),
        timeout=180,
    )
    out = proc.stdout.splitlines()
    assert proc.returncode == 0, proc.stdout[-3000:]
    at = out.index("verdict: CONFORMANT")
    assert out[at + 1] == PYTEST_COUNTS_NOTE and re.fullmatch(r"\d+ passed in [\d.]+s", out[at + 2]), out[at - 1 :]


def test_every_command_module_is_a_command_and_a_broken_one_is_not_hidden(monkeypatch):
    """cli.COMMANDS names every module of meterconform/commands, and a command whose import fails stops the
    parser (it used to vanish from --help without a word)."""
    import importlib

    from meterconform import cli

    modules = {p.stem for p in (Path(cli.__file__).parent / "commands").glob("*.py") if not p.stem.startswith("_")}
    assert set(cli.COMMANDS) == modules
    real = importlib.import_module

    def broken(name, package=None):
        if name == ".commands.compare":
            raise ModuleNotFoundError("No module named 'a_dependency_of_compare'")
        return real(name, package)

    monkeypatch.setattr(importlib, "import_module", broken)
    with pytest.raises(ModuleNotFoundError, match="a_dependency_of_compare"):
        cli.build_parser()


@pytest.mark.parametrize("ci", [False, True], ids=["local", "under CI"])
@pytest.mark.parametrize("option, database", [([], "a directory"), (["--no-example-database"], "None")])
def test_no_example_database_keeps_none(option, database, ci, tmp_path):
    """--no-example-database was accepted and then ignored: Hypothesis kept its directory database. Without it
    the directory database is kept under a CI service too, whose Hypothesis profile would keep none."""
    (tmp_path / "test_db.py").write_text(
        "from hypothesis import settings\n\n"
        "def test_database():\n"
        "    db = settings().database\n"
        "    print('DATABASE', 'None' if db is None else 'a directory')\n"
    )
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "test_db.py",
            "-p",
            "meterconform.plugin",
            "-c",
            os.devnull,
            "-s",
            "-q",
            "-p",
            "no:cacheprovider",
            *option,
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**{k: v for k, v in _env().items() if k != "CI"}, **({"CI": "true"} if ci else {})},
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert f"DATABASE {database}" in proc.stdout, proc.stdout[-2000:]


EXIT_SCRIPT = """
import atexit, sys, threading, time
atexit.register(lambda: print("atexit handler ran", file=sys.stderr))
if sys.argv[1] == "thread":  # a non-daemon thread still running: the ordinary exit, which waits for it
    threading.Thread(target=lambda: (time.sleep(0.3), print("thread finished"))).start()
if sys.argv[1] == "profiled":  # a profiler that writes its results once the program has returned
    sys.setprofile(lambda *args: None)
from meterconform.cli import exit_without_teardown
print("buffered output", end="")
try:
    exit_without_teardown(3)
finally:  # what cProfile does once the command returns: reached only by the ordinary exit
    print(" and the caller's code after it", end="")
"""


@pytest.mark.parametrize("case", ["plain", "thread", "profiled"])
def test_the_command_exits_with_its_code_output_flushed_and_atexit_handlers_run(case):
    proc = subprocess.run(
        [sys.executable, "-c", EXIT_SCRIPT, case], capture_output=True, text=True, timeout=60, env=_env()
    )
    assert proc.returncode == 3
    assert (
        proc.stdout
        == {
            "plain": "buffered output",
            "thread": "buffered output and the caller's code after itthread finished\n",
            "profiled": "buffered output and the caller's code after it",
        }[case]
    )
    assert proc.stderr == "atexit handler ran\n"


def test_a_run_whose_reader_stops_reading_carries_on_to_its_reports(tmp_path):
    """`meterconform run | head -1`: the run neither breaks off with a traceback nor loses its reports."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "meterconform", "run", "-n", "1", "--report-dir", "reports", "--", "-m", "smoke"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
    )
    assert proc.stdout.readline().startswith("meterconform: ")
    proc.stdout.close()  # the reader is gone before the run has printed its progress and summary
    stderr = proc.stderr.read()
    assert proc.wait(timeout=300) == 0, stderr
    assert "Traceback" not in stderr and "BrokenPipeError" not in stderr
    reports = tmp_path / "reports"
    assert {p.name for p in reports.iterdir()} >= {"conformance.html", "conformance.json", "junit.xml", "events.jsonl"}
