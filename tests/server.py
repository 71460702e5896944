"""An in-process HTTP/1.1 test server on Trio and h11.

How this works: :func:`open_test_server` binds 127.0.0.1:0, starts an accept
loop in a nursery it owns and yields a :class:`TestServer`. Each accepted
connection (optionally wrapped in TLS) is served by one task: either the
test's raw handler, which gets the bare stream and writes whatever bytes it
likes, or an h11 loop that reads whole requests and routes them by path to a
handler registered with :meth:`TestServer.route` or to a built-in endpoint
(see :data:`BUILTIN_ENDPOINTS`). Leaving the ``async with`` cancels the
nursery, so nothing outlives the test.

The server counts what a client's tests want to assert: connections opened
and currently open (pool reuse), requests received (what was sent on the
wire), and the highest number of requests in progress at once (limits).
"""

from __future__ import annotations

import base64
import gzip
import json
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

import h11
import trio

if TYPE_CHECKING:
    import ssl

__all__ = [
    "BUILTIN_ENDPOINTS",
    "Handler",
    "RawHandler",
    "RawReader",
    "Responder",
    "ServerRequest",
    "TestServer",
    "open_test_server",
    "pattern_bytes",
]

READ_SIZE = 64 * 1024
SEND_CHUNK = 64 * 1024
MAX_REQUEST_BODY = 256 * 1024 * 1024  # the server keeps bodies in memory


@dataclass(frozen=True)
class ServerRequest:
    """One request as the server received it.

    Attributes:
        method: e.g. ``"GET"``.
        target: the request target exactly as sent, e.g. ``"/get?a=1"``.
        headers: ``(name, value)`` pairs in order; names lower-cased by h11.
        body: the whole request body.
        http_version: ``"1.1"`` or ``"1.0"``.
        connection_id: which accepted connection (0, 1, ...) carried it.
    """

    method: str
    target: str
    headers: list[tuple[str, str]]
    body: bytes
    http_version: str = "1.1"
    connection_id: int = 0

    @property
    def path(self) -> str:
        """The target without its query string."""
        return urlsplit(self.target).path

    @property
    def query(self) -> list[tuple[str, str]]:
        """The query string as ordered ``(name, value)`` pairs."""
        return parse_qsl(urlsplit(self.target).query, keep_blank_values=True)

    @property
    def args(self) -> dict[str, str | list[str]]:
        """The query as a dict; repeated names map to a list of values."""
        args: dict[str, str | list[str]] = {}
        for name, value in self.query:
            previous = args.get(name)
            if previous is None:
                args[name] = value
            elif isinstance(previous, list):
                previous.append(value)
            else:
                args[name] = [previous, value]
        return args

    def header(self, name: str, default: str | None = None) -> str | None:
        """The values of header ``name`` joined by ``", "``, or ``default``."""
        name = name.lower()
        values = [value for key, value in self.headers if key == name]
        return ", ".join(values) if values else default

    def header_dict(self) -> dict[str, str]:
        """All headers as ``{lower-case name: joined values}``."""
        merged: dict[str, str] = {}
        for name, value in self.headers:
            merged[name] = f"{merged[name]}, {value}" if name in merged else value
        return merged


HeaderPairs = Iterable[tuple[str | bytes, str | bytes]]


