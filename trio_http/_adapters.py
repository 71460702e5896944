"""requests' transport adapters: ``BaseAdapter`` and ``HTTPAdapter``.

How this works. In requests a session picks an adapter by URL prefix and
the adapter sends the prepared request through its urllib3 pool. Here the
pools are :class:`AsyncClient` objects in the portal's loop, and an
``HTTPAdapter`` describes the options of the clients that send for it
(:meth:`HTTPAdapter.client_options`: pool limits from ``pool_maxsize`` and
``pool_block``, retries from ``max_retries``; see :mod:`._adapter_options`).

While an adapter's ``send()`` and the methods it calls are
``HTTPAdapter``'s own, a session sends through its own clients with those
options, redirects and cookies handled in the loop, in one hop. A subclass
that overrides ``send()``, ``add_headers()``, ``request_url()`` or
``build_response()`` is called as requests calls it (:func:`sends_itself`):
``Session.send`` hands it a ``PreparedRequest`` on the caller's thread and
follows redirects itself, and :meth:`HTTPAdapter.send` (what
``super().send()`` reaches) sends exactly that one request, keeping no
cookies, through the adapter's own clients.

urllib3's pool machinery (``init_poolmanager``, ``proxy_manager_for``,
``get_connection_with_tls_context``, ``get_connection``, ``cert_verify``)
has no counterpart: calling those raises ``NotImplementedError``, and so
does building a subclass that overrides one (it would never be called).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, ClassVar

from ._adapter_options import (
    ClientOptions,
    limits_for_pool,
    raise_for_retried_status,
    retry_from_requests,
)
from ._config import MAX_REDIRECTS, Timeouts
from ._cookie_jar import cookiejar_module, new_jar
from ._cookie_requests_jar import RequestsCookieJar
from ._cookies import Cookies
from ._portal import get_portal
from ._proxy_config import Proxy
from ._retries import Retry
from ._sync_loop import SessionClients, StreamPump, send_request
from ._sync_options import client_settings

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ._request import Request
    from ._request_options import CertTypes, VerifyTypes
    from ._response import Response
    from ._types import TimeoutTypes

__all__ = [
    "DEFAULT_POOLBLOCK",
    "DEFAULT_POOLSIZE",
    "DEFAULT_POOL_TIMEOUT",
    "DEFAULT_RETRIES",
    "BaseAdapter",
    "HTTPAdapter",
    "sends_itself",
]

DEFAULT_POOLBLOCK = False
DEFAULT_POOLSIZE = 10
DEFAULT_RETRIES = 0
DEFAULT_POOL_TIMEOUT = None

_NO_POOL_MANAGER = (
    "trio_http has no urllib3 pool manager: TLS settings are verify= (a CA path "
    "or an ssl.SSLContext) and cert=, pool sizes HTTPAdapter(pool_maxsize=, "
    "pool_block=) or Session(limits=), proxies proxies="
)
_UNSUPPORTED = (
    "init_poolmanager",
    "proxy_manager_for",
    "get_connection_with_tls_context",
    "get_connection",
    "cert_verify",
)
# What HTTPAdapter.send calls: a subclass overriding one is sent through.
_SEND_STEPS = ("send", "add_headers", "request_url", "build_response")


def _refusing_jar() -> Cookies:
    # An adapter keeps no cookies (the session does): a jar that accepts none.
    # Its class is that of its responses' jars: requests' kind.
    policy = cookiejar_module().DefaultCookiePolicy(allowed_domains=[])
    return RequestsCookieJar(new_jar(policy))


class BaseAdapter:
    """The base of transport adapters: something that sends a ``PreparedRequest``.

    Subclasses implement :meth:`send` and, when they hold resources,
    :meth:`close`. Mount one with ``Session.mount(prefix, adapter)``.
    """

    def send(
        self,
        request: Request,
        stream: bool = False,
        timeout: TimeoutTypes = None,
        verify: VerifyTypes = True,
        cert: CertTypes = None,
        proxies: Mapping[str, str] | None = None,
    ) -> Response:
        """Send ``request`` and return its response (blocking).

        Args:
            request: the prepared request (a ``PreparedRequest``).
            stream: leave the body unread.
            timeout: seconds, a ``(connect, read)`` tuple, a
                :class:`Timeouts`, or ``None`` for no limit.
            verify: ``True``, ``False``, a CA bundle path or an ``ssl.SSLContext``.
            cert: client certificate path or ``(cert, key)``.
            proxies: requests' proxy mapping for this request.
        """
        raise NotImplementedError("a BaseAdapter subclass must implement send()")

    def close(self) -> None:
        """Release what the adapter holds; ``Session.close()`` calls it.

        Does nothing here (requests' raises ``NotImplementedError``).
        """


class HTTPAdapter(BaseAdapter):
    """requests' HTTP(S) adapter: pool size and retries for the URLs it is mounted on.

    ``session.mount("https://", HTTPAdapter(max_retries=Retry(...)))``. An
    adapter left at these defaults uses the session's limits and retries.

    Args:
        pool_connections: how many hosts' pools urllib3 caches; no effect
            (one trio_http pool serves every host).
        pool_maxsize: idle connections kept per host (with ``pool_block``, the
            most open to one host).
        max_retries: an int (connection and idempotent read errors, as
            requests' ``Retry.from_int``), a :class:`trio_http.Retry`, or
            urllib3's ``Retry`` (read by its attributes, urllib3 is not
            imported). ``raise_on_status`` is honoured.
        pool_block: never open more than ``pool_maxsize`` connections to one
            host; requests wait for one instead.

    Raises:
        NotImplementedError: a subclass overrides a urllib3 pool method.
        TypeError: ``max_retries`` is none of the above.
    """

    __attrs__: ClassVar[list[str]] = [
        "max_retries",
        "config",
        "_pool_connections",
        "_pool_maxsize",
        "_pool_block",
    ]

    def __init__(
        self,
        pool_connections: int = DEFAULT_POOLSIZE,
        pool_maxsize: int = DEFAULT_POOLSIZE,
        max_retries: int | Retry | Any = DEFAULT_RETRIES,
        pool_block: bool = DEFAULT_POOLBLOCK,
    ) -> None:
        cls = type(self)
        overridden = [name for name in _UNSUPPORTED if _overrides(cls, name)]
        if overridden:
            raise NotImplementedError(
                f"{type(self).__name__} overrides {', '.join(overridden)}, which trio_http "
                f"never calls; {_NO_POOL_MANAGER}"
            )
        retry_from_requests(max_retries)  # TypeError now rather than at the first request
        self.max_retries: Any = (
            Retry(total=max_retries, status_forcelist=frozenset(), backoff_factor=0)
            if isinstance(max_retries, int) and not isinstance(max_retries, bool)
            else max_retries
        )
        self.config: dict[str, Any] = {}
        self.proxy_manager: dict[str, Any] = {}
        self._pool_connections = pool_connections
        self._pool_maxsize = pool_maxsize
        self._pool_block = pool_block
        # The session's options when mounted (see Session.mount); then the
        # options for them, with what they were made from.
        self._base_options = _DEFAULT_OPTIONS
        self._options_cache: tuple[tuple[Any, ...], ClientOptions, ClientOptions] | None = None
        # The clients send() uses, made on its first call (most adapters
        # only describe options), with a jar that keeps no cookie.
        self._own: tuple[SessionClients, Cookies] | None = None

    # -- what the session asks -------------------------------------------------

    def use_session_options(self, options: ClientOptions) -> None:
        """Send with a session's options (HTTP/2, limits, retries, transport).

        Called by ``Session.mount``; an adapter already mounted elsewhere
        keeps the first session's.
        """
        if self._base_options is _DEFAULT_OPTIONS:
            self._base_options = options

    def client_options(self, session: ClientOptions) -> ClientOptions:
        """The options of the clients that send for this adapter, over the session's.

        The same object while neither changes (clients are found by identity).
        """
        snapshot = (self.max_retries, self._pool_maxsize, self._pool_block)
        cached = self._options_cache
        if cached is not None and cached[1] is session and cached[0] == snapshot:
            return cached[2]
        retries, raise_on_status = retry_from_requests(self.max_retries)
        if retries is not None and retries.total == 0:
            retries = None
        pool_default = self._pool_maxsize == DEFAULT_POOLSIZE and not self._pool_block
        if retries is None and pool_default:
            options = session
        else:
            options = ClientOptions(
                limits=session.limits
                if pool_default
                else limits_for_pool(session.limits, self._pool_maxsize, self._pool_block),
                retries=session.retries if retries is None else retries,
                http2=session.http2,
                transport=session.transport,
                raise_on_status=session.raise_on_status if retries is None else raise_on_status,
            )
        self._options_cache = (snapshot, session, options)
        return options

    # -- requests' adapter API ---------------------------------------------------

    def send(
        self,
        request: Request,
        stream: bool = False,
        timeout: TimeoutTypes = None,
        verify: VerifyTypes = True,
        cert: CertTypes = None,
        proxies: Mapping[str, str] | None = None,
    ) -> Response:
        """Send one request as requests' adapter does: no redirects, no cookies kept.

        Calls :meth:`add_headers`, applies :meth:`request_url` when a
        subclass changes it, sends through the adapter's own clients (one
        portal hop) and returns :meth:`build_response`'s result. Blocking.

        Raises:
            RequestException: one subclass per failure.
            RetryError: urllib3's ``raise_on_status`` and a status still
                retryable once the retries are used up.
        """
        self.add_headers(
            request, stream=stream, timeout=timeout, verify=verify, cert=cert, proxies=proxies
        )
        if type(self).request_url is not HTTPAdapter.request_url:
            target = self.request_url(request, proxies)
            if target != HTTPAdapter.request_url(self, request, proxies):
                request.url = request.url.join(target)
        portal = get_portal()
        settings = client_settings(
            verify,
            cert,
            proxies,
            session_verify=True,
            session_cert=None,
            session_proxies=None,
            trust_env=False,
        )
        options = self.client_options(self._base_options)
        clients, jar = self._own_clients()
        client = clients.client_for(
            portal, settings, cookies=jar, max_redirects=MAX_REDIRECTS, options=options
        )
        request.extensions["timeout"] = Timeouts.from_value(timeout)
        send_options = {"auth": getattr(request, "_auth_flow", None), "follow_redirects": False}
        response = portal.call(send_request, client, request, stream, send_options)
        if stream:
            response.attach_blocking_body(StreamPump(portal, response))
        try:
            raise_for_retried_status(options, response)
        except BaseException:
            response.close()
            raise
        return self.build_response(request, response)

    def build_response(self, req: Request, resp: Response) -> Response:
        """Finish the response to ``req``: sets ``request`` and ``connection`` (this adapter).

        requests builds its response from urllib3's here; a subclass may
        change or replace the response.
        """
        resp.request = req
        resp.connection = self
        return resp

    def add_headers(self, request: Request, **kwargs: Any) -> None:
        """Add headers before sending; for subclasses (does nothing here).

        Args:
            request: the request about to be sent.
            **kwargs: ``send()``'s other arguments.
        """

    def request_url(self, request: Request, proxies: Mapping[str, str] | None) -> str:
        """The request-target: the path and query, or the whole URL through an HTTP proxy.

        Leading slashes of the path are folded into one, as requests folds
        them. A subclass may return another path (or absolute URL): ``send()``
        then sends to it.
        """
        url = request.url
        proxy = _proxy_for(url.scheme, url.host, proxies or {})
        if proxy and url.scheme != "https" and not Proxy.from_value(proxy).is_socks:
            return str(url.copy_with(username="", password="", fragment=""))
        path = request.path_url
        if path.startswith("//"):
            # As requests: a target starting "//" would read as an authority.
            return "/" + path.lstrip("/")
        return path

    def proxy_headers(self, proxy: str) -> dict[str, str]:
        """Headers for the proxy at ``proxy``: ``Proxy-Authorization`` from its credentials."""
        return dict(Proxy.from_value(proxy).proxy_headers())

    def close(self) -> None:
        """Close the connections of the adapter's own clients (blocking)."""
        if self._own is not None:
            self._own[0].close()

    def _own_clients(self) -> tuple[SessionClients, Cookies]:
        own = self._own
        if own is None:
            with _OWN_LOCK:
                own = self._own
                if own is None:
                    own = self._own = (SessionClients(None), _refusing_jar())
        return own

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        """Not supported: raises ``NotImplementedError``."""
        raise NotImplementedError(f"HTTPAdapter.init_poolmanager: {_NO_POOL_MANAGER}")

    def proxy_manager_for(self, *args: Any, **kwargs: Any) -> None:
        """Not supported: raises ``NotImplementedError``."""
        raise NotImplementedError(f"HTTPAdapter.proxy_manager_for: {_NO_POOL_MANAGER}")

    def get_connection_with_tls_context(self, *args: Any, **kwargs: Any) -> None:
        """Not supported: raises ``NotImplementedError``."""
        raise NotImplementedError(
            f"HTTPAdapter.get_connection_with_tls_context: {_NO_POOL_MANAGER}"
        )

    def get_connection(self, *args: Any, **kwargs: Any) -> None:
        """Not supported: raises ``NotImplementedError``."""
        raise NotImplementedError(f"HTTPAdapter.get_connection: {_NO_POOL_MANAGER}")

    def cert_verify(self, *args: Any, **kwargs: Any) -> None:
        """Not supported: raises ``NotImplementedError``."""
        raise NotImplementedError(f"HTTPAdapter.cert_verify: {_NO_POOL_MANAGER}")

    def __repr__(self) -> str:
        return f"<{type(self).__name__} pool_maxsize={self._pool_maxsize}>"


_DEFAULT_OPTIONS = ClientOptions()
_OWN_LOCK = threading.Lock()
# Adapter class -> whether Session must call its send() (see the module docstring).
_SENDS_ITSELF: dict[type[BaseAdapter], bool] = {}


def sends_itself(adapter: BaseAdapter) -> bool:
    """Whether a session must hand ``adapter`` the prepared request (it sends by itself).

    False for an :class:`HTTPAdapter` whose sending steps are all
    ``HTTPAdapter``'s: the session then sends through its own clients.
    """
    cls = type(adapter)
    known = _SENDS_ITSELF.get(cls)
    if known is None:
        known = _SENDS_ITSELF[cls] = not issubclass(cls, HTTPAdapter) or any(
            _overrides(cls, name) for name in _SEND_STEPS
        )
    return known


def _overrides(cls: type[BaseAdapter], name: str) -> bool:
    return getattr(cls, name) is not getattr(HTTPAdapter, name)


def _proxy_for(scheme: str, host: str, proxies: Mapping[str, str]) -> str | None:
    # requests' order of keys: scheme://host, scheme, all://host, all.
    for key in (f"{scheme}://{host}", scheme, f"all://{host}", "all"):
        if proxies.get(key):
            return proxies[key]
    return None
