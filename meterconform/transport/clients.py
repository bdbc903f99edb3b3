"""Talking to an endpoint: boto3 calls and raw SigV4-signed HTTP, both recorded as Exchanges."""

from __future__ import annotations

import datetime as _dt
import json
import math
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import botocore.session
import urllib3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ProfileNotFound,
    ReadTimeoutError,
)

from ..contract.operations import OPERATIONS
from ..harness.profile import Profile
from ..results.redact import redact_headers
from .ratelimit import RateLimiter

SERVICE = "meteringmarketplace"
SIGNING_NAME = "aws-marketplace"
TARGET_PREFIX = "AWSMPMeteringService"
CONTENT_TYPE = "application/x-amz-json-1.1"

_botocore_session = botocore.session.get_session()
_local = threading.local()


def error_name(type_value: Any) -> str | None:
    """The error shape name from a `__type` or `x-amzn-ErrorType` value, as clients read it.

    Clients strip anything before `#` (a namespace) and after `:` (a URI suffix)."""
    if not isinstance(type_value, str) or not type_value:
        return None
    name = type_value.split(":", 1)[0]
    return name.rsplit("#", 1)[-1] or None


@dataclass
class Exchange:
    """One request and what came back: the evidence behind every verdict."""

    operation: str | None
    via: str  # "boto3" or "raw"
    request: Any  # wire-form dict, or bytes/str for raw bodies that are not JSON
    request_headers: dict[str, str] = field(default_factory=dict)
    method: str = "POST"
    url: str = ""
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    elapsed: float = 0.0
    transport_error: str | None = None  # "timeout", "unreachable", "connection-closed"
    sdk_error_code: str | None = None  # the code botocore's own parser read (boto3 path)
    identity: str | None = None
    signing: str = "SigV4"  # raw sends: "SigV4", "unsigned" or "mis-signed"
    # The transient answers (throttling, an internal error, records left unprocessed) this request got before
    # this answer, oldest first: the same request was sent again after each (Transport.retries)
    transient: list[Exchange] = field(default_factory=list)
    read_timeout: float | None = None  # the read timeout this request was sent with
    # Why that read timeout is shorter than endpoint.read_timeout (the endpoint hung before), else None
    timeout_shortened: str | None = None

    @property
    def json(self) -> Any:
        """The response body parsed as JSON, or None when it is not JSON."""
        try:
            return json.loads(self.body.decode("utf-8")) if self.body else None
        except (UnicodeDecodeError, ValueError):
            return None

    @property
    def header_error(self) -> str | None:
        return error_name(self.headers.get("x-amzn-errortype"))

    @property
    def error_code(self) -> str | None:
        """The error name from the body's `__type` (else `code`), else the x-amzn-ErrorType header."""
        body = self.json
        if isinstance(body, dict):
            for key in ("__type", "code", "Code"):
                if key in body:
                    return error_name(body[key])
        return self.header_error

    @property
    def message(self) -> str | None:
        body = self.json
        if isinstance(body, dict):
            for key in ("message", "Message"):
                if isinstance(body.get(key), str):
                    return body[key]
        return None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300 and self.error_code is None

    def summary(self) -> str:
        """One line: status and error name, or the transport failure; then the transient answers before it."""
        return self.answer_summary() + self.transient_summary()

    def transient_summary(self) -> str:
        """ " (after N transient answers: HTTP 400 ThrottlingException, ...)", or "" when there were none."""
        if not self.transient:
            return ""
        n = len(self.transient)
        answers = ", ".join(t.answer_summary(short=True) for t in self.transient)
        return f" (after {n} transient answer{'s' if n != 1 else ''}: {answers})"

    def answer_summary(self, *, short: bool = False) -> str:
        """This answer alone; `short`: the status and error name only."""
        if self.transport_error:
            return f"no response ({self.transport_error})"
        text = f"HTTP {self.status}"
        if short:
            if self.error_code:
                return f"{text} {self.error_code}"
            unprocessed = transient_reason(self)
            return f"{text} {unprocessed}" if unprocessed else text
        if self.error_code:
            text += f" {self.error_code}"
            if self.message:
                text += f": {self.message[:160]}"
        elif self.json is None and self.body:
            text += f" non-JSON body ({self.headers.get('content-type', 'no content-type')}): {self.body[:120]!r}"
        return text


