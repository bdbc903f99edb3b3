"""Suite speed: `meterconform run` with one worker and with two, side by side, and where each run's time goes.

    python benchmarks/suite_speed.py [--rounds 2] [--latency-ms 20] [--raw-seconds 4] [--install checkout]

Each run is `meterconform run` exactly as a user types it, on the embedded reference endpoint (ci depth), every
default report written (the HTML page among them), in one working directory, as a user runs it again and again in a
project: its first run there is printed on its own (it leaves Hypothesis's caches in ./.hypothesis). The runs use
this checkout installed the way the README installs it (`pip install .`: a wheel, its bytecode compiled;
scripts/wheel_venv.py builds it in a few seconds); `--install checkout` runs the development install instead (an
editable install: Python compiles meterconform's modules at every start where it keeps no bytecode, and Hypothesis
scans them for constants, since they are not in site-packages). The configurations alternate round by round and each
keeps its best wall time, so a burst of other work on the machine slows all of them alike; the load average is
printed before and after. Per configuration: wall and CPU time (the run's processes together), the checks' span (the
first check's start to the last one's end, from the events) and the rest of the wall time split into start-up
(imports, pytest's configuration, collection, endpoint start: up to the first check) and reports (after the last
check), and how many cores other work on the machine kept busy meanwhile (/proc/stat: what the run could not have).
The one-worker run also gives the embedded endpoint's share of the CPU: every thread of the process but the main one
(the endpoint serves each connection in a thread of its own), read from /proc while the run goes (Linux). Once per
round, two CPU-bound processes are timed against one: on a shared machine that ratio, not 2, is what -n 2 / -n 1 can
reach at that moment.

--latency-ms L: then, against a reference endpoint in this process that holds each answer back L ms (the
latency switch of benchmarks/fuzz_scaling.py; a fresh endpoint for each run), one worker (-n 1) against the
default number of workers `run` picks from the latency it observes, and whether the verdicts are the same.
--raw-seconds S: also raw boto3 calls/s against a reference endpoint (1 client, then 2), for scale.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.fuzz_scaling import Instrument, load_average, machine, raw_rate  # noqa: E402
from meterconform.reference import ReferenceEndpoint  # noqa: E402
from scripts.wheel_venv import wheel_venv  # noqa: E402


def _clock_ticks() -> int:
    try:
        return os.sysconf("SC_CLK_TCK")
    except (ValueError, OSError, AttributeError):
        return 100


def _thread_cpu(pid: int, tid: int) -> float | None:
    """CPU seconds (user + system) of one thread, or None when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/task/{tid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / _clock_ticks()


def _machine_busy() -> float | None:
    """CPU seconds all processes on the machine have used so far (user, nice, system, irq: /proc/stat), or None."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except OSError:
        return None
    user, nice, system, idle, iowait, irq, softirq = (int(x) for x in fields[:7])
    return (user + nice + system + irq + softirq) / _clock_ticks()


def suite_run(
    options: list[str],
    *,
    workdir: str | Path | None = None,
    python: str | Path = sys.executable,
    env_extra: dict[str, str] | None = None,
    watch_threads: bool = False,
) -> dict:
    """`meterconform run OPTIONS` with `python`'s install, in `workdir` (default: a fresh directory): wall and CPU
    time, exit code, the checks' span, the per-check verdicts; with watch_threads, the CPU of the process's non-main
    threads (the embedded endpoint)."""
    with tempfile.TemporaryDirectory() as tmp:
        where = Path(workdir or tmp)
        cmd = [str(python), "-m", "meterconform", "run", "--report-dir", str(where / "reports"), *options]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("METERCONFORM_", "PYTEST_XDIST", "PYTHONPATH"))}
        env["METERCONFORM_STATE_DIR"] = str(where / "state")  # a named endpoint's batch-key history stays here
        env.update(env_extra or {})
        out_path = Path(tmp) / "output.txt"
        with out_path.open("w") as out:
            busy_before = _machine_busy()
            started = time.time()
            t0 = time.perf_counter()
            proc = subprocess.Popen(cmd, cwd=where, env=env, stdout=out, stderr=subprocess.STDOUT)
            main_cpu = 0.0
            while True:
                if watch_threads:
                    main_cpu = _thread_cpu(proc.pid, proc.pid) or main_cpu
                waited, status, usage = os.wait4(proc.pid, os.WNOHANG)
                if waited:
                    break
                time.sleep(0.02)
            wall = time.perf_counter() - t0
            busy_after = _machine_busy()
            proc.returncode = os.waitstatus_to_exitcode(status)
        output = out_path.read_text()
        events = where / "reports" / "events.jsonl"
        if not events.exists():
            raise SystemExit(f"`{' '.join(cmd[1:])}` wrote no events (exit {proc.returncode}):\n{output[-3000:]}")
        rows = [json.loads(line) for line in events.read_text().splitlines()]
    checks = [r for r in rows if "nodeid" in r]
    first = min(r["time"] - r["duration"] for r in checks)
    last = max(r["time"] for r in checks)
    cpu = usage.ru_utime + usage.ru_stime
    workers = re.search(r"meterconform: (\d+) worker processes", output)
    verdicts: dict[str, int] = {}
    for r in checks:
        verdicts[r["verdict"]] = verdicts.get(r["verdict"], 0) + 1
    return {
        "wall": wall,
        "cpu": cpu,
        "code": proc.returncode,
        "checks": len(checks),
        "span": last - first,
        "startup": first - started,
        "reports": started + wall - last,
        "verdicts": verdicts,
        "by_check": {r["nodeid"]: r["verdict"] for r in checks},
        "workers": int(workers.group(1)) if workers else 1,
        "requests": sum(int(r.get("exchanges") or 0) for r in checks),
        "endpoint_cpu": (cpu - main_cpu) if watch_threads else None,
        # the cores other work kept busy meanwhile (with --latency-ms, the endpoint in this process among it)
        "others": max(0.0, (busy_after - busy_before - cpu) / wall)
        if busy_before is not None and busy_after is not None
        else None,
    }


SPIN = "sum(range(3 * 10**7))"  # a pure-CPU task, about 0.4 s on one core


def parallel_capacity() -> float:
    """How much more CPU work two processes get done than one, right now: 2.0 on two idle cores, less when other
    work holds a core (the ceiling of -n 2 / -n 1 at that moment)."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", SPIN], check=True)
    one = time.perf_counter() - start
    start = time.perf_counter()
    procs = [subprocess.Popen([sys.executable, "-c", SPIN]) for _ in range(2)]
    for proc in procs:
        proc.wait()
    return 2 * one / (time.perf_counter() - start)


