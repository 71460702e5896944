"""``Session.websocket()``: the method, light to import.

The blocking :class:`~._websocket_sync.WebSocket` and the async machinery
load with the first WebSocket a session opens.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._client_defaults import USE_CLIENT_DEFAULT
from ._portal import get_portal
from ._sync_options import request_options
from ._websocket_handshake import (
    DEFAULT_CLOSE_TIMEOUT,
    DEFAULT_MAX_MESSAGE_SIZE,
    DEFAULT_MAX_QUEUE,
    DEFAULT_PING_TIMEOUT,
    http_url_for,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ._adapter_options import ClientOptions
    from ._client import AsyncClient
    from ._client_defaults import _UseClientDefault
    from ._portal import Portal
    from ._sync_options import ClientSettings
    from ._types import CookieTypes, QueryParamTypes, SessionHeaderTypes, TimeoutTypes
    from ._urls import URL
    from ._websocket_sync import WebSocket

__all__ = ["SessionWebSockets"]


class SessionWebSockets:
    """The ``websocket`` method of :class:`Session` (a base class of it)."""

    if TYPE_CHECKING:
        headers: Any
        params: Any
        timeout: Any
        _options: ClientOptions

        def _default_auth(self, url: str | URL) -> Any: ...
        def _settings(self, verify: Any, cert: Any, proxies: Any) -> ClientSettings: ...
        def _open_client(
            self, portal: Portal, settings: ClientSettings, options: ClientOptions
        ) -> AsyncClient: ...

    def websocket(
        self,
        url: str | URL,
        *,
        subprotocols: Sequence[str] | None = None,
        headers: SessionHeaderTypes | None = None,
        params: QueryParamTypes | None = None,
        cookies: CookieTypes | None = None,
        auth: Any = None,
        timeout: TimeoutTypes | _UseClientDefault = USE_CLIENT_DEFAULT,
        max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE,
        max_queue: int = DEFAULT_MAX_QUEUE,
        ping_interval: float | None = None,
        ping_timeout: float | None = DEFAULT_PING_TIMEOUT,
        close_timeout: float = DEFAULT_CLOSE_TIMEOUT,
        compression: bool = True,
        http2: bool | None = None,
    ) -> WebSocket:
        """Open a blocking WebSocket; use the result as a context manager.

        ::

            with trio_http.Session() as s, s.websocket("wss://example.org/chat") as ws:
                ws.send_text("hello")
                print(ws.receive(timeout=5))

        The session's headers, params, auth and cookies apply to the
        handshake; the other arguments are those of
        :meth:`AsyncClient.websocket`. Not blocking itself: entering the
        block does the handshake (one portal hop), leaving it closes.

        Args:
            timeout: for connecting and the handshake: seconds, a
                :class:`Timeouts`, or ``None`` for no limit; by default the
                session's :attr:`timeout`.

        Returns:
            A :class:`WebSocket`.
        """
        portal = get_portal()
        target = http_url_for(url if not isinstance(url, str) else _url(url))
        client = self._open_client(portal, self._settings(None, None, None), self._options)
        build, send = request_options(
            self.headers,
            self.params,
            self._default_auth(target) if auth is None else None,
            params=params,
            headers=headers,
            cookies=cookies,
            auth=auth,
        )
        connect = client.websocket(
            url,
            subprotocols=subprotocols,
            headers=build["headers"],
            params=build["params"],
            cookies=build["cookies"],
            auth=send["auth"],
            timeout=self.timeout if timeout is USE_CLIENT_DEFAULT else timeout,
            max_message_size=max_message_size,
            max_queue=max_queue,
            ping_interval=ping_interval,
            ping_timeout=ping_timeout,
            close_timeout=close_timeout,
            compression=compression,
            http2=http2,
        )
        from ._websocket_sync import WebSocket

        return WebSocket(portal, connect)


def _url(url: str) -> URL:
    from ._urls import URL

    return URL(url)