class Responder:
    """Sends one response on an h11 connection.

    Either call :meth:`respond` once, or :meth:`start`, any number of
    :meth:`send` and then :meth:`end` (a streamed body; without a
    Content-Length header h11 uses chunked encoding).
    """

    def __init__(self, conn: h11.Connection, stream: trio.abc.Stream, method: str = "GET") -> None:
        self._conn = conn
        self._stream = stream
        # RFC 9110 §9.3.2: a response to HEAD has headers only, even when
        # they describe a body; handlers need not special-case it.
        self._head = method == "HEAD"
        self.started = False
        self.finished = False

    async def _write(self, event: h11.Event) -> None:
        data = self._conn.send(event)
        if data:
            await self._stream.send_all(data)

    async def informational(self, status: int, headers: HeaderPairs = ()) -> None:
        """Send a 1xx response (e.g. 103 Early Hints) before the final one."""
        await self._write(h11.InformationalResponse(status_code=status, headers=list(headers)))

    async def start(self, status: int, headers: HeaderPairs = (), reason: bytes = b"") -> None:
        """Send the status line and headers."""
        self.started = True
        await self._write(h11.Response(status_code=status, headers=list(headers), reason=reason))

    async def send(self, data: bytes) -> None:
        """Send part of the body (nothing is sent in reply to HEAD)."""
        if self._head:
            return
        for offset in range(0, len(data), SEND_CHUNK):
            await self._write(h11.Data(data=data[offset : offset + SEND_CHUNK]))

    async def end(self) -> None:
        """Finish the body."""
        await self._write(h11.EndOfMessage())
        self.finished = True

    async def respond(
        self,
        status: int = 200,
        headers: HeaderPairs = (),
        body: bytes = b"",
        reason: bytes = b"",
    ) -> None:
        """Send a whole response; Content-Length is added unless given."""
        header_list = list(headers)
        names = {_lower(name) for name, _ in header_list}
        if b"content-length" not in names and b"transfer-encoding" not in names:
            header_list.append(("Content-Length", str(len(body))))
        await self.start(status, header_list, reason)
        if body:
            await self.send(body)
        await self.end()

    async def json(self, payload: Any, status: int = 200, headers: HeaderPairs = ()) -> None:
        """Send ``payload`` as an ``application/json`` response."""
        body = json.dumps(payload, sort_keys=True).encode()
        await self.respond(status, [("Content-Type", "application/json"), *headers], body)


def _lower(name: str | bytes) -> bytes:
    return (name.encode("ascii") if isinstance(name, str) else name).lower()


Handler = Callable[[ServerRequest, Responder], Awaitable[None]]
RawHandler = Callable[[trio.abc.Stream], Awaitable[None]]


class RawReader:
    """Reads from a raw handler's stream with a buffer.

    Example::

        async def raw(stream: trio.abc.Stream) -> None:
            reader = RawReader(stream)
            head = await reader.receive_head()
            await stream.send_all(b"HTTP/1.1 200 OK\\r\\nContent-Length: 5\\r\\n\\r\\nhel")
    """

    def __init__(self, stream: trio.abc.Stream) -> None:
        self.stream = stream
        self.buffer = bytearray()
        self.eof = False

    async def _fill(self) -> bool:
        chunk = await self.stream.receive_some(READ_SIZE)
        if not chunk:
            self.eof = True
            return False
        self.buffer += chunk
        return True

    async def receive_until(self, delimiter: bytes, max_bytes: int = 1024 * 1024) -> bytes:
        """Return everything up to and including ``delimiter``.

        Raises:
            EOFError: the peer closed first. A raw handler may let it
                propagate: the server treats it as the client leaving, not as
                a handler error.
        """
        start = 0
        while True:
            index = self.buffer.find(delimiter, start)
            if index >= 0:
                end = index + len(delimiter)
                data = bytes(self.buffer[:end])
                del self.buffer[:end]
                return data
            if len(self.buffer) > max_bytes:
                raise ValueError(f"no {delimiter!r} in the first {max_bytes} bytes")
            start = max(0, len(self.buffer) - len(delimiter) + 1)
            if not await self._fill():
                raise EOFError(f"peer closed before {delimiter!r}")

    async def receive_head(self) -> bytes:
        """Return one request head (request line and headers, CRLFCRLF included)."""
        return await self.receive_until(b"\r\n\r\n")

    async def receive_exactly(self, count: int) -> bytes:
        """Return exactly ``count`` bytes. Raises EOFError if the peer closes first."""
        while len(self.buffer) < count:
            if not await self._fill():
                raise EOFError(f"peer closed after {len(self.buffer)} of {count} bytes")
        data = bytes(self.buffer[:count])
        del self.buffer[:count]
        return data

    async def receive_until_eof(self) -> bytes:
        """Return everything until the peer closes its side."""
        while await self._fill():
            pass
        data = bytes(self.buffer)
        self.buffer.clear()
        return data

    async def receive_request(self) -> tuple[bytes, bytes]:
        """Return ``(head, body)`` of one request framed by Content-Length.

        Chunked request bodies are not decoded here; use h11 for those.
        """
        head = await self.receive_head()
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        return head, await self.receive_exactly(length)


