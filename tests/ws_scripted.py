"""A scripted WebSocket server on Trio and wsproto, for exact behaviour and misbehaviour.

How this works: :func:`open_ws_server` binds 127.0.0.1:0 (TLS optional),
serves every accepted connection with the test's handler in a nursery it
owns, and yields a :class:`ScriptedServer` that counts connections opened
and still open and records every handshake request. A handler gets a
:class:`ServerConnection`: it can read the handshake request
(:meth:`~ServerConnection.read_request`), accept it with wsproto
(:meth:`~ServerConnection.accept`) and then exchange events, or write any
bytes it likes (a wrong accept value, a 200, invalid frames, a deflate
bomb) with :meth:`~ServerConnection.send_raw`. Leaving the ``async with``
cancels everything, so nothing outlives the test.
"""

from __future__ import annotations

import base64
import hashlib
import struct
import threading
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING

import trio
from wsproto import ConnectionType, WSConnection
from wsproto.connection import ConnectionState
from wsproto.events import (
    AcceptConnection,
    BytesMessage,
    CloseConnection,
    Event,
    Message,
    Ping,
    RejectConnection,
    RejectData,
    Request,
    TextMessage,
)
from wsproto.extensions import PerMessageDeflate

if TYPE_CHECKING:
    import ssl

__all__ = [
    "ScriptedServer",
    "ServerConnection",
    "accept_value",
    "deflate_bomb_frame",
    "echo_handler",
    "frame",
    "open_ws_server",
    "serve_ws_in_thread",
]

READ_SIZE = 64 * 1024
_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

Handler = Callable[["ServerConnection"], Awaitable[None]]


def accept_value(key: str) -> str:
    """The Sec-WebSocket-Accept for ``key``, computed independently of trio_http."""
    return base64.b64encode(hashlib.sha1(key.encode() + _GUID).digest()).decode()


def frame(opcode: int, payload: bytes, *, fin: bool = True, rsv1: bool = False) -> bytes:
    """One unmasked server frame (RFC 6455 §5.2), built by hand."""
    first = (0x80 if fin else 0) | (0x40 if rsv1 else 0) | opcode
    length = len(payload)
    if length < 126:
        head = struct.pack("!BB", first, length)
    elif length < 1 << 16:
        head = struct.pack("!BBH", first, 126, length)
    else:
        head = struct.pack("!BBQ", first, 127, length)
    return head + payload


def deflate_bomb_frame(inflated_size: int) -> bytes:
    """A compressed binary message that inflates to ``inflated_size`` zero bytes."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    data = compressor.compress(b"\0" * inflated_size) + compressor.flush(zlib.Z_SYNC_FLUSH)
    return frame(0x2, data[:-4], rsv1=True)


@dataclass
class ScriptedServer:
    """A running scripted server; see :func:`open_ws_server`."""

    port: int = 0
    scheme: str = "ws"
    opened: int = 0
    open_now: int = 0
    requests: list[Request] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)
    all_closed: trio.Event = field(default_factory=trio.Event)

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    async def wait_all_closed(self) -> None:
        """Wait until every connection the server accepted has been closed by the client."""
        while self.open_now:
            await self.all_closed.wait()


class ServerConnection:
    """One accepted connection: a wsproto server connection over the stream."""

    def __init__(self, stream: trio.abc.Stream, server: ScriptedServer) -> None:
        self.stream = stream
        self.server = server
        self.ws = WSConnection(ConnectionType.SERVER)
        self.request: Request | None = None
        self.raw_head = b""
        self._pending: list[Event] = []
        self.peer_closed = False

    async def _feed(self) -> bool:
        data = await self.stream.receive_some(READ_SIZE)
        if not data:
            self.peer_closed = True
            self.ws.receive_data(None)
            return False
        self.ws.receive_data(data)
        return True

    async def read_request(self) -> Request:
        """The handshake request (wsproto parses it)."""
        while True:
            for event in self.ws.events():
                if isinstance(event, Request):
                    self.request = event
                    self.server.requests.append(event)
                    return event
            if not await self._feed():
                raise EOFError("the client left before its handshake")

    @property
    def key(self) -> str:
        assert self.request is not None
        for name, value in self.request.extra_headers:
            if name.lower() == b"sec-websocket-key":
                return value.decode()
        raise AssertionError("no Sec-WebSocket-Key")  # pragma: no cover

    @property
    def offered_extensions(self) -> list[str]:
        """The client's extension offers, as sent."""
        assert self.request is not None
        return [str(offer) for offer in self.request.extensions]

    def header(self, name: str) -> str | None:
        """A handshake request header (the first one of that name)."""
        assert self.request is not None
        for key, value in self.request.extra_headers:
            if key.decode().lower() == name.lower():
                return value.decode()
        return None

    async def accept(
        self,
        *,
        subprotocol: str | None = None,
        compression: bool = False,
        headers: list[tuple[bytes, bytes]] | None = None,
    ) -> None:
        """Read the handshake (if not yet) and accept it with wsproto."""
        if self.request is None:
            await self.read_request()
        extensions = [PerMessageDeflate()] if compression else []
        await self.stream.send_all(
            self.ws.send(
                AcceptConnection(
                    subprotocol=subprotocol, extensions=extensions, extra_headers=headers or []
                )
            )
        )

    async def reject(self, status: int, body: bytes = b"") -> None:
        """Refuse the handshake with ``status`` and ``body``."""
        if self.request is None:
            await self.read_request()
        headers = [(b"content-length", str(len(body)).encode())]
        await self.stream.send_all(
            self.ws.send(RejectConnection(status_code=status, headers=headers, has_body=True))
        )
        await self.stream.send_all(self.ws.send(RejectData(data=body)))

    async def send_raw(self, data: bytes) -> None:
        await self.stream.send_all(data)

    async def send(self, event: Event) -> None:
        await self.stream.send_all(self.ws.send(event))

    async def next_event(self) -> Event | None:
        """The next event from the client; None once it closed the TCP connection."""
        while True:
            if self._pending:
                return self._pending.pop(0)
            self._pending.extend(self.ws.events())
            if self._pending:
                continue
            if self.peer_closed or not await self._feed():
                self._pending.extend(self.ws.events())
                if not self._pending:
                    return None

    async def next_message(self) -> str | bytes | None:
        """The next whole message (pings answered on the way); None on close."""
        parts: list[str | bytes] = []
        while True:
            event = await self.next_event()
            if event is None or isinstance(event, CloseConnection):
                if isinstance(event, CloseConnection):
                    self._pending.insert(0, event)
                return None
            if isinstance(event, Ping):
                await self.send(event.response())
            elif isinstance(event, Message):
                parts.append(event.data)
                if event.message_finished:
                    if isinstance(event, TextMessage):
                        return "".join(str(p) for p in parts)
                    return b"".join(bytes(p) for p in parts)  # type: ignore[arg-type]

    async def finish(self) -> None:
        """Answer pings and the client's close frame, then wait for the client to hang up."""
        while (event := await self.next_event()) is not None:
            if isinstance(event, Ping):
                await self.send(event.response())
            elif isinstance(event, CloseConnection):
                if self.ws.state is ConnectionState.REMOTE_CLOSING:
                    await self.send(event.response())
                break
        await self.wait_for_eof()

    async def drain_raw(self) -> None:
        """Read raw bytes (no parsing) until the client hangs up."""
        try:
            while await self.stream.receive_some(READ_SIZE):
                pass
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            pass
        self.peer_closed = True

    async def wait_for_eof(self) -> None:
        """Read (and drop) until the client closes the TCP connection."""
        while not self.peer_closed:
            try:
                await self._feed()
            except (trio.BrokenResourceError, trio.ClosedResourceError):
                return


