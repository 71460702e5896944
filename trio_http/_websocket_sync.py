"""``Session.websocket()`` and the blocking :class:`WebSocket`, through the portal.

How this works. Opening a blocking WebSocket starts one owner task in the
portal's loop (``nursery.start``): it enters ``client.websocket(...)`` of
the session's client for the URL, reports the :class:`AsyncWebSocket` and
waits until the blocking side leaves its ``with`` block, then leaves the
async block too (the close handshake, or an immediate close after an
interrupt). Each blocking call is one portal hop to the matching async
method; nothing here speaks the protocol. A handshake failure reaches the
caller from ``start`` as the async API raised it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, final

import trio

from ._exceptions import ReadTimeout, WebSocketClosed

if TYPE_CHECKING:
    from collections.abc import Iterator
    from types import TracebackType

    from ._portal import Portal
    from ._response import Response
    from ._websocket import AsyncWebSocket
    from ._websocket_connect import WebSocketConnect

__all__ = ["WebSocket"]

_NORMAL_CLOSES = frozenset({1000, 1001, 1005})  # as AsyncWebSocket's iteration


@final
class WebSocket:
    """A blocking WebSocket; get one from ``Session.websocket()``.

    The methods of :class:`AsyncWebSocket` without ``await``, each one
    portal hop; :meth:`receive` takes a ``timeout``. Iterating yields
    messages until a normal close. Safe to use from one thread at a time
    per direction (one sender, one receiver).
    """

    def __init__(self, portal: Portal, connect: WebSocketConnect) -> None:
        self._portal = portal
        self._connect = connect
        self._socket: AsyncWebSocket | None = None
        self._leave: trio.Event | None = None
        self._left: trio.Event | None = None
        self._exit: type[BaseException] | None = None

    # -- the block ------------------------------------------------------------

    def __enter__(self) -> WebSocket:
        self._socket = self._portal.call(self._start)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._exit = exc_type
        self._portal.call(self._finish)

    async def _start(self) -> AsyncWebSocket:
        self._leave, self._left = trio.Event(), trio.Event()
        socket: AsyncWebSocket = await self._portal.nursery.start(self._own)
        return socket

    async def _own(self, task_status: trio.TaskStatus[AsyncWebSocket]) -> None:
        assert self._leave is not None and self._left is not None
        started = False
        try:
            async with self._connect as socket:
                task_status.started(socket)
                started = True
                await self._leave.wait()
                if self._exit is not None:
                    if not issubclass(self._exit, Exception):
                        await socket.abort()  # interrupted: no close handshake
                    raise _LeftWithError(self._exit)
        except _LeftWithError:
            pass
        except Exception:
            if not started:
                raise
            # A background task in the portal must not raise: closing
            # errors were already the blocking side's to see, or are moot.
        finally:
            self._left.set()

    async def _finish(self) -> None:
        if self._leave is not None and self._left is not None:
            self._leave.set()
            await self._left.wait()

    def _async(self) -> AsyncWebSocket:
        if self._socket is None:
            raise RuntimeError("use the WebSocket inside its 'with session.websocket(...)' block")
        return self._socket

    # -- what the socket knows ----------------------------------------------

    @property
    def response(self) -> Response:
        """The handshake response."""
        return self._async().response

    @property
    def subprotocol(self) -> str | None:
        """The subprotocol the server chose, or None."""
        return self._async().subprotocol

    @property
    def http_version(self) -> str:
        """``"HTTP/1.1"`` or ``"HTTP/2"``."""
        return self._async().http_version

    @property
    def close_code(self) -> int | None:
        """The close code once closed (1006: no close frame), else None."""
        return self._async().close_code

    @property
    def close_reason(self) -> str | None:
        """The close reason once closed, else None."""
        return self._async().close_reason

    # -- sending and receiving ----------------------------------------------

    def send_text(self, text: str) -> None:
        """Send a text message (see :meth:`AsyncWebSocket.send_text`)."""
        self._portal.call(self._async().send_text, text)

    def send_bytes(self, data: bytes | bytearray | memoryview) -> None:
        """Send a binary message (see :meth:`AsyncWebSocket.send_bytes`)."""
        self._portal.call(self._async().send_bytes, data)

    def send(self, message: str | bytes | bytearray | memoryview) -> None:
        """Send text (``str``) or binary (bytes) (see :meth:`AsyncWebSocket.send`)."""
        self._portal.call(self._async().send, message)

    def ping(self, payload: bytes = b"") -> None:
        """Send a ping and wait for its pong (see :meth:`AsyncWebSocket.ping`)."""
        self._portal.call(self._async().ping, payload)

    def close(self, code: int = 1000, reason: str = "") -> None:
        """Run the close handshake (see :meth:`AsyncWebSocket.close`)."""
        self._portal.call(self._async().close, code, reason)

    def abort(self) -> None:
        """Close the connection without a close handshake (see :meth:`AsyncWebSocket.abort`)."""
        self._portal.call(self._async().abort)

    def receive(self, timeout: float | None = None) -> str | bytes:
        """The next message, waiting at most ``timeout`` seconds (None: no limit).

        Raises:
            ReadTimeout: no message within ``timeout`` (the socket stays open).
            WebSocketClosed: the socket is closed (see :meth:`AsyncWebSocket.receive`).
            WebSocketProtocolError: the peer broke the protocol.
        """
        message: str | bytes = self._portal.call(self._receive, timeout)
        return message

    def receive_text(self, timeout: float | None = None) -> str:
        """The next message, which must be text (see :meth:`AsyncWebSocket.receive_text`)."""
        text: str = self._portal.call(self._receive_as, self._async().receive_text, timeout)
        return text

    def receive_bytes(self, timeout: float | None = None) -> bytes:
        """The next message, which must be binary (see :meth:`AsyncWebSocket.receive_bytes`)."""
        data: bytes = self._portal.call(self._receive_as, self._async().receive_bytes, timeout)
        return data

    def __iter__(self) -> Iterator[str | bytes]:
        """Messages until the socket closes normally (1000, 1001, 1005); other closes raise."""
        while True:
            try:
                yield self.receive()
            except WebSocketClosed as exc:
                if exc.code in _NORMAL_CLOSES:
                    return
                raise

    async def _receive(self, timeout: float | None) -> str | bytes:
        message: str | bytes = await self._receive_as(self._async().receive, timeout)
        return message

    @staticmethod
    async def _receive_as(receive: Any, timeout: float | None) -> Any:
        if timeout is None:
            return await receive()
        with trio.move_on_after(timeout):
            return await receive()
        raise ReadTimeout(f"no WebSocket message within {timeout} s")

    def __repr__(self) -> str:
        return f"<WebSocket {self._socket!r}>"


class _LeftWithError(Exception):
    """The blocking block raised: leave the async block the same way (close 1011 or abort)."""

    def __init__(self, exc_type: type[BaseException]) -> None:
        super().__init__(exc_type.__name__)
        self.exc_type = exc_type