TRANSIENT_ERRORS = ("ThrottlingException", "InternalServiceErrorException")
UNAVAILABLE_ERRORS = ("ServiceUnavailableException", "ServiceUnavailable", "InternalFailure", "InternalServerError")


def transient_reason(exchange: Exchange) -> str | None:
    """Why this answer is a transient one, worth sending the same request again, else None: ThrottlingException;
    InternalServiceErrorException (the model's `fault`) or a 5xx naming a service-unavailable error type; a
    BatchMeterUsage success with records in UnprocessedRecords (a service-side transient failure). A 5xx with no
    error type (a crash page, a gateway's page) is not: it is judged at once."""
    if exchange.transport_error or exchange.status is None:
        return None
    code = exchange.error_code
    if code in TRANSIENT_ERRORS:
        return code
    if code in UNAVAILABLE_ERRORS and exchange.status >= 500:
        return code
    if exchange.operation == "BatchMeterUsage" and exchange.ok:
        body = exchange.json
        if isinstance(body, dict) and isinstance(body.get("UnprocessedRecords"), list) and body["UnprocessedRecords"]:
            return f"{len(body['UnprocessedRecords'])} UnprocessedRecords"
    return None


def wire_to_params(request: Mapping[str, Any]) -> dict[str, Any]:
    """boto3 keyword arguments for a wire-form request (epoch numbers become aware datetimes)."""

    def ts(value: Any) -> Any:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return _dt.datetime.fromtimestamp(value, tz=_dt.UTC)
        return value

    params = dict(request)
    if "Timestamp" in params:
        params["Timestamp"] = ts(params["Timestamp"])
    if isinstance(params.get("UsageRecords"), list):
        params["UsageRecords"] = [
            {**r, "Timestamp": ts(r["Timestamp"])} if isinstance(r, dict) and "Timestamp" in r else r
            for r in params["UsageRecords"]
        ]
    return params


def _snake(op: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in op).lstrip("_")


