"""The loopback HTTP/1.1 server: a stdlib ThreadingHTTPServer handing each request to the Protocol."""

from __future__ import annotations

import socket
import socketserver
import sys
import threading
import time
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from . import exceptions as exc
from . import faults as fault
from . import readings as reading
from .responses import MAX_BODY_BYTES, Protocol, Reply

if TYPE_CHECKING:
    from .admin import Admin
    from .journal import Journal

DRAIN_LIMIT = 16 * MAX_BODY_BYTES  # an over-large body up to this size is read and dropped, keeping the connection
HANG_BODY_BYTES = 512 * 1024  # hang-on-large-body: bodies above this size are never answered
HANG_PAST_TIMEOUT_SECONDS = 2  # ... until this long after the client's read timeout, then the connection is closed
_CHUNK = 64 * 1024


class _TooLarge(Exception):
    """The body exceeds MAX_BODY_BYTES; `drained` says whether it was read to its end."""

    def __init__(self, size: int, drained: bool):
        super().__init__(size)
        self.size = size
        self.drained = drained


class _Handler(BaseHTTPRequestHandler):
    """Reads one request at a time off a keep-alive connection and writes each response in one write."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "meterconform-reference"
    sys_version = ""
    timeout = 120  # an idle keep-alive connection is closed after this many seconds
    server: MeteringHTTPServer

    def setup(self) -> None:
        if reading.on(self.server.protocol.readings, "idle-connections-closed"):
            self.timeout = reading.IDLE_SECONDS
        super().setup()

    def handle_one_request(self) -> None:
        try:
            self.raw_requestline = self.rfile.readline(65537)
            if len(self.raw_requestline) > 65536:
                self.requestline, self.request_version, self.command = "", "", ""
                self.send_error(414, "Request line too long")
                return
            if not self.raw_requestline:
                self.close_connection = True
                return
            if not self.parse_request():
                return
            self._serve()
        except OSError:  # timeouts, resets, a connection closed by stop()
            self.close_connection = True

    def _serve(self) -> None:
        started, arrived = time.perf_counter(), time.time()
        protocol = self.server.protocol
        size = 0
        body: bytes | None = None
        words = self.requestline.split()  # the path as sent: the stdlib collapses a leading "//" in self.path
        path = words[1] if len(words) == 3 else self.path
        try:
            body = self._read_body()
            size = len(body or b"")
        except _TooLarge as error:
            size = error.size
            self.close_connection = self.close_connection or not error.drained
            reply = protocol.error_reply(
                exc.RequestEntityTooLargeException(
                    f"The body is {error.size} bytes or more; requests must be at most {MAX_BODY_BYTES} bytes."
                )
            )
        except exc.MeteringError as error:
            self.close_connection = True
            reply = protocol.error_reply(error)
        else:
            if body is None:  # the client closed before sending the whole body
                self.close_connection = True
                return
            headers = self.headers
            admin = self.server.admin
            if admin is not None and admin.owns(path):
                self._write(admin.handle(self.command, path, body))
                return
            reply = protocol.handle(self.command, path, lambda name: headers.get_all(name) or (), body)
        journal = self.server.journal
        if journal is not None:  # every answered request, refused bodies too (their body is not kept)
            journal.add(
                started=arrived,
                method=self.command,
                path=path,
                operation=reply.operation,
                headers=self.headers.items(),
                body=body or b"",
                status=reply.status,
                answer=reply.body,
                error=reply.error,
                injected=reply.injected,
                duration_ms=(time.perf_counter() - started) * 1000,
            )
        if size > HANG_BODY_BYTES and fault.on(protocol.faults, "hang-on-large-body"):
            self.server.stopping.wait(protocol.model.seed.client_read_timeout + HANG_PAST_TIMEOUT_SECONDS)
            self.close_connection = True
            return
        if self.server.verbose:  # logged before the answer goes out, so a caller that stops us next still sees it
            ms = (time.perf_counter() - started) * 1000
            sys.stderr.write(
                f"{self.command} {reply.operation or '-'} {reply.status} {reply.error or '-'} {ms:.1f}ms\n"
            )
            sys.stderr.flush()
        if reading.on(protocol.readings, "connection-close"):
            self.close_connection = True
        self._write(reply)

    def _read_body(self) -> bytes | None:
        encoding = self.headers.get("Transfer-Encoding")
        if encoding is not None:
            if encoding.strip().lower() != "chunked":
                raise exc.BadRequestException(f"Transfer-Encoding {encoding!r} is not supported; use chunked.")
            return self._read_chunked()
        lengths = self.headers.get_all("Content-Length") or []
        if not lengths:
            return b""
        text = lengths[0].strip()
        if len(set(v.strip() for v in lengths)) > 1 or not text.isdigit() or not text.isascii():
            raise exc.BadRequestException(f"Content-Length {', '.join(lengths)!r} is not one non-negative integer.")
        size = int(text)
        if size > MAX_BODY_BYTES:
            drained = size <= DRAIN_LIMIT and self._discard(size)
            raise _TooLarge(size, drained)
        body = self.rfile.read(size)
        return body if len(body) == size else None

    def _discard(self, size: int) -> bool:
        while size > 0:
            got = self.rfile.read(min(size, _CHUNK))
            if not got:
                return False
            size -= len(got)
        return True

    def _read_chunked(self) -> bytes | None:
        parts: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(1026)
            if not line:
                return None
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise exc.BadRequestException("A chunk size line of the chunked body is malformed.") from None
            if size < 0:
                raise exc.BadRequestException("A chunk size of the chunked body is negative.")
            if size == 0:
                while True:  # trailers, up to the blank line
                    trailer = self.rfile.readline(65537)
                    if trailer in (b"\r\n", b"\n", b""):
                        break
                break
            total += size
            if total > DRAIN_LIMIT:
                raise _TooLarge(total, False)
            chunk = self.rfile.read(size)
            if len(chunk) < size:
                return None
            if total <= MAX_BODY_BYTES:
                parts.append(chunk)
            self.rfile.readline(3)  # the CRLF after the chunk
        if total > MAX_BODY_BYTES:
            raise _TooLarge(total, True)
        return b"".join(parts)

    def _write(self, reply: Reply) -> None:
        """Write the status line, headers and body in a single write (no Nagle / delayed-ACK stall)."""
        readings = self.server.protocol.readings
        chunked = reading.on(readings, "chunked-responses")
        phrase = self.responses.get(reply.status, ("",))[0]
        if reading.on(readings, "reason-phrase-empty"):
            phrase = ""
        headers = list(reply.headers)
        headers.append(("Transfer-Encoding", "chunked") if chunked else ("Content-Length", str(len(reply.body))))
        headers.append(("Date", formatdate(usegmt=True)))
        if self.close_connection:
            headers.append(("Connection", "close"))
        if reading.on(readings, "header-names-lowercase"):
            headers = [(name.lower(), value) for name, value in headers]
        lines = [f"HTTP/1.1 {reply.status} {phrase}"] + [f"{name}: {value}" for name, value in headers]
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        body = reply.body
        if chunked and body:  # two chunks (so a client must join them), then the last chunk
            half = len(body) // 2 or len(body)
            parts = [p for p in (body[:half], body[half:]) if p]
            body = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in parts) + b"0\r\n\r\n"
        elif chunked:
            body = b"0\r\n\r\n"
        self.wfile.write(head if self.command == "HEAD" else head + body)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Errors found by the stdlib's request parsing, answered as JSON like every other error."""
        self.close_connection = True
        reason = message or self.responses.get(code, ("Bad request",))[0]
        name = "BadRequestException" if code < 500 else "InternalServiceErrorException"
        self._write(self.server.protocol.error_reply(exc.MeteringError(name, reason, code)))

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """Silence the stdlib's access log (the server writes its own with --verbose)."""


class MeteringHTTPServer(ThreadingHTTPServer):
    """A threading HTTP server that knows its Protocol and can close every open connection on stop."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(
        self,
        address: tuple[str, int],
        protocol: Protocol,
        verbose: bool = False,
        journal: Journal | None = None,
        admin: Admin | None = None,
    ):
        self.protocol = protocol
        self.verbose = verbose
        self.journal = journal  # every request and its answer, when a test double asks for them
        self.admin = admin  # the /meterconform-admin/ admin surface, only when switched on
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        self.stopping = threading.Event()  # set on stop: ends the wait of a request held by hang-on-large-body
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        """Bind without HTTPServer's reverse-DNS lookup of the host name."""
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = str(self.server_address[0]), int(self.server_address[1])

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """Shut down every open client connection, so idle keep-alive threads end."""
        self.stopping.set()
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