async def echo_handler(conn: ServerConnection) -> None:
    """Accept (echoing the first subprotocol, with compression if offered), echo until close."""
    await conn.read_request()
    offered = conn.request.subprotocols if conn.request else []
    deflate = any("permessage-deflate" in str(offer) for offer in conn.offered_extensions)
    await conn.accept(subprotocol=offered[0] if offered else None, compression=deflate)
    while True:
        event = await conn.next_event()
        if event is None:
            return
        if isinstance(event, Ping):
            await conn.send(event.response())
        elif isinstance(event, TextMessage):
            await conn.send(TextMessage(data=event.data, message_finished=event.message_finished))
        elif isinstance(event, BytesMessage):
            await conn.send(
                BytesMessage(data=bytes(event.data), message_finished=event.message_finished)
            )
        elif isinstance(event, CloseConnection):
            if conn.ws.state is ConnectionState.REMOTE_CLOSING:  # not a lost connection
                await conn.send(event.response())
            await conn.wait_for_eof()
            return


async def _serve(server: ScriptedServer, handler: Handler, stream: trio.abc.Stream) -> None:
    server.opened += 1
    server.open_now += 1
    server.all_closed = trio.Event()
    conn = ServerConnection(stream, server)
    try:
        await handler(conn)
        await conn.wait_for_eof()
    except (EOFError, trio.BrokenResourceError, trio.ClosedResourceError):
        pass
    except Exception as exc:  # pragma: no cover - shown by the test's teardown
        server.errors.append(exc)
    finally:
        server.open_now -= 1
        if not server.open_now:
            server.all_closed.set()
        with trio.CancelScope(shield=True):
            await trio.aclose_forcefully(stream)


@asynccontextmanager
async def open_ws_server(
    handler: Handler, ssl_context: ssl.SSLContext | None = None
) -> AsyncIterator[ScriptedServer]:
    """Serve ``handler`` on 127.0.0.1 until the block ends; fail it on handler errors."""
    server = ScriptedServer(scheme="wss" if ssl_context is not None else "ws")

    async def serve(stream: trio.abc.Stream) -> None:
        if ssl_context is not None:
            stream = trio.SSLStream(stream, ssl_context, server_side=True)
            try:
                await stream.do_handshake()
            except (trio.BrokenResourceError, trio.ClosedResourceError):
                return
        await _serve(server, handler, stream)

    async with trio.open_nursery() as nursery:
        listeners = await nursery.start(partial(trio.serve_tcp, serve, 0, host="127.0.0.1"))
        server.port = listeners[0].socket.getsockname()[1]
        yield server
        nursery.cancel_scope.cancel()
    if server.errors:
        raise AssertionError(f"scripted server handler errors: {server.errors!r}")


@contextmanager
def serve_ws_in_thread(handler: Handler) -> Iterator[ScriptedServer]:
    """:func:`open_ws_server` under its own ``trio.run`` in a thread, for blocking clients."""
    ready = threading.Event()
    holder: dict[str, object] = {}

    async def main() -> None:
        async with open_ws_server(handler) as running:
            holder["server"] = running
            holder["token"] = trio.lowlevel.current_trio_token()
            stop = holder["stop"] = trio.Event()
            ready.set()
            await stop.wait()

    thread = threading.Thread(target=trio.run, args=(main,), daemon=True)
    thread.start()
    if not ready.wait(10):
        raise RuntimeError("scripted server thread did not start")
    running = holder["server"]
    assert isinstance(running, ScriptedServer)
    try:
        yield running
    finally:
        token, stop = holder["token"], holder["stop"]
        assert isinstance(token, trio.lowlevel.TrioToken) and isinstance(stop, trio.Event)
        token.run_sync_soon(stop.set)
        thread.join(10)
