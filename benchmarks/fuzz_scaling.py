"""Fuzzing throughput: examples/s of the property checks on 1 and 2 processes, against raw boto3 calls/s.

    python benchmarks/fuzz_scaling.py [--examples 80] [--rounds 2] [--raw-seconds 4]

Loopback only. One reference endpoint is started in this process and serves everything below, in turn:
  1. raw boto3: one client process, then two at once, calling BatchMeterUsage (1 record) for --raw-seconds;
  2. the harness: every Hypothesis-driven check (pytest -m hypothesis, as a `meterconform fuzz` round runs
     them: the deep depth, --max-examples N per check) on 1 process, then on 2 (pytest-xdist).
Each is measured --rounds times, alternating, and the best round is reported (other work on the machine only
ever slows a round down). The harness runs are seeded (--hypothesis-seed=0), so every run draws the same
examples, in one directory warmed by a short first run (Hypothesis's Unicode tables are cached there, as
after a campaign's first round). Its rate is the events' `examples` (and `exchanges`, the requests sent) over
the span from the first check's start to the last check's end, which leaves out interpreter start-up and
collection; the wall time with start-up is printed too. Targets on a 2-core machine: 2 processes >= 1.6x one;
harness examples/s >= 0.8x the raw calls/s of one client. The load average is printed before and after.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from meterconform.reference import ReferenceEndpoint  # noqa: E402
from meterconform.reference.seed import seed_from_profile  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
REGION = "us-east-1"


def machine() -> str:
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    model = ""
    try:
        model = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                     if line.startswith("model name"))
    except (OSError, StopIteration):
        model = platform.processor()
    return (f"{cpus} CPUs usable (nproc), {model or platform.machine()}, Python {platform.python_version()} "
            f"({platform.python_implementation()}), {platform.system()} {platform.release()}")


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"


# -- raw boto3 ---------------------------------------------------------------------------------------------


def raw_client(url: str, seconds: float) -> None:
    """Child process: call BatchMeterUsage sequentially for `seconds`; print the count and the span as JSON."""
    import botocore.session
    from botocore.config import Config

    seed = seed_from_profile(None)
    client = botocore.session.get_session().create_client(
        "meteringmarketplace", region_name=REGION, endpoint_url=url, aws_access_key_id="AKIDBENCHMARKRAW0001",
        aws_secret_access_key=seed.secret_access_key, config=Config(retries={"total_max_attempts": 1}))
    # Five hours back: far behind the seconds the harness's batch keys walk through (from a minute ago back).
    record = {"Timestamp": int(time.time()) - 5 * 3600 - random.randrange(3600), "CustomerIdentifier": sorted(seed.subscribed)[0],
              "Dimension": sorted(seed.dimensions)[0], "Quantity": 1}
    request = {"ProductCode": seed.product_code, "UsageRecords": [record]}
    for _ in range(20):  # warm-up: connection, botocore's caches
        client.batch_meter_usage(**request)
    calls, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        result = client.batch_meter_usage(**request)
        calls += 1
    if {r["Status"] for r in result["Results"]} != {"Success"}:
        raise SystemExit(f"the benchmark call did not succeed: {result['Results']}")
    print(json.dumps({"calls": calls, "seconds": time.perf_counter() - start}))


def raw_rate(url: str, processes: int, seconds: float) -> float:
    """Calls/s of `processes` raw clients running at once (summed)."""
    procs = [subprocess.Popen([sys.executable, __file__, "--raw-client", url, str(seconds)], stdout=subprocess.PIPE, text=True)
             for _ in range(processes)]
    total = 0.0
    for proc in procs:
        out, _ = proc.communicate(timeout=seconds + 60)
        if proc.returncode:
            raise SystemExit(f"a raw client failed (exit {proc.returncode})")
        result = json.loads(out.strip().splitlines()[-1])
        total += result["calls"] / result["seconds"]
    return total


# -- the harness -------------------------------------------------------------------------------------------


def harness(url: str, workers: int, examples: int, cwd: str) -> dict:
    """One fuzz-like run of the property checks in `cwd`; examples, requests, the test span and the wall time."""
    with tempfile.TemporaryDirectory() as tmp:
        events = Path(tmp) / "events.jsonl"
        cmd = [sys.executable, "-m", "pytest", str(REPO / "suites"), "-p", "meterconform.plugin", "-c", os.devnull,
               "--rootdir", str(REPO), "-p", "no:cacheprovider", "-q", "--tb=no", "-m", "hypothesis", "--endpoint-url", url,
               "--depth", "deep", "--max-examples", str(examples), "--hypothesis-seed=0", "--events", str(events)]
        if workers > 1:
            cmd += ["-n", str(workers)]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("METERCONFORM_", "PYTEST_XDIST"))}
        env["METERCONFORM_STATE_DIR"] = str(Path(cwd) / "state")  # the batch-key history stays in the benchmark's directory
        start = time.perf_counter()
        proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
        wall = time.perf_counter() - start
        if not events.exists():
            raise SystemExit(f"the harness run wrote no events (exit {proc.returncode}):\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
        rows = [json.loads(line) for line in events.read_text().splitlines()]
    checks = [r for r in rows if "nodeid" in r]
    bad = [f"{r['nodeid']}: {r['verdict']} {r.get('failed_clause') or ''} {(r.get('reason') or '')[:300]}"
           for r in checks if r["verdict"] not in ("PASS", "INFO")]
    span = max(r["time"] for r in checks) - min(r["time"] - r["duration"] for r in checks)
    return {"examples": sum(int(r.get("examples") or 0) for r in checks), "requests": sum(int(r.get("exchanges") or 0) for r in checks),
            "checks": len(checks), "span": span, "wall": wall, "not_passed": bad}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=80, help="examples per property check (default 80)")
    parser.add_argument("--rounds", type=int, default=2, help="measurements of each configuration, best kept (default 2)")
    parser.add_argument("--raw-seconds", type=float, default=4.0, help="seconds of raw boto3 calls per measurement (default 4)")
    parser.add_argument("--raw-client", nargs=2, metavar=("URL", "SECONDS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.raw_client:
        raw_client(args.raw_client[0], float(args.raw_client[1]))
        return 0

    logging.getLogger("meterconform").setLevel(logging.ERROR)
    print(f"machine: {machine()}")
    print(f"load average before: {load_average()}", flush=True)
    raw: dict[int, list[float]] = {1: [], 2: []}
    runs: dict[int, list[dict]] = {1: [], 2: []}
    endpoint = ReferenceEndpoint()
    url = endpoint.start()
    try:
        with tempfile.TemporaryDirectory() as cwd:
            harness(url, 1, 2, cwd)  # warm-up: Hypothesis's caches in cwd, the OS's file caches
            for _ in range(args.rounds):
                for n in (1, 2):
                    raw[n].append(raw_rate(url, n, args.raw_seconds))
                for n in (1, 2):
                    runs[n].append(harness(url, n, args.examples, cwd))
    finally:
        endpoint.stop()
    print(f"load average after:  {load_average()}")
    best_raw = {n: max(rates) for n, rates in raw.items()}
    best = {n: max(rs, key=lambda r: r["examples"] / r["span"]) for n, rs in runs.items()}
    print(f"endpoint: the reference endpoint on {url}, in the benchmark's own process, serving every client in turn")
    print(f"raw boto3 BatchMeterUsage (1 record), {args.raw_seconds:g} s, best of {args.rounds}: "
          f"1 client {best_raw[1]:.1f} calls/s, 2 clients {best_raw[2]:.1f} calls/s "
          f"(rounds: {', '.join(f'{x:.0f}' for x in raw[1])} / {', '.join(f'{x:.0f}' for x in raw[2])})")
    for n, r in best.items():
        rates = ", ".join(f"{x['examples'] / x['span']:.0f}" for x in runs[n])
        print(f"harness, {n} process{'es' if n > 1 else ''}: {r['checks']} property checks x {args.examples} examples: "
              f"{r['examples']} examples, {r['requests']} requests in {r['span']:.1f} s of checks ({r['wall']:.1f} s wall "
              f"with start-up): {r['examples'] / r['span']:.1f} examples/s, {r['requests'] / r['span']:.1f} requests/s "
              f"(rounds: {rates} examples/s)")
    for n, rs in runs.items():
        for r in rs:
            for line in r["not_passed"][:5]:
                print(f"  not passed ({n} process{'es' if n > 1 else ''}): {line}")
    one, two = (best[n]["examples"] / best[n]["span"] for n in (1, 2))
    print(f"scaling, 2 processes / 1: {two / one:.2f}x   (target >= 1.6x)")
    print(f"harness / raw, 1 process: {one / best_raw[1]:.2f}x in examples/s, "
          f"{best[1]['requests'] / best[1]['span'] / best_raw[1]:.2f}x in requests/s   (target >= 0.8x in examples/s)")
    print(f"harness / raw, 2 processes: {two / best_raw[2]:.2f}x in examples/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
