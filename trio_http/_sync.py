"""``Session``: the blocking, requests-compatible client.

How this works. A session keeps requests' settings as plain attributes
(``headers``, ``auth``, ``params``, ``verify``...) and merges them into each
request's arguments on the calling thread, so a change such as
``s.headers["X"] = "1"`` applies to the next request. The request itself is
sent by an :class:`AsyncClient` living in the portal's loop thread, in one
hop: connect, send, redirects, auth retries and the body read all happen in
one task there. Nothing here speaks HTTP.

An ``AsyncClient`` must be entered and exited by one task, so each client
is owned by a small task in the portal's nursery that opens it, waits for
the session to close and closes it. Requests from any number of threads run
as their own tasks beside it. The TLS settings (``verify``, ``cert``) belong
to a client's connection pool, so a session keeps one client per distinct
pair it was asked to use; all of them share the session's cookie jar.

A streamed response (``stream=True``) reads its body through a pump task
in the loop that reads ahead into a bounded buffer; each blocking read takes
everything buffered in one hop.
"""

from __future__ import annotations

import os
import threading
import weakref
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, final

import trio

from ._auth import NetRCAuth
from ._client import USE_CLIENT_DEFAULT, AsyncClient, __version__, accept_encoding
from ._config import MAX_REDIRECTS
from ._cookies import Cookies
from ._exceptions import InvalidSchema
from ._headers import Headers
from ._parallel import DEFAULT_MAX_IN_FLIGHT, ErrorPolicy, ParallelItem
from ._portal import Portal, get_portal
from ._transports._base import AsyncBaseTransport
from ._urls import URL
from .structures import CaseInsensitiveDict

if TYPE_CHECKING:
    from types import TracebackType

    from ._models import Request, Response
    from ._sync_parallel import Parallel

__all__ = ["Session", "default_headers"]

# Bytes a streamed response may read ahead of its reader.
STREAM_READ_AHEAD = 1024 * 1024
_DEFAULT: Any = USE_CLIENT_DEFAULT


def default_headers() -> CaseInsensitiveDict[str | bytes | None]:
    """The headers a new :class:`Session` sends, as requests' sessions do."""
    return CaseInsensitiveDict(
        {
            "User-Agent": f"trio_http/{__version__}",
            "Accept-Encoding": accept_encoding(),
            "Accept": "*/*",
            "Connection": "keep-alive",
        }
    )


# -- the loop side --------------------------------------------------------


