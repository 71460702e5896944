"""An in-process HTTP/2 test server on h2, with controls for misbehaving.

How this works: :func:`open_h2_server` listens on 127.0.0.1 (h2c with prior
knowledge, or TLS with ALPN ``h2``) inside the test's Trio run. Each
connection has a reader loop that feeds h2 and, for every new request, starts
the handler registered for its path with an :class:`H2Exchange`: the handler
decides what to send and when (headers, data, trailers, resets, GOAWAY,
PINGs, stalls). Unknown paths answer 404. Writes go through one lock.

Knobs on :class:`H2Server`: ``max_concurrent_streams`` and
``initial_window_size`` go into the server's SETTINGS; ``grant_upload_window``
False never hands upload bytes back (a zero window forever once used up);
``enable_connect_protocol`` sends ``SETTINGS_ENABLE_CONNECT_PROTOCOL = 1``
(RFC 8441), after which extended CONNECT streams reach their handler like
any request: ``/tunnel-echo`` echoes a tunnel's bytes, ``/ws-echo`` speaks
WebSocket frames in the tunnel (wsproto, server side) and echoes every
message, answers pings and the close handshake.
"""

from __future__ import annotations

import functools
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import h2.config
import h2.connection
import h2.events
import h2.settings
import trio

__all__ = ["H2Exchange", "H2Server", "open_h2_server"]

Handler = Callable[["H2Exchange"], Awaitable[None]]


class H2Conn:
    """One server-side connection."""

    def __init__(self, server: H2Server, stream: trio.abc.Stream) -> None:
        self.server = server
        self.stream = stream
        config = h2.config.H2Configuration(client_side=False, header_encoding="utf-8")
        self.h2 = h2.connection.H2Connection(config=config)
        self.lock = trio.Lock()
        self.exchanges: dict[int, H2Exchange] = {}
        self.window_changed = trio.Event()
        self.pings_received = 0

    async def flush(self) -> None:
        async with self.lock:
            data = self.h2.data_to_send()
            if data:
                try:
                    await self.stream.send_all(data)
                except (trio.BrokenResourceError, trio.ClosedResourceError):
                    pass

    async def run(self, nursery: trio.Nursery) -> None:
        settings: dict[int, int] = {}
        if self.server.max_concurrent_streams is not None:
            settings[h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS] = (
                self.server.max_concurrent_streams
            )
        if self.server.initial_window_size is not None:
            settings[h2.settings.SettingCodes.INITIAL_WINDOW_SIZE] = self.server.initial_window_size
        if self.server.enable_connect_protocol:
            settings[h2.settings.SettingCodes.ENABLE_CONNECT_PROTOCOL] = 1
        self.h2.local_settings = h2.settings.Settings(client=False, initial_values=settings)
        self.h2.initiate_connection()
        await self.flush()
        while True:
            try:
                data = await self.stream.receive_some(65536)
            except (trio.BrokenResourceError, trio.ClosedResourceError):
                return
            if not data:
                return
            try:
                events = self.h2.receive_data(data)
            except h2.exceptions.ProtocolError as exc:
                self.server.protocol_errors.append(exc)
                await self.flush()
                return
            for event in events:
                self.handle(event, nursery)
            await self.flush()

    def handle(self, event: h2.events.Event, nursery: trio.Nursery) -> None:
        if isinstance(event, h2.events.RequestReceived):
            assert event.stream_id is not None and event.headers is not None
            headers = [(str(n), str(v)) for n, v in event.headers]
            exchange = H2Exchange(self, event.stream_id, headers)
            self.exchanges[event.stream_id] = exchange
            self.server.requests.append(exchange)
            if event.stream_ended is not None:
                exchange.body_done.set()
            handler = self.server.routes.get(exchange.path.partition("?")[0], _not_found)
            nursery.start_soon(exchange.run, handler)
        elif isinstance(event, h2.events.DataReceived):
            assert event.stream_id is not None and event.data is not None
            exchange = self.exchanges[event.stream_id]
            exchange.body += event.data
            exchange.wake()
            if self.server.grant_upload_window:
                self.h2.acknowledge_received_data(
                    event.flow_controlled_length or 0, event.stream_id
                )
        elif isinstance(event, h2.events.StreamEnded):
            assert event.stream_id is not None
            self.exchanges[event.stream_id].body_done.set()
            self.exchanges[event.stream_id].wake()
        elif isinstance(event, h2.events.StreamReset):
            assert event.stream_id is not None
            exchange = self.exchanges.get(event.stream_id)
            if exchange is not None:
                exchange.reset_by_client = event.error_code
                exchange.reset_event.set()
                exchange.wake()
                self.server.resets.append((event.stream_id, event.error_code))
        elif isinstance(event, h2.events.PingAckReceived):
            self.server.ping_acks += 1
        elif isinstance(event, h2.events.PingReceived):
            self.pings_received += 1
            self.server.pings_received += 1
        elif isinstance(event, (h2.events.WindowUpdated, h2.events.RemoteSettingsChanged)):
            self.window_changed.set()
            self.window_changed = trio.Event()


