"""``AsyncClient``: defaults, cookies, hooks, and the nursery it owns.

How this works. ``send`` fixes the request's :class:`~._deadlines.Deadlines`
and hands it to :func:`~._client_flow.send_whole`, which keeps the overall
deadline, follows redirects and drives auth flows around ``_send_single``:
one exchange through the transports' front door
(:class:`~._transports._default.TransportRouter`), applying cookies and
event hooks. The client owns a nursery (:class:`~._client_scope.ClientScope`),
opened by ``async with``: the transports' housekeeping runs there, and
nothing the client starts outlives the block.
"""

from __future__ import annotations

import datetime
from collections.abc import AsyncIterable, Awaitable, Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar, final, overload

import trio

from ._auth import Auth, auth_from_value
from ._client_defaults import (
    USE_CLIENT_DEFAULT,
    EventHook,
    _UseClientDefault,
    call_hook,
    default_headers,
)
from ._client_defaults import event_hooks as event_hooks_from
from ._client_flow import failure_checkpoint, send_whole
from ._client_scope import ClientScope
from ._client_verbs import ClientVerbs
from ._config import (
    DEFAULT_LIMITS,
    DEFAULT_TIMEOUT,
    MAX_IN_FLIGHT,
    MAX_REDIRECTS,
    Limits,
    Timeouts,
)
from ._cookies import Cookies
from ._deadlines import Deadlines
from ._exceptions import RequestException
from ._headers import Headers
from ._proxy_config import Proxy
from ._request import Request
from ._response import Response
from ._retries import Retry
from ._transports._default import TransportRouter
from ._urls import URL, validate_request_url
from ._websocket_client import WebSocketClient

if TYPE_CHECKING:
    from types import TracebackType

    from typing_extensions import Unpack

    from ._parallel import AsyncParallel, ErrorPolicy, ParallelItem
    from ._request_options import AuthTypes, BuildRequestOptions, ParallelOptions
    from ._transports._base import AsyncBaseTransport
    from ._transports._default import CertTypes, VerifyTypes
    from ._types import (
        CookieTypes,
        HeaderTypes,
        JSONTypes,
        QueryParamTypes,
        RequestContentTypes,
        RequestData,
        RequestFiles,
        TimeoutTypes,
        URLTypes,
    )

__all__ = ["AsyncClient"]

_T = TypeVar("_T")


