"""Transient answers are never a verdict, persistent ones still are: a loopback proxy in front of the reference
endpoint answers ThrottlingException, InternalServiceErrorException (HTTP 500) or a BatchMeterUsage with every
record in UnprocessedRecords to the first attempts of each distinct request, and the Transport sends the same
request again."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import urllib3

from meterconform.harness.profile import load_profile
from meterconform.reference import running_endpoint
from meterconform.transport.clients import OPERATIONS, TARGET_PREFIX, Transport, fresh_identity
from tests.suites.runner import REPO, errors, run_suites

TARGETS = {f"{TARGET_PREFIX}.{op}": op for op in OPERATIONS}
THROTTLE = (400, "ThrottlingException", "Rate exceeded")
INTERNAL = (500, "InternalServiceErrorException", "An internal error occurred")


class FlakyProxy(ThreadingHTTPServer):
    """In front of `upstream`: the first `first` attempts of each distinct operation request (same target and
    body) get a transient answer, cycling through throttling, an internal error and (BatchMeterUsage) every
    record unprocessed, unless `kinds` names one; `first` None: every attempt. Requests with no operation target
    (the reachability probe) are forwarded. `bodies` keeps what each attempt sent, per target."""

    daemon_threads = True

    def __init__(
        self, upstream: str, *, first: int | None = 1, kinds: tuple[str, ...] = ("throttle", "internal", "unprocessed")
    ):
        super().__init__(("127.0.0.1", 0), _FlakyHandler)
        self.upstream = upstream.rstrip("/")
        self.first = first
        self.kinds = kinds
        self.attempts: Counter = Counter()
        self.injected: Counter = Counter()
        self.bodies: list[tuple[str, bytes]] = []
        self.lock = threading.Lock()
        self.pool = urllib3.PoolManager(maxsize=8, retries=False, timeout=urllib3.Timeout(connect=5, read=30))

    def __enter__(self) -> str:
        threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return f"http://127.0.0.1:{self.server_address[1]}"

    def __exit__(self, *exc):
        self.shutdown()
        self.server_close()


class _FlakyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle on, the body waits for the client's delayed ACK of
    # the headers (about 40 ms per answer on a kept-alive connection), which made the flaky run mostly waiting.
    disable_nagle_algorithm = True
    server: FlakyProxy

    def _answer(self, status: int, body: bytes, headers: list[tuple[str, str]]):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _handle(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        target = self.headers.get("X-Amz-Target") or ""
        operation = TARGETS.get(target)
        if operation is not None:
            key = hashlib.sha256(target.encode() + b"\0" + body).hexdigest()
            with self.server.lock:
                self.server.bodies.append((operation, body))
                n = self.server.attempts[key]
                self.server.attempts[key] += 1
            if self.server.first is None or n < self.server.first:
                kinds = [k for k in self.server.kinds if k != "unprocessed" or operation == "BatchMeterUsage"] or [
                    "throttle"
                ]
                with self.server.lock:  # cycle through the kinds across requests
                    kind = kinds[sum(self.server.injected.values()) % len(kinds)]
                    self.server.injected[kind] += 1
                if kind == "unprocessed":
                    try:
                        records = json.loads(body).get("UsageRecords")
                    except (ValueError, AttributeError, RecursionError):  # hostile bodies too
                        records = None
                    if isinstance(records, list) and records:
                        out = json.dumps({"Results": [], "UnprocessedRecords": records}).encode()
                        return self._answer(200, out, [("Content-Type", "application/x-amz-json-1.1")])
                    kind = "throttle"
                status, name, message = THROTTLE if kind == "throttle" else INTERNAL
                out = json.dumps({"__type": name, "message": message}).encode()
                return self._answer(
                    status, out, [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-ErrorType", name)]
                )
        upstream = self.server.pool.request(
            self.command,
            self.server.upstream + self.path,
            body=body,
            headers={k: v for k, v in self.headers.items() if k.lower() != "content-length"},
            redirect=False,
        )
        self._answer(
            upstream.status,
            upstream.data,
            [(k, v) for k, v in upstream.headers.items() if k.lower() not in ("content-length", "connection", "date")],
        )

    do_POST = do_GET = do_PUT = do_DELETE = do_PATCH = _handle

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def upstream():
    with running_endpoint(dict(load_profile(None).raw)) as url:
        yield url


@pytest.fixture(scope="module")
def no_backoff(tmp_path_factory) -> list[str]:
    """--profile of the reference seed with endpoint.transient_backoff = 0: the whole-check runs below meet hundreds
    of transient answers, and the backoff's sleeps (not what these tests prove) were most of their wall time.
    The backoff itself is proven by the Transport tests above (`sleeps == [0.05]`)."""
    text = (REPO / "examples" / "reference.toml").read_text()
    assert "\nread_timeout = 30\n" in text
    path = tmp_path_factory.mktemp("profile") / "no-backoff.toml"
    path.write_text(text.replace("\nread_timeout = 30\n", "\nread_timeout = 30\ntransient_backoff = 0\n"))
    return ["--profile", str(path)]


def _transport(url: str):
    profile = load_profile(None).with_url(url)
    transport = Transport(profile, url)
    sent, sleeps = [], []
    transport.record = sent.append
    transport.sleep = sleeps.append
    return transport, sent, sleeps


def _meter_usage(quantity: int = 1) -> dict:
    return {
        "ProductCode": "prod-meterconform0001",
        "Timestamp": int(time.time()) - 120,
        "UsageDimension": "Hours",
        "UsageQuantity": quantity,
    }


def _batch(customer: str = "cust-alpha", offset: int = 0) -> dict:
    return {
        "ProductCode": "prod-meterconform0001",
        "UsageRecords": [
            {
                "Timestamp": int(time.time()) - 300 - offset,
                "CustomerIdentifier": customer,
                "Dimension": "Requests",
                "Quantity": 3,
            }
        ],
    }


class _CountingLimiter:
    def __init__(self):
        self.calls = 0

    def acquire(self, operation=None):
        self.calls += 1
        return 0.0


# -- the Transport ---------------------------------------------------------------------------------------


def test_raw_resends_a_throttled_request_until_answered(upstream):
    with FlakyProxy(upstream, first=2, kinds=("throttle",)) as url:
        transport, sent, sleeps = _transport(url)
        transport.limiter = _CountingLimiter()
        ex = transport.raw(_meter_usage(), operation="MeterUsage", identity=fresh_identity())
    assert ex.status == 200 and ex.ok, ex.summary()
    assert len(sent) == 3  # every attempt is recorded
    assert [t.summary() for t in ex.transient] == ["HTTP 400 ThrottlingException: Rate exceeded"] * 2
    assert sent[:2] == ex.transient and sent[2] is ex
    assert transport.limiter.calls == 3  # each resend waits for the rate limiter
    assert sleeps == [0.05, 0.1]
    assert "(after 2 transient answers: HTTP 400 ThrottlingException, HTTP 400 ThrottlingException)" in ex.summary()


def test_call_resends_an_internal_error_with_the_same_client_token(upstream):
    proxy = FlakyProxy(upstream, first=1, kinds=("internal",))
    with proxy as url:
        transport, sent, sleeps = _transport(url)
        ex = transport.call("MeterUsage", _meter_usage(2), identity=fresh_identity())
    assert ex.ok, ex.summary()
    assert len(sent) == 2 and len(ex.transient) == 1 and sleeps == [0.05]
    assert ex.transient[0].status == 500 and ex.transient[0].error_code == "InternalServiceErrorException"
    # botocore filled a ClientToken in the first time; the resend carries the same one: the same request again
    assert [op for op, _ in proxy.bodies] == ["MeterUsage", "MeterUsage"]
    assert proxy.bodies[0][1] == proxy.bodies[1][1]
    assert json.loads(proxy.bodies[1][1])["ClientToken"] == ex.request["ClientToken"]


def test_a_batch_left_unprocessed_is_sent_again(upstream):
    with FlakyProxy(upstream, first=1, kinds=("unprocessed",)) as url:
        transport, sent, _ = _transport(url)
        ex = transport.call("BatchMeterUsage", _batch("cust-bravo"))
    assert [len(e.json.get("UnprocessedRecords") or []) for e in sent] == [1, 0]
    assert ex.json["Results"][0]["Status"] == "Success"
    assert ex.transient == [sent[0]]
    assert ex.summary().endswith("(after 1 transient answer: HTTP 200 1 UnprocessedRecords)")


def test_persistent_throttling_is_resent_a_bounded_number_of_times(upstream):
    with FlakyProxy(upstream, first=None, kinds=("throttle",)) as url:
        transport, sent, sleeps = _transport(url)
        ex = transport.raw(_meter_usage(), operation="MeterUsage", identity=fresh_identity())
    assert ex.error_code == "ThrottlingException"
    assert len(sent) == 4 and len(ex.transient) == 3  # the first send and 3 resends (endpoint.transient_retries)
    assert sleeps == [0.05, 0.1, 0.2]


def test_no_resend_when_told_not_to_or_when_the_5xx_names_no_error(upstream):
    with FlakyProxy(upstream, first=None, kinds=("throttle",)) as url:
        transport, sent, _ = _transport(url)
        ex = transport.raw(_meter_usage(), operation="MeterUsage", identity=fresh_identity(), retry_transient=False)
    assert ex.error_code == "ThrottlingException" and len(sent) == 1 and ex.transient == []
    with running_endpoint(dict(load_profile(None).raw), faults=["malformed-json-500"]) as url:
        transport, sent, _ = _transport(url)
        ex = transport.raw(b"{", operation="MeterUsage")
    assert ex.status == 500 and ex.error_code is None and len(sent) == 1


# -- whole checks ----------------------------------------------------------------------------------------

FLAKY_SELECTION = ("suites/test_protocol.py", "suites/test_allocations_tags.py", "suites/test_smoke.py")


def test_checks_behind_a_flaky_endpoint_give_no_verdict_on_the_transient_answers(upstream, no_backoff):
    """Every distinct request's first attempt is answered transiently (throttling, 500, all unprocessed): the
    checks of liveness, null members and allocation sums (which failed on such answers) and every other pass."""
    proxy = FlakyProxy(upstream, first=1)
    with proxy as url:
        events = run_suites(*FLAKY_SELECTION, extra=[*no_backoff, "--endpoint-url", url])
    assert min(proxy.injected[k] for k in ("throttle", "internal", "unprocessed")) > 0, proxy.injected
    assert errors(events) == []
    verdicts = Counter(e["verdict"] for e in events)
    assert verdicts["FAIL"] == 0, [
        (e["nodeid"], e.get("failed_clause"), e.get("actual", "")[:300]) for e in events if e["verdict"] == "FAIL"
    ][:5]
    judged = {c for e in events if e["verdict"] in ("PASS", "INFO") for c in e["clauses"]}
    assert {"PROTO.HOSTILE.LIVENESS", "PROTO.NULL.OPTIONAL", "ALLOC.SUM.VALID"} <= judged
    shown = [t for e in events for ex in e.get("evidence") or [] for t in ex.get("transient") or []]
    kinds = {t["summary"] for t in shown}
    assert {
        "HTTP 400 ThrottlingException",
        "HTTP 500 InternalServiceErrorException",
        "HTTP 200 1 UnprocessedRecords",
    } <= kinds


def test_persistent_throttling_skips_as_throttled(upstream, no_backoff):
    with FlakyProxy(upstream, first=None, kinds=("throttle",)) as url:
        events = run_suites("suites/test_smoke.py", extra=[*no_backoff, "--endpoint-url", url])
    assert events and errors(events) == []
    assert {e["verdict"] for e in events} == {"SKIPPED"}
    assert all(e["reason"].startswith("THROTTLED:") and "after 4 attempts" in e["reason"] for e in events), events[0][
        "reason"
    ]


def test_persistent_internal_errors_fail(upstream, no_backoff):
    with FlakyProxy(upstream, first=None, kinds=("internal",)) as url:
        events = run_suites("suites/test_smoke.py", extra=[*no_backoff, "--endpoint-url", url])
    assert events and errors(events) == []
    assert {e["verdict"] for e in events} == {"FAIL"}
    for e in events:
        assert "HTTP 500 InternalServiceErrorException" in e["actual"]
        assert "after 3 transient answers" in e["actual"]


def test_persistent_unprocessed_records_skip_as_unprocessed(upstream, no_backoff):
    with FlakyProxy(upstream, first=None, kinds=("unprocessed",)) as url:
        events = run_suites("suites/test_smoke.py", extra=[*no_backoff, "--endpoint-url", url, "-k", "batch"])
    assert events and errors(events) == []
    assert {e["verdict"] for e in events} == {"SKIPPED"}
    assert all(e["reason"].startswith("UNPROCESSED:") and "after 4 attempts" in e["reason"] for e in events)


# -- a hung endpoint costs one read timeout, not one per check ---------------------------------------------

HANG_SELECTION = ("suites/test_batch_meter_usage.py", "suites/test_wire_fuzz.py")


def test_an_endpoint_hanging_on_large_bodies_costs_one_full_read_timeout(tmp_path):
    """hang-on-large-body: the first check to meet the hang waits the full read_timeout (8 s here); every later
    one gets the shortened timeout (hang_timeout_floor 1 s) and still fails PROTO.TIMEOUT, saying why."""
    from pathlib import Path

    import meterconform

    text = (Path(meterconform.__file__).parent / "data" / "default-profile.toml").read_text(encoding="utf-8")
    profile = tmp_path / "hang.toml"
    profile.write_text(text.replace("read_timeout = 30", "read_timeout = 8\nhang_timeout_floor = 1"), encoding="utf-8")
    started = time.monotonic()
    events = run_suites(*HANG_SELECTION, faults=["hang-on-large-body"], extra=["--profile", str(profile)])
    took = time.monotonic() - started
    assert errors(events) == []
    timed_out = [e for e in events if e["verdict"] == "FAIL" and e.get("failed_clause") == "PROTO.TIMEOUT"]
    assert len(timed_out) >= 3, [(e["nodeid"], e["verdict"]) for e in events if e["verdict"] != "PASS"]
    shortened = [e for e in timed_out if "shortened" in e["reason"]]
    assert len(shortened) == len(timed_out) - 1
    assert all(
        "already hung for the full 8 s" in e["reason"] and e["actual"].startswith("no answer within 1 s")
        for e in shortened
    )
    # the hang cost one full read timeout and a floor per later check, not a full timeout each
    assert took < 8 + 8 + 1.5 * len(shortened) + 45, f"{took:.0f} s for {len(timed_out)} hung checks"
