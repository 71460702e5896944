"""The block of ``AsyncClient.websocket()``: the handshake with the client's defaults.

How this works. :class:`WebSocketConnect` is what ``client.websocket(url)``
returns. Entering it builds a ``GET`` with the client's ``build_request``
(so base URL, params, headers and cookies apply; ``ws``/``wss`` become
``http``/``https``), adds auth and the handshake headers of
:mod:`._websocket_handshake`, and hands it to the transport for the URL
(``handle_async_upgrade``: a fresh HTTP/1.1 connection, an HTTP/2 stream,
or an in-process app). The response is checked, the agreed extensions
set up, and an :class:`AsyncWebSocket` is returned with its reader (and
keep-alive) task running in a nursery this object owns. Leaving the block
closes the socket: the close handshake on a normal exit (1011 when the
block raised), an immediate close when it was cancelled; the nursery's
tasks end before the block does.

The nursery is entered and exited by hand (as the client's own is) so that
an exception from the block reaches the caller as it is, never wrapped in
an exception group: the socket's tasks never raise.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, final

import trio

from ._client_defaults import call_hook
from ._client_flow import failure_checkpoint
from ._config import Timeouts
from ._deadlines import Deadlines
from ._exceptions import RequestException, WebSocketHandshakeError
from ._response import Response
from ._websocket_handshake import (
    check_handshake,
    handshake_headers,
    http_url_for,
    new_key,
)

if TYPE_CHECKING:
    from types import TracebackType

    from ._auth import Auth
    from ._client import AsyncClient
    from ._cookies import Cookies
    from ._request import Request
    from ._types import URLTypes
    from ._websocket import AsyncWebSocket

__all__ = ["MAX_REFUSAL_BODY", "WebSocketConnect"]

MAX_REFUSAL_BODY = 64 * 1024  # bytes of a refused handshake's body kept on the error
_DEFLATE = "permessage-deflate"


@final
class WebSocketConnect:
    """The block of one WebSocket: ``async with client.websocket(url) as ws:``."""

    def __init__(self, client: AsyncClient, url: URLTypes, options: dict[str, Any]) -> None:
        self._client = client
        self._url = url
        self._options = options
        self._socket: AsyncWebSocket | None = None
        self._manager: Any = None
        self._nursery: trio.Nursery | None = None

    async def __aenter__(self) -> AsyncWebSocket:
        if self._manager is not None or self._socket is not None:
            await trio.lowlevel.checkpoint()
            raise RuntimeError("a websocket() block can be entered once")
        try:
            socket = await self._open()
        except Exception:
            await failure_checkpoint()
            raise
        manager = trio.open_nursery()
        try:
            nursery = await manager.__aenter__()
        except BaseException:
            await socket.abort()
            raise
        self._manager, self._nursery, self._socket = manager, nursery, socket
        nursery.start_soon(socket._run_reader)
        nursery.start_soon(socket._run_writer)
        if self._options["ping_interval"] is not None:
            nursery.start_soon(socket._run_keepalive)
        return socket

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        socket, manager, nursery = self._socket, self._manager, self._nursery
        assert socket is not None and manager is not None and nursery is not None
        self._manager = None
        try:
            if exc_type is None:
                await socket.close()
            elif issubclass(exc_type, Exception):
                await socket.close(1011, "the client failed")
            else:
                # Cancelled, KeyboardInterrupt: no handshake, just close.
                await socket.abort()
        except trio.Cancelled:
            if exc is None:
                raise
        finally:
            with trio.CancelScope(shield=True):
                await socket.abort()
            nursery.cancel_scope.cancel()
            # The block's own exception propagates as it is: the nursery's
            # tasks never raise, so this only waits for them to end.
            await manager.__aexit__(None, None, None)

    # -- the handshake --------------------------------------------------------

    async def _open(self) -> AsyncWebSocket:
        try:
            from wsproto.extensions import Extension
        except ImportError as exc:  # pragma: no cover - the extra is installed for tests
            raise ImportError(
                "WebSockets need the 'websocket' extra: pip install 'trio_http[websocket]'"
            ) from exc

        from ._websocket import AsyncWebSocket
        from ._websocket_deflate import BoundedDeflate

        client, options = self._client, self._options
        client._scope.check_open()
        url = http_url_for(client._merge_url(self._url))
        request = client.build_request(
            "GET",
            url,
            params=options["params"],
            headers=options["headers"],
            cookies=options["cookies"],
            timeout=options["timeout"],
        )
        deflate = BoundedDeflate(options["max_message_size"]) if options["compression"] else None
        offer: str | None = None
        if deflate is not None:
            params = deflate.offer()
            offer = f"{_DEFLATE}; {params}" if isinstance(params, str) and params else _DEFLATE
        key = new_key()
        subprotocols: list[str] = options["subprotocols"]
        for name, value in handshake_headers(key, subprotocols, offer):
            request.headers[name] = value
        request.extensions["upgrade"] = "websocket"
        if options["http2"] is not None:
            request.extensions["http2"] = options["http2"]
        request = _authenticated(client._build_auth(request, options["auth"]), request)
        jar: Cookies | None = request.extensions.get("cookies")
        (jar if jar is not None else client.cookies).set_cookie_header(request)
        request.deadlines = Deadlines.start(
            Timeouts.from_value(request.extensions["timeout"]), trio.current_time()
        )
        for hook in client.event_hooks["request"]:
            await call_hook(hook, request)
        try:
            response, stream = await client._router.handle_async_upgrade(request)
        except RequestException as exc:
            if exc.request is None:
                exc.request = request
            raise
        try:
            if "Set-Cookie" in response.headers:
                client.cookies.extract_cookies(response)
            for hook in client.event_hooks["response"]:
                await call_hook(hook, response)
        except BaseException:
            with trio.CancelScope(shield=True):
                if stream is not None:
                    await stream.aclose()
                else:
                    await response.aclose()
            raise
        if stream is None:
            raise await _refusal(response, key, subprotocols)
        try:
            negotiated = check_handshake(response, key, subprotocols, [_DEFLATE] if deflate else [])
        except WebSocketHandshakeError:
            await stream.aclose()
            raise
        extensions: list[Extension] = []
        for name, params in negotiated.extensions:
            assert deflate is not None and name == _DEFLATE
            deflate.finalize(params)
            extensions.append(deflate)
        return AsyncWebSocket(
            stream,
            response,
            subprotocol=negotiated.subprotocol,
            extensions=extensions,
            max_message_size=options["max_message_size"],
            max_queue=options["max_queue"],
            ping_interval=options["ping_interval"],
            ping_timeout=options["ping_timeout"],
            close_timeout=options["close_timeout"],
        )


def _authenticated(auth: Auth | None, request: Request) -> Request:
    """The request as the auth scheme first sends it (the handshake is sent once)."""
    if auth is None:
        return request
    flow = auth.auth_flow(request)
    try:
        return next(flow)
    except StopIteration:
        return request
    finally:
        flow.close()


async def _refusal(response: Response, key: str, subprotocols: list[str]) -> Exception:
    """The error for a refused handshake, its response's body read (bounded) and closed."""
    body = bytearray()
    chunks = aiter(response.stream)
    try:
        async for chunk in chunks:
            body += chunk
            if len(body) >= MAX_REFUSAL_BODY:
                break
    except RequestException:
        pass  # what arrived is enough for the error
    finally:
        close = getattr(chunks, "aclose", None)
        if close is not None:
            await close()
        await response.aclose()
    kept = Response(
        response.status_code,
        headers=response.headers,
        content=bytes(body[:MAX_REFUSAL_BODY]),
        request=response.request,
        http_version=response.http_version,
        reason_phrase=response.reason_phrase,
    )
    try:
        check_handshake(kept, key, subprotocols, [])
    except WebSocketHandshakeError as exc:
        return exc
    return WebSocketHandshakeError(
        f"the transport returned no stream for the {response.status_code} handshake response",
        response=kept,
    )