class Transport:
    """Sends requests to one endpoint as a given identity; every exchange goes to `record`."""

    def __init__(self, profile: Profile, url: str, *, limiter: RateLimiter | None = None):
        if profile.endpoint.url is None and url is None:
            raise ValueError("Transport needs an endpoint URL")
        self.profile = profile
        self.url = url.rstrip("/")
        self.limiter = limiter
        self._clients: dict[tuple, Any] = {}
        self._pool = urllib3.PoolManager(
            num_pools=4,
            maxsize=16,
            retries=False,
            timeout=urllib3.Timeout(connect=profile.endpoint.connect_timeout, read=profile.endpoint.read_timeout),
            ca_certs=profile.endpoint.tls_trust,  # None: the system's trust store
        )
        self._lock = threading.Lock()
        self.record: Callable[[Exchange], None] = lambda exchange: None
        ep = profile.endpoint
        self.retries = ep.transient_retries  # how often a transient answer is met by sending the request again
        self.backoff = ep.transient_backoff  # seconds before the first resend, doubling for each next one
        self.sleep: Callable[[float], None] = time.sleep
        self._latencies: deque[float] = deque(maxlen=256)  # seconds to an answer, of recent answered requests
        self.hang: str | None = None  # the first request the endpoint left unanswered for the full read timeout

    # -- timeouts ------------------------------------------------------------------------------
    def read_timeout(self) -> tuple[float, str | None]:
        """The read timeout for the next request, and why it is shorter than endpoint.read_timeout (else None).

        Until the endpoint has left a request unanswered for the full endpoint.read_timeout, always that. After
        such a hang, each later request that meets one would cost the full timeout again, so the timeout becomes
        max(endpoint.hang_timeout_floor, HANG_LATENCY_FACTOR x the 99th percentile of the answered requests'
        latency), never above endpoint.read_timeout: a request a correct endpoint answers in time still gets
        its answer, one that meets the hang fails sooner."""
        full = self.profile.endpoint.read_timeout
        if self.hang is None:
            return full, None
        with self._lock:
            latencies = sorted(self._latencies)
        p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] if latencies else 0.0
        # rounded up to half seconds: the boto3 path keeps one botocore client per read timeout
        adaptive = min(
            full, max(self.profile.endpoint.hang_timeout_floor, math.ceil(HANG_LATENCY_FACTOR * p99 * 2) / 2)
        )
        if adaptive >= full:
            return full, None
        return adaptive, (
            f"the read timeout was shortened to {adaptive:g} s (endpoint.read_timeout {full:g} s) because the "
            f"endpoint already hung for the full {full:g} s on {self.hang}; slowest answers so far: "
            f"p99 {p99:.2f} s"
        )

    def _observe(self, exchange: Exchange) -> None:
        """Learn from one attempt: an answer's latency, or a hang for the full read timeout."""
        if exchange.transport_error is None and exchange.status is not None:
            with self._lock:
                self._latencies.append(exchange.elapsed)
        elif (
            exchange.transport_error == "timeout"
            and exchange.timeout_shortened is None
            and self.hang is None
            and exchange.elapsed >= 0.9 * self.profile.endpoint.read_timeout
        ):
            size = (
                len(exchange.request)
                if isinstance(exchange.request, (bytes, bytearray))
                else len(json.dumps(exchange.request, default=str))
            )
            self.hang = f"a {exchange.via} {exchange.operation or exchange.method} request of {size} bytes"

    # -- transient answers ---------------------------------------------------------------------
    def _resending(self, send: Callable[[Exchange | None], Exchange], retry: bool) -> Exchange:
        """`send` an attempt (given the previous attempt, None the first time); while the answer is transient
        (transient_reason) and `retry`, send the same request again, at most `self.retries` times, after
        `self.backoff` s doubling each time (each attempt waits for the rate limiter too). Every attempt is
        recorded; the answer returned is the first one that is not transient, else the last, and carries the
        transient ones before it in `transient`."""
        transient: list[Exchange] = []
        previous: Exchange | None = None
        while True:
            exchange = send(previous)
            self._observe(exchange)
            self.record(exchange)
            if not retry or len(transient) >= self.retries or transient_reason(exchange) is None:
                exchange.transient = transient
                return exchange
            transient.append(exchange)
            self.sleep(self.backoff * 2 ** (len(transient) - 1))
            previous = exchange

    # -- credentials ---------------------------------------------------------------------------
    def credentials(self, identity: str | None = None) -> Credentials:
        """The signing credentials: the profile's keys (with another access key id for a fresh
        identity on an emulator), else the standard boto3 chain."""
        ep = self.profile.endpoint
        if ep.access_key_id and ep.secret_access_key:
            return Credentials(identity or ep.access_key_id, ep.secret_access_key, ep.session_token)
        return chain_credentials(ep.config_profile)

    def client(
        self,
        identity: str | None = None,
        *,
        validate: bool = False,
        region: str | None = None,
        read_timeout: float | None = None,
    ):
        """A botocore client with retries off; client-side validation off unless `validate`. One client
        serves every identity: `call` hands each request its identity's credentials (botocore's
        per-request signing credentials), so a fresh identity costs no new client."""
        region = region or self.profile.endpoint.region
        read_timeout = read_timeout or self.profile.endpoint.read_timeout
        key = (validate, region, read_timeout)
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                creds = self.credentials(None)
                client = _botocore_session.create_client(
                    SERVICE,
                    region_name=region,
                    endpoint_url=self.url,
                    aws_access_key_id=creds.access_key,
                    aws_secret_access_key=creds.secret_key,
                    aws_session_token=creds.token,
                    # tls_trust None: botocore's own default (the system's, or AWS_CA_BUNDLE)
                    verify=self.profile.endpoint.tls_trust,
                    config=Config(
                        retries={"total_max_attempts": 1, "mode": "standard"},  # max_attempts=1 still means 2 attempts
                        parameter_validation=validate,
                        connect_timeout=self.profile.endpoint.connect_timeout,
                        read_timeout=read_timeout,
                        max_pool_connections=16,
                    ),
                )
                client.meta.events.register("before-sign", _per_call_credentials)
                client.meta.events.register("before-send", _capture_request)
                client.meta.events.register("after-call", _capture_response)
                self._clients[key] = client
            return client

    # -- the boto3 path ------------------------------------------------------------------------
    def call(
        self,
        operation: str,
        request: Mapping[str, Any],
        *,
        identity: str | None = None,
        region: str | None = None,
        validate: bool = False,
        retry_transient: bool = True,
    ) -> Exchange:
        """Send a wire-form request through boto3 (botocore's serializer, signer and parser). A transient answer
        is met by sending the same request again (see _resending; `retry_transient` False: never), with the
        ClientToken botocore filled in the first time, as botocore's own retries would."""
        if operation not in OPERATIONS:
            raise ValueError(f"unknown operation {operation!r}; expected one of {', '.join(OPERATIONS)}")

        def send(previous: Exchange | None) -> Exchange:
            wire = dict(request)
            token = getattr(previous, "sent_client_token", None)
            if previous is not None and token and "ClientToken" not in wire:
                wire["ClientToken"] = token
            return self._call_once(operation, wire, identity=identity, region=region, validate=validate)

        return self._resending(send, retry_transient)

    def _call_once(
        self, operation: str, request: Mapping[str, Any], *, identity: str | None, region: str | None, validate: bool
    ) -> Exchange:
        timeout, shortened = self.read_timeout()
        client = self.client(identity, validate=validate, region=region, read_timeout=timeout)
        exchange = Exchange(
            operation=operation,
            via="boto3",
            request=dict(request),
            url=self.url,
            identity=identity or self.profile.endpoint.access_key_id,
            read_timeout=timeout,
            timeout_shortened=shortened,
        )
        _local.exchange = exchange
        _local.credentials = self.credentials(identity) if identity else None
        if self.limiter:
            self.limiter.acquire(operation)
        start = time.perf_counter()
        try:
            getattr(client, _snake(operation))(**wire_to_params(request))
        except ClientError as exc:
            exchange.sdk_error_code = exc.response.get("Error", {}).get("Code")
        except (ReadTimeoutError, ConnectTimeoutError) as exc:
            exchange.transport_error = "timeout" if isinstance(exc, ReadTimeoutError) else "unreachable"
        except EndpointConnectionError:
            exchange.transport_error = "unreachable"
        except ConnectionClosedError:
            exchange.transport_error = "connection-closed"
        except Exception as exc:  # a parser failure on a malformed response is evidence, not a crash
            exchange.sdk_error_code = f"<botocore could not parse the response: {type(exc).__name__}: {exc}>"
        finally:
            exchange.elapsed = time.perf_counter() - start
            _local.exchange = None
            _local.credentials = None
        return exchange

    # -- the raw path --------------------------------------------------------------------------
    def raw(
        self,
        body: Any = None,
        *,
        operation: str | None = None,
        target: str | None = "<auto>",
        headers: Mapping[str, str | None] | None = None,
        sign: bool | str = True,
        method: str = "POST",
        path: str = "/",
        identity: str | None = None,
        region: str | None = None,
        content_type: str | None = CONTENT_TYPE,
        retry_transient: bool = True,
    ) -> Exchange:
        """Send arbitrary bytes: a dict body is JSON-encoded; `target` "<auto>" derives
        `AWSMPMeteringService.<operation>`, None omits the header; `sign` True signs with SigV4,
        False sends unsigned, "bad" signs with a wrong secret. A header mapped to None is removed.
        A transient answer is met by sending the same bytes and headers again (see _resending;
        `retry_transient` False: never)."""
        if isinstance(body, (dict, list)):
            data = json.dumps(body).encode()
        elif isinstance(body, str):
            data = body.encode("utf-8", "surrogatepass")
        else:
            data = body or b""
        hdrs: dict[str, str] = {}
        if target == "<auto>":
            target = f"{TARGET_PREFIX}.{operation}" if operation else None
        if target is not None:
            hdrs["X-Amz-Target"] = target
        if content_type is not None:
            hdrs["Content-Type"] = content_type
        extra = dict(headers or {})
        hdrs.update({k: v for k, v in extra.items() if v is not None})
        for k, v in extra.items():
            if v is None:
                hdrs.pop(k, None)
        url = self.url + path
        region = region or self.profile.endpoint.region
        if sign:
            creds = self.credentials(identity)
            if sign == "bad":
                creds = Credentials(creds.access_key, "wrong-" + (creds.secret_key or "secret"), creds.token)
            aws_req = AWSRequest(method=method, url=url, data=data, headers=hdrs)
            SigV4Auth(creds, SIGNING_NAME, region).add_auth(aws_req)
            hdrs = dict(aws_req.headers.items())
        signing = {True: "SigV4", False: "unsigned", "bad": "mis-signed"}.get(sign, str(sign))

        def send(previous: Exchange | None) -> Exchange:
            return self._raw_once(
                body, data, hdrs, method=method, url=url, operation=operation, identity=identity, signing=signing
            )

        return self._resending(send, retry_transient)

    def _raw_once(
        self,
        body: Any,
        data: bytes,
        hdrs: dict[str, str],
        *,
        method: str,
        url: str,
        operation: str | None,
        identity: str | None,
        signing: str,
    ) -> Exchange:
        timeout, shortened = self.read_timeout()
        exchange = Exchange(
            operation=operation,
            via="raw",
            request=body if isinstance(body, (dict, list)) else data,
            request_headers=redact_headers(hdrs),
            method=method,
            url=url,
            identity=identity or self.profile.endpoint.access_key_id,
            signing=signing,
            read_timeout=timeout,
            timeout_shortened=shortened,
        )
        if self.limiter:
            self.limiter.acquire(operation)
        start = time.perf_counter()
        try:
            resp = self._pool.request(
                method,
                url,
                body=data,
                headers=hdrs,
                redirect=False,
                preload_content=True,
                timeout=urllib3.Timeout(connect=self.profile.endpoint.connect_timeout, read=timeout),
            )
            exchange.status = resp.status
            exchange.headers = {k.lower(): v for k, v in resp.headers.items()}
            exchange.body = resp.data
        except urllib3.exceptions.ReadTimeoutError:
            exchange.transport_error = "timeout"
        except (urllib3.exceptions.ConnectTimeoutError, urllib3.exceptions.NewConnectionError):
            exchange.transport_error = "unreachable"
        except urllib3.exceptions.ProtocolError:
            exchange.transport_error = "connection-closed"
        except urllib3.exceptions.HTTPError as exc:
            exchange.transport_error = f"http-error: {type(exc).__name__}"
        finally:
            exchange.elapsed = time.perf_counter() - start
        return exchange

    def close(self) -> None:
        self._pool.clear()
        for client in self._clients.values():
            client.close()


