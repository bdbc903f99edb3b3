"""`meterconform run` renders its reports from the events file and gates through the baseline (end to end)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from .conftest import cli

BASELINE = '[[expected]]\nclause = "BMU.DIMENSION.UNKNOWN"\nreason = "the fault answers InvalidProductCodeException"\n'


def test_an_expected_failure_passes_the_gate_and_every_report_is_written(tmp_path):
    (tmp_path / "baseline.toml").write_text(BASELINE)
    out = tmp_path / "reports"
    proc = cli(
        "run",
        "--report-dir",
        str(out),
        "--depth",
        "quick",
        "--fault",
        "unknown-dimension-wrong-error",
        "--baseline",
        str(tmp_path / "baseline.toml"),
        "--allure",
        "--",
        "-k",
        "smoke",
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "expected failure" in proc.stdout and "0 unexpected failures" in proc.stdout
    assert "expected    FAIL   suites/test_smoke.py::test_batch_meter_usage_rejects_an_unknown_dimension" in proc.stdout
    for name in ("conformance.html", "conformance.json", "junit.xml", "events.jsonl"):
        assert (out / name).exists(), name
    assert list((out / "allure-results").glob("*-result.json"))
    html = (out / "conformance.html").read_text()
    # the banner says the gate's words: the excused failure does not make the page say NOT CONFORMANT
    assert "NOT CONFORMANT" not in html and "CI gate with baseline" in html
    assert '<div class="verdict-word">CONFORMANT with 1 expected deviation (baseline)</div>' in html
    doc = json.loads((out / "conformance.json").read_text())
    assert doc["baseline"]["gates"] is False and doc["baseline"]["expected"]
    skipped = [c for c in ET.parse(out / "junit.xml").getroot().iter("testcase") if c.find("skipped") is not None]
    assert any(c.find("skipped").get("type") == "expected-failure" for c in skipped)


def test_a_stale_entry_fails_the_gate_and_no_html_skips_the_page(tmp_path):
    (tmp_path / "baseline.toml").write_text(BASELINE)
    out = tmp_path / "reports"
    proc = cli(
        "run",
        "--report-dir",
        str(out),
        "--depth",
        "quick",
        "--baseline",
        str(tmp_path / "baseline.toml"),
        "--no-html",
        "--",
        "-k",
        "smoke",
        cwd=tmp_path,
    )
    assert proc.returncode == 1, proc.stdout[-3000:]
    assert "STALE       clause BMU.DIMENSION.UNKNOWN now passes" in proc.stdout
    assert not (out / "conformance.html").exists() and (out / "junit.xml").exists()


def test_a_missing_or_malformed_baseline_is_refused_before_any_check_runs(tmp_path):
    (tmp_path / "bad.toml").write_text('[[expected]]\nclause = "NO.SUCH.CLAUSE"\n')
    for name, says in (("missing.toml", "does not exist"), ("bad.toml", "NO.SUCH.CLAUSE")):
        for command in (["run"], ["fuzz", "--duration", "5s"]):
            out = tmp_path / f"reports-{name}-{command[0]}"
            proc = cli(
                *command,
                "--report-dir",
                str(out),
                "--baseline",
                str(tmp_path / name),
                "--",
                "-k",
                "smoke",
                cwd=tmp_path,
            )
            assert proc.returncode == 2, proc.stdout[-2000:] + proc.stderr[-2000:]
            assert says in proc.stderr and name in proc.stderr, proc.stderr
            assert "embedded reference endpoint" not in proc.stdout and not (out / "events.jsonl").exists(), proc.stdout
