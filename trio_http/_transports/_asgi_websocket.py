"""One ASGI ``websocket`` scope between the caller's byte stream and an app task.

How this works. :meth:`~trio_http.ASGITransport.handle_async_upgrade` builds
the scope with :func:`build_websocket_scope`, runs the app as a task of its
own, and waits until the app decides the handshake (:attr:`ASGIWebSocket.decided`):

* ``websocket.accept`` becomes a ``101 Switching Protocols`` response, and
  the caller gets an :class:`ASGIWebSocketStream`: a byte stream that speaks
  real WebSocket frames. Behind it a server-side ``wsproto`` connection
  (no handshake of its own: the scope was the handshake, and no extension
  is negotiated) turns the client's frames into ``websocket.receive``
  messages and the app's ``websocket.send`` / ``websocket.close`` into
  frames the caller reads.
* ``websocket.close`` before accept is a ``403``; the
  ``websocket.http.response`` extension sends a response of the app's
  choosing instead. Either way there is no stream.

Both directions are bounded: at most :data:`APP_QUEUE_MESSAGES` received
messages wait for the app (the caller's ``send_all`` waits beyond that), and
the app's ``websocket.send`` waits while more than :data:`OUTGOING_LIMIT_BYTES`
of frames are unread. Control frames the protocol requires (pong, the close
reply) never wait.

The client closing (a close frame, or ``aclose()`` on the stream) ends the
app's ``receive()`` with ``websocket.disconnect`` once the messages already
queued are read; the app is then cancelled if it has not returned within
:data:`~trio_http._transports._asgi_exchange.DISCONNECT_GRACE_S`. An app
that fails after accept closes the socket with 1011 (internal error).
"""

from __future__ import annotations

import base64
import hashlib
from collections import deque
from enum import Enum
from typing import TYPE_CHECKING, Any, final

import trio
from wsproto.connection import Connection, ConnectionState, ConnectionType
from wsproto.events import BytesMessage, CloseConnection, Ping, TextMessage
from wsproto.utilities import LocalProtocolError

from .._headers import Headers
from .._response import Response
from ._asgi_exchange import (
    ClientDisconnected,
    Message,
    Scope,
    build_http_scope,
    wait_app_done,
)

if TYPE_CHECKING:
    from .._request import Request

__all__ = [
    "APP_QUEUE_MESSAGES",
    "MAX_MESSAGE_BYTES",
    "OUTGOING_LIMIT_BYTES",
    "ASGIWebSocket",
    "ASGIWebSocketStream",
    "Decision",
    "accept_token",
    "build_websocket_scope",
]

# Received messages that may wait for the app's receive().
APP_QUEUE_MESSAGES = 16
# Frames the app may send ahead of the reader, in bytes, before its send() waits.
OUTGOING_LIMIT_BYTES = 256 * 1024
# The largest message the app is handed, in bytes (characters for text); a
# bigger one closes the socket with 1009.
MAX_MESSAGE_BYTES = 16 * 1024 * 1024
# The largest body of a websocket.http.response denial.
MAX_DENIAL_BODY_BYTES = 1024 * 1024

# RFC 6455 §1.3: the GUID appended to the key for Sec-WebSocket-Accept.
_WEBSOCKET_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
# RFC 6455 §7.4.1 close codes used here.
_NORMAL = 1000
_GOING_AWAY = 1001
_ABNORMAL = 1006
_TOO_BIG = 1009
_INTERNAL_ERROR = 1011


def accept_token(key: str) -> str:
    """The ``Sec-WebSocket-Accept`` value for a ``Sec-WebSocket-Key`` (RFC 6455 §4.2.2)."""
    digest = hashlib.sha1(key.strip().encode("ascii") + _WEBSOCKET_GUID).digest()
    return base64.b64encode(digest).decode("ascii")


def build_websocket_scope(
    request: Request, *, root_path: str, client: tuple[str, int], state: dict[str, Any]
) -> Scope:
    """The ASGI ``websocket`` scope of the handshake ``request``.

    The scheme is ``ws`` or ``wss`` whichever form the URL has; the offered
    subprotocols come from every ``Sec-WebSocket-Protocol`` header.
    """
    scope = build_http_scope(request, root_path=root_path, client=client, state=state)
    del scope["method"]
    scheme = request.url.scheme
    scope["type"] = "websocket"
    scope["scheme"] = "wss" if scheme in ("https", "wss") else "ws"
    scope["subprotocols"] = [
        name.strip()
        for value in request.headers.get_list("Sec-WebSocket-Protocol")
        for name in value.split(",")
        if name.strip()
    ]
    scope["extensions"] = {"websocket.http.response": {}}
    return scope


