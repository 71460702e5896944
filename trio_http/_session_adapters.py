"""The adapters of :class:`~trio_http.Session`, and the clients that send for them.

How this works. ``adapters`` maps URL prefixes to what sends, longest
prefix first, as in requests: an ``HTTPAdapter`` (one for ``"http://"``
and one for ``"https://"`` at first), another requests-style adapter, or a
trio_http transport. For each request the session asks
:meth:`SessionAdapters._options_for` which client options the matching
adapter stands for: an ``HTTPAdapter``'s (pool limits, retries, see
:mod:`._adapter_options`), the session's own for a transport, or ``None``
when the adapter sends by itself and must be handed the prepared request.
Transports are mounted in every client the session opens, routed on
scheme, host and port (:meth:`SessionAdapters._transport_mounts`), so that
redirects and ``parallel()`` reach them too. Mounting changes only this
mapping: an open client is never changed, and clients for the new mounts
are opened when needed.

:class:`SessionAdapters` also holds what every request of a session uses
to reach a client: its TLS and proxy settings, the client for them (one
of the session's, or one for a single call in ``trio_http.get``), the one
portal hop, and what is applied to the response (urllib3's
``raise_on_status``, requests' hooks).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ._adapter_options import ClientOptions, raise_for_retried_status
from ._adapters import BaseAdapter, HTTPAdapter, sends_itself
from ._auth import NetRCAuth
from ._cookie_jar import is_cookie_jar
from ._cookies import Cookies
from ._exceptions import InvalidSchema
from ._sync_loop import SessionClients, StreamPump, send_request
from ._sync_options import (
    ClientSettings,
    client_settings,
    dispatch_hooks,
    mount_pattern,
    netrc_configured,
)
from ._transports._base import AsyncBaseTransport
from ._urls import URL
from ._utils_urls import get_netrc_auth

if TYPE_CHECKING:
    from ._client import AsyncClient
    from ._portal import Portal
    from ._request import Request
    from ._response import Response

__all__ = ["Adapter", "SessionAdapters"]

Adapter = BaseAdapter | AsyncBaseTransport


class SessionAdapters:
    """``mount()`` and ``get_adapter()`` of :class:`~trio_http.Session`, and its clients.

    Attributes:
        adapters: URL prefix -> adapter or transport, longest prefix first.
    """

    # Set by Session.__init__ (documented there).
    adapters: dict[str, Adapter]
    auth: Any
    cookies: Any
    verify: Any
    cert: Any
    proxies: dict[str, str]
    trust_env: bool
    max_redirects: int
    # The session's own client options, its clients, and its netrc (False:
    # not looked up yet).
    _options: ClientOptions
    _clients: SessionClients
    _netrc: NetRCAuth | bool | None
    # A jar assigned by hand and the Cookies view of it (see _session_jar).
    _assigned_jar: tuple[object, Cookies] | None

    def mount(self, prefix: str, adapter: Adapter) -> None:
        """Send requests whose URL starts with ``prefix`` through ``adapter``.

        The longest matching prefix wins, as in requests. ``adapter`` is a
        requests-style adapter (:class:`trio_http.adapters.HTTPAdapter`, a
        subclass, or any object with ``send()`` and ``close()``) or a
        trio_http transport. A transport's prefix is a scheme
        (``"https://"``) or a scheme and host, with an optional port
        (``"http://localhost:8000"``).

        Raises:
            TypeError: ``adapter`` is neither an adapter nor a transport.
            NotImplementedError: a transport's prefix has a path.
            InvalidSchema: a transport's prefix has no ``scheme://``.
        """
        if isinstance(adapter, AsyncBaseTransport):
            mount_pattern(prefix)  # transports route on scheme, host and port
        elif isinstance(adapter, HTTPAdapter):
            adapter.use_session_options(self._options)
        elif not callable(getattr(adapter, "send", None)):
            raise TypeError(
                "Session.mount() takes an adapter (trio_http.adapters.HTTPAdapter or "
                "an object with send() and close()) or a trio_http transport (an "
                f"AsyncBaseTransport), not {type(adapter).__name__}"
            )
        adapters = self.adapters
        adapters[prefix] = adapter
        # Keep the longest prefixes first: shorter ones move behind this one.
        for shorter in [key for key in adapters if len(key) < len(prefix)]:
            adapters[shorter] = adapters.pop(shorter)

    def get_adapter(self, url: str | URL) -> Adapter:
        """The adapter (or transport) mounted for ``url``: the longest matching prefix.

        Raises:
            InvalidSchema: no prefix matches.
        """
        adapter = self._adapter_for(url)
        if adapter is None:
            raise InvalidSchema(f"no connection adapter is mounted for {str(url)!r}")
        return adapter

    def _adapter_for(self, url: str | URL) -> Adapter | None:
        lowered = url.lower()
        for prefix, adapter in self.adapters.items():
            if lowered.startswith(prefix.lower()):
                return adapter
        return None

    def _options_for(self, adapter: Adapter | None) -> ClientOptions | None:
        # The options of the clients that send for ``adapter``; None when
        # the adapter sends by itself.
        if adapter is None or isinstance(adapter, AsyncBaseTransport):
            # A transport is one of the client's mounts; without any adapter
            # the client reports the unusable URL.
            return self._options
        if isinstance(adapter, HTTPAdapter) and not sends_itself(adapter):
            return adapter.client_options(self._options)
        return None

    def _transport_mounts(self) -> dict[str, AsyncBaseTransport]:
        # The transports among the adapters, for the clients to mount.
        return {
            prefix: adapter
            for prefix, adapter in self.adapters.items()
            if isinstance(adapter, AsyncBaseTransport)
        }

    # -- the clients that send ------------------------------------------------

    def _settings(
        self, verify: Any, cert: Any, proxies: Mapping[str, Any] | None
    ) -> ClientSettings:
        return client_settings(
            verify,
            cert,
            proxies,
            session_verify=self.verify,
            session_cert=self.cert,
            session_proxies=self.proxies,
            trust_env=self.trust_env,
        )

    def _request_client(
        self, portal: Portal, settings: ClientSettings, options: ClientOptions
    ) -> AsyncClient:
        # The client a request is sent with; see _OneShotSession.
        return self._open_client(portal, settings, options)

    def _open_client(
        self, portal: Portal, settings: ClientSettings, options: ClientOptions
    ) -> AsyncClient:
        # The session's open client for these settings.
        return self._clients.client_for(
            portal,
            settings,
            cookies=self._session_jar(),
            max_redirects=self.max_redirects,
            adapters=self._transport_mounts(),
            options=options,
        )

    def _exchange(
        self,
        portal: Portal,
        client: AsyncClient,
        request: Request,
        stream: bool,
        send_options: dict[str, Any],
    ) -> tuple[Response, StreamPump | None]:
        # One hop; a streamed body is read through a pump. See _OneShotSession.
        sent = portal.call(send_request, client, request, stream, send_options, self.max_redirects)
        if not stream:
            return sent, None
        pump = StreamPump(portal, sent)
        sent.attach_blocking_body(pump)
        return sent, pump

    def _netrc_auth(self, url: URL) -> Any:
        # requests' order: ~/.netrc's credentials for url's host (the file is
        # read once per session) win over credentials in the URL. Code that
        # replaces trio_http.sessions.get_netrc_auth (as tests of requests
        # code do with requests.sessions') is asked instead, per request:
        # looked up without importing the public module (a layer above);
        # if nobody imported it, nobody replaced it.
        sessions = sys.modules.get(__name__.rpartition(".")[0] + ".sessions")
        lookup = getattr(sessions, "get_netrc_auth", get_netrc_auth)
        if lookup is not get_netrc_auth:
            return lookup(str(url))
        netrc_auth = self._netrc
        if netrc_auth is False:
            netrc_auth = self._netrc = NetRCAuth() if netrc_configured() else None
        if not isinstance(netrc_auth, NetRCAuth) or not netrc_auth.covers(url.host):
            return None
        return netrc_auth

    def _default_auth(self, url: str | URL) -> Any:
        # requests' order: the session's auth, then ~/.netrc.
        if self.auth is not None or not self.trust_env:
            return self.auth
        return self._netrc_auth(url if isinstance(url, URL) else URL(url))

    def _finish(
        self,
        response: Response,
        pump: StreamPump | None,
        options: ClientOptions,
        hooks: Mapping[str, Any] | None,
        request_hooks: Mapping[str, Any] | None,
        **hook_kwargs: Any,
    ) -> Response:
        # urllib3's raise_on_status, then requests' hooks.
        try:
            raise_for_retried_status(options, response)
        except BaseException:
            if pump is not None:
                response.close()
            raise
        if request_hooks is not None or (hooks and hooks.get("response")):
            return dispatch_hooks(response, hooks, request_hooks, **hook_kwargs)
        return response

    def _session_jar(self) -> Cookies:
        jar = self.cookies
        if isinstance(jar, Cookies):
            return jar
        if not is_cookie_jar(jar):
            # A dict or pairs: they become the session's jar.
            jar = self.cookies = Cookies(jar)
            return jar
        # A standard jar assigned by hand (as requests allows) stays the
        # session's own object; a view of it is used here, which reads and
        # writes the same cookies (no copy).
        assigned = self._assigned_jar
        if assigned is None or assigned[0] is not jar:
            assigned = self._assigned_jar = (jar, Cookies(jar))
        return assigned[1]