@dataclass
class TestServer:
    """A running test server; use :func:`open_test_server` to get one.

    Attributes:
        host: always ``"127.0.0.1"``.
        port: the ephemeral port it listens on.
        scheme: ``"http"`` or ``"https"``.
        routes: ``{path: handler}``; exact path matches win over built-ins.
        raw_handler: when set, new connections go to it instead of h11.
        connections_opened: connections accepted so far.
        connections_open: connections currently open.
        requests: every complete request received, in order.
        in_flight: requests currently being handled.
        max_concurrent_requests: the highest ``in_flight`` seen.
        tls_handshake_failures: TLS handshakes that failed (client refused us).
        protocol_errors: requests h11 rejected (malformed client bytes).
        errors: exceptions raised by handlers (answered with 500).
    """

    __test__ = False  # not a pytest test class despite its name

    host: str
    port: int
    scheme: str = "http"
    routes: dict[str, Handler] = field(default_factory=dict)
    raw_handler: RawHandler | None = None
    connections_opened: int = 0
    connections_open: int = 0
    requests: list[ServerRequest] = field(default_factory=list)
    in_flight: int = 0
    max_concurrent_requests: int = 0
    tls_handshake_failures: int = 0
    protocol_errors: list[h11.RemoteProtocolError] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)

    @property
    def url(self) -> str:
        """``"http://127.0.0.1:PORT"`` (or https), without a trailing slash."""
        return f"{self.scheme}://{self.host}:{self.port}"

    def url_for(self, path: str) -> str:
        """The absolute URL of ``path`` on this server."""
        return self.url + path

    def route(self, path: str) -> Callable[[Handler], Handler]:
        """Decorator registering ``handler`` for requests to exactly ``path``."""

        def register(handler: Handler) -> Handler:
            self.routes[path] = handler
            return handler

        return register

    def reset_counters(self) -> None:
        """Forget requests and connection counts seen so far (open ones stay counted)."""
        self.connections_opened = 0
        self.requests.clear()
        self.max_concurrent_requests = self.in_flight


@asynccontextmanager
async def open_test_server(
    ssl_context: ssl.SSLContext | None = None,
    *,
    raw_handler: RawHandler | None = None,
) -> AsyncIterator[TestServer]:
    """Run a test server on 127.0.0.1 for the duration of the block.

    Args:
        ssl_context: a server-side context to serve HTTPS.
        raw_handler: serve every connection with this instead of h11.

    Leaving the block cancels every connection task and closes the listener.
    """
    listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
    listener = listeners[0]
    sockname = listener.socket.getsockname()
    server = TestServer(
        host=sockname[0],
        port=sockname[1],
        scheme="https" if ssl_context is not None else "http",
        raw_handler=raw_handler,
    )
    async with trio.open_nursery() as nursery:
        nursery.start_soon(_accept_loop, server, listener, ssl_context, nursery)
        try:
            yield server
        finally:
            nursery.cancel_scope.cancel()
    await listener.aclose()


async def _accept_loop(
    server: TestServer,
    listener: trio.SocketListener,
    ssl_context: ssl.SSLContext | None,
    nursery: trio.Nursery,
) -> None:
    connection_id = 0
    while True:
        stream = await listener.accept()
        server.connections_opened += 1
        server.connections_open += 1
        nursery.start_soon(_serve_connection, server, stream, ssl_context, connection_id)
        connection_id += 1


async def _serve_connection(
    server: TestServer,
    tcp_stream: trio.SocketStream,
    ssl_context: ssl.SSLContext | None,
    connection_id: int,
) -> None:
    stream: trio.abc.Stream = tcp_stream
    try:
        if ssl_context is not None:
            tls_stream = trio.SSLStream(
                tcp_stream, ssl_context, server_side=True, https_compatible=True
            )
            try:
                await tls_stream.do_handshake()
            except trio.BrokenResourceError:
                server.tls_handshake_failures += 1
                return
            stream = tls_stream
        raw = server.raw_handler
        if raw is not None:
            await raw(stream)
        else:
            await _serve_h11(server, stream, connection_id)
    except (trio.BrokenResourceError, trio.ClosedResourceError, EOFError):
        # The client went away (EOFError: RawReader saw it close); that is
        # often what the test is about.
        pass
    except Exception as exc:
        server.errors.append(exc)
    finally:
        server.connections_open -= 1
        await _close_gracefully(stream)


async def _close_gracefully(stream: trio.abc.Stream) -> None:
    # Shielded so it also runs while the test's nursery is being cancelled,
    # bounded so a peer that never reads cannot hang the test; TLS gets its
    # close_notify when the peer cooperates.
    with trio.CancelScope(shield=True) as scope:
        scope.deadline = trio.current_time() + 1.0
        try:
            await stream.aclose()
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            pass


