"""How many worker processes a run uses: the number given, else one per core, more against a slow endpoint.

A check spends its time in two places: its own CPU (drawing examples, signing, judging the answer: about
CLIENT_SECONDS_PER_REQUEST for each request it sends) and waiting for the endpoint's answer (the latency). On a
loopback endpoint the wait is nothing and one worker per core keeps the cores busy; against an endpoint `L`
seconds away, a worker waits L for every CLIENT_SECONDS_PER_REQUEST it computes, so `cores * (1 + L / c)`
workers keep the same cores busy. Never more than the profile's rate_per_second can keep in flight (the rate
limiter holds every process of the run to that rate whatever the number), and never more than MAX_WORKERS.
"""

from __future__ import annotations

import math
import os
import time

CLIENT_SECONDS_PER_REQUEST = 0.004  # a check's own CPU per request, measured on the default run (docs/performance.md)
MAX_WORKERS = 16
LATENCY_SAMPLES = 5


def usable_cpus() -> int:
    """The cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def parse_workers(text: str | None) -> int | None:
    """`-n`: a number of processes (0 and 1: the checks run in the run's own process), or None for 'auto'
    (the default); ValueError for anything else."""
    if text is None or str(text).lower() == "auto":
        return None
    workers = int(text)
    if workers < 0:
        raise ValueError(text)
    return max(workers, 1)


def default_workers(latency: float, cpus: int, rate_per_second: float | None = None) -> int:
    """Workers for an endpoint that answers `latency` seconds after a request (see the module docstring)."""
    workers = cpus * (1 + max(latency, 0.0) / CLIENT_SECONDS_PER_REQUEST)
    if rate_per_second:
        workers = min(workers, math.ceil(rate_per_second * (max(latency, 0.0) + CLIENT_SECONDS_PER_REQUEST)))
    return max(1, min(MAX_WORKERS, round(workers)))


def observed_latency(
    url: str,
    *,
    timeout: float = 5.0,
    ca_bundle: str | None = None,
    samples: int = LATENCY_SAMPLES,
    rate_per_second: float | None = None,
) -> float:
    """The endpoint's answer time in seconds: the fastest of `samples` unsigned POSTs to its root on one kept-alive
    connection (the first, which also connects, is not counted). Any answer counts: a refusal takes as long to
    come back as a verdict. With `rate_per_second`, the requests are sent no faster than that."""
    import urllib3

    pool = urllib3.PoolManager(
        retries=False, timeout=urllib3.Timeout(connect=timeout, read=timeout), ca_certs=ca_bundle, maxsize=1
    )
    target = url.rstrip("/") + "/"
    headers = {"Content-Type": "application/x-amz-json-1.1"}
    best = math.inf
    try:
        interval = 1 / rate_per_second if rate_per_second else 0.0
        last = -math.inf
        for attempt in range(samples + 1):
            if (pause := last + interval - time.perf_counter()) > 0:
                time.sleep(pause)
            start = last = time.perf_counter()
            pool.request("POST", target, body=b"{}", headers=headers)
            if attempt:
                best = min(best, time.perf_counter() - start)
    except urllib3.exceptions.HTTPError:
        return 0.0 if best == math.inf else best
    finally:
        pool.clear()
    return best
