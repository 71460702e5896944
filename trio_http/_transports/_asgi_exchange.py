"""One request/response between the caller and an ASGI app task.

How this works. :class:`~trio_http.ASGITransport` builds the app's scope
with :func:`build_http_scope` and runs the app as a task of its own;
the app and the caller meet in an :class:`ASGIExchange`:

* ``receive()`` hands the app the request body as it is read from
  ``request.stream``, chunk by chunk; once it is complete, ``receive()``
  waits until the client goes away and then returns ``http.disconnect``.
* ``send()`` records ``http.response.start`` (which lets
  ``handle_async_request`` return the :class:`Response`) and passes body
  chunks through a small bounded channel, so a slow reader slows the app
  down and a fast app never fills memory.
* Closing the response early (or cancelling the request) marks the client
  disconnected: a waiting ``receive()`` returns ``http.disconnect``, further
  ``send()`` calls raise :class:`ClientDisconnected` (an ``OSError``, as ASGI
  spec 2.4 asks), and after :data:`DISCONNECT_GRACE_S` the app task is
  cancelled.

The response body ends only when the app has returned, so background work
the app does after its last chunk has finished, and an error it raises late
is still reported.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from typing import TYPE_CHECKING, Any, final
from urllib.parse import unquote

import trio

from .._exceptions import ReadError
from .._streams import AsyncByteStream, BytesContent
from ._base import request_deadlines

if TYPE_CHECKING:
    from .._request import Request

__all__ = [
    "BODY_CHANNEL_CHUNKS",
    "DISCONNECT_GRACE_S",
    "ASGIApp",
    "ASGIExchange",
    "ASGIResponseStream",
    "ClientDisconnected",
    "Message",
    "Scope",
    "build_http_scope",
    "wait_app_done",
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# After the client goes away, the app gets this long to notice
# http.disconnect (or an OSError from send) and return before it is cancelled.
DISCONNECT_GRACE_S = 1.0
# Body chunks the app may send ahead of the reader.
BODY_CHANNEL_CHUNKS = 8

_DISCONNECT: Message = {"type": "http.disconnect"}


class ClientDisconnected(OSError):
    """Raised by the ASGI ``send()`` once the client has closed the response."""


def build_http_scope(
    request: Request, *, root_path: str, client: tuple[str, int], state: dict[str, Any]
) -> Scope:
    """The ASGI ``http`` scope of ``request``; ``state`` is copied, not shared.

    Args:
        request: the request the app is to handle.
        root_path: where the app is mounted.
        client: the ``(host, port)`` the app sees as the client.
        state: the lifespan state, copied into the scope.
    """
    url = request.url
    path = url.path or "/"
    headers = [
        (name.lower().encode("latin-1"), value.encode("latin-1"))
        for name, value in request.headers.multi_items()
    ]
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": request.method,
        "scheme": url.scheme,
        "path": unquote(path),
        "raw_path": path.encode("ascii"),
        "query_string": url.query.encode("ascii"),
        "root_path": root_path,
        "headers": headers,
        "client": client,
        "server": (url.host, url.effective_port),
        "state": dict(state),
        "extensions": {},
    }


def _request_body_length(request: Request) -> int | None:
    """The body's size: the stream's own, else a valid ``Content-Length``.

    With a length the app sees ``more_body: False`` on the last chunk, as
    from a server; without one, an empty final message ends the body.
    """
    length = request.stream.length
    if length is not None:
        return length
    value = request.headers.get("Content-Length")
    if value is not None and value.isascii() and value.isdigit():
        return int(value)
    return None


class ASGIExchange:
    """One request/response between the caller and the app task."""

    __slots__ = (
        "app_done",
        "app_error",
        "body_receive",
        "body_send",
        "cancel_scope",
        "disconnected",
        "finished",
        "headers",
        "request",
        "request_body_error",
        "request_complete",
        "request_iterator",
        "request_remaining",
        "response_complete",
        "started",
        "status",
    )

    def __init__(self, request: Request) -> None:
        self.request = request
        self.request_complete = False
        self.request_iterator: AsyncIterator[bytes] | None = None
        self.request_remaining = _request_body_length(request)
        self.request_body_error: BaseException | None = None
        self.status: int | None = None
        self.headers: list[tuple[bytes, bytes]] = []
        self.started = trio.Event()
        self.finished = trio.Event()  # response complete or client gone
        self.app_done = trio.Event()
        self.app_error: BaseException | None = None
        self.disconnected = False
        self.response_complete = False
        self.cancel_scope = trio.CancelScope()
        self.body_send, self.body_receive = trio.open_memory_channel[bytes](BODY_CHANNEL_CHUNKS)

    # -- the ASGI callables ------------------------------------------------

    async def receive(self) -> Message:
        # Checked first so a receive() under an already-cancelled scope (a
        # "poll" some frameworks do) leaves the request body untouched.
        await trio.lowlevel.checkpoint_if_cancelled()
        if self.disconnected or self.response_complete:
            return dict(_DISCONNECT)
        if not self.request_complete:
            return await self._receive_body()
        await self.finished.wait()
        return dict(_DISCONNECT)

    async def _receive_body(self) -> Message:
        stream = self.request.stream
        if type(stream) is BytesContent:
            self.request_complete = True
            return {"type": "http.request", "body": stream.body, "more_body": False}
        iterator = self.request_iterator
        if iterator is None:
            iterator = self.request_iterator = aiter(stream)
        try:
            chunk = await anext(iterator)
        except StopAsyncIteration:
            self.request_complete = True
            return {"type": "http.request", "body": b"", "more_body": False}
        except Exception as exc:
            # A failing request body is the caller's error, not the app's.
            self.request_body_error = exc
            raise
        more = True
        if self.request_remaining is not None:
            self.request_remaining -= len(chunk)
            more = self.request_remaining > 0
            if not more:
                self.request_complete = True
        return {"type": "http.request", "body": chunk, "more_body": more}

    async def send(self, message: Message) -> None:
        kind = message.get("type")
        if kind == "http.response.body":
            if self.status is None:
                raise RuntimeError(
                    "ASGI app sent 'http.response.body' before 'http.response.start'"
                )
            if self.response_complete:
                raise RuntimeError("ASGI app sent 'http.response.body' after the response ended")
            if self.disconnected:
                raise ClientDisconnected("the client closed the response")
            body = message.get("body", b"")
            if body:
                try:
                    await self.body_send.send(bytes(body))
                except (trio.BrokenResourceError, trio.ClosedResourceError):
                    raise ClientDisconnected("the client closed the response") from None
            else:
                await trio.lowlevel.checkpoint()
            if not message.get("more_body", False):
                self.response_complete = True
                self.finished.set()
        elif kind == "http.response.start":
            if self.status is not None:
                raise RuntimeError("ASGI app sent 'http.response.start' twice")
            status = message.get("status")
            if type(status) is not int or not 100 <= status <= 999:
                raise RuntimeError(f"ASGI app sent an invalid status {status!r}")
            self.headers = [
                (bytes(name), bytes(value)) for name, value in message.get("headers", ())
            ]
            self.status = status
            self.started.set()
            await trio.lowlevel.checkpoint()
        else:
            raise RuntimeError(f"ASGI app sent an unexpected message type {kind!r}")

    # -- the caller's side -------------------------------------------------

    def disconnect(self) -> None:
        """The client went away: wake the app and refuse further body chunks."""
        if not self.disconnected:
            self.disconnected = True
            self.finished.set()
            self.body_receive.close()

    async def wait_app_done(self) -> None:
        """Give the app a grace period to return, then cancel it (see :func:`wait_app_done`)."""
        await wait_app_done(self.app_done, self.cancel_scope)

    async def close_request_body(self) -> None:
        iterator = self.request_iterator
        self.request_iterator = None
        aclose = getattr(iterator, "aclose", None)
        if aclose is not None:
            with trio.CancelScope(shield=True):
                await aclose()


@final
class ASGIResponseStream(AsyncByteStream):
    """The response body, read from the app task as it sends it.

    Its own iterator, not an async generator: a reader that stops early
    leaves no suspended generator behind for the garbage collector.
    """

    __slots__ = ("_exchange", "_raise_app_exceptions")

    def __init__(self, exchange: ASGIExchange, raise_app_exceptions: bool) -> None:
        self._exchange = exchange
        self._raise_app_exceptions = raise_app_exceptions

    def __aiter__(self) -> ASGIResponseStream:
        return self

    async def __anext__(self) -> bytes:
        exchange = self._exchange
        deadlines = request_deadlines(exchange.request)
        deadline = deadlines.phase("read", trio.current_time())
        with trio.CancelScope(deadline=deadline) as scope:
            try:
                return await exchange.body_receive.receive()
            except trio.EndOfChannel:
                pass
        if scope.cancelled_caught:
            what = "waiting for the ASGI app's response body"
            raise deadlines.expired("read", deadline, what, exchange.request)
        # The channel closes when the app task ends; report how it ended.
        error = exchange.request_body_error or exchange.app_error
        if error is not None:
            if self._raise_app_exceptions or error is exchange.request_body_error:
                raise error
            raise ReadError("the ASGI app failed while sending the response body") from error
        if not exchange.response_complete:
            raise ReadError("the ASGI app returned before completing the response body")
        raise StopAsyncIteration

    async def aclose(self) -> None:
        exchange = self._exchange
        exchange.disconnect()
        await exchange.wait_app_done()


async def wait_app_done(app_done: trio.Event, app_scope: trio.CancelScope) -> None:
    """Give an app ``DISCONNECT_GRACE_S`` to return, then cancel its ``app_scope``.

    A checkpoint. Shielded and bounded (twice the grace at most), so it is
    safe in cleanup under cancellation.
    """
    if app_done.is_set():
        await trio.lowlevel.checkpoint()
        return
    with trio.move_on_after(DISCONNECT_GRACE_S, shield=True):
        await app_done.wait()
    if not app_done.is_set():
        app_scope.cancel()
        with trio.move_on_after(DISCONNECT_GRACE_S, shield=True):
            await app_done.wait()