class H2Exchange:
    """One request on the test server, as its handler sees it."""

    def __init__(self, conn: H2Conn, stream_id: int, headers: list[tuple[str, str]]) -> None:
        self.conn = conn
        self.stream_id = stream_id
        self.headers = headers
        self.body = b""
        self.body_done = trio.Event()
        self.reset_event = trio.Event()
        self.reset_by_client: Any = None
        self.consumed = 0  # bytes of ``body`` taken by receive()
        self._arrived = trio.Event()

    def wake(self) -> None:
        """DATA, the end of the stream or a reset arrived."""
        self._arrived.set()
        self._arrived = trio.Event()

    async def receive(self) -> bytes:
        """The request bytes not taken yet, waiting for some; b"" at the end or on a reset."""
        while True:
            if len(self.body) > self.consumed:
                data = self.body[self.consumed :]
                self.consumed = len(self.body)
                return data
            if self.body_done.is_set() or self.reset_event.is_set():
                return b""
            await self._arrived.wait()

    @property
    def path(self) -> str:
        return self.header(":path") or ""

    @property
    def method(self) -> str:
        return self.header(":method") or ""

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key == name:
                return value
        return None

    async def run(self, handler: Handler) -> None:
        try:
            await handler(self)
        except h2.exceptions.StreamClosedError:
            pass  # the client reset the stream
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            pass

    async def respond(
        self, status: int = 200, headers: list[tuple[str, str]] | None = None, *, end: bool = False
    ) -> None:
        fields = [(":status", str(status)), *(headers or [])]
        self.conn.h2.send_headers(self.stream_id, fields, end_stream=end)
        await self.conn.flush()

    async def informational(
        self, status: int = 103, headers: list[tuple[str, str]] | None = None
    ) -> None:
        self.conn.h2.send_headers(self.stream_id, [(":status", str(status)), *(headers or [])])
        await self.conn.flush()

    async def send(self, data: bytes, *, end: bool = False) -> None:
        """Send DATA within the flow windows (waits for WINDOW_UPDATEs)."""
        h = self.conn.h2
        view = memoryview(data)
        while view:
            window = h.local_flow_control_window(self.stream_id)
            size = min(window, h.max_outbound_frame_size, len(view))
            if size <= 0:
                await self.conn.window_changed.wait()
                continue
            h.send_data(self.stream_id, bytes(view[:size]))
            view = view[size:]
            await self.conn.flush()
        if end:
            h.end_stream(self.stream_id)
            await self.conn.flush()

    async def end(self) -> None:
        """End the response stream (an empty DATA frame with END_STREAM)."""
        self.conn.h2.end_stream(self.stream_id)
        await self.conn.flush()

    async def trailers(self, headers: list[tuple[str, str]]) -> None:
        self.conn.h2.send_headers(self.stream_id, headers, end_stream=True)
        await self.conn.flush()

    async def reset(self, code: int = 2) -> None:
        self.conn.h2.reset_stream(self.stream_id, code)
        await self.conn.flush()

    async def goaway(self, last_stream_id: int, code: int = 0) -> None:
        self.conn.h2.close_connection(error_code=code, last_stream_id=last_stream_id)
        if code == 0:
            # h2 stops sending after GOAWAY; RFC 9113 §6.8 lets streams at or
            # below last_stream_id finish, which is what the tests exercise.
            # Reopened before the flush, so no other handler sees it closed.
            self.conn.h2.state_machine.state = h2.connection.ConnectionState.SERVER_OPEN
        await self.conn.flush()

    async def send_raw(self, data: bytes) -> None:
        """Bytes straight onto the connection (for frames h2 would not build)."""
        async with self.conn.lock:
            await self.conn.stream.send_all(data)


