"""Suite speed: the wall time of a full `ci` run (`meterconform run -n 2` on the embedded reference endpoint),
its checks/s and requests/s, next to raw boto3 calls/s against the reference endpoint.

    python benchmarks/suite_speed.py [--workers 2] [--raw-seconds 4]

Loopback only. First the run itself, exactly as a user types it, from a fresh directory (its events give the
number of checks and requests; the rate is over the run's whole wall time, start-up included, since that is
what a CI job waits for). Then, in the same benchmark run, a reference endpoint seeded from the same default
profile is started in this process and called with BatchMeterUsage (1 record) by one raw boto3 client process,
then by `--workers` at once. Target on a 2-core machine: the run in <= 60 s. The load average is printed
before and after, since other work on the machine slows every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.fuzz_scaling import load_average, machine, raw_rate  # noqa: E402
from meterconform.reference import ReferenceEndpoint  # noqa: E402


def suite_run(workers: int) -> dict:
    """`meterconform run -n workers` from a fresh directory: wall time, exit code, checks, examples, requests."""
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "meterconform", "run", "--report-dir", str(Path(tmp) / "reports"), "--no-html"]
        if workers > 1:
            cmd += ["-n", str(workers)]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("METERCONFORM_", "PYTEST_XDIST"))}
        start = time.perf_counter()
        proc = subprocess.run(cmd, cwd=tmp, env=env, capture_output=True, text=True, timeout=900)
        wall = time.perf_counter() - start
        events = Path(tmp) / "reports" / "events.jsonl"
        if not events.exists():
            raise SystemExit(
                f"the run wrote no events (exit {proc.returncode}):\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}"
            )
        rows = [json.loads(line) for line in events.read_text().splitlines()]
    checks = [r for r in rows if "nodeid" in r]
    verdicts: dict[str, int] = {}
    for r in checks:
        verdicts[r["verdict"]] = verdicts.get(r["verdict"], 0) + 1
    span = max(r["time"] for r in checks) - min(r["time"] - r["duration"] for r in checks)
    return {
        "wall": wall,
        "code": proc.returncode,
        "checks": len(checks),
        "span": span,
        "verdicts": verdicts,
        "examples": sum(int(r.get("examples") or 0) for r in checks),
        "requests": sum(int(r.get("exchanges") or 0) for r in checks),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2, help="processes for the run (-n), default 2")
    parser.add_argument(
        "--raw-seconds", type=float, default=4.0, help="seconds of raw boto3 calls per measurement (default 4)"
    )
    args = parser.parse_args(argv)

    print(f"machine: {machine()}")
    print(f"load average before: {load_average()}", flush=True)
    run = suite_run(args.workers)
    endpoint = ReferenceEndpoint()
    url = endpoint.start()
    try:
        raw1 = raw_rate(url, 1, args.raw_seconds)
        rawn = raw_rate(url, args.workers, args.raw_seconds)
    finally:
        endpoint.stop()
    print(f"load average after:  {load_average()}")
    counts = ", ".join(f"{n} {v}" for v, n in sorted(run["verdicts"].items(), key=lambda kv: -kv[1]))
    print(
        f"meterconform run -n {args.workers} (ci depth, embedded reference endpoint): {run['wall']:.1f} s wall, exit "
        f"{run['code']}   (target <= 60 s)"
    )
    print(
        f"  {run['checks']} checks ({counts}), {run['examples']} examples, {run['requests']} requests; "
        f"{run['span']:.1f} s from the first check's start to the last one's end"
    )
    print(
        f"  {run['checks'] / run['wall']:.1f} checks/s and {run['requests'] / run['wall']:.1f} requests/s over the "
        f"wall time ({run['checks'] / run['span']:.1f} checks/s, {run['requests'] / run['span']:.1f} requests/s over "
        "the checks' span)"
    )
    print(
        f"raw boto3 BatchMeterUsage (1 record) on a reference endpoint in this process, {args.raw_seconds:g} s: "
        f"1 client {raw1:.1f} calls/s, {args.workers} clients {rawn:.1f} calls/s"
    )
    print(
        f"run / raw: {run['requests'] / run['span'] / rawn:.2f}x in requests/s ({args.workers} processes each, over "
        f"the checks' span); a check sends {run['requests'] / max(run['checks'], 1):.1f} requests on average"
    )
    return 0 if run["code"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
