"""Thread-safety of the reference endpoint: identical concurrent requests meter once, distinct ones all meter."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from .conftest import PRODUCT, T0, make_client, record, usage

THREADS = 8


def run_threads(work, per_thread: int) -> list:
    barrier = threading.Barrier(THREADS)

    def worker(index: int) -> list:
        barrier.wait()
        return [work(index, call) for call in range(per_thread)]

    with ThreadPoolExecutor(THREADS) as pool:
        return [result for results in pool.map(worker, range(THREADS)) for result in results]


@pytest.fixture
def slow_store(endpoint):
    """Widen the window between looking a record up and storing it, so a missing lock shows as doubled records."""
    store = endpoint.model._store

    def slowly(*args, **kwargs):
        time.sleep(0.005)  # releases the GIL: other threads run their lookup now
        return store(*args, **kwargs)

    endpoint.model._store = slowly


def test_identical_concurrent_meter_usage_calls_yield_one_record(endpoint, slow_store):
    clients = [make_client(endpoint.url, access_key="AKIDSAMEINSTANCE") for _ in range(THREADS)]
    ids = run_threads(lambda t, _: clients[t].meter_usage(**usage())["MeteringRecordId"], 200)
    assert len(ids) == THREADS * 200
    assert len(set(ids)) == 1
    assert endpoint.model.record_count() == 1


def test_identical_concurrent_batches_yield_the_same_record_ids(endpoint, slow_store):
    clients = [make_client(endpoint.url) for _ in range(THREADS)]
    records = [record(), record(CustomerIdentifier="cust-bravo"), record(Dimension="Requests")]

    def call(t: int, _: int) -> tuple:
        result = clients[t].batch_meter_usage(ProductCode=PRODUCT, UsageRecords=records)
        return tuple((r["Status"], r["MeteringRecordId"]) for r in result["Results"])

    outcomes = set(run_threads(call, 50))
    assert len(outcomes) == 1 and {status for status, _ in next(iter(outcomes))} == {"Success"}
    assert endpoint.model.record_count() == 3


def test_distinct_concurrent_records_are_all_kept(endpoint):
    clients = [make_client(endpoint.url) for _ in range(THREADS)]

    def call(t: int, i: int) -> str:
        result = clients[t].batch_meter_usage(ProductCode=PRODUCT, UsageRecords=[record(Timestamp=T0 - t * 1000 - i)])
        return result["Results"][0]["MeteringRecordId"]

    ids = run_threads(call, 50)
    assert len(set(ids)) == THREADS * 50
    assert endpoint.model.record_count() == THREADS * 50