async def _not_found(exchange: H2Exchange) -> None:
    await exchange.respond(404, [("content-length", "0")], end=True)


async def _ok(exchange: H2Exchange) -> None:
    await exchange.body_done.wait()
    body = b"ok " + exchange.path.encode()
    await exchange.respond(200, [("content-length", str(len(body)))])
    await exchange.send(body, end=True)


async def _echo(exchange: H2Exchange) -> None:
    await exchange.body_done.wait()
    await exchange.respond(200, [("content-length", str(len(exchange.body)))])
    await exchange.send(exchange.body, end=True)


async def _tunnel_echo(exchange: H2Exchange) -> None:
    # An extended CONNECT tunnel (RFC 8441): accept, echo every byte, end
    # when the client ends.
    await exchange.respond(200)
    while data := await exchange.receive():
        await exchange.send(data)
    if not exchange.reset_event.is_set():
        await exchange.end()


async def _websocket_echo(exchange: H2Exchange) -> None:
    # A WebSocket over HTTP/2 (RFC 8441): frames straight after the 200,
    # with no key and no accept.
    from wsproto.connection import Connection, ConnectionType
    from wsproto.events import CloseConnection, Message, Ping

    if exchange.method != "CONNECT" or exchange.header(":protocol") != "websocket":
        await exchange.respond(400, [("content-length", "0")], end=True)
        return
    await exchange.respond(200)
    ws = Connection(ConnectionType.SERVER)
    while data := await exchange.receive():
        ws.receive_data(data)
        for event in ws.events():
            if isinstance(event, Message):
                reply = Message(data=event.data, message_finished=event.message_finished)
                await exchange.send(ws.send(reply))
            elif isinstance(event, Ping):
                await exchange.send(ws.send(event.response()))
            elif isinstance(event, CloseConnection):
                await exchange.send(ws.send(event.response()), end=True)
                return


class H2Server:
    """The running server; see the module docstring.

    Attributes:
        url: ``http://127.0.0.1:PORT`` or ``https://...``.
        requests: every exchange, in arrival order.
        resets: ``(stream_id, error_code)`` for each RST_STREAM from clients.
        connections_opened: TCP connections accepted so far.
    """

    def __init__(self) -> None:
        self.url = ""
        self.routes: dict[str, Handler] = {
            "/ok": _ok,
            "/echo": _echo,
            "/tunnel-echo": _tunnel_echo,
            "/ws-echo": _websocket_echo,
        }
        self.requests: list[H2Exchange] = []
        self.resets: list[tuple[int, Any]] = []
        self.protocol_errors: list[Exception] = []
        self.connections: list[H2Conn] = []
        self.connections_opened = 0
        self.pings_received = 0
        self.ping_acks = 0
        self.max_concurrent_streams: int | None = None
        self.initial_window_size: int | None = None
        self.grant_upload_window = True
        self.enable_connect_protocol = False

    def route(self, path: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.routes[path] = handler
            return handler

        return register

    @property
    def connections_open(self) -> int:
        return sum(1 for conn in self.connections if not conn.closed)  # type: ignore[attr-defined]


@asynccontextmanager
async def open_h2_server(ssl_context: ssl.SSLContext | None = None) -> AsyncIterator[H2Server]:
    """Run an :class:`H2Server` on 127.0.0.1 for the duration of the block."""
    server = H2Server()

    async def serve(stream: trio.abc.Stream) -> None:
        if ssl_context is not None:
            stream = trio.SSLStream(stream, ssl_context, server_side=True)
            try:
                await stream.do_handshake()
            except (trio.BrokenResourceError, ssl.SSLError):
                return
        server.connections_opened += 1
        conn = H2Conn(server, stream)
        conn.closed = False  # type: ignore[attr-defined]
        server.connections.append(conn)
        try:
            async with trio.open_nursery() as nursery:
                await conn.run(nursery)
                nursery.cancel_scope.cancel()
        finally:
            conn.closed = True  # type: ignore[attr-defined]
            await trio.aclose_forcefully(stream)

    async with trio.open_nursery() as nursery:
        listeners = await nursery.start(
            functools.partial(trio.serve_tcp, serve, 0, host="127.0.0.1")
        )
        port = listeners[0].socket.getsockname()[1]
        scheme = "https" if ssl_context is not None else "http"
        server.url = f"{scheme}://127.0.0.1:{port}"
        yield server
        nursery.cancel_scope.cancel()