def best_of(rounds: int, configs: dict[str, dict], capacity: list[float] | None = None) -> dict[str, dict]:
    """Run each configuration `rounds` times, alternating; per configuration the run with the least wall time."""
    best: dict[str, dict] = {}
    for _ in range(rounds):
        if capacity is not None:
            capacity.append(parallel_capacity())
        for name, kwargs in configs.items():
            run = suite_run(**kwargs)
            if name not in best or run["wall"] < best[name]["wall"]:
                best[name] = run
    return best


def describe(name: str, run: dict) -> str:
    counts = ", ".join(f"{n} {v}" for v, n in sorted(run["verdicts"].items(), key=lambda kv: -kv[1]))
    overhead = run["startup"] + run["reports"]
    return (
        f"{name:<22} {run['wall']:6.1f} s wall {run['cpu']:6.1f} s CPU, exit {run['code']}; checks {run['span']:.1f} "
        "s, "
        f"start-up {run['startup']:.2f} s + reports {run['reports']:.2f} s = {100 * overhead / run['wall']:.0f} % of "
        "the wall "
        f"time\n{'':<22} {run['checks']} checks ({counts}), {run['requests']} requests, {run['workers']} worker(s); "
        f"other work kept {'?' if run['others'] is None else format(run['others'], '.1f')} cores busy meanwhile"
    )


