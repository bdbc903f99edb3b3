"""Report sizes: how big events.jsonl and conformance.html are on a default run and on a failing run, and
which parts of them take the space (as shares of the file, biggest first).

    python benchmarks/report_sizes.py [--fault NAME ...]

Runs `meterconform run` twice from a fresh directory (the embedded reference endpoint, `-n 1`, a fixed seed):
as it is, and with the faults (default: errors-with-200 and six-tags-accepted, which fail hundreds of checks).
No timing: sizes only.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

_HTML_PARTS = {
    "evidence": r'<details class="sub evidence">.*?</details>',
    "checks met elsewhere (one line each)": r'<ul class="elsewhere">.*?</ul>',
    "clause quotes": r"<blockquote.*?</blockquote>",
    "reproductions": r"<details class=\"sub\"[^>]*><summary>Reproduce</summary>.*?</details>",
}


def _run(directory: Path, faults: list[str]) -> Path:
    out = directory / "reports"
    args = [sys.executable, "-m", "meterconform", "run", "-n", "1", "--seed", "1", "--report-dir", str(out)]
    for fault in faults:
        args += ["--fault", fault]
    subprocess.run(args, cwd=directory, capture_output=True, text=True, timeout=600)
    return out


def _events_shares(path: Path) -> list[tuple[str, float]]:
    sizes: Counter = Counter()
    for line in path.read_text(encoding="utf-8").splitlines()[1:]:
        event = json.loads(line)
        for key, value in event.items():
            if key == "evidence":
                for exchange in value or []:
                    for sub, part in exchange.items():
                        sizes[f"evidence.{sub}"] += len(json.dumps(part))
            else:
                sizes[key] += len(json.dumps(value, default=str))
    total = path.stat().st_size
    return [(key, n / total) for key, n in sizes.most_common(5)]


def _html_shares(path: Path) -> list[tuple[str, float]]:
    text = path.read_text(encoding="utf-8")
    return [(name, sum(map(len, re.findall(pattern, text, re.S))) / len(text)) for name, pattern in _HTML_PARTS.items()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fault", action="append", default=None)
    args = parser.parse_args()
    faults = args.fault or ["errors-with-200", "six-tags-accepted"]
    for label, switched in (("default run", []), (f"failing run ({', '.join(faults)})", faults)):
        with tempfile.TemporaryDirectory() as tmp:
            out = _run(Path(tmp), switched)
            events, html = out / "events.jsonl", out / "conformance.html"
            checks = len(events.read_text(encoding="utf-8").splitlines()) - 1
            print(f"{label}: {checks} checks; events.jsonl {events.stat().st_size / 1e6:.2f} MB "
                  f"({events.stat().st_size / checks / 1e3:.1f} kB per check), conformance.html {html.stat().st_size / 1e6:.2f} MB")
            print("  events.jsonl, biggest parts: " + ", ".join(f"{k} {share:.0%}" for k, share in _events_shares(events)))
            print("  conformance.html parts: " + ", ".join(f"{k} {share:.0%}" for k, share in _html_shares(html)))


if __name__ == "__main__":
    main()
