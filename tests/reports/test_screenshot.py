"""conformance.html renders in headless Chromium (scripts/screenshot_report.sh); skipped where Chromium is absent."""

from __future__ import annotations

import shutil
import subprocess
from html.parser import HTMLParser

import pytest

from meterconform.contract.catalog import load_catalog
from meterconform.render.html import write_html

from .conftest import REPO

SCRIPT = REPO / "scripts" / "screenshot_report.sh"
BROWSER = (
    shutil.which("chromium")
    or shutil.which("chromium-headless-shell")
    or shutil.which("chromium-browser")
    or shutil.which("google-chrome")
)


@pytest.mark.skipif(BROWSER is None, reason="no Chromium on PATH: apt-get install -y --no-install-recommends chromium")
def test_the_page_renders_in_headless_chromium(all_verdicts, tmp_path):
    page, shot = tmp_path / "conformance.html", tmp_path / "shot.png"
    write_html(all_verdicts, page)
    proc = subprocess.run(
        ["sh", str(SCRIPT), str(page), str(shot), "1400,2000"], capture_output=True, text=True, timeout=180
    )
    assert proc.returncode == 0, proc.stderr
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    # A blank 1400x2000 page compresses to ~13 kB; the rendered banner, charts and matrix are many times that.
    assert len(data) > 100_000, len(data)


def test_the_script_explains_a_missing_page(tmp_path):
    proc = subprocess.run(
        ["sh", str(SCRIPT), str(tmp_path / "nope.html")],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "CHROMIUM": "/bin/true"},
    )
    assert proc.returncode == 2 and "does not exist" in proc.stderr


class _Clauses(HTMLParser):
    """The clause ids a browser left visible after the page's script ran, and how many it hid."""

    def __init__(self, text: str):
        super().__init__()
        self.shown: list[str] = []
        self.hidden = 0
        self.count = ""
        self._in_count = False
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "details" and "clause" in (attrs.get("class") or "").split():
            if "hidden" in attrs:
                self.hidden += 1
            else:
                self.shown.append(attrs["id"][2:])
        self._in_count = attrs.get("id") == "f-count"

    def handle_data(self, data):
        if self._in_count:
            self.count += data


@pytest.mark.skipif(BROWSER is None, reason="no Chromium on PATH: apt-get install -y --no-install-recommends chromium")
def test_the_filters_run_in_a_browser(all_verdicts, tmp_path):
    page = tmp_path / "conformance.html"
    write_html(all_verdicts, page)
    url = f"file://{page}?verdict=FAIL,error&area=BatchMeterUsage"  # the same state the filter bar's buttons set
    proc = subprocess.run(
        [
            BROWSER,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--dump-dom",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    dom = _Clauses(proc.stdout)
    assert dom.shown == ["BMU.DIMENSION.UNKNOWN"], dom.shown
    assert dom.hidden == len(load_catalog()) - 1 and dom.count == f"1 of {len(load_catalog())} clauses"
