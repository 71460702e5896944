"""``AsyncClient.websocket()``: the method, light to import.

The work is :class:`~._websocket_connect.WebSocketConnect`'s, imported
with the first WebSocket (with wsproto, an optional dependency): a client
that never opens one does not load it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from ._client_defaults import USE_CLIENT_DEFAULT, _UseClientDefault
from ._websocket_handshake import (
    DEFAULT_CLOSE_TIMEOUT,
    DEFAULT_MAX_MESSAGE_SIZE,
    DEFAULT_MAX_QUEUE,
    DEFAULT_PING_TIMEOUT,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ._client import AsyncClient
    from ._request_options import AuthTypes
    from ._types import CookieTypes, HeaderTypes, QueryParamTypes, TimeoutTypes, URLTypes
    from ._websocket_connect import WebSocketConnect

__all__ = ["WebSocketClient"]


class WebSocketClient:
    """The ``websocket`` method of :class:`AsyncClient` (a base class of it)."""

    def websocket(
        self,
        url: URLTypes,
        *,
        subprotocols: Sequence[str] | None = None,
        headers: HeaderTypes | None = None,
        params: QueryParamTypes | None = None,
        cookies: CookieTypes | None = None,
        auth: AuthTypes | _UseClientDefault = USE_CLIENT_DEFAULT,
        timeout: TimeoutTypes | _UseClientDefault = USE_CLIENT_DEFAULT,
        max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE,
        max_queue: int = DEFAULT_MAX_QUEUE,
        ping_interval: float | None = None,
        ping_timeout: float | None = DEFAULT_PING_TIMEOUT,
        close_timeout: float = DEFAULT_CLOSE_TIMEOUT,
        compression: bool = True,
        http2: bool | None = None,
    ) -> WebSocketConnect:
        """Open a WebSocket to ``url``; use the result as an async context manager.

        ::

            async with client.websocket("wss://example.org/chat") as ws:
                await ws.send_text("hello")
                reply = await ws.receive()

        Not a checkpoint itself; entering the block is (the handshake). The
        block owns the socket: its reader task lives in a nursery of the
        block, and leaving the block closes the socket (see :doc:`websockets`).

        Args:
            url: ``ws://``, ``wss://``, ``http://`` or ``https://``; joined
                onto the client's ``base_url`` when relative.
            subprotocols: offered in order of preference; the server's
                choice is ``ws.subprotocol``.
            headers: extra handshake headers, merged over the client's.
            params: query parameters, merged over the client's.
            cookies: extra cookies for the handshake.
            auth: overrides the client's auth (challenges are not answered:
                the handshake is sent once).
            timeout: for connecting and the handshake (the client's by
                default); an open socket has no read timeout.
            max_message_size: the largest message accepted, in bytes (in
                characters for text), after decompression; a larger one
                fails the socket with :class:`WebSocketMessageTooBig`
                (close code 1009). Default 4 MiB.
            max_queue: received messages kept waiting for :meth:`AsyncWebSocket.receive`
                before the socket stops reading (backpressure). Default 32.
            ping_interval: send a keep-alive ping this often (seconds);
                None (default): no keep-alive pings.
            ping_timeout: fail the socket (:class:`WebSocketClosed`, code
                1011) when a keep-alive ping's pong takes longer. Default 20 s.
            close_timeout: how long closing waits for the peer's close
                frame before closing the connection. Default 10 s.
            compression: offer permessage-deflate (RFC 7692).
            http2: ``False``: always use an HTTP/1.1 connection of its own;
                otherwise an HTTP/2 connection to the origin is used when
                the client speaks HTTP/2 and the server allows WebSockets on
                it (RFC 8441).

        Returns:
            A :class:`~trio_http._websocket_connect.WebSocketConnect`, whose
            block yields an :class:`AsyncWebSocket`.

        Raises:
            ValueError: a limit below 1 (raised here, not when entering).
        """
        if max_message_size < 1 or max_queue < 1:
            raise ValueError("max_message_size and max_queue must be at least 1")
        from ._websocket_connect import WebSocketConnect

        return WebSocketConnect(
            cast("AsyncClient", self),
            url,
            options={
                "subprotocols": list(subprotocols or ()),
                "headers": headers,
                "params": params,
                "cookies": cookies,
                "auth": auth,
                "timeout": timeout,
                "max_message_size": max_message_size,
                "max_queue": max_queue,
                "ping_interval": ping_interval,
                "ping_timeout": ping_timeout,
                "close_timeout": close_timeout,
                "compression": compression,
                "http2": http2,
            },
        )
