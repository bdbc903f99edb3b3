"""The protocol and wire-fuzz suites pass on the faithful reference endpoint and fail, on exactly the clauses a
deviation breaks, on a faulty one: the reference endpoint's own faults, and deviations a small loopback proxy
in front of it commits (for rules no fault of the endpoint breaks), including an endpoint that hangs."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import urllib3

from meterconform.harness.profile import load_profile
from meterconform.reference import ReferenceEndpoint
from tests.suites.runner import errors, failed_clauses, run_suites, verdicts

SUITES = ("suites/test_protocol.py", "suites/test_wire_fuzz.py")
HANG_LIMIT = 20.0  # the hanging proxy gives up on a request after this many seconds, whatever happens

# -- a deviant proxy ---------------------------------------------------------------------------------------

Request = tuple[str, dict[str, str], bytes]  # method, headers, body
Response = tuple[int, list[tuple[str, str]], bytes]


class Deviation:
    """How the proxy departs from the endpoint behind it: rewrite the request, the response, or hang."""

    def request(self, method: str, headers: dict[str, str], body: bytes) -> Request:
        return method, headers, body

    def response(self, request: Request, status: int, headers: list[tuple[str, str]], body: bytes) -> Response:
        return status, headers, body

    def hang(self, request: Request) -> bool:
        return False


def _json_rewrite(fn: Callable[[dict], dict]) -> Callable[[int, list, bytes], tuple[list, bytes]]:
    def apply(status, headers, body):
        try:
            data = json.loads(body)
        except ValueError:
            return headers, body
        return headers, json.dumps(fn(data)).encode() if isinstance(data, dict) else body

    return apply


class ResponseRewrite(Deviation):
    """Rewrites every response with `fn(status, headers, body) -> (status, headers, body)`."""

    def __init__(self, fn):
        self.fn = fn

    def response(self, request, status, headers, body):
        return self.fn(status, headers, body)


class RequestRewrite(Deviation):
    def __init__(self, fn):
        self.fn = fn

    def request(self, method, headers, body):
        return self.fn(method, headers, body)


class HangOnTarget(Deviation):
    """Answers requests without X-Amz-Target (the harness's reachability probe) but never those with one."""

    def hang(self, request):
        return any(k.lower() == "x-amz-target" for k in request[1])


class DeadAfterMalformed(Deviation):
    """After the first body that is not JSON, every later request is answered 503 (a crashed backend)."""

    def __init__(self):
        self.dead = False

    def response(self, request, status, headers, body):
        if self.dead:
            return (
                503,
                [("Content-Type", "application/x-amz-json-1.1")],
                b'{"__type":"ServiceUnavailable","message":"down"}',
            )
        try:
            json.loads(request[2] or b"{}")
        except ValueError:
            self.dead = True
        return status, headers, body


class UnknownOperationForNonPost(Deviation):
    """Answers every method but POST itself as AWS JSON services do: 404 UnknownOperationException, with the
    x-amzn-ErrorType header (a correct refusal, not evidence that the operation is missing)."""

    def response(self, request, status, headers, body):
        if request[0] == "POST":
            return status, headers, body
        out = b'{"__type":"UnknownOperationException","message":"Unknown operation"}'
        return (
            404,
            [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-ErrorType", "UnknownOperationException")],
            out,
        )


def _drop_header(name: str):
    return ResponseRewrite(lambda s, h, b: (s, [(k, v) for k, v in h if k.lower() != name], b))


def _without_message(data: dict) -> dict:
    return {k: v for k, v in data.items() if k not in ("message", "Message")}


def _namespaced_type(data: dict) -> dict:
    if "__type" in data:
        data["__type"] = f"com.amazonaws.marketplace.metering#{data['__type']}:http://internal.amazon.com/coral/"
    return data


def _rewrite_json(fn):
    rewrite = _json_rewrite(fn)

    def apply(status, headers, body):
        headers, body = rewrite(status, headers, body)
        return status, headers, body

    return ResponseRewrite(apply)


def _html_errors(status, headers, body):
    if status >= 400:
        return status, [("Content-Type", "text/html")], b"<html><body>Bad request</body></html>"
    return status, headers, body


def _success_as_text(status, headers, body):
    if status < 300:
        return status, [(k, "text/plain" if k.lower() == "content-type" else v) for k, v in headers], body
    return status, headers, body


def _canonical_target(method, headers, body):
    """A router that matches X-Amz-Target case-insensitively (after the signature is checked)."""
    for k, v in list(headers.items()):
        if k.lower() == "x-amz-target" and v.lower().startswith("awsmpmeteringservice."):
            name = v.split(".", 1)[1].lower()
            for op in ("MeterUsage", "BatchMeterUsage", "RegisterUsage", "ResolveCustomer"):
                if op.lower() == name:
                    headers[k] = f"AWSMPMeteringService.{op}"
    return _resign(method, headers, body)


def _any_method(method, headers, body):
    """An endpoint that serves any method as POST (after the signature is checked)."""
    return _resign("POST", headers, body)


def _resign(method, headers, body):
    """An endpoint that does not check signatures: every request is re-signed with the right key."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    ep = load_profile(None).endpoint
    auth = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
    key_id = auth.split("Credential=", 1)[1].split("/", 1)[0] if "Credential=" in auth else ep.access_key_id
    keep = {k: v for k, v in headers.items() if k.lower() not in ("authorization", "x-amz-date", "content-length")}
    host = next((v for k, v in headers.items() if k.lower() == "host"), "localhost")
    req = AWSRequest(method=method, url=f"http://{host}/", data=body, headers=keep)
    SigV4Auth(Credentials(key_id, ep.secret_access_key), "aws-marketplace", ep.region).add_auth(req)
    return method, dict(req.headers.items()), body


def _reject_if(predicate: Callable[[dict], bool], status: int = 400, name: str = "SerializationException"):
    """Answers `status` `name` to a JSON request body for which `predicate` holds; forwards the rest."""

    class Reject(Deviation):
        def hang(self, request):
            return False

        def response(self, request, status_, headers, body):
            try:
                data = json.loads(request[2] or b"{}")
            except ValueError:
                return status_, headers, body
            if isinstance(data, dict) and predicate(data):
                out = json.dumps({"__type": name, "message": "rejected by the deviant proxy"}).encode()
                return status, [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-ErrorType", name)], out
            return status_, headers, body

    return Reject()


def _walk(value):
    yield value
    if isinstance(value, dict):
        for v in value.values():
            yield from _walk(v)
    elif isinstance(value, list):
        for v in value:
            yield from _walk(v)


def _has_fractional_timestamp(data: dict) -> bool:
    return any(isinstance(v, dict) and isinstance(v.get("Timestamp"), float) for v in _walk(data))


def _has_null(data: dict) -> bool:
    return any(isinstance(v, dict) and any(x is None for x in v.values()) for v in _walk(data))


def _has_unknown_member(data: dict) -> bool:
    return any(isinstance(v, dict) and "MeterconformUnknownMember" in v for v in _walk(data))


class _ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle on, the body waits for the client's delayed ACK of
    # the headers (about 40 ms per answer on a kept-alive connection), as the reference endpoint avoids too.
    disable_nagle_algorithm = True
    server: DeviantProxy

    def _handle(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k: v for k, v in self.headers.items()}
        request = (self.command, headers, body)
        if self.server.deviation.hang(request):
            self.server.stopped.wait(HANG_LIMIT)
            self.close_connection = True
            return
        method, headers, body = self.server.deviation.request(*request)
        upstream = self.server.pool.request(
            method,
            self.server.upstream + self.path,
            body=body,
            headers={k: v for k, v in headers.items() if k.lower() != "content-length"},
            redirect=False,
            retries=False,
        )
        out_headers = [
            (k, v) for k, v in upstream.headers.items() if k.lower() not in ("content-length", "connection", "date")
        ]
        status, out_headers, out = self.server.deviation.response(request, upstream.status, out_headers, upstream.data)
        self.send_response(status)
        for k, v in out_headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    do_POST = do_GET = do_PUT = do_DELETE = do_PATCH = _handle

    def log_message(self, *args):
        pass


class DeviantProxy(ThreadingHTTPServer):
    """A loopback proxy in front of `upstream` that commits `deviation`; a context manager giving its URL."""

    daemon_threads = True

    def __init__(self, upstream: str, deviation: Deviation):
        super().__init__(("127.0.0.1", 0), _ProxyHandler)
        self.upstream = upstream.rstrip("/")
        self.deviation = deviation
        self.stopped = threading.Event()
        self.pool = urllib3.PoolManager(maxsize=8, timeout=urllib3.Timeout(connect=5, read=30))

    def __enter__(self) -> str:
        threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return f"http://127.0.0.1:{self.server_address[1]}"

    def __exit__(self, *exc):
        self.stopped.set()
        self.shutdown()
        self.server_close()


@pytest.fixture(scope="module")
def upstream():
    """One faithful reference endpoint behind every proxied run of this module."""
    with ReferenceEndpoint(dict(load_profile(None).raw)) as endpoint:
        yield endpoint.url


def run_behind(upstream: str, deviation: Deviation, *selection: str, extra=(), timeout: float = 300) -> list[dict]:
    """Events of the suites run against a proxy committing `deviation` in front of the faithful endpoint."""
    with DeviantProxy(upstream, deviation) as url:
        return run_suites(*selection, extra=["--endpoint-url", url, *extra], timeout=timeout)


# -- the faithful endpoint, and the reference endpoint's own faults ----------------------------------------


@pytest.fixture(scope="module")
def faithful():
    return run_suites(*SUITES)


def test_the_protocol_suites_are_green_on_the_faithful_endpoint(faithful):
    assert errors(faithful) == []
    assert failed_clauses(faithful) == set()
    assert len(faithful) > 200
    assert {e["verdict"] for e in faithful} <= {"PASS", "INFO"}


ERRORS_WITH_200 = {
    # every check expecting a client error (MUST) fails on its own clause: the status is not 4xx ...
    "PROTO.TARGET.UNKNOWN",
    "PROTO.TARGET.MISSING",
    "PROTO.BODY.EMPTY",
    "PROTO.NULL.REQUIRED",
    "PROTO.JSON.MALFORMED",
    "PROTO.JSON.NOT_OBJECT",
    "PROTO.JSON.WRONG_TYPE",
    "PROTO.JSON.COERCION",
    "PROTO.AUTH.UNSIGNED",
    "PROTO.AUTH.BAD_SIGNATURE",
    "BMU.RECORDS.MAX",
    "BMU.PRODUCT_CODE.LENGTH",
    "MU.PRODUCT_CODE.LENGTH",
    "MU.CLIENT_TOKEN.LENGTH",
    "RU.PRODUCT_CODE.LENGTH",
    "RU.NONCE.LENGTH",
    "TAG.COUNT.MAX",
    "TAG.KEY.LENGTH",
    "TAG.VALUE.LENGTH",
    "ALLOC.COUNT.MAX",
    # ... the checks of the form of errors fail on the status of modelled errors ...
    "PROTO.STATUS.CLIENT_ERROR",
    # ... and hostile input answered with an error body under a 200 is neither served nor refused: this MUST
    # is judged before the SHOULDs of the same checks (PROTO.METHOD.POST_ONLY, PROTO.AUTH.SIGNING_NAME,
    # BMU.REQUEST.SIZE), which therefore never show.
    "PROTO.HOSTILE.NO_5XX",
}


@pytest.mark.parametrize(
    "fault,broken",
    [
        ("errors-with-200", ERRORS_WITH_200),
        (
            "malformed-json-500",
            {"PROTO.JSON.MALFORMED", "PROTO.JSON.NOT_OBJECT", "PROTO.ERROR.TYPE", "PROTO.HOSTILE.NO_5XX"},
        ),
        ("six-tags-accepted", {"TAG.COUNT.MAX"}),
        ("batch-cap-26", {"BMU.RECORDS.MAX"}),
    ],
)
def test_each_reference_fault_fails_exactly_its_clauses(fault, broken):
    events = run_suites(*SUITES, faults=[fault])
    assert errors(events) == []
    assert failed_clauses(events) == broken


# -- deviations committed by a proxy -----------------------------------------------------------------------

P, F = "suites/test_protocol.py", "suites/test_wire_fuzz.py"
DEVIATIONS = [
    (
        "no-content-type",
        lambda: _drop_header("content-type"),
        [P, "-k", "dispatched or not_json or unknown_member"],
        {"PROTO.CONTENT_TYPE.RESPONSE"},
    ),
    (
        "json-content-type-wrong",
        lambda: ResponseRewrite(_success_as_text),
        [P, "-k", "dispatched"],
        {"PROTO.CONTENT_TYPE.JSON"},
    ),
    ("no-error-header", lambda: _drop_header("x-amzn-errortype"), [P, "-k", "errors_"], {"PROTO.ERROR.HEADER"}),
    ("no-message", lambda: _rewrite_json(_without_message), [P, "-k", "errors_"], {"PROTO.ERROR.MESSAGE"}),
    (
        "html-error-bodies",
        lambda: ResponseRewrite(_html_errors),
        [P, "-k", "target or errors_are_json"],
        {"PROTO.ERROR.TYPE"},
    ),
    (
        "lenient-target",
        lambda: RequestRewrite(_canonical_target),
        [P, "-k", "target_naming_no_operation"],
        {"PROTO.TARGET.UNKNOWN"},
    ),
    ("any-method-is-post", lambda: RequestRewrite(_any_method), [P, "-k", "without_post"], {"PROTO.METHOD.POST_ONLY"}),
    (
        "signatures-unchecked",
        lambda: RequestRewrite(_resign),
        [P, "-k", "signature or signed_for_another"],
        {"PROTO.AUTH.UNSIGNED", "PROTO.AUTH.BAD_SIGNATURE", "PROTO.AUTH.SIGNING_NAME"},
    ),
    (
        "fractional-timestamp-refused",
        lambda: _reject_if(_has_fractional_timestamp),
        [P, "-k", "timestamp"],
        {"PROTO.TIMESTAMP.FRACTIONAL"},
    ),
    ("null-refused", lambda: _reject_if(_has_null), [P, "-k", "sent_as_null"], {"PROTO.NULL.OPTIONAL"}),
    (
        "unknown-member-500",
        lambda: _reject_if(_has_unknown_member, 500, "InternalServiceErrorException"),
        [P, "-k", "unknown_member"],
        {"PROTO.UNKNOWN_MEMBER.NO_5XX"},
    ),
    (
        "dead-after-malformed",
        lambda: DeadAfterMalformed(),
        [P, "-k", "not_json and RegisterUsage and truncated"],
        {"PROTO.HOSTILE.LIVENESS"},
    ),
]


@pytest.mark.parametrize("name,make,selection,broken", DEVIATIONS, ids=[d[0] for d in DEVIATIONS])
def test_each_proxied_deviation_fails_exactly_its_clauses(upstream, name, make, selection, broken):
    events = run_behind(upstream, make(), *selection)
    assert events, f"{name}: the selection {selection} ran no check"
    assert errors(events) == []
    assert failed_clauses(events) == broken


def test_namespaced_error_types_are_read_as_clients_read_them(upstream):
    """Positive control: `ns#Name:uri` in __type (Smithy's awsJson1_1 error tests allow both parts) is conformant."""
    events = run_behind(upstream, _rewrite_json(_namespaced_type), P, "-k", "errors_ or target or not_json")
    assert len(events) > 20
    assert errors(events) == []
    assert failed_clauses(events) == set()


def test_unknown_operation_for_another_method_is_a_refusal_not_unimplemented(upstream):
    """Positive control: 404 UnknownOperationException to GET/PUT/DELETE/PATCH is a correct refusal; only the
    answer to a well-formed POST of an operation may mark it UNIMPLEMENTED, so PROTO.METHOD.POST_ONLY passes."""
    events = run_behind(upstream, UnknownOperationForNonPost(), P, "-k", "without_post or dispatched")
    assert errors(events) == []
    assert failed_clauses(events) == set()
    assert not [e["nodeid"] for e in events if e["verdict"] == "UNIMPLEMENTED"]
    post_only = {e["nodeid"]: e["verdict"] for e in events if "without_post" in e["nodeid"]}
    assert len(post_only) == 4 and set(post_only.values()) == {"PASS"}, post_only


# -- a hung endpoint ---------------------------------------------------------------------------------------


def test_a_hung_endpoint_gets_timed_out_verdicts_within_the_read_timeout(upstream, tmp_path):
    """Every operation request hangs; the harness's reachability probe (no X-Amz-Target) is answered. Each
    check must end TIMEOUT-FAILed on PROTO.TIMEOUT after about read_timeout seconds, and the run must end."""
    profile = tmp_path / "hung.toml"
    profile.write_text(
        '[endpoint]\nregion = "us-east-1"\nkind = "emulator"\naccess_key_id = "AKIDMETERCONFORM0001"\n'
        'secret_access_key = "meterconform-reference-secret"\nconnect_timeout = 1\nread_timeout = 1\n\n'
        '[product]\ncode = "prod-meterconform0001"\ndimensions = ["Hours"]\npublic_key_versions = [1]\n\n'
        '[customers]\nsubscribed = ["cust-alpha"]\n\n'
        '[registration_tokens.valid.valid-token-alpha]\ncustomer = "cust-alpha"\n',
        encoding="utf-8",
    )
    started = time.monotonic()
    events = run_behind(
        upstream,
        HangOnTarget(),
        P,
        "-k",
        "dispatched or target_naming_no_operation and no-such",
        extra=["--profile", str(profile)],
        timeout=120,
    )
    took = time.monotonic() - started
    assert errors(events) == []
    assert len(events) == 5
    assert failed_clauses(events) == {"PROTO.TIMEOUT"}
    assert set(verdicts(events).values()) == {"FAIL"}
    assert took < 60, f"the run took {took:.0f} s for 5 checks with a 1 s read timeout"


def test_a_fully_hung_endpoint_ends_the_run_promptly(tmp_path):
    """An endpoint that accepts connections and never answers at all: the run stops at the reachability probe
    with a message instead of hanging."""
    import subprocess
    import sys

    from tests.suites.runner import REPO

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    stop = threading.Event()
    held: list[socket.socket] = []

    def accept():
        sock.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(sock.accept()[0])
            except OSError:
                continue

    threading.Thread(target=accept, daemon=True).start()
    try:
        started = time.monotonic()
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "suites/test_protocol.py",
                "-p",
                "meterconform.plugin",
                "-c",
                "/dev/null",
                "--rootdir",
                str(REPO),
                "-q",
                "-k",
                "dispatched",
                "--endpoint-url",
                f"http://127.0.0.1:{sock.getsockname()[1]}",
            ],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=60,
        )
        took = time.monotonic() - started
    finally:
        stop.set()
        for conn in held:
            conn.close()
        sock.close()
    assert proc.returncode == 3, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "sent no answer" in proc.stdout + proc.stderr
    assert took < 45