@final
class _OwnedClient:
    """An AsyncClient opened and closed by its own task in the portal."""

    __slots__ = ("_close_requested", "_finished", "client", "portal")

    def __init__(self, client: AsyncClient, portal: Portal) -> None:
        self.client = client
        self.portal = portal
        self._close_requested: trio.Event | None = None
        self._finished: trio.Event | None = None

    async def open(self) -> None:
        self._close_requested = trio.Event()
        self._finished = trio.Event()
        await self.portal.nursery.start(self._own)

    async def _own(self, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        assert self._close_requested is not None and self._finished is not None
        try:
            async with self.client:
                task_status.started()
                await self._close_requested.wait()
        except Exception:
            pass
        finally:
            self._finished.set()

    def request_close_nowait(self) -> None:
        # Loop thread only.
        if self._close_requested is not None:
            self._close_requested.set()

    async def close(self) -> None:
        self.request_close_nowait()
        if self._finished is not None:
            await self._finished.wait()


@final
class _StreamPump:
    """Reads a streamed response body ahead of its blocking reader (loop side).

    Implements the :class:`~trio_http._models.BlockingBody` calls through the
    portal: :meth:`read_batch` and :meth:`close` are called by the reader's
    thread and each make one hop.
    """

    __slots__ = (
        "_buffered",
        "_chunks",
        "_data_ready",
        "_done",
        "_error",
        "_portal",
        "_response",
        "_room",
        "_scope",
        "_started",
        "after_close",
    )

    def __init__(self, portal: Portal, response: Response) -> None:
        self._portal = portal
        self._response = response
        self._chunks: deque[bytes] = deque()
        self._buffered = 0
        self._done = False
        self._error: BaseException | None = None
        self._started = False
        self._scope: trio.CancelScope | None = None
        self._data_ready: trio.Event | None = None
        self._room: trio.Event | None = None
        # Run on the reader's thread once the body is closed.
        self.after_close: Callable[[], None] | None = None

    # -- called from the reader's thread ---------------------------------

    def read_batch(self) -> list[bytes]:
        return self._portal.call(self._take)

    def close(self) -> None:
        try:
            if not self._portal.is_closed:
                self._portal.call(self._aclose)
        finally:
            after_close, self.after_close = self.after_close, None
            if after_close is not None:
                after_close()

    # -- loop side --------------------------------------------------------

    async def _pump(self, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        with trio.CancelScope() as scope:
            self._scope = scope
            task_status.started()
            try:
                async for chunk in self._response.stream:
                    self._chunks.append(chunk)
                    self._buffered += len(chunk)
                    self._wake_reader()
                    while self._buffered >= STREAM_READ_AHEAD:
                        self._room = trio.Event()
                        await self._room.wait()
            except Exception as exc:
                self._error = exc
        self._done = True
        self._wake_reader()

    def _wake_reader(self) -> None:
        if self._data_ready is not None:
            self._data_ready.set()

    async def _take(self) -> list[bytes]:
        if not self._started:
            self._started = True
            await self._portal.nursery.start(self._pump)
        while not self._chunks and not self._done:
            self._data_ready = trio.Event()
            await self._data_ready.wait()
        self._data_ready = None
        if self._chunks:
            batch = list(self._chunks)
            self._chunks.clear()
            self._buffered = 0
            if self._room is not None:
                self._room.set()
            return batch
        error, self._error = self._error, None
        if error is not None:
            raise error
        return []

    async def _aclose(self) -> None:
        if self._scope is not None:
            self._scope.cancel()
        self._done = True
        await self._response.aclose()


async def _send(
    client: AsyncClient,
    request: Request,
    stream: bool,
    auth: Any,
    follow_redirects: bool,
) -> Response:
    return await client.send(request, stream=stream, auth=auth, follow_redirects=follow_redirects)


# -- the blocking side ----------------------------------------------------


def _merge_setting(request_value: Any, session_value: Any) -> Any:
    """requests' rule: a request's mapping updates the session's; None keys drop."""
    if request_value is None:
        return session_value
    if session_value is None:
        return request_value
    if not (isinstance(request_value, Mapping) and isinstance(session_value, Mapping)):
        return request_value
    merged = dict(session_value)
    merged.update(request_value)
    return {key: value for key, value in merged.items() if value is not None}


def _merge_headers(
    session_headers: Mapping[str, Any], request_headers: Mapping[str, Any] | None
) -> list[tuple[str, Any]]:
    if not request_headers:
        return [(name, value) for name, value in session_headers.items() if value is not None]
    by_name: dict[str, tuple[str, Any]] = {
        name.lower(): (name, value) for name, value in session_headers.items()
    }
    for name, value in request_headers.items():
        key = name.lower() if isinstance(name, str) else name.decode("latin-1").lower()
        by_name[key] = (name, value)
    return [(name, value) for name, value in by_name.values() if value is not None]


def _hook_list(value: Any) -> list[Callable[..., Any]]:
    if value is None:
        return []
    if callable(value):
        return [value]
    return list(value)


def _netrc_configured() -> bool:
    path = os.environ.get("NETRC") or os.path.expanduser("~/.netrc")
    return os.path.isfile(path)


def _clients_closer(clients: dict[Any, _OwnedClient]) -> None:
    # Finalizer of an unclosed, garbage-collected Session: tell the owner
    # tasks to close their clients, without waiting.
    for owned in list(clients.values()):
        if not owned.portal.is_closed and owned.portal.pid == os.getpid():
            owned.portal.call_soon(owned.request_close_nowait)
    clients.clear()


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
        self._transport = transport
        self._headers_cache: tuple[tuple[Any, ...], Headers] | None = None
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
        self._clients: dict[Any, _OwnedClient] = {}
        self._lock = threading.Lock()
        self._netrc: NetRCAuth | bool | None = False  # False: not looked up yet
        self._finalizer = weakref.finalize(self, _clients_closer, self._clients)

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
        with self._lock:
            owned_clients = list(self._clients.values())
            self._clients.clear()
        for owned in owned_clients:
            portal = owned.portal
            if portal.is_closed or portal.pid != os.getpid():
                continue
            portal.call(owned.close)

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
        pattern = _mount_pattern(prefix)
        self.adapters[prefix] = adapter
        with self._lock:
            clients = list(self._clients.values())
        for owned in clients:
            owned.client.mount(pattern, adapter)

    def _request_headers(self, headers: Mapping[str, Any] | None) -> Headers | list[Any]:
        """The session's headers merged with a request's (``None`` drops one).

        Without request headers, the validated ``Headers`` built from the
        session's is reused for as long as the session's headers stay equal.
        """
        if headers:
            return _merge_headers(self.headers, headers)
        session_headers = self.headers
        if type(session_headers) is CaseInsensitiveDict:
            # Its store holds exactly the (name, value) items: copy them at C speed.
            snapshot = tuple(session_headers._store.values())
        else:
            snapshot = tuple(session_headers.items())
        cached = self._headers_cache
        if cached is not None and cached[0] == snapshot:
            return cached[1]
        built = Headers([(name, value) for name, value in snapshot if value is not None])
        self._headers_cache = (snapshot, built)
        return built

    def _client_for(
        self,
        portal: Portal,
        verify: Any = None,
        cert: Any = None,
        proxies: Mapping[str, Any] | None = None,
    ) -> AsyncClient:
        """The open client for these settings (``None``: the session's), in sync.

        Resolves ``verify`` (``REQUESTS_CA_BUNDLE`` / ``CURL_CA_BUNDLE`` when
        ``trust_env``), ``cert`` and the merged proxies, and hands the
        session's current cookie jar and redirect limit to the client.
        """
        merged_proxies = _merge_setting(proxies, self.proxies) if proxies or self.proxies else None
        verify = self.verify if verify is None else verify
        cert = self.cert if cert is None else cert
        if verify is True and self.trust_env:
            verify = (
                os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
            )
        if isinstance(cert, list):
            cert = tuple(cert)
        client = self._owned_client(portal, verify, cert, merged_proxies)
        jar = self.cookies
        if client.cookies is not jar:
            if not isinstance(jar, Cookies):
                jar = self.cookies = Cookies(jar)
            for owned in list(self._clients.values()):
                owned.client.cookies = jar
        if client.max_redirects != self.max_redirects:
            client.max_redirects = self.max_redirects
        return client

    def _owned_client(
        self, portal: Portal, verify: Any, cert: Any, proxies: Mapping[str, Any] | None = None
    ) -> AsyncClient:
        proxy_key = tuple(sorted(proxies.items())) if proxies else None
        key = (verify, cert, proxy_key, self.trust_env)
        owned = self._clients.get(key)
        if owned is not None and owned.portal is portal:
            return owned.client
        with self._lock:
            owned = self._clients.get(key)
            if owned is None or owned.portal is not portal:
                client = AsyncClient(
                    verify=verify,
                    cert=cert,
                    cookies=None,
                    max_redirects=self.max_redirects,
                    mounts={_mount_pattern(p): t for p, t in self.adapters.items()},
                    transport=self._transport,
                    proxy=dict(proxies) if proxies else None,
                    trust_env=self.trust_env,
                )
                # The session merges its own headers per request; the client
                # adds none of its defaults (a deleted session header stays gone).
                client.headers = Headers()
                owned = _OwnedClient(client, portal)
                portal.call(owned.open)
                self._clients[key] = owned
        return owned.client

    # -- requests ---------------------------------------------------------

    def request(
        self,
        method: str,
        url: str | URL,
        params: Any = None,
        data: Any = None,
        headers: Mapping[str, Any] | None = None,
        cookies: Any = None,
        files: Any = None,
        auth: Any = None,
        timeout: Any = _DEFAULT,
        allow_redirects: bool = True,
        proxies: Mapping[str, str] | None = None,
        hooks: Mapping[str, Any] | None = None,
        stream: bool | None = None,
        verify: Any = None,
        cert: Any = None,
        json: Any = None,
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
        if auth is None:
            auth = self.auth
            if auth is None and self.trust_env:
                auth = self._netrc_auth(url)
        if stream is None:
            stream = self.stream
        content = None
        if data is not None and files is None and isinstance(data, (str, bytes)):
            content, data = data, None
        request = client.build_request(
            method,
            url,
            content=content,
            data=data,
            files=files,
            json=json,
            params=_merge_setting(params, self.params) or None,
            headers=self._request_headers(headers),
            cookies=cookies,
            timeout=timeout,
        )
        response = portal.call(_send, client, request, stream, auth, allow_redirects)
        if stream:
            response.attach_blocking_body(_StreamPump(portal, response))
        session_hooks = self.hooks
        if hooks is not None or (session_hooks and session_hooks.get("response")):
            response = self._dispatch_hooks(
                response, hooks, stream=stream, timeout=timeout, verify=verify, cert=cert
            )
        return response

    def _netrc_auth(self, url: str | URL) -> Any:
        netrc_auth = self._netrc
        if netrc_auth is False:
            netrc_auth = self._netrc = NetRCAuth() if _netrc_configured() else None
        if netrc_auth is None:
            return None
        parsed = url if isinstance(url, URL) else URL(url)
        if parsed.username or parsed.password:
            return None  # credentials in the URL win, as in requests
        return netrc_auth

    def _dispatch_hooks(
        self, response: Response, hooks: Mapping[str, Any] | None, **kwargs: Any
    ) -> Response:
        merged = dict(self.hooks or {})
        if hooks:
            merged.update(hooks)
        functions = _hook_list(merged.get("response"))
        if not functions:
            return response
        kwargs["proxies"] = self.proxies
        for earlier in response.history:
            for function in functions:
                function(earlier, **kwargs)
        for function in functions:
            replacement = function(response, **kwargs)
            if replacement is not None:
                response = replacement
        return response

    def get(self, url: str | URL, params: Any = None, **kwargs: Any) -> Response:
        """Send a GET request; keyword arguments as for :meth:`request`."""
        return self.request("GET", url, params=params, **kwargs)

    def options(self, url: str | URL, **kwargs: Any) -> Response:
        """Send an OPTIONS request; keyword arguments as for :meth:`request`."""
        return self.request("OPTIONS", url, **kwargs)

    def head(self, url: str | URL, **kwargs: Any) -> Response:
        """Send a HEAD request; redirects are not followed unless asked."""
        kwargs.setdefault("allow_redirects", False)
        return self.request("HEAD", url, **kwargs)

    def post(self, url: str | URL, data: Any = None, json: Any = None, **kwargs: Any) -> Response:
        """Send a POST request; keyword arguments as for :meth:`request`."""
        return self.request("POST", url, data=data, json=json, **kwargs)

    def put(self, url: str | URL, data: Any = None, **kwargs: Any) -> Response:
        """Send a PUT request; keyword arguments as for :meth:`request`."""
        return self.request("PUT", url, data=data, **kwargs)

    def patch(self, url: str | URL, data: Any = None, **kwargs: Any) -> Response:
        """Send a PATCH request; keyword arguments as for :meth:`request`."""
        return self.request("PATCH", url, data=data, **kwargs)

    def delete(self, url: str | URL, **kwargs: Any) -> Response:
        """Send a DELETE request; keyword arguments as for :meth:`request`."""
        return self.request("DELETE", url, **kwargs)

    def parallel(
        self,
        requests: Iterable[ParallelItem],
        *,
        max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
        max_per_host: int | None = None,
        ordered: bool = True,
        errors: ErrorPolicy = "raise",
        handler: Callable[[Response], Awaitable[Any]] | None = None,
        timeout: float | None = None,
    ) -> Parallel[Any]:
        """Send many requests concurrently; iterate the results as they come.

        The blocking twin of :meth:`AsyncClient.parallel`, with the same
        arguments; the fan-out runs in the loop thread, and breaking out of
        the loop (or Ctrl-C) cancels what is still in flight::

            with session.parallel(urls, max_in_flight=20) as results:
                for result in results:
                    print(result.request.url, result.value.status_code)
        """
        from ._sync_parallel import session_parallel

        return session_parallel(
            self,
            requests,
            max_in_flight=max_in_flight,
            max_per_host=max_per_host,
            ordered=ordered,
            errors=errors,
            handler=handler,
            timeout=timeout,
        )

    def __repr__(self) -> str:
        return f"<Session with {len(self._clients)} open client(s)>"


def _mount_pattern(prefix: str) -> str:
    """Turn a requests mount prefix into an :meth:`AsyncClient.mount` pattern."""
    scheme, sep, rest = prefix.partition("://")
    if not sep or not scheme:
        raise InvalidSchema(f"a mount prefix must start with 'scheme://', got {prefix!r}")
    authority, _, path = rest.partition("/")
    if path:
        raise NotImplementedError(
            f"mount prefix {prefix!r} has a path; trio_http routes on scheme, host and port only"
        )
    return f"{scheme.lower()}://{authority}"
