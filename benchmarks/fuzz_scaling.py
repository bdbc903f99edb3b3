"""Fuzzing throughput: examples/s of the property checks on 1 and 2 processes, against raw boto3 calls/s.

    python benchmarks/fuzz_scaling.py [--examples 80] [--rounds 2] [--raw-seconds 4]

Loopback only. One reference endpoint is started in this process and serves everything below, in turn:
  1. raw boto3: one client process, then two at once, calling BatchMeterUsage (1 record) for --raw-seconds;
  2. the harness: every Hypothesis-driven check (pytest -m hypothesis) as one `meterconform fuzz` round runs
     them (the deep depth, --max-examples N per check) with --workers 1, then --workers 2: two independent
     processes, each running every check with its own examples.
Each is measured --rounds times, alternating, and the best round is reported (other work on the machine only
ever slows a round down). The harness runs are seeded (worker i with --hypothesis-seed=i-1), so every run draws the same
examples, in one directory warmed by a short first run (Hypothesis's Unicode tables are cached there, as
after a campaign's first round). Its rate is the events' `examples` (and `exchanges`, the requests sent) over
the span from the first check's start to the last check's end, which leaves out interpreter start-up and
collection; the wall time with start-up is printed too. Targets on a 2-core machine: 2 processes >= 1.6x one;
harness examples/s >= 0.8x the raw calls/s of one client. The load average is printed before and after.

Four more figures put the second target in context:
  3. like for like: the endpoint records every request of the first 1-process harness run, and one raw boto3
     client replays exactly those (raw HTTP where boto3 cannot express one);
  4. the ceiling: a bare @given drawing one text and making one bare boto3 call, against the same call in a
     plain loop (what Hypothesis alone costs, no harness);
  5. per check: ms per example in the harness against the replay of that check's own requests.
  6. a latency sweep: the endpoint holds each answer back 0, 2, 10, 30 ms (--latencies), and the harness (1
     process, --latency-examples per check) is set against one raw client at each; the harness sends more than
     one request in some examples, so its examples/s can only approach raw calls/s / requests per example.
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
        model = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        model = platform.processor()
    return (
        f"{cpus} CPUs usable (nproc), {model or platform.machine()}, Python {platform.python_version()} "
        f"({platform.python_implementation()}), {platform.system()} {platform.release()}"
    )


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"


# -- raw boto3 ---------------------------------------------------------------------------------------------


def raw_client(url: str, seconds: float) -> None:
    """Child process: call BatchMeterUsage sequentially for `seconds`; print the count and the span as JSON."""
    import botocore.session
    from botocore.config import Config

    seed = seed_from_profile(None)
    client = botocore.session.get_session().create_client(
        "meteringmarketplace",
        region_name=REGION,
        endpoint_url=url,
        aws_access_key_id="AKIDBENCHMARKRAW0001",
        aws_secret_access_key=seed.secret_access_key,
        config=Config(retries={"total_max_attempts": 1}),
    )
    # Five hours back: far behind the seconds the harness's batch keys walk through (from a minute ago back).
    record = {
        "Timestamp": int(time.time()) - 5 * 3600 - random.randrange(3600),
        "CustomerIdentifier": sorted(seed.subscribed)[0],
        "Dimension": sorted(seed.dimensions)[0],
        "Quantity": 1,
    }
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
    procs = [
        subprocess.Popen(
            [sys.executable, __file__, "--raw-client", url, str(seconds)], stdout=subprocess.PIPE, text=True
        )
        for _ in range(processes)
    ]
    total = 0.0
    for proc in procs:
        out, _ = proc.communicate(timeout=seconds + 60)
        if proc.returncode:
            raise SystemExit(f"a raw client failed (exit {proc.returncode})")
        result = json.loads(out.strip().splitlines()[-1])
        total += result["calls"] / result["seconds"]
    return total


def replay_client(url: str, path: str) -> None:
    """Child process: send the requests recorded in `path` (the harness's own, as the endpoint received them)
    one after another with boto3 (botocore's client, validation off) — or, when boto3 cannot express one (a
    body that is not a JSON object, a wrong member type botocore's serializer refuses, no or an unknown
    X-Amz-Target), as SigV4-signed raw HTTP — and print the count and the span as JSON."""
    import botocore.exceptions
    import botocore.session
    import urllib3
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.config import Config
    from botocore.credentials import Credentials

    from meterconform.transport.clients import wire_to_params

    seed = seed_from_profile(None)
    creds = Credentials("AKIDBENCHMARKREPLAY1", seed.secret_access_key)
    client = botocore.session.get_session().create_client(
        "meteringmarketplace",
        region_name=REGION,
        endpoint_url=url,
        aws_access_key_id=creds.access_key,
        aws_secret_access_key=creds.secret_key,
        config=Config(retries={"total_max_attempts": 1}, parameter_validation=False),
    )
    pool = urllib3.PoolManager(retries=False)
    methods = {
        op: getattr(client, "".join("_" + c.lower() if c.isupper() else c for c in op).lstrip("_"))
        for op in ("MeterUsage", "BatchMeterUsage", "RegisterUsage", "ResolveCustomer")
    }
    requests = json.loads(Path(path).read_text())

    def send(req: dict) -> None:
        body = req["body"].encode("latin-1")
        op = (req.get("target") or "").rpartition(".")[2]
        if op in methods:
            try:
                params = json.loads(body)
            except ValueError:
                params = None
            if isinstance(params, dict):
                try:
                    methods[op](**wire_to_params(params))
                    return
                except botocore.exceptions.ClientError:
                    return
                except Exception:  # botocore's serializer refused the value: send the bytes instead
                    pass
        headers = {
            k: v for k, v in (("X-Amz-Target", req.get("target")), ("Content-Type", req.get("content_type"))) if v
        }
        aws = AWSRequest(method="POST", url=url + "/", data=body, headers=headers)
        SigV4Auth(creds, "aws-marketplace", REGION).add_auth(aws)
        pool.request("POST", url + "/", body=body, headers=dict(aws.headers.items()), redirect=False)

    for req in requests[:20]:  # warm-up, as for the raw client
        send(req)
    durations = []
    start = time.perf_counter()
    for req in requests:
        before = time.perf_counter()
        send(req)
        durations.append(time.perf_counter() - before)
    print(json.dumps({"calls": len(requests), "seconds": time.perf_counter() - start, "durations": durations}))


def replay_rate(url: str, requests: list[dict]) -> tuple[float, list[float]]:
    """Requests/s of one raw client sending `requests` (the harness's own) in order, and each one's seconds."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(requests, f)
    try:
        out = subprocess.run(
            [sys.executable, __file__, "--replay-client", url, f.name],
            capture_output=True,
            text=True,
            timeout=900,
            check=True,
        ).stdout
    finally:
        os.unlink(f.name)
    result = json.loads(out.strip().splitlines()[-1])
    return result["calls"] / result["seconds"], result["durations"]


def floor_client(url: str, count: int) -> None:
    """Child process: the fastest any Hypothesis-driven check could go here. `count` ResolveCustomer calls in a
    plain loop, then `count` examples of a @given test drawing one token (text) and making the same bare
    boto3 call (no harness, no verdict, generate phase only); print both rates as JSON."""
    import botocore.exceptions
    import botocore.session
    from botocore.config import Config
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import strategies as st

    seed = seed_from_profile(None)
    client = botocore.session.get_session().create_client(
        "meteringmarketplace",
        region_name=REGION,
        endpoint_url=url,
        aws_access_key_id="AKIDBENCHMARKFLOOR1",
        aws_secret_access_key=seed.secret_access_key,
        config=Config(retries={"total_max_attempts": 1}, parameter_validation=False),
    )

    def call(token: str) -> None:
        try:
            client.resolve_customer(RegistrationToken=token)
        except botocore.exceptions.ClientError:
            pass

    for i in range(20):
        call(f"warm-up-{i}")
    start = time.perf_counter()
    for i in range(count):
        call(f"token-{i}")
    raw = count / (time.perf_counter() - start)
    ran = []

    @settings(
        max_examples=count,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(st.text(min_size=1, max_size=128))
    def check(token: str) -> None:
        ran.append(1)
        call(token)

    start = time.perf_counter()
    check()
    print(json.dumps({"raw": raw, "given": len(ran) / (time.perf_counter() - start)}))


def floor_rates(url: str, count: int = 2000) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--floor-client", url, str(count)],
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


class Instrument:
    """Wraps the endpoint's request handler: keeps every request it handles while `recording` (target, content
    type and body, as received), and holds each answer back `latency` seconds (the server is threaded: a
    sleeping request holds up no other)."""

    def __init__(self, endpoint: ReferenceEndpoint):
        self.recording, self.latency, self.requests = False, 0.0, []
        handle = endpoint.protocol.handle

        def instrumented(method, path, header, body):
            if self.recording:
                self.requests.append(
                    {
                        "at": time.time(),
                        "target": next(iter(header("X-Amz-Target")), None),
                        "content_type": next(iter(header("Content-Type")), None),
                        "body": body.decode("latin-1"),
                    }
                )
            if self.latency:
                time.sleep(self.latency)
            return handle(method, path, header, body)

        endpoint.protocol.handle = instrumented


# -- the harness -------------------------------------------------------------------------------------------


def harness(url: str, workers: int, examples: int, cwd: str) -> dict:
    """One fuzz round of the property checks on `workers` processes at once, each started with the command
    `meterconform fuzz --workers N` gives its worker (seeded here: worker i draws with seed i); examples,
    requests, the test span and the wall time, summed over the workers."""
    from meterconform.campaign.rounds import round_command

    with tempfile.TemporaryDirectory() as tmp:
        paths = [Path(tmp) / f"worker-{w}.jsonl" for w in range(1, workers + 1)]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("METERCONFORM_", "PYTEST_XDIST"))}
        env["METERCONFORM_STATE_DIR"] = str(
            Path(cwd) / "state"
        )  # the batch-key history stays in the benchmark's directory
        start = time.perf_counter()
        procs = [
            subprocess.Popen(
                round_command(
                    url,
                    path,
                    deadline=time.time() + 3600,
                    worker=w,
                    workers=workers,
                    max_examples=examples,
                    extra=[f"--hypothesis-seed={w - 1}"],
                ),
                cwd=cwd,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            for w, path in enumerate(paths, 1)
        ]
        outputs = [proc.communicate(timeout=900)[0] for proc in procs]
        wall = time.perf_counter() - start
        rows = []
        for path, proc, output in zip(paths, procs, outputs, strict=True):
            if not path.exists():
                raise SystemExit(f"the harness run wrote no events (exit {proc.returncode}):\n{output[-3000:]}")
            rows += [json.loads(line) for line in path.read_text().splitlines()]
    checks = [r for r in rows if "nodeid" in r]
    bad = [
        f"{r['nodeid']}: {r['verdict']} {r.get('failed_clause') or ''} {(r.get('reason') or '')[:300]}"
        for r in checks
        if r["verdict"] not in ("PASS", "INFO")
    ]
    span = max(r["time"] for r in checks) - min(r["time"] - r["duration"] for r in checks)
    return {
        "examples": sum(int(r.get("examples") or 0) for r in checks),
        "requests": sum(int(r.get("exchanges") or 0) for r in checks),
        "checks": len(checks),
        "span": span,
        "wall": wall,
        "not_passed": bad,
        "rows": checks,
    }


def print_per_check(run: dict, requests: list[dict], durations: list[float]) -> None:
    """Per check of the recorded 1-process run: ms per example in the harness, ms per example of a raw replay of
    the requests it sent (matched to the check by the time the endpoint received them), and their ratio."""
    windows = sorted(((r["time"] - r["duration"], r["time"], r) for r in run["rows"]), key=lambda w: w[0])
    replayed: dict[str, float] = {}
    for req, seconds in zip(requests, durations, strict=True):
        for begin, end, row in windows:
            if begin <= req["at"] <= end:
                replayed[row["nodeid"]] = replayed.get(row["nodeid"], 0.0) + seconds
                break
    print("per check (1 process): harness ms/example, raw replay ms/example of the same requests, ratio")
    rows = sorted(run["rows"], key=lambda r: replayed.get(r["nodeid"], 0.0) / r["duration"])
    for r in rows:
        ex = max(int(r.get("examples") or 0), 1)
        raw_ms = 1000 * replayed.get(r["nodeid"], 0.0) / ex
        print(
            f"  {1000 * r['duration'] / ex:6.2f} {raw_ms:6.2f} {raw_ms / (1000 * r['duration'] / ex):5.2f}x  "
            f"{r['nodeid'].split('/')[-1][:100]}"
        )


def print_sweep(sweep: list[tuple[float, float, dict]], examples: int) -> None:
    """The harness (1 process) against raw boto3 (1 client) with each answer held back by an added latency.
    A check sends more than one request in some examples, so as the latency grows its examples/s tends to
    raw calls/s divided by its requests per example, and its requests/s to raw calls/s."""
    print(
        f"added endpoint latency, 1 process against 1 raw client ({examples} examples per check): "
        "raw calls/s, harness examples/s and requests/s, requests per example, ratios"
    )
    for ms, raw, run in sweep:
        ex, req = run["examples"] / run["span"], run["requests"] / run["span"]
        bad = (
            f"   ({len(run['not_passed'])} checks not passed: {run['not_passed'][0][:120]})"
            if run["not_passed"]
            else ""
        )
        print(
            f"  {ms:5g} ms: raw {raw:7.1f} calls/s, harness {ex:6.1f} examples/s {req:7.1f} requests/s, "
            f"{run['requests'] / max(run['examples'], 1):.2f} req/example: {ex / raw:.2f}x in examples/s, "
            f"{req / raw:.2f}x in requests/s{bad}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=80, help="examples per property check (default 80)")
    parser.add_argument(
        "--rounds", type=int, default=2, help="measurements of each configuration, best kept (default 2)"
    )
    parser.add_argument(
        "--raw-seconds", type=float, default=4.0, help="seconds of raw boto3 calls per measurement (default 4)"
    )
    parser.add_argument(
        "--latencies",
        default="0,2,10,30",
        metavar="MS,...",
        help="added endpoint latencies (ms) for the sweep after the main rounds; '' skips it (default 0,2,10,30)",
    )
    parser.add_argument(
        "--latency-examples", type=int, default=20, help="examples per property check in the sweep (default 20)"
    )
    parser.add_argument("--raw-client", nargs=2, metavar=("URL", "SECONDS"), help=argparse.SUPPRESS)
    parser.add_argument("--replay-client", nargs=2, metavar=("URL", "FILE"), help=argparse.SUPPRESS)
    parser.add_argument("--floor-client", nargs=2, metavar=("URL", "COUNT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.raw_client:
        raw_client(args.raw_client[0], float(args.raw_client[1]))
        return 0
    if args.replay_client:
        replay_client(*args.replay_client)
        return 0
    if args.floor_client:
        floor_client(args.floor_client[0], int(args.floor_client[1]))
        return 0

    try:
        latencies = [float(x) for x in args.latencies.split(",") if x.strip()]
    except ValueError:
        parser.error(f"--latencies {args.latencies!r}: give milliseconds separated by commas, e.g. 0,2,10,30")
    if any(x < 0 for x in latencies):
        parser.error("--latencies: a latency cannot be negative")
    logging.getLogger("meterconform").setLevel(logging.ERROR)
    print(f"machine: {machine()}")
    print(f"load average before: {load_average()}", flush=True)
    raw: dict[int, list[float]] = {1: [], 2: []}
    runs: dict[int, list[dict]] = {1: [], 2: []}
    replay: list[tuple[float, list[float]]] = []
    floors: list[dict] = []
    sweep: list[tuple[float, float, dict]] = []
    recorded_run: dict = {}
    endpoint = ReferenceEndpoint()
    url = endpoint.start()
    instrument = Instrument(endpoint)
    try:
        with tempfile.TemporaryDirectory() as cwd:
            harness(url, 1, 2, cwd)  # warm-up: Hypothesis's caches in cwd, the OS's file caches
            for round_no in range(args.rounds):
                for n in (1, 2):
                    raw[n].append(raw_rate(url, n, args.raw_seconds))
                for n in (1, 2):
                    instrument.recording = round_no == 0 and n == 1
                    runs[n].append(harness(url, n, args.examples, cwd))
                    if instrument.recording:
                        recorded_run = runs[n][-1]
                    instrument.recording = False
                replay.append(
                    replay_rate(url, [{k: v for k, v in r.items() if k != "at"} for r in instrument.requests])
                )
                floors.append(floor_rates(url))
            for ms in latencies:
                instrument.latency = ms / 1000
                sweep.append((ms, raw_rate(url, 1, args.raw_seconds), harness(url, 1, args.latency_examples, cwd)))
            instrument.latency = 0.0
    finally:
        endpoint.stop()
    print(f"load average after:  {load_average()}")
    best_raw = {n: max(rates) for n, rates in raw.items()}
    best = {n: max(rs, key=lambda r: r["examples"] / r["span"]) for n, rs in runs.items()}
    print(f"endpoint: the reference endpoint on {url}, in the benchmark's own process, serving every client in turn")
    print(
        f"raw boto3 BatchMeterUsage (1 record), {args.raw_seconds:g} s, best of {args.rounds}: "
        f"1 client {best_raw[1]:.1f} calls/s, 2 clients {best_raw[2]:.1f} calls/s "
        f"(rounds: {', '.join(f'{x:.0f}' for x in raw[1])} / {', '.join(f'{x:.0f}' for x in raw[2])})"
    )
    for n, r in best.items():
        rates = ", ".join(f"{x['examples'] / x['span']:.0f}" for x in runs[n])
        print(
            f"harness, {n} process{'es' if n > 1 else ''}: {r['checks']} check runs x {args.examples} examples: "
            f"{r['examples']} examples, {r['requests']} requests in {r['span']:.1f} s of checks ({r['wall']:.1f} s "
            f"wall with start-up): {r['examples'] / r['span']:.1f} examples/s, {r['requests'] / r['span']:.1f} "
            f"requests/s (rounds: {rates} examples/s)"
        )
    for n, rs in runs.items():
        for r in rs:
            for line in r["not_passed"][:5]:
                print(f"  not passed ({n} process{'es' if n > 1 else ''}): {line}")
    one, two = (best[n]["examples"] / best[n]["span"] for n in (1, 2))
    print(f"scaling, 2 processes / 1: {two / one:.2f}x   (target >= 1.6x)")
    print(
        f"harness / raw, 1 process: {one / best_raw[1]:.2f}x in examples/s, "
        f"{best[1]['requests'] / best[1]['span'] / best_raw[1]:.2f}x in requests/s   (target >= 0.8x in examples/s)"
    )
    print(f"harness / raw, 2 processes: {two / best_raw[2]:.2f}x in examples/s")
    # Like for like: the same requests, without Hypothesis and the verdicts. The seeded 1-process run sends the
    # same requests every round (recorded in the first); the replay's time for them against the harness's.
    recorded = len(instrument.requests)
    best_replay, durations = max(replay, key=lambda r: r[0])
    replay_examples = best[1]["examples"] * best_replay / recorded
    print(
        f"raw boto3 replaying the harness's own {recorded} requests of one 1-process run, best of {args.rounds}: "
        f"{best_replay:.1f} requests/s, i.e. {replay_examples:.1f} examples/s (rounds: "
        f"{', '.join(f'{x:.0f}' for x, _ in replay)})"
    )
    print(f"harness / raw replay of the same requests, 1 process: {one / replay_examples:.2f}x in examples/s")
    floor = max(floors, key=lambda f: f["given"] / f["raw"])
    print(
        f"Hypothesis's own floor here: a @given drawing one text and making one bare boto3 ResolveCustomer call runs "
        f"{floor['given']:.0f} examples/s against {floor['raw']:.0f} calls/s of the same call in a loop: "
        f"{floor['given'] / floor['raw']:.2f}x, the most any Hypothesis-driven harness could reach against raw calls"
    )
    print_per_check(recorded_run, instrument.requests, durations)
    if sweep:
        print_sweep(sweep, args.latency_examples)
    return 0


if __name__ == "__main__":
    sys.exit(main())
