"""Throughput of the reference endpoint against moto's server: the same BatchMeterUsage call, one boto3 client each.

    python benchmarks/endpoint_throughput.py [--calls 1000] [--seconds 10] [--rounds 3] [--records 1]

Loopback only. Each side is started in-process, warmed up, then called sequentially (retries off) for at most
--calls calls or --seconds seconds per round; the median calls/s over the rounds is reported, with the ratio
and the machine. moto's subscriber list can only be filled in-process, which is done here so its answer is a
Success like the reference endpoint's.
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import botocore.session
from botocore.config import Config

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from meterconform.reference import ReferenceEndpoint  # noqa: E402
from meterconform.reference.seed import seed_from_profile  # noqa: E402

MOTO_ACCOUNT = "123456789012"  # moto's default account for any access key
REGION = "us-east-1"


def _client(url: str, secret: str):
    return botocore.session.get_session().create_client(
        "meteringmarketplace",
        region_name=REGION,
        endpoint_url=url,
        aws_access_key_id="AKIDBENCHMARK0000001",
        aws_secret_access_key=secret,
        config=Config(retries={"max_attempts": 1}),
    )


def _request(product: str, customer: str, dimension: str, records: int) -> dict:
    now = int(time.time()) - 60
    return {
        "ProductCode": product,
        "UsageRecords": [
            {"Timestamp": now - i, "CustomerIdentifier": customer, "Dimension": dimension, "Quantity": 1}
            for i in range(records)
        ],
    }


def _calls_per_second(client, request: dict, calls: int, seconds: float) -> float:
    for _ in range(20):  # warm-up: connection, botocore caches
        client.batch_meter_usage(**request)
    done, started = 0, time.perf_counter()
    deadline = started + seconds
    while done < calls and time.perf_counter() < deadline:
        result = client.batch_meter_usage(**request)
        done += 1
    elapsed = time.perf_counter() - started
    statuses = {r["Status"] for r in result["Results"]}
    if statuses != {"Success"}:
        raise SystemExit(f"the benchmark call did not succeed: statuses {sorted(statuses)}")
    return done / elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1000, help="calls per side per round (default 1000)")
    parser.add_argument("--seconds", type=float, default=10.0, help="time cap per side per round (default 10)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds, alternating the sides (default 3)")
    parser.add_argument("--records", type=int, default=1, help="UsageRecords per call, 1..25 (default 1)")
    args = parser.parse_args(argv)
    if not 1 <= args.records <= 25:
        parser.error("--records must be between 1 and 25 (BatchMeterUsage's limit)")

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    from moto.meteringmarketplace.models import meteringmarketplace_backends
    from moto.server import ThreadedMotoServer

    seed = seed_from_profile(None)
    customer, dimension = sorted(seed.subscribed)[0], sorted(seed.dimensions)[0]
    request = _request(seed.product_code, customer, dimension, args.records)

    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    meteringmarketplace_backends[MOTO_ACCOUNT][REGION].customers_by_product[seed.product_code].append(customer)
    host, port = moto.get_host_and_port()
    reference = ReferenceEndpoint()
    try:
        clients = {
            "reference": _client(reference.start(), seed.secret_access_key),
            "moto": _client(f"http://{host}:{port}", "moto-accepts-any-secret"),
        }
        rates: dict[str, list[float]] = {name: [] for name in clients}
        for _ in range(args.rounds):
            for name, client in clients.items():
                rates[name].append(_calls_per_second(client, request, args.calls, args.seconds))
    finally:
        reference.stop()
        moto.stop()

    ref, mot = statistics.median(rates["reference"]), statistics.median(rates["moto"])
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(
        f"machine: {affinity} CPUs usable (nproc), {platform.machine()}, Python {platform.python_version()} "
        f"({platform.python_implementation()}), {platform.system()} {platform.release()}"
    )
    print(
        f"call: BatchMeterUsage with {args.records} UsageRecord(s), one boto3 client per side, retries off, "
        f"median of {args.rounds} rounds of up to {args.calls} calls / {args.seconds:g} s"
    )
    print(f"reference endpoint: {ref:8.1f} calls/s   (rounds: {', '.join(f'{r:.0f}' for r in rates['reference'])})")
    print(f"moto server:        {mot:8.1f} calls/s   (rounds: {', '.join(f'{r:.0f}' for r in rates['moto'])})")
    print(f"ratio reference/moto: {ref / mot:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
