"""conformance.html renders in headless Chromium (scripts/screenshot_report.sh); skipped where Chromium is absent."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from meterconform.render.html import write_html

from .conftest import REPO

SCRIPT = REPO / "scripts" / "screenshot_report.sh"
BROWSER = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


@pytest.mark.skipif(BROWSER is None, reason="no Chromium on PATH: apt-get install -y --no-install-recommends chromium")
def test_the_page_renders_in_headless_chromium(all_verdicts, tmp_path):
    page, shot = tmp_path / "conformance.html", tmp_path / "shot.png"
    write_html(all_verdicts, page)
    proc = subprocess.run(["sh", str(SCRIPT), str(page), str(shot), "1400,2000"], capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    # A blank 1400x2000 page compresses to ~13 kB; the rendered banner, charts and matrix are many times that.
    assert len(data) > 100_000, len(data)


def test_the_script_explains_a_missing_page(tmp_path):
    proc = subprocess.run(["sh", str(SCRIPT), str(tmp_path / "nope.html")], capture_output=True, text=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin", "CHROMIUM": "/bin/true"})
    assert proc.returncode == 2 and "does not exist" in proc.stderr
