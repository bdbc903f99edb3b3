"""`meterconform run` and `fuzz` write events.jsonl once, at the end, with how the run ended, and never read it
back: the reports are written from the results the run holds in memory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

WATCH = textwrap.dedent(
    """
    import json, os, sys

    opened = []

    def audit(event, args):
        path = args[0] if event == "open" else None
        if isinstance(path, (str, bytes, os.PathLike)) and os.fsdecode(path).endswith("events.jsonl"):
            mode = args[1] if isinstance(args[1], str) else ("w" if args[2] & 1 or args[2] & 2 else "r")
            opened.append(mode)

    sys.addaudithook(audit)
    from meterconform.cli import main

    code = main(sys.argv[1:])
    print("OPENED " + json.dumps(opened))
    sys.exit(code)
    """
)


@pytest.mark.parametrize("interrupt", [False, True], ids=["complete", "interrupted"])
def test_a_run_writes_its_events_once_and_never_reads_them(tmp_path, interrupt):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("METERCONFORM_", "PYTEST_XDIST"))}
    select = ["-m", "smoke", "-k", "test_meter_usage_accepts_a_valid_record or test_batch_meter_usage_accepts"]
    if interrupt:  # a check that interrupts the run as Ctrl-C does
        (tmp_path / "interrupt_probe.py").write_text(
            "def pytest_runtest_logfinish(nodeid, location):\n    raise KeyboardInterrupt\n", encoding="utf-8"
        )
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(tmp_path), env.get("PYTHONPATH")) if p)
        select += ["-p", "interrupt_probe"]
    proc = subprocess.run(
        [sys.executable, "-c", WATCH, "run", "-n", "1", "--no-html", "--report-dir", "reports", "--", *select],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == (130 if interrupt else 0), proc.stdout[-3000:] + proc.stderr[-3000:]
    opened = json.loads(proc.stdout.rsplit("OPENED ", 1)[1])
    assert opened == ["w"]
    events = (tmp_path / "reports" / "events.jsonl").read_text(encoding="utf-8").splitlines()
    meta = json.loads(events[0])["meta"]
    assert meta["completion"]["state"] == ("interrupted" if interrupt else "complete")
    checks = [json.loads(line) for line in events[1:]]
    assert len(checks) == (1 if interrupt else 2) and all(c["verdict"] == "PASS" for c in checks)


def test_a_campaign_writes_its_merged_events_once_and_never_reads_them(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("METERCONFORM_", "PYTEST_XDIST"))}
    proc = subprocess.run(
        [sys.executable, "-c", WATCH, "fuzz", "--duration", "6s", "--no-html", "--report-dir", "reports"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode in (0, 4), proc.stdout[-3000:] + proc.stderr[-3000:]  # 4: the budget ended first
    assert json.loads(proc.stdout.rsplit("OPENED ", 1)[1]) == ["w"]
    meta = json.loads((tmp_path / "reports" / "events.jsonl").read_text(encoding="utf-8").splitlines()[0])["meta"]
    assert meta["completion"]["state"] in ("complete", "uncovered") and meta["campaign"]["rounds"] >= 1