def _per_call_credentials(request, **kwargs) -> None:
    """Sign this request as the identity `Transport.call` chose (botocore's per-request credentials)."""
    creds = getattr(_local, "credentials", None)
    if creds is not None:
        request.context.setdefault("signing", {})["request_credentials"] = creds


def _capture_request(request, **kwargs) -> None:
    exchange = getattr(_local, "exchange", None)
    if exchange is not None:
        exchange.request_headers = redact_headers({k: v for k, v in request.headers.items()})
        exchange.method = request.method
        if exchange.operation == "MeterUsage":  # the token botocore filled in, for a resend of the same request
            try:
                exchange.sent_client_token = json.loads(request.body or b"{}").get("ClientToken")
            except (ValueError, AttributeError, TypeError):
                pass


def _capture_response(http_response, parsed, model, **kwargs) -> None:
    exchange = getattr(_local, "exchange", None)
    if exchange is not None:
        exchange.status = http_response.status_code
        exchange.headers = {k.lower(): v for k, v in http_response.headers.items()}
        exchange.body = http_response.content


def preload_models(region: str) -> None:
    """Load botocore's models for the service into the shared session once (a throwaway client; nothing is
    sent), so that worker processes forked afterwards create their clients without parsing them again."""
    _botocore_session.create_client(
        SERVICE,
        region_name=region,
        endpoint_url="http://127.0.0.1:9",
        aws_access_key_id="preload",
        aws_secret_access_key="preload",
    )