class Decision(Enum):
    """How the app answered the handshake."""

    PENDING = 0
    ACCEPTED = 1
    CLOSED = 2  # websocket.close before accept: 403
    HTTP_RESPONSE = 3  # websocket.http.response.*
    RETURNED = 4  # the app returned (or failed) without deciding


class ASGIWebSocket:
    """The state shared by the app task and the caller's stream."""

    def __init__(self, request: Request) -> None:
        self.request = request
        self.decision = Decision.PENDING
        self.decided = trio.Event()
        self.subprotocol: str | None = None
        self.accept_headers: list[tuple[bytes, bytes]] = []
        self.denial_status = 403
        self.denial_headers: list[tuple[bytes, bytes]] = []
        self.denial_body = bytearray()
        self.app_error: BaseException | None = None
        self.app_done = trio.Event()
        self.cancel_scope = trio.CancelScope()
        self.wire = Connection(ConnectionType.SERVER)
        self.connect_sent = False
        # Client frames on their way to the app; closed when the client has gone.
        self.to_app, self.from_client = trio.open_memory_channel[Message](APP_QUEUE_MESSAGES)
        self.pending: deque[Message] = deque()  # parsed, not yet queued
        self.disconnect_code = _ABNORMAL
        self.client_gone = False
        # Frames for the caller to read, and whether more will follow.
        self.outgoing = bytearray()
        self.outgoing_ended = False
        self.readable = trio.lowlevel.ParkingLot()
        self.writable = trio.lowlevel.ParkingLot()
        self.fragments: list[str | bytes | bytearray] = []
        self.fragment_bytes = 0

    # -- the ASGI callables ------------------------------------------------

    async def receive(self) -> Message:
        await trio.lowlevel.checkpoint_if_cancelled()
        if not self.connect_sent:
            self.connect_sent = True
            await trio.lowlevel.cancel_shielded_checkpoint()
            return {"type": "websocket.connect"}
        try:
            return await self.from_client.receive()
        except (trio.EndOfChannel, trio.ClosedResourceError):
            return {"type": "websocket.disconnect", "code": self.disconnect_code}

    async def send(self, message: Message) -> None:
        kind = message.get("type")
        if self.decision is Decision.PENDING:
            await self._send_before_accept(kind, message)
        elif self.decision is Decision.HTTP_RESPONSE and kind == "websocket.http.response.body":
            self._add_denial_body(message)
        elif self.decision is not Decision.ACCEPTED:
            raise RuntimeError(f"ASGI app sent {kind!r} after the handshake was refused")
        elif kind == "websocket.send":
            await self._send_message(message)
        elif kind == "websocket.close":
            if self.client_gone:
                raise ClientDisconnected("the WebSocket client has gone")
            code = message.get("code") or _NORMAL
            self.send_close(int(code), str(message.get("reason") or ""))
            await trio.lowlevel.checkpoint()
        else:
            raise RuntimeError(f"ASGI app sent an unexpected message type {kind!r}")

    async def _send_before_accept(self, kind: object, message: Message) -> None:
        if kind == "websocket.accept":
            subprotocol = message.get("subprotocol")
            self.subprotocol = None if subprotocol is None else str(subprotocol)
            self.accept_headers = [
                (bytes(name), bytes(value)) for name, value in message.get("headers", ())
            ]
            self.decide(Decision.ACCEPTED)
        elif kind == "websocket.close":
            self.decide(Decision.CLOSED)
        elif kind == "websocket.http.response.start":
            status = message.get("status")
            if type(status) is not int or not 100 <= status <= 999:
                raise RuntimeError(f"ASGI app sent an invalid status {status!r}")
            self.denial_status = status
            self.denial_headers = [
                (bytes(name), bytes(value)) for name, value in message.get("headers", ())
            ]
            # The response is handed over once its body is complete.
            self.decision = Decision.HTTP_RESPONSE
        else:
            raise RuntimeError(f"ASGI app sent {kind!r} before accepting the WebSocket")
        await trio.lowlevel.checkpoint()

    def _add_denial_body(self, message: Message) -> None:
        if self.decided.is_set():
            raise RuntimeError("ASGI app sent a response body after the response ended")
        self.denial_body += message.get("body", b"")
        if len(self.denial_body) > MAX_DENIAL_BODY_BYTES:
            raise RuntimeError("ASGI app's WebSocket denial response body is too large")
        if not message.get("more_body", False):
            self.decided.set()

    async def _send_message(self, message: Message) -> None:
        if self.client_gone or self.wire.state is not ConnectionState.OPEN:
            raise ClientDisconnected("the WebSocket client has gone")
        text = message.get("text")
        if text is not None:
            frame = self.wire.send(TextMessage(data=str(text)))
        else:
            frame = self.wire.send(BytesMessage(data=bytes(message.get("bytes") or b"")))
        self.push(frame)
        # Backpressure: wait while the reader is behind.
        while len(self.outgoing) > OUTGOING_LIMIT_BYTES and not self.client_gone:
            await self.writable.park()
        await trio.lowlevel.checkpoint()

    # -- shared by both sides ------------------------------------------------

    def handshake_response(self, raise_app_exceptions: bool) -> Response:
        """The response to the handshake, once :attr:`decided` is set.

        A 101 (with ``Sec-WebSocket-Accept`` and the accepted subprotocol)
        when the app accepted; otherwise the refusal: the app's
        ``websocket.http.response``, a 403 for ``websocket.close``, or a 500
        when the app returned or failed without answering.

        Raises:
            Exception: the app's error, when it failed before answering and
                ``raise_app_exceptions`` is true.
        """
        request = self.request
        decision = self.decision
        if decision is Decision.ACCEPTED:
            key = request.headers.get("Sec-WebSocket-Key", "")
            headers = Headers(
                [
                    ("Upgrade", "websocket"),
                    ("Connection", "Upgrade"),
                    ("Sec-WebSocket-Accept", accept_token(key)),
                ]
            )
            if self.subprotocol is not None:
                headers["Sec-WebSocket-Protocol"] = self.subprotocol
            for name, value in self.accept_headers:
                headers.add(name.decode("latin-1"), value.decode("latin-1"))
            return Response(101, headers=headers, request=request, http_version="HTTP/1.1")
        if decision is Decision.HTTP_RESPONSE:
            headers = Headers(
                [
                    (name.decode("latin-1"), value.decode("latin-1"))
                    for name, value in self.denial_headers
                ]
            )
            body = bytes(self.denial_body)
            return Response(self.denial_status, headers=headers, content=body, request=request)
        status = 403 if decision is Decision.CLOSED else 500
        if status == 500 and self.app_error is not None and raise_app_exceptions:
            raise self.app_error
        return Response(status, headers=[("Content-Length", "0")], content=b"", request=request)

    def decide(self, decision: Decision) -> None:
        """Record the app's answer to the handshake; the first one stands."""
        if not self.decided.is_set():
            self.decision = decision
            self.decided.set()

    def push(self, frame: bytes) -> None:
        """Queue ``frame`` for the caller to read."""
        if frame and not self.outgoing_ended:
            self.outgoing += frame
            self.readable.unpark_all()

    def end_outgoing(self) -> None:
        """No frame follows what is queued: the reader sees the end after it."""
        self.outgoing_ended = True
        self.readable.unpark_all()

    def send_close(self, code: int, reason: str = "") -> None:
        """Send a close frame unless one was sent; end the stream if both were."""
        try:
            self.push(self.wire.send(CloseConnection(code=code, reason=reason)))
        except LocalProtocolError:
            pass
        if self.wire.state is ConnectionState.CLOSED:
            self.end_outgoing()

    def client_left(self, code: int) -> None:
        """The client has closed: the app's receive() ends with this code."""
        if not self.client_gone:
            self.client_gone = True
            self.disconnect_code = code
            self.to_app.close()
            self.writable.unpark_all()

    def app_finished(self, *, cancelled: bool = False) -> None:
        """The app task ended: returned, failed, or was ``cancelled``.

        An accepted socket that is still open is closed: 1000 when the app
        returned, 1011 when it failed, 1001 (going away) when it was cancelled.
        """
        if self.decision is Decision.ACCEPTED:
            if self.app_error is not None:
                code = _INTERNAL_ERROR
            elif cancelled:
                code = _GOING_AWAY
            else:
                code = _NORMAL
            self.send_close(code)
        # A response start without its final body chunk is no answer either.
        self.decide(Decision.RETURNED)
        # Nobody reads further messages: delivering them must not wait.
        self.from_client.close()
        self.app_done.set()

    def received(self, data: bytes) -> None:
        """Parse ``data`` from the client into messages for the app (no waiting)."""
        wire = self.wire
        if wire.state is ConnectionState.CLOSED or self.outgoing_ended:
            return
        wire.receive_data(data)
        for event in wire.events():
            if isinstance(event, (TextMessage, BytesMessage)):
                self._add_fragment(event.data, event.message_finished)
            elif isinstance(event, Ping):
                if wire.state is ConnectionState.OPEN:
                    self.push(wire.send(event.response()))
            elif isinstance(event, CloseConnection):
                # The client's close frame (answered with the same code), or
                # an invalid frame, which wsproto reports the same way: then
                # the close frame is ours, and the connection ends after it.
                self.send_close(event.code, event.reason or "")
                self.end_outgoing()
                self.pending.append({"type": "websocket.disconnect", "code": event.code})
            if self._closing():
                return

    def _closing(self) -> bool:
        # A method, not the attribute: the handlers above may have set it.
        return self.outgoing_ended

    def _add_fragment(self, data: str | bytes | bytearray, finished: bool) -> None:
        self.fragments.append(data)
        self.fragment_bytes += len(data)
        if self.fragment_bytes > MAX_MESSAGE_BYTES:
            self.fragments.clear()
            self.send_close(_TOO_BIG, "message too big")
            self.end_outgoing()
            self.pending.append({"type": "websocket.disconnect", "code": _TOO_BIG})
            return
        if not finished:
            return
        parts, self.fragments, self.fragment_bytes = self.fragments, [], 0
        if isinstance(parts[0], str):
            text = "".join(part for part in parts if isinstance(part, str))
            self.pending.append({"type": "websocket.receive", "text": text})
        else:
            body = b"".join(part for part in parts if isinstance(part, (bytes, bytearray)))
            self.pending.append({"type": "websocket.receive", "bytes": body})

    async def deliver_pending(self) -> None:
        """Hand parsed messages to the app, waiting while its queue is full.

        Cancellation leaves the undelivered ones pending, in order.
        """
        pending = self.pending
        while pending:
            message = pending[0]
            if message["type"] == "websocket.disconnect":
                pending.clear()
                self.client_left(int(message["code"]))
                break
            if self.client_gone:
                pending.clear()
                break
            try:
                await self.to_app.send(message)
            except (trio.BrokenResourceError, trio.ClosedResourceError):
                # The app has returned: nobody reads further messages.
                pending.clear()
                break
            pending.popleft()
        await trio.lowlevel.checkpoint()

    async def wait_app_done(self) -> None:
        """Give the app a grace period to return, then cancel it. Shielded, bounded."""
        await wait_app_done(self.app_done, self.cancel_scope)


