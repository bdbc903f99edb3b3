"""Regenerate the fixed events files of this folder from real runs (see README.md); run from the checkout root.

    python tests/reports/data/regenerate.py

Needs moto (`pip install -e '.[test]'`) for the one UNIMPLEMENTED event. The files are committed; rerun this
only when the events format changes, then review the diff.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from meterconform.harness.pytest_command import subprocess_command

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
FAULTS = ("unknown-dimension-wrong-error", "six-tags-accepted", "malformed-json-500")
SPLICED = "suites/test_smoke.py::test_register_usage_returns_a_signature"
NOISY_HEADERS = ("User-Agent", "amz-sdk-invocation-id", "amz-sdk-request")


def _pytest(selection: list[str], events: Path, *extra: str) -> None:
    cmd = subprocess_command(
        suites=REPO / "suites",
        selection=selection,
        depth="quick",
        events=events,
        extra=["-q", "--tb=no", "--hypothesis-seed=0", *extra],
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("METERCONFORM_", "PYTEST_XDIST"))}
    subprocess.run(cmd, cwd=REPO, env=env, check=False, capture_output=True)
    if not events.exists():
        raise SystemExit(f"no events from {' '.join(cmd)}")


def _trim(line: dict) -> dict:
    """Drop headers that only make the fixtures noisy (they change with every SDK release)."""
    for exchange in line.get("evidence", []):
        for name in NOISY_HEADERS:
            exchange.get("request_headers", {}).pop(name, None)
    return line


def _read(path: Path) -> list[dict]:
    return [_trim(json.loads(line)) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _write(path: Path, lines: list[dict]) -> None:
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    print(f"wrote {path.relative_to(REPO)} ({len(lines) - 1} events)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        default = (REPO / "meterconform/data/default-profile.toml").read_text(encoding="utf-8")
        no_invalid = tmp_path / "no-invalid-tokens.toml"
        no_invalid.write_text(default.replace('invalid = ["invalid-token-0001"]\n', ""), encoding="utf-8")

        faithful = tmp_path / "faithful.jsonl"
        _pytest(["suites/test_smoke.py"], faithful)

        faulty = tmp_path / "faulty.jsonl"
        _pytest(
            ["suites/test_smoke.py", str(HERE / "verdicts_suite.py")],
            faulty,
            "--profile",
            str(no_invalid),
            *[f"--reference-fault={f}" for f in FAULTS],
        )

        port = _free_port()
        moto = subprocess.Popen(
            [str(Path(sys.executable).parent / "moto_server"), "-p", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            time.sleep(2)
            moto_profile = tmp_path / "moto.toml"
            moto_profile.write_text(
                default.replace("[endpoint]\n", f'[endpoint]\nurl = "http://127.0.0.1:{port}"\n', 1), encoding="utf-8"
            )
            moto_events = tmp_path / "moto.jsonl"
            _pytest(["suites/test_smoke.py"], moto_events, "--profile", str(moto_profile))
        finally:
            moto.terminate()
            moto.wait(10)

        _write(HERE / "faithful.jsonl", _read(faithful))
        _write(HERE / "moto.jsonl", _read(moto_events))
        unimplemented = next(e for e in _read(moto_events) if e.get("nodeid") == SPLICED)
        assert unimplemented["verdict"] == "UNIMPLEMENTED", unimplemented["verdict"]
        lines = [unimplemented if e.get("nodeid") == SPLICED else e for e in _read(faulty)]
        _write(HERE / "all-verdicts.jsonl", lines)


if __name__ == "__main__":
    main()
