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

The app and the caller meet in an
:class:`~trio_http._transports._asgi_exchange.ASGIExchange`, which turns
the request body into ``http.request`` messages and the app's
``http.response.*`` messages into a :class:`Response` with a streaming
body; see that module. A WebSocket handshake meets the app in an
:class:`~trio_http._transports._asgi_websocket.ASGIWebSocket` instead, the
same way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, final

import trio

from .._exceptions import ClientStateError
from .._headers import Headers
from .._response import Response
from ._asgi_exchange import ASGIApp as ASGIApp
from ._asgi_exchange import (
    ASGIExchange,
    ASGIResponseStream,
    Message,
    Scope,
    build_http_scope,
)
from ._asgi_exchange import ClientDisconnected as ClientDisconnected
from ._base import AsyncBaseTransport, request_deadlines

if TYPE_CHECKING:
    from types import TracebackType

    from .._request import Request
    from ._asgi_websocket import ASGIWebSocket, ASGIWebSocketStream

__all__ = ["ASGIApp", "ASGITransport", "ClientDisconnected"]

# Lifespan startup and shutdown must complete within this long.
LIFESPAN_TIMEOUT_S = 30.0


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
    returned within one second (``DISCONNECT_GRACE_S``). The ``read`` timeout
    applies to waiting for the response start and for each body chunk.

    WebSocket routes run with an ASGI ``websocket`` scope (``websocket``
    extra: wsproto), so ``client.websocket("ws://testserver/ws")`` talks to
    them in process; the ``read`` timeout applies to waiting for the app to
    accept. The app closing before it accepts refuses the handshake with a
    403 (or the response it sends through the ``websocket.http.response``
    extension); an app that fails after accepting closes the socket with
    1011.

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
        exchange = ASGIExchange(request)
        nursery.start_soon(
            self._run_app,
            build_http_scope(
                request,
                root_path=self.root_path,
                client=self.client,
                state=self._lifespan_state,
            ),
            exchange,
        )
        try:
            await _wait_for_app(
                exchange.started, request, "waiting for the ASGI app's 'http.response.start'"
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
            stream=ASGIResponseStream(exchange, self.raise_app_exceptions),
            request=request,
            http_version="HTTP/1.1",
        )

    async def handle_async_upgrade(
        self, request: Request
    ) -> tuple[Response, ASGIWebSocketStream | None]:
        """Run the app with a ``websocket`` scope for the handshake ``request``.

        A checkpoint; returns when the app has answered the handshake. On
        ``websocket.accept`` the response is a 101 and the stream speaks
        WebSocket frames with the app (see
        :mod:`~trio_http._transports._asgi_websocket`); on a refusal the
        stream is None and the response holds a 403 or the app's own
        ``websocket.http.response``. Cancellation disconnects the app.

        Raises:
            ClientStateError: the transport is not open.
            ReadTimeout: the app did not answer within the read timeout.
            Exception: whatever the app raised before answering, if
                ``raise_app_exceptions`` (otherwise a 500 response).
        """
        from ._asgi_websocket import (  # wsproto is an optional dependency
            ASGIWebSocket,
            ASGIWebSocketStream,
            Decision,
            build_websocket_scope,
        )

        nursery = self._tasks
        if nursery is None or self._closed:
            raise ClientStateError(
                "the ASGITransport is not open: use it inside "
                "'async with trio_http.ASGITransport(app) as transport:'"
            )
        socket = ASGIWebSocket(request)
        scope = build_websocket_scope(
            request, root_path=self.root_path, client=self.client, state=self._lifespan_state
        )
        nursery.start_soon(self._run_websocket_app, scope, socket)
        stream = ASGIWebSocketStream(socket)
        try:
            await _wait_for_app(
                socket.decided, request, "waiting for the ASGI app to accept the WebSocket"
            )
            if socket.decision is not Decision.ACCEPTED:
                await stream.aclose()
        except BaseException:
            await stream.aclose()
            raise
        response = socket.handshake_response(self.raise_app_exceptions)
        return response, stream if response.status_code == 101 else None

    async def _run_websocket_app(self, scope: Scope, socket: ASGIWebSocket) -> None:
        # Cancelled (the transport closing, or the grace period after the
        # client left) unless the app returned or raised by itself.
        cancelled = True
        try:
            with socket.cancel_scope:
                try:
                    await self.app(scope, socket.receive, socket.send)
                except Exception as exc:
                    socket.app_error = exc
                cancelled = False
        finally:
            socket.app_finished(cancelled=cancelled)

    async def _run_app(self, scope: Scope, exchange: ASGIExchange) -> None:
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


async def _wait_for_app(event: trio.Event, request: Request, what: str) -> None:
    """Wait for the app's answer under the request's read deadline; ``what`` names it.

    Raises:
        ReadTimeout: the deadline passed first.
    """
    deadlines = request_deadlines(request)
    deadline = deadlines.phase("read", trio.current_time())
    with trio.CancelScope(deadline=deadline) as scope:
        await event.wait()
    if scope.cancelled_caught:
        raise deadlines.expired("read", deadline, what, request)
