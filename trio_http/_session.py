"""``Session``: the blocking, requests-compatible client.

How this works. A session keeps requests' settings as plain attributes
(``headers``, ``auth``, ``params``, ``verify``...) and merges them into each
request's arguments on the calling thread (:mod:`._sync_options`), so a
change such as ``s.headers["X"] = "1"`` applies to the next request. The
request itself is sent by an :class:`AsyncClient` living in the portal's
loop thread, in one hop: connect, send, redirects, auth retries and the
body read all happen in one task there (:mod:`._sync_loop`). Nothing here
speaks HTTP.

The TLS settings (``verify``, ``cert``) and proxies belong to a client's
connection pool, so a session keeps one client per distinct combination
it was asked to use; all of them share the session's cookie jar.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Awaitable, Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar, final, overload

from ._auth import NetRCAuth
from ._client_defaults import USE_CLIENT_DEFAULT
from ._config import MAX_REDIRECTS
from ._cookies import Cookies
from ._parallel import DEFAULT_MAX_IN_FLIGHT, ParallelItem, validate_options
from ._portal import get_portal
from ._sync_loop import SessionClients, StreamPump, send_request
from ._sync_options import (
    client_settings,
    default_headers,
    dispatch_hooks,
    mount_pattern,
    netrc_configured,
    parallel_item_preparer,
    request_options,
)
from ._sync_parallel import Parallel
from ._transports._base import AsyncBaseTransport
from ._urls import URL

if TYPE_CHECKING:
    from types import TracebackType

    from typing_extensions import Unpack

    from ._client import AsyncClient
    from ._client_defaults import _UseClientDefault
    from ._portal import Portal
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

__all__ = ["Session", "in_new_session"]

T = TypeVar("T")


class Session:
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
    """

    def __init__(self, *, transport: AsyncBaseTransport | None = None) -> None:
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
        self.cookies: Any = Cookies()
        self.adapters: dict[str, AsyncBaseTransport] = {}
        self._clients = SessionClients(transport)
        self._netrc: NetRCAuth | bool | None = False  # False: not looked up yet

    # -- lifecycle --------------------------------------------------------

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
        """Close every connection. A closed session may be used again."""
        self._clients.close()

    def mount(self, prefix: str, adapter: AsyncBaseTransport) -> None:
        """Send requests whose URL starts with ``prefix`` through ``adapter``.

        ``prefix`` is a scheme (``"https://"``) or a scheme and host, with an
        optional port (``"http://localhost:8000"``). A path after the host
        (``"https://host/api/"``) cannot be routed on and raises.

        Args:
            prefix: the URL prefix.
            adapter: an :class:`AsyncBaseTransport` (requests' ``HTTPAdapter``
                objects do not apply here).

        Raises:
            TypeError: ``adapter`` is not a transport.
            InvalidURL: the prefix cannot be expressed as a pattern.
        """
        if not isinstance(adapter, AsyncBaseTransport):
            raise TypeError(
                "Session.mount() takes a trio_http transport (an AsyncBaseTransport), "
                f"not {type(adapter).__name__}; requests' HTTPAdapter options map onto "
                "Session and AsyncClient settings instead"
            )
        pattern = mount_pattern(prefix)
        self.adapters[prefix] = adapter
        for client in self._clients.all():
            client.mount(pattern, adapter)

    def _client_for(
        self, portal: Portal, verify: Any, cert: Any, proxies: Mapping[str, Any] | None
    ) -> AsyncClient:
        # The open client for these settings (None: the session's).
        settings = client_settings(
            verify,
            cert,
            proxies,
            session_verify=self.verify,
            session_cert=self.cert,
            session_proxies=self.proxies,
            trust_env=self.trust_env,
        )
        jar = self.cookies
        if not isinstance(jar, Cookies):
            jar = self.cookies = Cookies(jar)
        return self._clients.client_for(
            portal,
            settings,
            cookies=jar,
            max_redirects=self.max_redirects,
            adapters=self.adapters,
        )

    def _default_auth(self, url: str | URL) -> Any:
        # requests' order: the session's auth, then ~/.netrc unless the URL
        # carries credentials.
        auth = self.auth
        if auth is not None or not self.trust_env:
            return auth
        netrc_auth = self._netrc
        if netrc_auth is False:
            netrc_auth = self._netrc = NetRCAuth() if netrc_configured() else None
        if netrc_auth is None:
            return None
        parsed = url if isinstance(url, URL) else URL(url)
        if parsed.username or parsed.password:
            return None
        return netrc_auth

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
        the few differences); the work is done by :meth:`AsyncClient.send`.

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
                request) or ``None`` for no limit. Default: connect 10 s,
                read 60 s.
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
        portal = get_portal()
        client = self._client_for(portal, verify, cert, proxies)
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
        if stream is None:
            stream = self.stream
        request = client.build_request(method, url, **build_options)
        sent = portal.call(send_request, client, request, stream, send_options)
        pump = None
        if stream:
            pump = StreamPump(portal, sent)
            sent.attach_blocking_body(pump)
        response = sent
        session_hooks = self.hooks
        if hooks is not None or (session_hooks and session_hooks.get("response")):
            response = dispatch_hooks(
                sent,
                session_hooks,
                hooks,
                stream=stream,
                timeout=timeout,
                verify=verify,
                cert=cert,
                proxies=self.proxies,
            )
        return self._request_done(sent, pump, response)

    def _request_done(
        self, sent: Response, pump: StreamPump | None, response: Response
    ) -> Response:
        # What request() returns; see _OneShotSession.
        return response

    def _parallel_closed(self) -> None:
        # Called once a parallel() iterator is closed; see _OneShotSession.
        pass

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
        requests' names (``allow_redirects``). ``handler``, when given, is
        an ``async`` function: it runs in the loop thread.
        """
        validate_options(
            options.get("max_in_flight", DEFAULT_MAX_IN_FLIGHT),
            options.get("max_per_host"),
            options.get("errors", "raise"),
        )
        portal = get_portal()
        # The client request() would use for the session's settings.
        client = self._client_for(portal, None, None, None)
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

    def __repr__(self) -> str:
        return f"<Session with {len(self._clients)} open client(s)>"


@final
class _OneShotSession(Session):
    """The session of one module-level call: it closes itself once done.

    A streamed response keeps it (and its connection) open until the
    response is closed; a parallel() iterator, until the iterator is.
    """

    def _request_done(
        self, sent: Response, pump: StreamPump | None, response: Response
    ) -> Response:
        if pump is not None and response is sent and not sent.is_closed:
            pump.after_close = self.close
        else:
            self.close()
        return response

    def _parallel_closed(self) -> None:
        self.close()


def in_new_session(call: Callable[[Session], T]) -> T:
    """``call(session)`` with a session of its own: ``trio_http.get()`` and friends.

    ``call`` makes one request or starts one ``parallel()``; the session
    closes itself once that is done (a streamed response or a parallel
    iterator keeps it open until it is closed), or at once if ``call``
    raises.
    """
    session = _OneShotSession()
    try:
        return call(session)
    except BaseException:
        session.close()
        raise
