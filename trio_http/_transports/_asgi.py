"""Call an ASGI 3 application in-process, streaming both bodies.

How this works. Each request runs the app as its own task, and that task
needs an owner: the transport's nursery, opened by ``async with
ASGITransport(app) as transport`` (or by the client that enters its
transports). A Trio nursery cannot stay open across
``handle_async_request`` returning (the response body is read later, by the
caller), so the transport holds it instead; nothing the transport starts
outlives its ``async with`` block. Using the transport outside that block
raises :class:`~trio_http.ClientStateError`.

The block's own code runs inside that nursery's cancel scope, so closing
the transport must not cancel it: the app tasks live one level down, in a
nursery of their own held open by a host task, and :meth:`aclose` cancels
only that one. The outer nursery is cancelled when the block exits, where
its ``__aexit__`` absorbs the cancellation.

The app and the caller meet in an :class:`_Exchange`:

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

import math
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from typing import TYPE_CHECKING, Any, final
from urllib.parse import unquote

import trio

from .._exceptions import ClientStateError, ReadError, ReadTimeout
from .._headers import Headers
from .._response import Response
from .._streams import AsyncByteStream, BytesContent
from ._base import AsyncBaseTransport

if TYPE_CHECKING:
    from types import TracebackType

    from .._request import Request

__all__ = ["ASGIApp", "ASGITransport", "ClientDisconnected"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# After the client goes away, the app gets this long to notice
# http.disconnect (or an OSError from send) and return before it is cancelled.
DISCONNECT_GRACE_S = 1.0
# Lifespan startup and shutdown must complete within this long.
LIFESPAN_TIMEOUT_S = 30.0
# Body chunks the app may send ahead of the reader.
BODY_CHANNEL_CHUNKS = 8

_DISCONNECT: Message = {"type": "http.disconnect"}


class ClientDisconnected(OSError):
    """Raised by the ASGI ``send()`` once the client has closed the response."""


def _read_deadline(request: Request) -> float:
    timeout = request.extensions.get("timeout")
    read = getattr(timeout, "read", None)
    return math.inf if read is None else trio.current_time() + read


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


class _Exchange:
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
        """Give the app a grace period to return, then cancel it.

        Shielded and bounded, so it is safe in cleanup under cancellation.
        """
        if self.app_done.is_set():
            await trio.lowlevel.checkpoint()
            return
        with trio.move_on_after(DISCONNECT_GRACE_S, shield=True):
            await self.app_done.wait()
        if not self.app_done.is_set():
            self.cancel_scope.cancel()
            with trio.move_on_after(DISCONNECT_GRACE_S, shield=True):
                await self.app_done.wait()

    async def close_request_body(self) -> None:
        iterator = self.request_iterator
        self.request_iterator = None
        aclose = getattr(iterator, "aclose", None)
        if aclose is not None:
            with trio.CancelScope(shield=True):
                await aclose()


@final
class _ASGIResponseStream(AsyncByteStream):
    """The response body, read from the app task as it sends it.

    Its own iterator, not an async generator: a reader that stops early
    leaves no suspended generator behind for the garbage collector.
    """

    __slots__ = ("_exchange", "_raise_app_exceptions")

    def __init__(self, exchange: _Exchange, raise_app_exceptions: bool) -> None:
        self._exchange = exchange
        self._raise_app_exceptions = raise_app_exceptions

    def __aiter__(self) -> _ASGIResponseStream:
        return self

    async def __anext__(self) -> bytes:
        exchange = self._exchange
        with trio.CancelScope(deadline=_read_deadline(exchange.request)) as scope:
            try:
                return await exchange.body_receive.receive()
            except trio.EndOfChannel:
                pass
        if scope.cancelled_caught:
            raise ReadTimeout("the ASGI app sent no body bytes within the read timeout")
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


@final
class ASGITransport(AsyncBaseTransport):
    """Send requests to an ASGI 3 application running in this Trio run.

    The ``async with`` block that opens it owns the app's tasks. A client
    enters its transports, so its own block is enough::

        transport = trio_http.ASGITransport(app)
        async with trio_http.AsyncClient(transport=transport) as client:
            r = await client.get("http://testserver/items")

    Open the transport's own block around the client's to share it between
    clients or to use it after one closes.

    Request and response bodies stream in both directions with
    backpressure. Closing a response early, or cancelling the request,
    delivers ``http.disconnect`` to the app; it is cancelled if it has not
    returned within :data:`DISCONNECT_GRACE_S` seconds. The ``read`` timeout
    applies to waiting for the response start and for each body chunk.

    Args:
        app: the ASGI 3 application (``async def app(scope, receive, send)``).
        raise_app_exceptions: re-raise an exception the app raises (default).
            When false, an error before the response start becomes a 500
            response, and one during the body ends the body with
            :class:`~trio_http.ReadError`.
        root_path: the ``root_path`` scope value (where the app is mounted).
        client: the ``(host, port)`` the app sees as the client.
        lifespan: send ``lifespan.startup`` when the block is entered and
            ``lifespan.shutdown`` when the transport closes.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        raise_app_exceptions: bool = True,
        root_path: str = "",
        client: tuple[str, int] = ("127.0.0.1", 123),
        lifespan: bool = False,
    ) -> None:
        self.app = app
        self.raise_app_exceptions = raise_app_exceptions
        self.root_path = root_path
        self.client = client
        self.lifespan = lifespan
        self._nursery: trio.Nursery | None = None
        self._nursery_manager: Any = None
        # The app and lifespan tasks' nursery, inside self._nursery.
        self._tasks: trio.Nursery | None = None
        self._owner_depth = 0
        self._closed = False
        self._lifespan_state: dict[str, Any] = {}
        self._lifespan_receive: trio.MemorySendChannel[Message] | None = None
        self._lifespan_events: trio.MemoryReceiveChannel[Message] | None = None
        self._lifespan_done = trio.Event()

    # -- lifecycle ---------------------------------------------------------

    async def __aenter__(self) -> ASGITransport:
        """Open the nursery that owns the app's tasks; run lifespan startup.

        Entering an already-open transport again (for example from a client
        that enters its transports) is allowed and does nothing: the first
        block stays the owner.

        Raises:
            ClientStateError: the transport was closed.
            RuntimeError: lifespan startup failed or timed out.
        """
        if self._closed:
            raise ClientStateError("this ASGITransport is closed; create a new one")
        self._owner_depth += 1
        if self._nursery is not None:
            await trio.lowlevel.checkpoint()
            return self
        manager = trio.open_nursery()
        nursery = self._nursery = await manager.__aenter__()
        self._nursery_manager = manager
        try:
            self._tasks = await nursery.start(self._host_tasks)
            if self.lifespan:
                await self._lifespan_startup()
        except BaseException:
            self._owner_depth -= 1
            await self._exit_nursery()
            raise
        return self

    async def _host_tasks(
        self, *, task_status: trio.TaskStatus[trio.Nursery] = trio.TASK_STATUS_IGNORED
    ) -> None:
        # Holds the tasks' nursery open until aclose() (or the block's exit)
        # cancels it.
        async with trio.open_nursery() as tasks:
            task_status.started(tasks)
            await trio.sleep_forever()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._owner_depth -= 1
        if self._owner_depth > 0:
            await trio.lowlevel.checkpoint()
            return
        try:
            await self.aclose()
        finally:
            await self._exit_nursery()

    async def _exit_nursery(self) -> None:
        # The caller's exception is not passed in: the nursery only holds the
        # app's tasks, and Trio would wrap the caller's error in a group.
        self._closed = True
        nursery, manager = self._nursery, self._nursery_manager
        self._nursery = self._nursery_manager = self._tasks = None
        if nursery is None:
            return
        # No checkpoint between this cancel and the nursery's __aexit__,
        # which absorbs the Cancelled it delivers to this task.
        nursery.cancel_scope.cancel()
        await manager.__aexit__(None, None, None)

    async def aclose(self) -> None:
        """Stop accepting requests, run lifespan shutdown, cancel running apps.

        Idempotent and a checkpoint. The owning ``async with`` block calls
        it; a client closing its transports calls it too.
        """
        if self._closed:
            await trio.lowlevel.checkpoint()
            return
        self._closed = True
        try:
            with trio.CancelScope(shield=True):
                if self._lifespan_receive is not None:
                    await self._lifespan_shutdown()
        finally:
            # Only the tasks' nursery: the caller may be running inside the
            # outer one (its async with block), and must not be cancelled.
            if self._tasks is not None:
                self._tasks.cancel_scope.cancel()
        await trio.lowlevel.checkpoint()

    # -- lifespan ----------------------------------------------------------

    async def _lifespan_startup(self) -> None:
        assert self._tasks is not None
        to_app, from_transport = trio.open_memory_channel[Message](1)
        to_transport, events = trio.open_memory_channel[Message](1)
        self._lifespan_receive = to_app
        self._lifespan_events = events
        self._tasks.start_soon(self._run_lifespan, from_transport, to_transport)
        await to_app.send({"type": "lifespan.startup"})
        reply = await self._lifespan_reply("startup")
        if reply.get("type") != "lifespan.startup.complete":
            self._lifespan_receive = None
            raise RuntimeError(f"ASGI lifespan startup failed: {reply.get('message', '')}")

    async def _lifespan_shutdown(self) -> None:
        to_app, self._lifespan_receive = self._lifespan_receive, None
        assert to_app is not None
        try:
            await to_app.send({"type": "lifespan.shutdown"})
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            return
        reply = await self._lifespan_reply("shutdown")
        if reply.get("type") != "lifespan.shutdown.complete":
            raise RuntimeError(f"ASGI lifespan shutdown failed: {reply.get('message', '')}")

    async def _lifespan_reply(self, phase: str) -> Message:
        assert self._lifespan_events is not None
        with trio.move_on_after(LIFESPAN_TIMEOUT_S):
            try:
                return await self._lifespan_events.receive()
            except trio.EndOfChannel:
                return {
                    "type": f"lifespan.{phase}.failed",
                    "message": "the app returned from the lifespan scope",
                }
        return {"type": f"lifespan.{phase}.failed", "message": "timed out"}

    async def _run_lifespan(
        self,
        from_transport: trio.MemoryReceiveChannel[Message],
        to_transport: trio.MemorySendChannel[Message],
    ) -> None:
        scope: Scope = {
            "type": "lifespan",
            "asgi": {"version": "3.0", "spec_version": "2.0"},
            "state": self._lifespan_state,
        }

        async def receive() -> Message:
            return await from_transport.receive()

        async def send(message: Message) -> None:
            await to_transport.send(message)

        async with to_transport:
            try:
                await self.app(scope, receive, send)
            except Exception as exc:
                # Background tasks hand their errors to whoever waits on them.
                try:
                    to_transport.send_nowait(
                        {"type": "lifespan.startup.failed", "message": repr(exc)}
                    )
                except (trio.WouldBlock, trio.BrokenResourceError):
                    pass

    # -- requests ----------------------------------------------------------

    def _build_scope(self, request: Request) -> Scope:
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
            "root_path": self.root_path,
            "headers": headers,
            "client": self.client,
            "server": (url.host, url.effective_port),
            "state": dict(self._lifespan_state),
            "extensions": {},
        }

    async def handle_async_request(self, request: Request) -> Response:
        """Run the app for ``request``; return when it starts the response.

        A checkpoint. Cancellation delivers ``http.disconnect`` to the app.

        Raises:
            ClientStateError: the transport is not open.
            ReadTimeout: no response start within the read timeout.
            Exception: whatever the app raised, if ``raise_app_exceptions``.
        """
        nursery = self._tasks
        if nursery is None or self._closed:
            raise ClientStateError(
                "the ASGITransport is not open: use it inside "
                "'async with trio_http.ASGITransport(app) as transport:'"
            )
        exchange = _Exchange(request)
        nursery.start_soon(self._run_app, self._build_scope(request), exchange)
        try:
            with trio.CancelScope(deadline=_read_deadline(request)) as scope:
                await exchange.started.wait()
            if scope.cancelled_caught:
                raise ReadTimeout(
                    "the ASGI app sent no 'http.response.start' within the read timeout",
                    request=request,
                )
        except BaseException:
            exchange.disconnect()
            await exchange.wait_app_done()
            raise
        if exchange.status is None:
            # The app ended without starting a response.
            error = exchange.request_body_error or exchange.app_error
            if error is None:
                error = RuntimeError("ASGI app returned without sending 'http.response.start'")
            if self.raise_app_exceptions or error is exchange.request_body_error:
                raise error
            return Response(500, request=request, headers=[("Content-Length", "0")])
        return Response(
            exchange.status,
            headers=Headers(
                [
                    (name.decode("latin-1"), value.decode("latin-1"))
                    for name, value in exchange.headers
                ]
            ),
            stream=_ASGIResponseStream(exchange, self.raise_app_exceptions),
            request=request,
            http_version="HTTP/1.1",
        )

    async def _run_app(self, scope: Scope, exchange: _Exchange) -> None:
        try:
            with exchange.cancel_scope:
                try:
                    await self.app(scope, exchange.receive, exchange.send)
                except Exception as exc:
                    if not exchange.disconnected:
                        exchange.app_error = exc
        finally:
            await exchange.close_request_body()
            exchange.body_send.close()
            exchange.app_done.set()
            exchange.finished.set()
            # Wakes handle_async_request when the app never started a response.
            exchange.started.set()