class CredentialsMissing(RuntimeError):
    """No credentials to sign with; the message names every way to give some."""


def chain_credentials(config_profile: str | None = None) -> Credentials:
    """Credentials from the standard boto3 chain (or a named config profile); CredentialsMissing when none."""
    try:
        session = botocore.session.Session(profile=config_profile) if config_profile else _botocore_session
        creds = session.get_credentials()
    except ProfileNotFound:
        raise CredentialsMissing(
            f"endpoint.config_profile names {config_profile!r}, which is in neither ~/.aws/config nor "
            "~/.aws/credentials; fix the name, or set endpoint.access_key_id and "
            "endpoint.secret_access_key in the profile"
        ) from None
    if creds is None:
        raise CredentialsMissing(
            "no AWS credentials found: set endpoint.access_key_id and endpoint.secret_access_key in the "
            "profile, name a config profile with endpoint.config_profile, or configure the standard "
            "boto3 chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, ~/.aws/credentials, a role)"
        )
    frozen = creds.get_frozen_credentials()
    return Credentials(frozen.access_key, frozen.secret_key, frozen.token)


def credentials_problem(profile: Profile) -> str | None:
    """None when the run has credentials to sign with, else the sentence saying how to give some."""
    ep = profile.endpoint
    if ep.access_key_id and ep.secret_access_key:
        return None
    try:
        chain_credentials(ep.config_profile)
    except CredentialsMissing as exc:
        return str(exc)
    return None


