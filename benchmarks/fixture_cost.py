"""What the metering_endpoint fixture costs a seller's test: a fresh endpoint per test against one per session.

    python benchmarks/fixture_cost.py [--tests 200] [--rounds 3]

Two measurements, printed side by side:
1. in-process, per test: a function-scoped endpoint's start + stop (and with a client and one BatchMeterUsage)
   against a session-scoped one's reset (and the same call);
2. a real pytest run of --tests generated tests, each metering one record through `metering_endpoint`, through
   `metering_endpoint_session` (reset per test), and through nothing (the baseline: the same tests sending
   nothing); the fixture's cost per test is the run's wall time over the baseline's, divided by --tests.
The budget is 50 ms per test (200 tests pay seconds, not minutes); the script exits 1 above it.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from meterconform.testing import MeteringEndpoint  # noqa: E402

BUDGET_MS = 50.0

TESTS = """import time
import pytest

@pytest.fixture
def endpoint(request):
    name = request.config.getoption("--which")
    if name == "none":
        return None
    endpoint = request.getfixturevalue(name)
    if name == "metering_endpoint_session":
        endpoint.reset()
    return endpoint

@pytest.mark.parametrize("i", range({n}))
def test_meter(endpoint, i):
    if endpoint is None:
        return
    record = {{"Timestamp": int(time.time()), "CustomerIdentifier": endpoint.customers[0],
               "Dimension": endpoint.dimensions[0], "Quantity": i}}
    endpoint.client().batch_meter_usage(ProductCode=endpoint.product_code, UsageRecords=[record])
    assert len(endpoint.records()) == 1
"""
CONFTEST = """def pytest_addoption(parser):
    parser.addoption("--which", default="none")
"""


def _call(endpoint: MeteringEndpoint) -> None:
    record = {
        "Timestamp": int(time.time()),
        "CustomerIdentifier": endpoint.customers[0],
        "Dimension": endpoint.dimensions[0],
        "Quantity": 1,
    }
    endpoint.client().batch_meter_usage(ProductCode=endpoint.product_code, UsageRecords=[record])


def in_process(n: int) -> dict[str, float]:
    """Median milliseconds per test of each way, over n tests."""
    MeteringEndpoint().start().stop()  # warm: the service model, the boto3 loader
    costs: dict[str, list[float]] = {
        "function: start + stop": [],
        "function: start + call + stop": [],
        "session: reset": [],
        "session: reset + call": [],
    }
    for _ in range(n):
        started = time.perf_counter()
        MeteringEndpoint().start().stop()
        costs["function: start + stop"].append(time.perf_counter() - started)
        started = time.perf_counter()
        with MeteringEndpoint() as endpoint:
            _call(endpoint)
        costs["function: start + call + stop"].append(time.perf_counter() - started)
    with MeteringEndpoint() as shared:
        for _ in range(n):
            started = time.perf_counter()
            shared.reset()
            costs["session: reset"].append(time.perf_counter() - started)
            started = time.perf_counter()
            shared.reset()
            _call(shared)
            costs["session: reset + call"].append(time.perf_counter() - started)
    return {name: statistics.median(values) * 1000 for name, values in costs.items()}


def pytest_run(n: int, which: str, where: Path) -> float:
    """Wall seconds of one pytest run of the generated tests through fixture `which` ("none": no endpoint)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "METERCONFORM_"))}
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly", f"--which={which}"],
        cwd=where,
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        sys.exit(f"the generated tests failed ({which}):\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tests", type=int, default=200, help="tests per pytest run (default 200)")
    parser.add_argument("--rounds", type=int, default=3, help="pytest runs per way; the median is kept (default 3)")
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")

    print(f"\n1. in process, median ms per test over {args.tests} tests")
    for name, ms in in_process(args.tests).items():
        print(f"   {name:<32} {ms:7.2f} ms")

    with tempfile.TemporaryDirectory() as tmp:
        where = Path(tmp)
        (where / "test_generated.py").write_text(TESTS.format(n=args.tests))
        (where / "conftest.py").write_text(CONFTEST)
        (where / "pytest.ini").write_text("[pytest]\n")
        walls = {
            which: statistics.median(pytest_run(args.tests, which, where) for _ in range(args.rounds))
            for which in ("none", "metering_endpoint_session", "metering_endpoint")
        }
    print(f"\n2. pytest, {args.tests} tests, median wall of {args.rounds} runs (each test meters one record)")
    base = walls["none"]
    worst = 0.0
    for which, label in (
        ("none", "no endpoint (baseline)"),
        ("metering_endpoint_session", "session-scoped + reset"),
        ("metering_endpoint", "function-scoped"),
    ):
        per_test = (walls[which] - base) / args.tests * 1000
        worst = max(worst, per_test)
        extra = "" if which == "none" else f"   {per_test:6.2f} ms per test over the baseline"
        print(f"   {label:<32} {walls[which]:6.2f} s{extra}")
    verdict = "within" if worst <= BUDGET_MS else "OVER"
    print(
        f"\n{verdict} the budget of {BUDGET_MS:g} ms per test ({args.tests} function-scoped tests: "
        f"{(walls['metering_endpoint'] - base):.1f} s more than none)"
    )
    return 0 if worst <= BUDGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
