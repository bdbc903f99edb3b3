"""Allure results from events: one valid <uuid>-result.json per check with the labels, links and attachments."""

from __future__ import annotations

import json
import os
import stat

import pytest

from meterconform.contract.catalog import load_catalog
from meterconform.render import allure
from meterconform.render.allure import find_renderer, render_allure, strip_analytics, write_allure


def _results(directory):
    return {p.name: json.loads(p.read_text(encoding="utf-8")) for p in directory.glob("*-result.json")}


def test_one_result_per_check_with_the_labels(all_verdicts, tmp_path):
    write_allure(all_verdicts, tmp_path)
    results = _results(tmp_path)
    assert len(results) == len(all_verdicts.events)
    catalog = load_catalog()
    by_name = {r["fullName"]: r for r in results.values()}
    for file, result in results.items():
        assert file == f"{result['uuid']}-result.json"
        assert {"name", "status", "stage", "start", "stop", "historyId", "labels", "links", "steps"} <= set(result)
    dim = by_name["suites.test_smoke#test_batch_meter_usage_rejects_an_unknown_dimension"]
    labels = [(label["name"], label["value"]) for label in dim["labels"]]
    clause = catalog.get("BMU.DIMENSION.UNKNOWN")
    assert (
        ("epic", "BatchMeterUsage") in labels and ("feature", clause.id) in labels and ("story", clause.title) in labels
    )
    assert ("severity", "critical") in labels
    assert dim["links"] == [{"type": "link", "name": clause.id, "url": clause.doc_url}]
    assert dim["status"] == "failed" and dim["statusDetails"]["message"].startswith(
        "FAIL: BMU.DIMENSION.UNKNOWN [MUST]"
    )


def test_statuses_and_severities_follow_verdicts_and_levels(all_verdicts, tmp_path):
    write_allure(all_verdicts, tmp_path)
    seen = {}
    for result in _results(tmp_path).values():
        labels = dict((label["name"], label["value"]) for label in result["labels"])
        seen[labels["tag"]] = (result["status"], labels["severity"])
    assert seen == {
        "PASS": ("passed", "critical"),
        "FAIL": ("failed", "critical"),
        "ERROR": ("broken", "critical"),
        "NON-STRICT": ("skipped", "normal"),
        "INFO": ("passed", "minor"),
        "UNIMPLEMENTED": ("skipped", "critical"),
        "SKIPPED": ("skipped", "critical"),
    }


def test_requests_and_responses_are_attachments_on_disk(all_verdicts, tmp_path):
    write_allure(all_verdicts, tmp_path)
    attached = 0
    for result in _results(tmp_path).values():
        for step in result["steps"]:
            names = [a["name"] for a in step["attachments"]]
            assert names[0].startswith("request ") and names[1].startswith("response ")
            for attachment in step["attachments"]:
                assert (tmp_path / attachment["source"]).read_text(encoding="utf-8")
                attached += 1
    assert attached >= 2 * len(all_verdicts.events) - 2
    texts = "".join(p.read_text(encoding="utf-8") for p in tmp_path.glob("*-attachment.*"))
    assert "***redacted***" in texts and "HTTP 400" in texts
    assert (tmp_path / "environment.properties").read_text().count("endpoint=") == 1


def test_writing_again_replaces_the_earlier_results(all_verdicts, tmp_path):
    write_allure(all_verdicts, tmp_path)
    before = len(list(tmp_path.iterdir()))
    write_allure(all_verdicts, tmp_path)
    assert len(list(tmp_path.iterdir())) == before


def test_without_a_renderer_one_line_says_how_to_install_one(tmp_path, monkeypatch):
    monkeypatch.delenv("METERCONFORM_ALLURE", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert find_renderer() is None
    line = render_allure(tmp_path, tmp_path / "out")
    assert "npm install -g allure" in line and "\n" not in line


@pytest.mark.skipif(os.name != "posix", reason="uses a shell script as a fake allure")
def test_a_renderer_on_path_is_called_and_its_analytics_tag_removed(tmp_path, monkeypatch):
    fake = tmp_path / "allure"
    fake.write_text(
        '#!/bin/sh\nif [ "$1" = "--version" ]; then echo 3.18.0; exit 0; fi\n'
        'while [ $# -gt 0 ]; do if [ "$1" = "--output" ]; then out="$2"; fi; shift; done\n'
        'mkdir -p "$out"\nprintf \'<html><script async src="https://www.googletagmanager.com/gtag/js?id=G-X"></script>'
        "\\n<script>\\n window.dataLayer = window.dataLayer || [];\\n</script><p>report</p></html>' > "
        '"$out/index.html"\n'
    )
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("METERCONFORM_ALLURE", str(fake))
    line = render_allure(tmp_path, tmp_path / "out")
    assert line == f"allure report (Allure 3) in {tmp_path / 'out'}/index.html"
    page = (tmp_path / "out" / "index.html").read_text()
    assert "googletagmanager" not in page and "dataLayer" not in page and "<p>report</p>" in page
    assert strip_analytics(tmp_path / "out" / "index.html") is False
    assert allure.INSTALL_HINT  # the hint names both renderers