async def _next_event(conn: h11.Connection, stream: trio.abc.Stream) -> h11.Event:
    while True:
        event = conn.next_event()
        if event is h11.NEED_DATA:
            if conn.they_are_waiting_for_100_continue:
                await stream.send_all(
                    conn.send(h11.InformationalResponse(status_code=100, headers=[]))
                )
            conn.receive_data(await stream.receive_some(READ_SIZE))
            continue
        assert not isinstance(event, type)  # PAUSED never happens: we cycle
        return event


async def _serve_h11(server: TestServer, stream: trio.abc.Stream, connection_id: int) -> None:
    conn = h11.Connection(h11.SERVER)
    while True:
        try:
            event = await _next_event(conn, stream)
            if isinstance(event, h11.ConnectionClosed):
                return
            assert isinstance(event, h11.Request), event
            body = bytearray()
            while True:
                part = await _next_event(conn, stream)
                if isinstance(part, h11.Data):
                    body += part.data
                    if len(body) > MAX_REQUEST_BODY:
                        raise h11.RemoteProtocolError("request body too large", 413)
                elif isinstance(part, h11.EndOfMessage):
                    break
                else:
                    # ConnectionClosed mid-body: the client gave up.
                    return
        except h11.RemoteProtocolError as exc:
            server.protocol_errors.append(exc)
            if conn.our_state in (h11.IDLE, h11.SEND_RESPONSE):
                responder = Responder(conn, stream)
                await responder.respond(
                    exc.error_status_hint, [("Connection", "close")], str(exc).encode()
                )
            return

        request = ServerRequest(
            method=event.method.decode("ascii"),
            target=event.target.decode("ascii"),
            headers=[
                (name.decode("ascii"), value.decode("latin-1")) for name, value in event.headers
            ],
            body=bytes(body),
            http_version=event.http_version.decode("ascii"),
            connection_id=connection_id,
        )
        server.requests.append(request)
        server.in_flight += 1
        server.max_concurrent_requests = max(server.max_concurrent_requests, server.in_flight)
        responder = Responder(conn, stream, request.method)
        try:
            await _dispatch(server, request, responder)
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            raise
        except Exception as exc:
            server.errors.append(exc)
            if not responder.started:
                await responder.respond(500, [("Connection", "close")], repr(exc).encode())
            return
        finally:
            server.in_flight -= 1
        if not responder.finished:
            return
        if conn.our_state is h11.MUST_CLOSE or conn.their_state is h11.MUST_CLOSE:
            return
        try:
            conn.start_next_cycle()
        except h11.LocalProtocolError:
            return


async def _dispatch(server: TestServer, request: ServerRequest, respond: Responder) -> None:
    path = request.path
    handler = server.routes.get(path)
    if handler is not None:
        await handler(request, respond)
        return
    name, _, rest = path.lstrip("/").partition("/")
    builtin = BUILTIN_ENDPOINTS.get(name)
    if builtin is None:
        await respond.respond(404, [("Content-Type", "text/plain")], b"not found: " + path.encode())
        return
    await builtin(request, respond, rest)


# -- built-in endpoints -------------------------------------------------------

Endpoint = Callable[[ServerRequest, Responder, str], Awaitable[None]]


def _echo_payload(request: ServerRequest) -> dict[str, Any]:
    return {
        "method": request.method,
        "url": request.target,
        "path": request.path,
        "args": request.args,
        "headers": request.header_dict(),
    }


def _int_arg(value: str, default: int) -> int:
    try:
        return int(value)
    except ValueError:
        return default


async def _get(request: ServerRequest, respond: Responder, rest: str) -> None:
    await respond.json(_echo_payload(request))


async def _anything(request: ServerRequest, respond: Responder, rest: str) -> None:
    payload = _echo_payload(request)
    payload["data"] = request.body.decode("utf-8", "replace")
    try:
        payload["json"] = json.loads(request.body) if request.body else None
    except ValueError:
        payload["json"] = None
    content_type = request.header("content-type") or ""
    if content_type.startswith("application/x-www-form-urlencoded"):
        payload["form"] = dict(parse_qsl(request.body.decode("latin-1"), keep_blank_values=True))
    await respond.json(payload)


async def _echo(request: ServerRequest, respond: Responder, rest: str) -> None:
    content_type = request.header("content-type") or "application/octet-stream"
    await respond.respond(200, [("Content-Type", content_type)], request.body)


async def _upload(request: ServerRequest, respond: Responder, rest: str) -> None:
    import hashlib

    await respond.json(
        {"length": len(request.body), "sha256": hashlib.sha256(request.body).hexdigest()}
    )