@final
class AsyncClient(ClientVerbs, WebSocketClient):
    """An HTTP client for Trio programs, with a connection pool.

    Use it as an async context manager; the block owns everything the client
    starts::

        async with trio_http.AsyncClient(base_url="https://api.example") as client:
            r = await client.get("/items", params={"page": 2})

    Args:
        auth: default auth: a ``(user, password)`` tuple, an :class:`Auth`,
            or a callable taking and returning a :class:`Request`.
        params: query parameters added to every request.
        headers: headers sent with every request (override the defaults).
        cookies: initial cookies for the client's jar.
        verify: True (certifi's CAs), False, a CA bundle file or directory,
            or an ``ssl.SSLContext``.
        cert: client certificate file, or ``(cert, key)``.
        timeout: a :class:`Timeouts`, seconds, ``None`` (no limit) or a
            ``(connect, read)`` tuple. Default: connect 10 s, others 60 s.
        limits: pool :class:`Limits`.
        follow_redirects: follow 3xx responses (default True, like requests).
        max_redirects: redirects followed before :class:`TooManyRedirects`.
        event_hooks: ``{"request": [fn, ...], "response": [fn, ...]}``; each
            function may be sync or async.
        base_url: relative request URLs are joined onto this.
        transport: send through this transport instead of the pool.
        mounts: ``{pattern: transport}`` routing by URL pattern, most
            specific first (``"https://"``, ``"all://*.example.com"``,
            ``"http://localhost:8000"``); unmatched URLs use ``transport``.
        default_encoding: text encoding when the response names none, or a
            callable guessing one from the body.
        local_address: local IP address to bind outgoing connections to.
        uds: send every request over this Unix domain socket.
        http1: speak HTTP/1.1 (default True).
        http2: speak HTTP/2 (default False): offered over ALPN on
            ``https://`` with HTTP/1.1 as the fallback, one multiplexed
            connection per origin. With ``http1=False`` as well, ``http://``
            URLs use HTTP/2 with prior knowledge (h2c). See :doc:`http2`.
        proxy: send every request through this proxy (``http://``,
            ``https://``, ``socks5://``, ``socks5h://``, ``socks4://``,
            ``socks4a://`` URL, or a :class:`Proxy`); the environment's proxy
            settings are then ignored. A requests-style mapping
            (``{"http": url, "https": url, "all": url, "http://host": url,
            "no_proxy": "a.example,b.example"}``) routes by key. ``False``:
            no proxy at all. ``None``
            (default): the environment's when ``trust_env`` is on.
        trust_env: read ``HTTP_PROXY``, ``HTTPS_PROXY``, ``ALL_PROXY`` and
            ``NO_PROXY`` from the environment (see :doc:`proxies`).
        retries: retry failed requests: a :class:`Retry`, a number of
            retries, or ``None`` (default: no retries, like requests).
    """

    def __init__(
        self,
        *,
        auth: AuthTypes = None,
        params: QueryParamTypes | None = None,
        headers: HeaderTypes | None = None,
        cookies: CookieTypes | None = None,
        verify: VerifyTypes = True,
        cert: CertTypes = None,
        timeout: TimeoutTypes = DEFAULT_TIMEOUT,
        limits: Limits = DEFAULT_LIMITS,
        follow_redirects: bool = True,
        max_redirects: int = MAX_REDIRECTS,
        event_hooks: Mapping[str, Iterable[Callable[..., object]]] | None = None,
        base_url: URLTypes = "",
        transport: AsyncBaseTransport | None = None,
        mounts: Mapping[str, AsyncBaseTransport] | None = None,
        default_encoding: str | Callable[[bytes], str] = "utf-8",
        local_address: str | None = None,
        uds: str | None = None,
        http1: bool = True,
        http2: bool = False,
        proxy: str | URL | Proxy | Mapping[str, str | None] | bool | None = None,
        trust_env: bool = True,
        retries: int | Retry | None = None,
    ) -> None:
        self.auth = auth
        self.params: QueryParamTypes | None = params
        self.headers = default_headers()
        if headers is not None:
            self.headers.update(Headers(headers))
        self.cookies = Cookies(cookies)
        self.timeout = Timeouts.from_value(timeout)
        self.follow_redirects = follow_redirects
        if type(max_redirects) is not int or max_redirects < 0:
            raise ValueError("max_redirects must be a whole number >= 0")
        self.max_redirects = max_redirects
        self.event_hooks: dict[str, list[EventHook]] = event_hooks_from(event_hooks)
        self.base_url = URL(base_url)
        if self.base_url.path and not self.base_url.path.endswith("/"):
            # "/api" + "items" should give "/api/items", not "/items".
            self.base_url = self.base_url.copy_with(path=self.base_url.path + "/")
        self.default_encoding = default_encoding
        self.trust_env = trust_env
        self._router = TransportRouter(
            transport,
            mounts=mounts,
            proxy=proxy,
            trust_env=trust_env,
            retry=Retry.from_value(retries),
            verify=verify,
            cert=cert,
            limits=limits,
            local_address=local_address,
            uds=uds,
            http1=http1,
            http2=http2,
        )
        self._scope = ClientScope()

    def mount(self, pattern: str, transport: AsyncBaseTransport) -> None:
        """Route requests whose URL matches ``pattern`` to ``transport``.

        Mounting the same pattern again replaces its transport. Call it
        before the client's ``async with``: a transport mounted later is
        neither entered nor closed by the client.

        Raises:
            InvalidURL: the pattern is not of the form ``scheme://host:port``.
        """
        self._router.mount(pattern, transport)

    @property
    def _transport(self) -> AsyncBaseTransport:
        """The default transport (the connection pool, unless one was given)."""
        return self._router.default

    def _transport_for_url(self, url: URL) -> AsyncBaseTransport:
        return self._router.transport_for_url(url)

    # -- lifecycle --------------------------------------------------------

    async def __aenter__(self) -> AsyncClient:
        await self._scope.open(self._router)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool | None:
        await self._scope.close(self._router)
        return None

    @property
    def is_closed(self) -> bool:
        return self._scope.is_closed

    # -- building requests ------------------------------------------------

    def _merge_url(self, url: URLTypes) -> URL:
        merged = url if isinstance(url, URL) else URL(url)
        if not merged.is_absolute_url and self.base_url.is_absolute_url:
            merged = self.base_url.join(str(merged).lstrip("/"))
        return merged

    def build_request(
        self,
        method: str,
        url: URLTypes,
        *,
        content: RequestContentTypes | None = None,
        data: RequestData | None = None,
        files: RequestFiles | None = None,
        json: JSONTypes = None,
        params: QueryParamTypes | None = None,
        headers: HeaderTypes | None = None,
        cookies: CookieTypes | None = None,
        timeout: TimeoutTypes | _UseClientDefault = USE_CLIENT_DEFAULT,
        # Whatever the transports read: no precise value type exists.
        extensions: dict[str, Any] | None = None,
    ) -> Request:
        """Build a :class:`Request` with the client's defaults merged in.

        Not a checkpoint; does no I/O.

        Raises:
            MissingSchema, InvalidSchema, InvalidURL: the URL cannot be sent.
            InvalidHeader: a header name or value is invalid.
        """
        full_url = self._merge_url(url)
        validate_request_url(full_url)
        if self.params:
            full_url = full_url.copy_merge_params(self.params)
        if params:
            full_url = full_url.copy_merge_params(params)
        merged: HeaderTypes
        # Request copies the headers it is given, so only a merge needs a
        # copy of its own here.
        if headers is None:
            merged = self.headers
        elif not self.headers:
            # No client defaults to merge (the blocking Session's clients).
            merged = headers
        else:
            merged = self.headers.copy()
            merged.update(headers if isinstance(headers, Headers) else Headers(headers))
        extensions = {} if extensions is None else dict(extensions)
        if cookies:
            # Per-request cookies join a copy of the client's jar that serves
            # every hop of this request (redirects included), not the client.
            jar = Cookies(self.cookies)
            jar.update(Cookies(cookies))
            extensions["cookies"] = jar
        extensions["timeout"] = (
            self.timeout if timeout is USE_CLIENT_DEFAULT else Timeouts.from_value(timeout)
        )
        return Request(
            method,
            full_url,
            headers=merged,
            content=content,
            data=data,
            files=files,
            json=json,
            extensions=extensions,
        )

    # -- sending ----------------------------------------------------------

    async def send(
        self,
        request: Request,
        *,
        stream: bool = False,
        auth: AuthTypes | _UseClientDefault = USE_CLIENT_DEFAULT,
        follow_redirects: bool | _UseClientDefault = USE_CLIENT_DEFAULT,
    ) -> Response:
        """Send a request and return its response.

        A checkpoint. With ``stream=False`` the body is read before
        returning; with ``stream=True`` it is not, and the caller must
        ``aclose()`` the response (prefer :meth:`stream`).

        Cancellation at any point leaves the pool consistent: a connection
        in an unknown state is closed, never reused.

        Raises:
            RequestException: one subclass per failure, never a group.
            ClientStateError: used outside the client's ``async with``.
        """
        try:
            self._scope.check_open()
            timeout = request.extensions.get("timeout")
            timeouts = self.timeout if timeout is None else Timeouts.from_value(timeout)
            request.deadlines = Deadlines.start(timeouts, trio.current_time())
            follow = (
                self.follow_redirects
                if follow_redirects is USE_CLIENT_DEFAULT
                else follow_redirects
            )
            return await send_whole(
                self._send_single,
                request,
                self._build_auth(request, auth),
                follow,
                self.max_redirects,
                stream=stream,
            )
        except Exception as exc:
            if isinstance(exc, RequestException) and exc.request is None:
                exc.request = request
            await failure_checkpoint()
            raise

    def _build_auth(self, request: Request, auth: AuthTypes | _UseClientDefault) -> Auth | None:
        value = self.auth if auth is USE_CLIENT_DEFAULT else auth
        if value is None:
            url = request.url
            if url.username or url.password:
                return auth_from_value((url.username, url.password))
            return None
        return auth_from_value(value)

    async def _send_single(self, request: Request) -> Response:
        for hook in self.event_hooks["request"]:
            await call_hook(hook, request)
        jar: Cookies | None = request.extensions.get("cookies")
        (jar if jar is not None else self.cookies).set_cookie_header(request)
        started = trio.current_time()
        response = await self._router.send(request)
        try:
            response.elapsed = datetime.timedelta(seconds=trio.current_time() - started)
            response.default_encoding = self.default_encoding
            if "Set-Cookie" in response.headers:
                # The response's own jar (requests' response.cookies) is
                # filled here, where cookie policy lives; it reads like the
                # client's (a Session's holds a RequestsCookieJar).
                response.cookies = set_by_response = type(self.cookies)()
                set_by_response.extract_cookies(response)
                self.cookies.extract_cookies(response)
                if jar is not None:
                    jar.extract_cookies(response)
            for hook in self.event_hooks["response"]:
                await call_hook(hook, response)
        except BaseException:
            await response.aclose()
            raise
        return response

    async def _build_and_send(
        self,
        method: str,
        url: URLTypes,
        options: BuildRequestOptions,
        *,
        stream: bool,
        auth: AuthTypes | _UseClientDefault,
        follow_redirects: bool | _UseClientDefault,
    ) -> Response:
        """``build_request(method, url, **options)``, then :meth:`send`.

        A checkpoint: a request that cannot even be built (a bad URL, a
        closed client) fails at one too.
        """
        try:
            self._scope.check_open()
            request = self.build_request(method, url, **options)
        except Exception:
            await failure_checkpoint()
            raise
        return await self.send(request, stream=stream, auth=auth, follow_redirects=follow_redirects)

    # -- many requests at once ----------------------------------------------

    @overload
    def parallel(
        self,
        requests: Iterable[ParallelItem] | AsyncIterable[ParallelItem],
        *,
        handler: None = ...,
        **options: Unpack[ParallelOptions],
    ) -> AsyncParallel[Response]: ...

    @overload
    def parallel(
        self,
        requests: Iterable[ParallelItem] | AsyncIterable[ParallelItem],
        *,
        handler: Callable[[Response], Awaitable[_T]],
        **options: Unpack[ParallelOptions],
    ) -> AsyncParallel[_T]: ...

    def parallel(
        self,
        requests: Iterable[ParallelItem] | AsyncIterable[ParallelItem],
        *,
        max_in_flight: int = MAX_IN_FLIGHT,
        max_per_host: int | None = None,
        ordered: bool = True,
        errors: ErrorPolicy = "raise",
        handler: Callable[[Response], Awaitable[Any]] | None = None,
        timeout: float | None = None,
    ) -> AsyncParallel[Any]:
        """Send many requests concurrently, at most ``max_in_flight`` at a time.

        Use the result as an async context manager and iterate it inside::

            async with client.parallel(urls, max_in_flight=20) as results:
                async for result in results:
                    print(result.index, result.value.status_code)

        Not a checkpoint; the requests start when the block is entered and
        nothing outlives it (see :doc:`parallel`).

        Args:
            requests: a list or any iterable or async iterable, consumed
                lazily, of URLs (sent as GET), :class:`Request` objects
                (from :meth:`build_request`), or ``(method, url)`` /
                ``(method, url, options)`` tuples where ``options`` holds
                keyword arguments of :meth:`request`.
            max_in_flight: requests in flight at once (default 10),
                independent of the pool's limits.
            max_per_host: requests in flight at once to one origin.
            ordered: yield results in input order (True) or as they
                complete (False).
            errors: ``"raise"``: the first failure cancels the rest and the
                block raises an exception group of the failures;
                ``"collect"``: failures are results whose ``error`` is set.
            handler: ``async def handler(response) -> T`` called with each
                response streaming (body unread); its return value becomes
                the result's ``value`` and the response is closed after it.
                Without one, bodies are read and ``value`` is the response.
            timeout: seconds for the whole fan-out; on expiry everything in
                flight is cancelled and :class:`TotalTimeout` is raised.
                Per-request timeouts are the client's ``timeout`` or an
                item's own.

        Returns:
            An :class:`AsyncParallel` yielding :class:`ParallelResult` objects.

        Raises:
            ValueError: a bound below 1 or an unknown ``errors`` policy.
            ClientStateError: the client is not open (outside its ``async with``).
        """
        self._scope.check_open()
        from ._parallel import AsyncParallel  # fan-out loads with its first use

        return AsyncParallel(
            self,
            requests,
            max_in_flight=max_in_flight,
            max_per_host=max_per_host,
            ordered=ordered,
            errors=errors,
            handler=handler,
            timeout=timeout,
        )
