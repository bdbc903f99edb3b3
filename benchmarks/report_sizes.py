"""Report sizes: how big events.jsonl and conformance.html are on a default run, a moto run and a failing run,
which parts of them take the space (as shares of the file, biggest first), and the pages' sizes against their
limits.

    python benchmarks/report_sizes.py [--fault NAME ...]

Runs `meterconform run` three times from a fresh directory (`-n 1`, a fixed seed): on the embedded reference
endpoint as it is, on moto's server (`--target moto`, needs `pip install -e '.[test]'`), and on the reference
endpoint with the faults (default: errors-with-200 and six-tags-accepted, which fail hundreds of checks).
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
    "checks past a clause's first few (one line each)": r'<ul class="summarised">.*?</ul>',
    "checks whose evidence is elsewhere (one line each)": r'<ul class="elsewhere">.*?</ul>',
    "clause quotes": r"<blockquote.*?</blockquote>",
    "reproductions": r"<details class=\"sub\"[^>]*><summary>Reproduce</summary>.*?</details>",
}


# conformance.html's limits: a passing default run's page, and the moto run's (hundreds of FAILs kept whole)
HTML_LIMITS = {"default run": 1_000_000, "moto run": 2_000_000}


def _run(directory: Path, extra: list[str]) -> Path:
    out = directory / "reports"
    args = [sys.executable, "-m", "meterconform", "run", "-n", "1", "--seed", "1", "--report-dir", str(out), *extra]
    proc = subprocess.run(args, cwd=directory, capture_output=True, text=True, timeout=600)
    if not (out / "conformance.html").exists():
        sys.exit(
            f"report_sizes: `meterconform run {' '.join(extra)}` wrote no conformance.html:\n{proc.stderr[-2000:]}"
        )
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
    runs = (
        ("default run", []),
        ("moto run", ["--target", "moto"]),
        (f"failing run ({', '.join(faults)})", [a for fault in faults for a in ("--fault", fault)]),
    )
    pages: dict[str, int] = {}
    for label, extra in runs:
        with tempfile.TemporaryDirectory() as tmp:
            out = _run(Path(tmp), extra)
            events, html = out / "events.jsonl", out / "conformance.html"
            checks = len(events.read_text(encoding="utf-8").splitlines()) - 1
            pages[label] = html.stat().st_size
            print(
                f"{label}: {checks} checks; events.jsonl {events.stat().st_size / 1e6:.2f} MB "
                f"({events.stat().st_size / checks / 1e3:.1f} kB per check), conformance.html "
                f"{html.stat().st_size / 1e6:.2f} MB"
            )
            print(
                "  events.jsonl, biggest parts: " + ", ".join(f"{k} {share:.0%}" for k, share in _events_shares(events))
            )
            print("  conformance.html parts: " + ", ".join(f"{k} {share:.0%}" for k, share in _html_shares(html)))
    print(f"\n{'conformance.html':<16} {'size':>8} {'limit':>8}")
    for label, limit in HTML_LIMITS.items():
        size = pages[label]
        print(f"{label:<16} {size / 1e6:>5.2f} MB {limit / 1e6:>5.2f} MB  {'within' if size <= limit else 'OVER'}")


if __name__ == "__main__":
    main()