async def _status(request: ServerRequest, respond: Responder, rest: str) -> None:
    code = _int_arg(rest, 400)
    headers: list[tuple[str, str]] = []
    if 300 <= code < 400 and code != 304:
        headers.append(("Location", "/get"))
    if code == 401:
        headers.append(("WWW-Authenticate", 'Basic realm="test"'))
    if code in (204, 304) or code < 200:
        await respond.start(code, headers)
        await respond.end()
        return
    await respond.respond(code, headers)


async def _redirect(request: ServerRequest, respond: Responder, rest: str) -> None:
    remaining = _int_arg(rest, 1)
    location = "/get" if remaining <= 1 else f"/redirect/{remaining - 1}"
    if dict(request.query).get("absolute") == "true":
        host = request.header("host") or "127.0.0.1"
        location = f"http://{host}{location}"
    await respond.respond(302, [("Location", location)])


async def _redirect_to(request: ServerRequest, respond: Responder, rest: str) -> None:
    query = dict(request.query)
    status = _int_arg(query.get("status_code", "302"), 302)
    await respond.respond(status, [("Location", query.get("url", "/get"))])


def pattern_bytes(count: int) -> bytes:
    """The deterministic body of ``/bytes/{count}``: 0, 1, ... 255, 0, 1, ..."""
    repeated = bytes(range(256)) * (count // 256 + 1)
    return repeated[:count]


async def _bytes(request: ServerRequest, respond: Responder, rest: str) -> None:
    count = _int_arg(rest, 0)
    await respond.respond(200, [("Content-Type", "application/octet-stream")], pattern_bytes(count))


async def _stream(request: ServerRequest, respond: Responder, rest: str) -> None:
    count = _int_arg(rest, 1)
    await respond.start(200, [("Content-Type", "application/x-ndjson")])
    for index in range(count):
        await respond.send(json.dumps({"id": index}).encode() + b"\n")
    await respond.end()


async def _delay(request: ServerRequest, respond: Responder, rest: str) -> None:
    try:
        seconds = float(rest)
    except ValueError:
        seconds = 1.0
    await trio.sleep(seconds)
    await respond.json(_echo_payload(request))


async def _cookies(request: ServerRequest, respond: Responder, rest: str) -> None:
    if rest == "set":
        headers = [("Set-Cookie", f"{name}={value}; Path=/") for name, value in request.query]
        await respond.respond(302, [*headers, ("Location", "/cookies")])
        return
    if rest == "delete":
        headers = [("Set-Cookie", f"{name}=; Path=/; Max-Age=0") for name, _ in request.query]
        await respond.respond(302, [*headers, ("Location", "/cookies")])
        return
    cookies: dict[str, str] = {}
    for pair in (request.header("cookie") or "").replace(",", ";").split(";"):
        name, sep, value = pair.strip().partition("=")
        if sep:
            cookies[name] = value
    await respond.json({"cookies": cookies})


async def _gzip(request: ServerRequest, respond: Responder, rest: str) -> None:
    payload = _echo_payload(request)
    payload["gzipped"] = True
    body = gzip.compress(json.dumps(payload).encode())
    await respond.respond(
        200, [("Content-Type", "application/json"), ("Content-Encoding", "gzip")], body
    )


async def _deflate(request: ServerRequest, respond: Responder, rest: str) -> None:
    payload = _echo_payload(request)
    payload["deflated"] = True
    # RFC 9110 §8.4.1.2: "deflate" is the zlib format (RFC 1950), header included.
    body = zlib.compress(json.dumps(payload).encode())
    await respond.respond(
        200, [("Content-Type", "application/json"), ("Content-Encoding", "deflate")], body
    )


async def _headers(request: ServerRequest, respond: Responder, rest: str) -> None:
    await respond.json({"headers": request.header_dict()})


async def _response_headers(request: ServerRequest, respond: Responder, rest: str) -> None:
    await respond.respond(200, [("Content-Type", "text/plain"), *request.query], b"ok")


async def _basic_auth(request: ServerRequest, respond: Responder, rest: str) -> None:
    user, _, password = rest.partition("/")
    expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
    if request.header("authorization") == expected:
        await respond.json({"authenticated": True, "user": user})
    else:
        await respond.json(
            {"authenticated": False}, 401, [("WWW-Authenticate", 'Basic realm="test"')]
        )


async def _close(request: ServerRequest, respond: Responder, rest: str) -> None:
    await respond.respond(
        200, [("Content-Type", "text/plain"), ("Connection", "close")], b"closing"
    )


async def _slow_body(request: ServerRequest, respond: Responder, rest: str) -> None:
    sent = _int_arg(rest, 1)
    # Declares twice what it sends, so a client waits for the rest forever.
    await respond.start(200, [("Content-Length", str(2 * sent))])
    await respond.send(b"x" * sent)
    await trio.sleep_forever()


async def _drip(request: ServerRequest, respond: Responder, rest: str) -> None:
    query = dict(request.query)
    count = _int_arg(query.get("numbytes", "10"), 10)
    duration = float(query.get("duration", "1"))
    delay = float(query.get("delay", "0"))
    status = _int_arg(query.get("code", "200"), 200)
    await trio.sleep(delay)
    await respond.start(
        status, [("Content-Type", "application/octet-stream"), ("Content-Length", str(count))]
    )
    pause = duration / count if count else 0.0
    for _ in range(count):
        await trio.sleep(pause)
        await respond.send(b"*")
    await respond.end()


async def _text(request: ServerRequest, respond: Responder, rest: str) -> None:
    charset = dict(request.query).get("charset", "utf-8")
    text = "Grüße, ½ ¿"
    body = text.encode(charset)
    await respond.respond(200, [("Content-Type", f"text/plain; charset={charset}")], body)


def _optional_encoder(name: str) -> Endpoint:
    async def endpoint(request: ServerRequest, respond: Responder, rest: str) -> None:
        raw = json.dumps(_echo_payload(request)).encode()
        try:
            if name == "br":
                import brotli

                body: bytes = brotli.compress(raw)
            else:
                import zstandard

                body = zstandard.ZstdCompressor().compress(raw)
        except ImportError:
            await respond.respond(501, body=f"{name} encoder not installed".encode())
            return
        await respond.respond(
            200, [("Content-Type", "application/json"), ("Content-Encoding", name)], body
        )

    return endpoint


BUILTIN_ENDPOINTS: dict[str, Endpoint] = {
    "get": _get,
    "anything": _anything,
    "echo": _echo,
    "upload": _upload,
    "status": _status,
    "redirect": _redirect,
    "redirect-to": _redirect_to,
    "bytes": _bytes,
    "stream": _stream,
    "delay": _delay,
    "cookies": _cookies,
    "gzip": _gzip,
    "deflate": _deflate,
    "brotli": _optional_encoder("br"),
    "zstd": _optional_encoder("zstd"),
    "headers": _headers,
    "response-headers": _response_headers,
    "basic-auth": _basic_auth,
    "close": _close,
    "slow-body": _slow_body,
    "drip": _drip,
    "text": _text,
}
"""First path segment -> endpoint. What each does:

``/get``            200 JSON: method, url, path, args, headers (any method).
``/anything``       like /get plus ``data`` (body text), ``json`` and ``form``.
``/echo``           the request body back, with the request's Content-Type.
``/upload``         JSON ``{"length", "sha256"}`` of the request body.
``/status/{code}``  that status; 3xx carry ``Location: /get``.
``/redirect/{n}``   302 chain of n hops ending at /get (``?absolute=true``).
``/redirect-to``    ``?url=...&status_code=...`` (default 302).
``/bytes/{n}``      n bytes of :func:`pattern_bytes`, Content-Length framed.
``/stream/{n}``     n JSON lines, chunked encoding.
``/delay/{sec}``    sleeps (Trio time, so autojump_clock works), then /get.
``/cookies/set``    ``?name=value...``: Set-Cookie each, 302 to /cookies.
``/cookies/delete`` ``?name...``: expire each, 302 to /cookies.
``/cookies``        JSON ``{"cookies": {...}}`` from the Cookie header.
``/gzip`` ``/deflate`` ``/brotli`` ``/zstd``  an encoded JSON body.
``/headers``        JSON ``{"headers": {...}}``.
``/response-headers`` ``?Name=value...`` sent back as response headers.
``/basic-auth/{user}/{pass}``  200 if Authorization matches, else 401.
``/close``          ``Connection: close`` response.
``/slow-body/{n}``  declares 2n bytes, sends n, then stalls forever.
``/drip``           ``?numbytes=&duration=&delay=&code=``: bytes one by one.
``/text``           ``?charset=``: non-ASCII text in that charset.
"""