def fresh_identity() -> str:
    """A new access key id, so an emulator sees a new MeterUsage instance (slots are per identity)."""
    return "AKIDMC" + uuid.uuid4().hex[:14].upper()


GATEWAY_STATUSES = (502, 503, 504)
HANG_LATENCY_FACTOR = 10  # after a hang: the read timeout is this many times the slowest (p99) answer so far


def probe(
    url: str,
    timeout: float = 3.0,
    *,
    attempts: int = 3,
    pause: float = 1.0,
    ca_bundle: str | None = None,
    patient: bool = False,
) -> str | None:
    """None when the endpoint answers at `url`, else a sentence saying why not and what to do: no connection, no
    answer, a TLS certificate this machine does not trust (`ca_bundle`: the CAs to trust), or only a gateway's own
    error page (HTTP 502/503/504 without an AWS error type, `attempts` times `pause` s apart: a proxy or load
    balancer with no service behind it, which would otherwise read as an endpoint that implements no operation).
    `patient`: no connection or no answer is asked again too (mid-run, an endpoint restarting gets the time)."""
    parts = urlsplit(url)
    fix = "Start the endpoint or fix endpoint.url / --endpoint-url."
    pool = urllib3.PoolManager(
        retries=False, timeout=urllib3.Timeout(connect=timeout, read=timeout), ca_certs=ca_bundle
    )
    for attempt in range(attempts):
        last = attempt + 1 == attempts
        try:
            response = pool.request("POST", url.rstrip("/") + "/", body=b"{}", headers={"Content-Type": CONTENT_TYPE})
        except urllib3.exceptions.ReadTimeoutError:
            problem = f"the endpoint {url} accepted a connection but sent no answer within {timeout:g} s. {fix}"
        except urllib3.exceptions.HTTPError as exc:
            reason = getattr(exc, "reason", None) or exc
            if isinstance(reason, urllib3.exceptions.SSLError) or "CERTIFICATE_VERIFY_FAILED" in str(reason):
                if (plain := plain_http_url(url, timeout)) is not None:  # no certificate at all: a non-TLS answer
                    return (
                        f"the endpoint {url} answers plain HTTP, not TLS (the TLS handshake got a non-TLS reply: "
                        f"{reason}); use {plain} in endpoint.url / --endpoint-url"
                    )
                trusted = f"the CA bundle {ca_bundle}" if ca_bundle else "this machine's trust store"
                return (
                    f"the endpoint {url} presented a TLS certificate that {trusted} does not accept ({reason}). If "
                    "your own CA signed it, set endpoint.ca_bundle in the profile (or AWS_CA_BUNDLE) to that CA's PEM "
                    "file; if the name does not match, use the host name the certificate names."
                )
            problem = (
                f"cannot reach the endpoint {url} "
                f"({parts.hostname}:{parts.port or (443 if parts.scheme == 'https' else 80)}): {reason}. {fix}"
            )
        else:
            gateway = gateway_error(response.status, {k.lower(): v for k, v in response.headers.items()}, response.data)
            if gateway is None:
                return None
            problem = (
                f"the endpoint {url} answers with a gateway's error page, {gateway}, {attempts} times in a row: a "
                f"proxy or load balancer whose service is down or missing. {fix}"
            )
            if not last:
                time.sleep(pause)
            continue
        if not patient or last:
            return problem
        time.sleep(pause)
    return problem