def latency_runs(latency_ms: float, rounds: int, workdir: str | Path, python: str | Path) -> dict[str, dict]:
    """One worker against the default, each against a fresh reference endpoint holding every answer back."""
    best: dict[str, dict] = {}
    for _ in range(rounds):
        for name, options in (("-n 1", ["-n", "1"]), ("default", [])):
            endpoint = ReferenceEndpoint()
            url = endpoint.start()
            Instrument(endpoint).latency = latency_ms / 1000
            try:
                run = suite_run(["--endpoint-url", url, *options], workdir=workdir, python=python)
            finally:
                endpoint.stop()
            if name not in best or run["wall"] < best[name]["wall"]:
                best[name] = run
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rounds", type=int, default=2, help="runs of each configuration, alternating; the best counts (default 2)"
    )
    parser.add_argument(
        "--latency-ms",
        type=float,
        default=0.0,
        help="also run against an endpoint holding each answer back this long: -n 1 against the default",
    )
    parser.add_argument(
        "--raw-seconds", type=float, default=0.0, help="also measure raw boto3 calls/s this long (default: no)"
    )
    parser.add_argument(
        "--install",
        choices=("wheel", "checkout"),
        default="wheel",
        help="run this checkout built and installed as a wheel, as `pip install .` does (default), or as installed "
        "for development (the interpreter running this script)",
    )
    args = parser.parse_args(argv)

    print(f"machine: {machine()}")
    print(f"load average before: {load_average()}", flush=True)
    with tempfile.TemporaryDirectory() as install, tempfile.TemporaryDirectory() as workdir:
        if args.install == "wheel":
            python = wheel_venv(Path(install)) / "bin" / "python"
        else:
            python = Path(sys.executable)
        how = "as a wheel, by scripts/wheel_venv.py" if args.install == "wheel" else "this checkout, for development"
        print(f"meterconform installed {how} ({python})", flush=True)
        first = suite_run([], workdir=workdir, python=python)
        capacity: list[float] = []
        runs = best_of(
            args.rounds,
            capacity=capacity,
            configs={
                "-n 1": {"options": ["-n", "1"], "watch_threads": True, "workdir": workdir, "python": python},
                "-n 2": {"options": ["-n", "2"], "workdir": workdir, "python": python},
                "default (no -n)": {"options": [], "workdir": workdir, "python": python},
            },
        )
        slow = latency_runs(args.latency_ms, 1, workdir, python) if args.latency_ms else {}
    raw = None
    if args.raw_seconds:
        endpoint = ReferenceEndpoint()
        url = endpoint.start()
        try:
            raw = (raw_rate(url, 1, args.raw_seconds), raw_rate(url, 2, args.raw_seconds))
        finally:
            endpoint.stop()
    print(f"load average after:  {load_average()}")
    print("the first run in a fresh working directory (it fills ./.hypothesis; not among the figures below):")
    print(describe("default (no -n)", first))
    print(
        f"meterconform run on the embedded reference endpoint (ci depth), again in that directory, best of "
        f"{args.rounds}, alternating:"
    )
    for name, run in runs.items():
        print(describe(name, run))
    one, two, default = runs["-n 1"], runs["-n 2"], runs["default (no -n)"]
    print(
        f"-n 2 / -n 1: {one['wall'] / two['wall']:.2f}x in wall time (target >= 1.6x), {two['cpu'] / one['cpu']:.2f}x "
        "the CPU; "
        f"the machine's own ceiling meanwhile: two CPU-bound processes did {', '.join(f'{c:.2f}x' for c in capacity)} "
        "the "
        "work of one (2.00x on two idle cores), once per round"
    )
    print(
        f"embedded endpoint's share of the CPU (-n 1, its threads against the whole process): "
        f"{one['endpoint_cpu']:.1f} s of {one['cpu']:.1f} s = {100 * one['endpoint_cpu'] / one['cpu']:.0f} %"
    )
    overhead = default["startup"] + default["reports"]
    print(
        f"start-up + collection + reports in the default run: {overhead:.2f} s of {default['wall']:.2f} s = "
        f"{100 * overhead / default['wall']:.0f} % (target <= 20 %)"
    )
    same = one["by_check"] == two["by_check"] == default["by_check"]
    print(f"verdicts per check the same in the three runs: {'yes' if same else 'NO'}")
    if slow:
        print(f"against an endpoint holding each answer back {args.latency_ms:g} ms (one run each):")
        for name, run in slow.items():
            print(describe(name, run))
        gain = slow["-n 1"]["wall"] / slow["default"]["wall"]
        print(
            f"default ({slow['default']['workers']} workers) / -n 1: {gain:.2f}x in wall time (target >= 4x); verdicts "
            "per "
            f"check the same: {'yes' if slow['-n 1']['by_check'] == slow['default']['by_check'] else 'NO'}"
        )
    if raw:
        print(
            f"raw boto3 BatchMeterUsage (1 record) on a reference endpoint in this process, {args.raw_seconds:g} s: "
            f"1 client {raw[0]:.1f} calls/s, 2 clients {raw[1]:.1f} calls/s"
        )
    return 0 if all(r["code"] == 0 for r in (first, *runs.values(), *slow.values())) else 1


if __name__ == "__main__":
    sys.exit(main())
