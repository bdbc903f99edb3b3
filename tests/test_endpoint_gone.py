"""An endpoint that stops answering mid-run (crashed, killed, restarted elsewhere): the check that met it fails,
the checks after it are not run (SKIPPED, "NOT RUN"), the reports are written and the exit code is 3. A campaign
stops the same way, keeping what its rounds found."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

import pytest

from meterconform.contract.traceability import collect
from meterconform.reference import ReferenceEndpoint
from meterconform.results.events import NOT_RUN

CLI = [sys.executable, "-m", "meterconform"]


class DyingEndpoint:
    """The reference endpoint, stopped for good (port closed) once it has answered `after` requests."""

    def __init__(self, after: int):
        self.endpoint, self.after, self.seen = ReferenceEndpoint(), after, 0
        handle = self.endpoint.protocol.handle

        def counted(*args):
            self.seen += 1
            if self.seen == self.after:
                threading.Thread(target=self.endpoint.stop, daemon=True).start()
            return handle(*args)

        self.endpoint.protocol.handle = counted

    def __enter__(self) -> str:
        return self.endpoint.start()

    def __exit__(self, *exc) -> None:
        self.endpoint.stop()


def _env(tmp_path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("METERCONFORM_", "PYTEST_XDIST"))}
    env["METERCONFORM_STATE_DIR"] = str(tmp_path / "state")
    return env


def _events(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()[1:]]


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_run_stops_when_the_endpoint_goes_away(tmp_path, workers):
    with DyingEndpoint(after=150) as url:
        proc = subprocess.run(
            CLI
            + ["run", "--endpoint-url", url, "--report-dir", str(tmp_path / "r"), "-n", workers, "--depth", "quick"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
            env=_env(tmp_path),
        )
    assert proc.returncode == 3, proc.stdout[-3000:] + proc.stderr[-2000:]
    last = proc.stderr.strip().splitlines()[-1]
    assert (
        last.startswith("meterconform: the endpoint stopped answering during suites/") and "Connection refused" in last
    )
    assert "checks after it did not run (SKIPPED in the reports); the checks before it stand." in last
    events = _events(tmp_path / "r" / "events.jsonl")
    not_run = [e for e in events if (e.get("reason") or "").startswith(NOT_RUN)]
    ran = [e for e in events if e not in not_run]
    # Every collected check has an event: the ones that ran and the ones the stop skipped.
    assert [e["nodeid"] for e in events] and {e["nodeid"] for e in events} == set(collect().checks)
    assert len(not_run) > 300 and {e["verdict"] for e in not_run} == {"SKIPPED"}
    # Each process lets one check meet the closed port before it stops; those fail on PROTO.TIMEOUT, the rest stand.
    broken = [e for e in ran if e["verdict"] in ("FAIL", "ERROR")]
    assert 1 <= len(broken) <= int(workers), [(e["nodeid"], e["verdict"], e.get("reason", "")[:200]) for e in broken]
    assert {e.get("failed_clause") for e in broken} == {"PROTO.TIMEOUT"}
    assert sum(e["verdict"] == "PASS" for e in ran) >= 5
    assert f"{len(not_run)} checks after it" in last
    # The summary and the HTML report say the run is incomplete, next to the verdict.
    assert "\nINCOMPLETE: the endpoint stopped answering during suites/" in proc.stdout
    assert f"{len(not_run)} checks did not run.\nchecks: " in proc.stdout
    assert "\nverdict: INCOMPLETE — on the checks that ran: NOT CONFORMANT — " in proc.stdout
    page = (tmp_path / "r" / "conformance.html").read_text()
    assert (
        '<p class="incomplete"><strong>Incomplete run.</strong> the endpoint stopped answering during suites/' in page
    )
    assert f"{len(not_run)} checks did not run" in page


def test_gone_means_the_probe_gets_no_answer_either():
    """Unanswered requests alone are no verdict on the endpoint: while it answers the probe the run goes on (an
    operation that hangs fails PROTO.TIMEOUT check by check: tests/suites/test_protocol_faults.py)."""
    from meterconform.harness.profile import load_profile
    from meterconform.plugin import endpoint_gone

    with ReferenceEndpoint() as endpoint:
        url = endpoint.url
        assert endpoint_gone(url, load_profile(None)) is None
    assert "Connection refused" in endpoint_gone(url, load_profile(None), attempts=2, pause=0.01)


def test_a_campaign_stops_when_the_endpoint_goes_away_and_keeps_what_it_found(tmp_path):
    with DyingEndpoint(after=400) as url:
        proc = subprocess.run(
            CLI
            + [
                "fuzz",
                "--endpoint-url",
                url,
                "--report-dir",
                str(tmp_path / "r"),
                "--no-html",
                "--duration",
                "40s",
                "--max-examples",
                "10",
            ],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
            env=_env(tmp_path),
        )
    assert proc.returncode == 3, proc.stdout[-3000:] + proc.stderr[-2000:]
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("meterconform fuzz: the endpoint stopped answering") and "Connection refused" in last
    assert "what they found is in the reports." in last
    events = _events(tmp_path / "r" / "events.jsonl")
    assert events and not any((e.get("reason") or "").startswith(NOT_RUN) for e in events)
    assert sum(e["verdict"] == "PASS" for e in events) >= 3


def test_a_round_the_probe_stopped_is_read_as_the_endpoint_gone_and_an_internal_error_is_not(tmp_path):
    """Exit 3 is both the probe's code and pytest's INTERNAL_ERROR: only the probe's own line makes it a gone
    endpoint (a crashed round stays "wrote no events")."""
    from types import SimpleNamespace

    from meterconform.campaign.engine import _endpoint_gone
    from meterconform.campaign.rounds import Round

    def ended(log: str, code: int = 3) -> Round:
        (tmp_path / "round.log").write_text(log)
        return Round(
            "round 2",
            SimpleNamespace(returncode=code),
            tmp_path / "none.jsonl",
            tmp_path / "round.log",
            None,
            tmp_path / "none.progress.jsonl",
        )

    probe_line = (
        "Exit: meterconform: cannot reach the endpoint http://127.0.0.1:9 (127.0.0.1:9): refused. Start the endpoint."
    )
    assert _endpoint_gone(ended(probe_line + "\n! _pytest.outcomes.Exit: ... !\n")) == (
        "the endpoint stopped answering between rounds: cannot reach the endpoint http://127.0.0.1:9 (127.0.0.1:9): "
        "refused. Start the endpoint."
    )
    assert _endpoint_gone(ended("INTERNALERROR> Traceback (most recent call last):\n")) is None
    assert _endpoint_gone(ended(probe_line, code=1)) is None
    mid = ended("")
    mid.events = [
        {"nodeid": "a", "verdict": "PASS"},
        {"nodeid": "b", "verdict": "SKIPPED", "reason": NOT_RUN + "the endpoint stopped answering during a: x"},
    ]
    assert _endpoint_gone(mid) == "the endpoint stopped answering during a: x"