def plain_http_url(url: str, timeout: float) -> str | None:
    """The http:// form of an https:// `url` when a plain-HTTP server answers there (a TLS handshake with it
    fails before any certificate is presented), else None."""
    parts = urlsplit(url)
    if parts.scheme != "https":
        return None
    plain = parts._replace(scheme="http", netloc=parts.netloc if parts.port else f"{parts.netloc}:443").geturl()
    pool = urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(connect=timeout, read=timeout))
    try:
        pool.request("POST", plain.rstrip("/") + "/", body=b"{}", headers={"Content-Type": CONTENT_TYPE})
    except urllib3.exceptions.HTTPError:
        return None
    finally:
        pool.clear()
    return plain


def gateway_error(status: int, headers: Mapping[str, str], body: bytes) -> str | None:
    """A description of a gateway's own error page (502/503/504 carrying no AWS error type), else None."""
    if status not in GATEWAY_STATUSES or headers.get("x-amzn-errortype"):
        return None
    try:
        if isinstance(json.loads(body.decode("utf-8")).get("__type"), str):
            return None
    except (UnicodeDecodeError, ValueError, AttributeError):
        pass
    kind = headers.get("content-type", "no content type").split(";")[0]
    text = body[:80].decode("utf-8", errors="replace").replace("\n", " ")
    return f"HTTP {status} ({kind}: {text!r}{'...' if len(body) > 80 else ''})"


# Error codes that say an operation does not exist at the endpoint.
UNIMPLEMENTED_CODES = {
    "UnknownOperationException",
    "NotImplemented",
    "NotImplementedException",
    "InvalidAction",
    "UnsupportedOperation",
    "UnknownOperation",
}


def records_nothing(operation: str, profile: Profile) -> dict[str, Any]:
    """A well-formed request of `operation` that records nothing (DryRun, an empty batch, an unknown token):
    what the preflight and the unimplemented-operation probe send."""
    now = int(time.time()) - 60
    code = profile.product.code or "meterconform-probe"
    dimension = (profile.product.dimensions or ("meterconform-probe",))[0]
    return {
        "MeterUsage": {
            "ProductCode": code,
            "Timestamp": now,
            "UsageDimension": dimension,
            "UsageQuantity": 0,
            "DryRun": True,
        },
        "BatchMeterUsage": {"ProductCode": code, "UsageRecords": []},
        "RegisterUsage": {"ProductCode": code, "PublicKeyVersion": (profile.product.public_key_versions or (1,))[0]},
        "ResolveCustomer": {"RegistrationToken": "meterconform-probe-token"},
    }[operation]