@final
class ASGIWebSocketStream:
    """The caller's end of an accepted ASGI WebSocket: WebSocket frames as bytes.

    ``send_all`` takes the client's frames (masked, as a client sends them);
    ``receive_some`` returns the app's frames, and ``b""`` once the close
    handshake is complete (the server's side of the connection ended).
    """

    def __init__(self, socket: ASGIWebSocket) -> None:
        self._socket = socket
        self._closed = False

    async def send_all(self, data: bytes | bytearray | memoryview) -> None:
        """Hand the client's bytes to the app; waits while its queue is full.

        A checkpoint. Cancellation keeps the messages not yet delivered.

        Raises:
            trio.ClosedResourceError: the stream was closed with ``aclose``.
            trio.BrokenResourceError: the WebSocket has already closed.
        """
        socket = self._socket
        if self._closed:
            raise trio.ClosedResourceError("the ASGI WebSocket stream is closed")
        if socket.wire.state is ConnectionState.CLOSED or socket.outgoing_ended:
            await trio.lowlevel.checkpoint()
            if socket.pending:
                await socket.deliver_pending()
                return
            raise trio.BrokenResourceError("the ASGI WebSocket has closed")
        socket.received(bytes(data))
        await socket.deliver_pending()

    async def receive_some(self, max_bytes: int | None = None) -> bytes:
        """The app's next frames (up to ``max_bytes``), or ``b""`` at the end.

        A checkpoint; waits until the app sends something.

        Raises:
            trio.ClosedResourceError: the stream was closed with ``aclose``.
        """
        socket = self._socket
        await trio.lowlevel.checkpoint_if_cancelled()
        while True:
            if self._closed:
                raise trio.ClosedResourceError("the ASGI WebSocket stream is closed")
            outgoing = socket.outgoing
            if outgoing:
                size = len(outgoing) if max_bytes is None else max(1, max_bytes)
                chunk = bytes(outgoing[:size])
                del outgoing[:size]
                socket.writable.unpark_all()
                await trio.lowlevel.cancel_shielded_checkpoint()
                return chunk
            if socket.outgoing_ended:
                await trio.lowlevel.cancel_shielded_checkpoint()
                return b""
            await socket.readable.park()

    async def aclose(self) -> None:
        """Close the stream: the app sees ``websocket.disconnect`` and must return.

        Idempotent and a checkpoint; bounded by twice ``DISCONNECT_GRACE_S``
        under cancellation (the app is cancelled if it lingers).
        """
        socket = self._socket
        if self._closed:
            await trio.lowlevel.checkpoint()
            return
        self._closed = True
        socket.pending.clear()
        if socket.wire.state is ConnectionState.CLOSED:
            code = socket.disconnect_code if socket.client_gone else _NORMAL
        else:
            # RFC 6455 §7.1.5: no close frame came, so the code is 1006.
            code = _ABNORMAL
        socket.client_left(code)
        socket.end_outgoing()
        socket.readable.unpark_all()
        await socket.wait_app_done()
