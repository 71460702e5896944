"""``Session``: the blocking, requests-compatible client.

How this works. A session keeps requests' settings as plain attributes
(``headers``, ``auth``, ``params``, ``verify``...) and merges them into each
request's arguments on the calling thread (:mod:`._sync_options`), so a
change such as ``s.headers["X"] = "1"`` applies to the next request. The
request itself is sent by an :class:`AsyncClient` living in the portal's
loop thread, in one hop: connect, send, redirects, auth retries and the
body read all happen in one task there (:mod:`._sync_loop`). Nothing here
speaks HTTP.

Adapters. ``adapters`` maps URL prefixes to what sends: requests'
``HTTPAdapter`` (for ``"http://"`` and ``"https://"`` at first), another
adapter, or a trio_http transport; the longest matching prefix wins
(:meth:`Session.get_adapter`). An ``HTTPAdapter`` or a transport only
chooses the options of the client (pool limits and retries, or the
transport), and the session sends as above. An adapter that sends by
itself (see :mod:`._adapters`) is handed a ``PreparedRequest`` on the
calling thread, as in requests: ``request()`` is then ``prepare_request()``
and ``send()``, and ``send()`` follows redirects with
``resolve_redirects()`` (:mod:`._session_redirects`).

The TLS settings (``verify``, ``cert``) and proxies belong to a client's
connection pool, so a session keeps one client per distinct combination
it was asked to use (and per adapter options and cookie jar); all of them
keep cookies in the session's jar.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar, overload

from ._adapter_options import ClientOptions
from ._adapters import HTTPAdapter
from ._auth import NetRCAuth
from ._client_defaults import USE_CLIENT_DEFAULT
from ._config import DEFAULT_LIMITS, DEFAULT_TIMEOUT, MAX_IN_FLIGHT, MAX_REDIRECTS, Limits
from ._cookie_requests_jar import RequestsCookieJar
from ._portal import get_portal
from ._retries import Retry
from ._session_adapters import Adapter
from ._session_redirects import redirect_steps_overridden
from ._session_send import SessionSend
from ._session_websockets import SessionWebSockets
from ._sync_loop import SessionClients
from ._sync_options import default_headers, parallel_item_preparer, request_options
from ._transports._base import AsyncBaseTransport
from ._urls import URL

if TYPE_CHECKING:
    from types import TracebackType

    from typing_extensions import Unpack

    from ._client_defaults import _UseClientDefault
    from ._cookies import Cookies
    from ._parallel import ParallelItem
    from ._request_options import (
        AuthTypes,
        CertTypes,
        ParallelOptions,
        SessionGetOptions,
        SessionPostOptions,
        SessionPutOptions,
        SessionRequestOptions,
        VerifyTypes,
    )
    from ._response import Response
    from ._sync_parallel import Parallel
    from ._types import (
        CookieTypes,
        HooksTypes,
        JSONTypes,
        ProxiesTypes,
        QueryParamTypes,
        RequestData,
        RequestFiles,
        SessionHeaderTypes,
        TimeoutTypes,
    )

__all__ = ["Session", "session"]

T = TypeVar("T")


class Session(SessionSend, SessionWebSockets):
    """A blocking HTTP session with requests' API; also exported as ``Client``.

    It keeps cookies, connections and defaults across requests, and is safe
    to share between threads::

        with trio_http.Session() as s:
            s.auth = ("user", "pass")
            r = s.get("https://example.org/api", params={"q": "x"}, timeout=5)

    Requests are sent by an :class:`AsyncClient` in a background Trio
    thread. Calling a session from inside a Trio run raises ``RuntimeError``
    (use ``AsyncClient`` there). A ``KeyboardInterrupt`` while a request
    waits cancels that request and leaves the session usable.

    Args:
        transport: send through this transport instead of connection pools.
        timeout: the default ``timeout=`` of every request (see
            :meth:`request`); also the :attr:`timeout` attribute.
        http2: offer HTTP/2 on ``https://`` URLs.
        limits: pool :class:`Limits` (an ``HTTPAdapter`` may raise them).
        retries: retry failed requests: a :class:`Retry` or a number of
            retries (trio_http's rules; an ``HTTPAdapter``'s
            ``max_retries`` replaces them for its URLs).

    Attributes:
        headers: sent with every request (``None`` values are left out).
        auth: default auth: ``(user, password)``, an ``AuthBase`` callable or
            a :class:`trio_http.Auth`.
        cookies: the session's :class:`Cookies` jar.
        params: query parameters added to every request.
        verify: ``True``, ``False``, a CA bundle path or an ``ssl.SSLContext``.
        cert: client certificate path or ``(cert, key)``.
        proxies: requests-style proxy mapping used by every request (see
            :meth:`request`).
        hooks: ``{"response": [fn, ...]}``; ``fn(response, **kwargs)`` may
            return a replacement response.
        trust_env: use ``~/.netrc`` credentials and ``REQUESTS_CA_BUNDLE`` /
            ``CURL_CA_BUNDLE`` from the environment.
        max_redirects: redirects followed before ``TooManyRedirects``.
        stream: default for ``stream=``.
        timeout: default for ``timeout=``.
        adapters: URL prefix -> adapter or transport, longest prefix first.
    """

    def __init__(
        self,
        *,
        transport: AsyncBaseTransport | None = None,
        timeout: TimeoutTypes = DEFAULT_TIMEOUT,
        http2: bool = False,
        limits: Limits = DEFAULT_LIMITS,
        retries: int | Retry | None = None,
    ) -> None:
        self.headers: Any = default_headers()
        self.auth: Any = None
        self.proxies: dict[str, str] = {}
        self.hooks: dict[str, Any] = {"response": []}
        self.params: Any = {}
        self.stream = False
        self.verify: Any = True
        self.cert: Any = None
        self.max_redirects = MAX_REDIRECTS
        self.trust_env = True
        self.timeout: Any = timeout
        self.cookies: Any = RequestsCookieJar()
        self.adapters: dict[str, Adapter] = {}
        self._options = ClientOptions(
            limits=limits, retries=Retry.from_value(retries), http2=http2, transport=transport
        )
        self._clients = SessionClients(transport)
        self._netrc: NetRCAuth | bool | None = False  # False: not looked up yet
        self._assigned_jar: tuple[object, Cookies] | None = None
        self.mount("https://", HTTPAdapter())
        self.mount("http://", HTTPAdapter())

    # -- lifecycle --------------------------------------------------------

    def __getstate__(self) -> dict[str, Any]:
        # Pickled as requests pickles a session: its settings, adapters and
        # cookies, not its open connections (the clients are left behind and
        # the copy opens its own) nor the ~/.netrc it read.
        state = dict(self.__dict__)
        del state["_clients"]
        state["_netrc"] = False
        state["_assigned_jar"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._clients = SessionClients(self._options.transport)

    def __enter__(self) -> Session:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close every connection and every mounted adapter. A closed session may be used again."""
        self._clients.close()
        for adapter in list(self.adapters.values()):
            if not isinstance(adapter, AsyncBaseTransport):
                adapter.close()

    # -- what every request uses -------------------------------------------

    # -- requests ---------------------------------------------------------

    def request(
        self,
        method: str,
        url: str | URL,
        params: QueryParamTypes | None = None,
        data: RequestData | None = None,
        headers: SessionHeaderTypes | None = None,
        cookies: CookieTypes | None = None,
        files: RequestFiles | None = None,
        auth: AuthTypes = None,
        timeout: TimeoutTypes | _UseClientDefault = USE_CLIENT_DEFAULT,
        allow_redirects: bool = True,
        proxies: ProxiesTypes | None = None,
        hooks: HooksTypes | None = None,
        stream: bool | None = None,
        verify: VerifyTypes | None = None,
        cert: CertTypes = None,
        json: JSONTypes = None,
    ) -> Response:
        """Send a request and return its response (blocking).

        Arguments are requests' (see the "Coming from requests" docs for
        the few differences); the work is done by :meth:`AsyncClient.send`,
        or by the mounted adapter when it sends by itself.

        Args:
            method: the HTTP method.
            url: the URL (``str`` or :class:`URL`).
            params: query parameters, merged over :attr:`params`.
            data: form fields (mapping or pairs), or a raw body (bytes, str,
                file, iterator).
            headers: merged over :attr:`headers`; a ``None`` value removes one.
            cookies: extra cookies for this request only.
            files: multipart file fields.
            auth: overrides :attr:`auth`.
            timeout: seconds, a ``(connect, read)`` tuple, a
                :class:`Timeouts` (``Timeouts(total=5)`` bounds the whole
                request) or ``None`` for no limit. Default: :attr:`timeout`
                (connect 10 s, read 60 s unless the session was given one).
            allow_redirects: follow redirects.
            proxies: ``{"http": url, "https": url, "all": url,
                "scheme://host": url, "no_proxy": hosts}``, merged over
                :attr:`proxies`; without any, the environment's proxy
                settings apply when :attr:`trust_env` is on.
            hooks: ``{"response": fn or [fn, ...]}`` for this request.
            stream: leave the body unread; read it with ``iter_content()``
                and close the response.
            verify: overrides :attr:`verify`.
            cert: overrides :attr:`cert`.
            json: a value sent as a JSON body.

        Raises:
            RequestException: one subclass per failure (see the exception tree).
            RuntimeError: called from inside a Trio run.
        """
        if timeout is USE_CLIENT_DEFAULT:
            timeout = self.timeout
        if stream is None:
            stream = self.stream
        options = self._options_for(self._adapter_for(url))
        # The adapter is handed a PreparedRequest, as in requests; so is a
        # session whose class follows redirects its own way.
        if options is None or (allow_redirects and redirect_steps_overridden(type(self))):
            return self._request_prepared(
                method,
                url,
                headers,
                allow_redirects=allow_redirects,
                timeout=timeout,
                proxies=proxies,
                stream=stream,
                verify=verify,
                cert=cert,
                files=files,
                data=data or {},
                params=params or {},
                auth=auth,
                cookies=cookies,
                hooks=hooks,
                json=json,
            )
        portal = get_portal()
        client = self._request_client(portal, self._settings(verify, cert, proxies), options)
        build_options, send_options = request_options(
            self.headers,
            self.params,
            self._default_auth(url) if auth is None else None,
            params=params,
            data=data,
            headers=headers,
            cookies=cookies,
            files=files,
            auth=auth,
            timeout=timeout,
            allow_redirects=allow_redirects,
            json=json,
        )
        request = client.build_request(method, url, **build_options)
        sent, pump = self._exchange(portal, client, request, stream, send_options)
        return self._finish(
            sent,
            pump,
            options,
            self.hooks,
            hooks,
            stream=stream,
            timeout=timeout,
            verify=verify,
            cert=cert,
            proxies=self.proxies,
        )

    def get(
        self,
        url: str | URL,
        params: QueryParamTypes | None = None,
        **kwargs: Unpack[SessionGetOptions],
    ) -> Response:
        """Send a GET request; keyword arguments as for :meth:`request`."""
        return self.request("GET", url, params=params, **kwargs)

    def options(self, url: str | URL, **kwargs: Unpack[SessionRequestOptions]) -> Response:
        """Send an OPTIONS request; keyword arguments as for :meth:`request`."""
        return self.request("OPTIONS", url, **kwargs)

    def head(self, url: str | URL, **kwargs: Unpack[SessionRequestOptions]) -> Response:
        """Send a HEAD request; redirects are not followed unless asked."""
        kwargs.setdefault("allow_redirects", False)
        return self.request("HEAD", url, **kwargs)

    def post(
        self,
        url: str | URL,
        data: RequestData | None = None,
        json: JSONTypes = None,
        **kwargs: Unpack[SessionPostOptions],
    ) -> Response:
        """Send a POST request; keyword arguments as for :meth:`request`."""
        return self.request("POST", url, data=data, json=json, **kwargs)

    def put(
        self, url: str | URL, data: RequestData | None = None, **kwargs: Unpack[SessionPutOptions]
    ) -> Response:
        """Send a PUT request; keyword arguments as for :meth:`request`."""
        return self.request("PUT", url, data=data, **kwargs)

    def patch(
        self, url: str | URL, data: RequestData | None = None, **kwargs: Unpack[SessionPutOptions]
    ) -> Response:
        """Send a PATCH request; keyword arguments as for :meth:`request`."""
        return self.request("PATCH", url, data=data, **kwargs)

    def delete(self, url: str | URL, **kwargs: Unpack[SessionRequestOptions]) -> Response:
        """Send a DELETE request; keyword arguments as for :meth:`request`."""
        return self.request("DELETE", url, **kwargs)

    # -- many requests ------------------------------------------------------

    @overload
    def parallel(
        self,
        requests: Iterable[ParallelItem],
        *,
        handler: None = ...,
        **options: Unpack[ParallelOptions],
    ) -> Parallel[Response]: ...

    @overload
    def parallel(
        self,
        requests: Iterable[ParallelItem],
        *,
        handler: Callable[[Response], Awaitable[T]],
        **options: Unpack[ParallelOptions],
    ) -> Parallel[T]: ...

    # Any: the overloads above give the result type (Response or the handler's).
    def parallel(
        self,
        requests: Iterable[ParallelItem],
        *,
        handler: Callable[[Response], Awaitable[Any]] | None = None,
        **options: Unpack[ParallelOptions],
    ) -> Parallel[Any]:
        """Send many requests concurrently; iterate the results as they come.

        The blocking twin of :meth:`AsyncClient.parallel`, with the same
        arguments; the fan-out runs in the loop thread, and breaking out of
        the loop (or Ctrl-C) cancels what is still in flight::

            with session.parallel(urls, max_in_flight=20) as results:
                for result in results:
                    print(result.request.url, result.value.status_code)

        Items get the session's headers, params and auth as
        :meth:`request` gives them, and an item's options may use
        requests' names (``allow_redirects``). They are sent with the
        options of the ``"https://"`` adapter. ``handler``, when given, is
        an ``async`` function: it runs in the loop thread.
        """
        # The fan-out machinery loads with its first use.
        from ._parallel import validate_options
        from ._sync_parallel import Parallel

        validate_options(
            options.get("max_in_flight", MAX_IN_FLIGHT),
            options.get("max_per_host"),
            options.get("errors", "raise"),
        )
        portal = get_portal()
        client_options = self._options_for(self._adapter_for("https://")) or self._options
        client = self._open_client(portal, self._settings(None, None, None), client_options)
        if isinstance(requests, AsyncIterable):
            raise TypeError("the blocking parallel() takes a (sync) iterable of requests")
        prepare = parallel_item_preparer(dict(self.headers), self.params, self.auth)
        return Parallel(
            portal,
            client,
            (prepare(item) for item in requests),
            handler=handler,
            on_close=self._parallel_closed,
            **options,
        )

    def _parallel_closed(self) -> None:
        # Called once a parallel() iterator is closed; see _OneShotSession.
        pass

    def __repr__(self) -> str:
        return f"<Session with {len(self._clients)} open client(s)>"


def session() -> Session:
    """A new :class:`Session` (requests' lowercase factory)."""
    return Session()
