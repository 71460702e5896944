"""Request: one HTTP request as it goes on the wire (layer 0: no I/O here).

Building a request validates the method, parses the URL, encodes the body
(``content``, ``data``, ``files`` or ``json``) and adds the ``Host`` and
framing headers the body needs, once, so transports only serialise it.

The same class is requests' ``Request``: it takes requests' arguments in
requests' order (``Request(method, url, headers, files, data, params, auth,
cookies, hooks, json)``). Where requests keeps them until ``prepare()``, a
trio_http request is built at once, so ``AsyncClient.send`` can send it as
it is; ``auth``, ``cookies`` and ``hooks`` are only kept, and applied by
:meth:`Request.prepare` (or ``Session.prepare_request``), which returns a
:class:`~trio_http.PreparedRequest`: a request of this class with those
applied, whose fields may then be changed as in requests. Applying auth and
cookies takes rules a layer above this module, so
:mod:`trio_http._prepared` installs the preparing function here when it is
imported (``trio_http`` imports it).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from ._exceptions import InvalidURL, LocalProtocolError, ResponseNotRead
from ._headers import Headers, _Entry, _make_entry
from ._hooks import HookValue, default_hooks, hook_list
from ._streams import EMPTY_CONTENT, BytesContent, RequestContent
from ._urls import URL

if TYPE_CHECKING:
    from ._deadlines import Deadlines
    from ._response import Response
    from ._types import (
        CookieTypes,
        HeaderTypes,
        HooksTypes,
        JSONTypes,
        QueryParamTypes,
        RequestContentTypes,
        RequestData,
        RequestFiles,
    )

__all__ = ["Request", "RequestAuth", "normalize_method"]


class _AuthFlow(Protocol):
    """An authentication flow (:class:`trio_http.Auth`), seen from this layer."""

    def auth_flow(self, request: Request) -> Generator[Request, Response, None]: ...


_METHOD_CHARS = frozenset(
    "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
)
# Methods whose empty body is sent without a Content-Length, as requests
# sends them; any other method (DELETE and OPTIONS included) declares an
# empty body with "Content-Length: 0".
_METHODS_WITHOUT_BODY = frozenset({"GET", "HEAD"})
# The usual spellings, already valid and upper-case.
_KNOWN_METHODS = {
    name: name
    for name in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT")
}


def normalize_method(method: str | bytes) -> str:
    """Upper-case and validate an HTTP method token.

    Raises:
        LocalProtocolError: empty, or not an RFC 9110 token.
    """
    if type(method) is str:
        known = _KNOWN_METHODS.get(method)
        if known is not None:
            return known
    if isinstance(method, bytes):
        method = method.decode("ascii", "replace")
    if not isinstance(method, str) or not method or not _METHOD_CHARS.issuperset(method):
        raise LocalProtocolError(f"invalid HTTP method {method!r}")
    return method.upper()


# netloc -> its validated Host entry (entries are immutable tuples).
_HOST_ENTRIES: dict[str, _Entry] = {}
_HOST_ENTRIES_MAX = 512


def _host_entry(netloc: str) -> _Entry:
    entry = _HOST_ENTRIES.get(netloc)
    if entry is None:
        entry = _make_entry("Host", netloc)
        if len(_HOST_ENTRIES) < _HOST_ENTRIES_MAX:
            _HOST_ENTRIES[netloc] = entry
    return entry


class Request:
    """One HTTP request, as sent on the wire; also requests' ``Request``.

    Build it with the client's ``build_request`` (which merges client
    defaults), or directly. The body comes from exactly one of ``content``,
    ``data``, ``files`` (with optional ``data`` form fields) or ``json``.
    Building does no I/O and is not a checkpoint.

    Args:
        method: the method (validated, upper-cased); ``None`` until assigned.
        url: the URL; ``params`` are appended to its query. ``None`` until
            assigned (``prepare()`` then raises ``MissingSchema``).
        headers: the request's headers.
        files: multipart file fields (with ``data`` form fields).
        data: form fields, or a raw body as requests accepts it.
        params: query parameters.
        auth: requests' auth, applied by :meth:`prepare` (``AsyncClient``
            takes auth as ``send(auth=...)`` instead).
        cookies: cookies for this request, applied by :meth:`prepare`.
        hooks: ``{"response": hook or [hooks]}``, run by ``Session.send``
            on the response of a prepared request.
        json: a value sent as JSON.
        content: the raw body (``data`` takes requests' raw bodies too).
        stream: a body already encoded, as a :class:`RequestContent`.
        extensions: per-request settings for transports.

    Raises:
        LocalProtocolError: an invalid method, or ``content`` with another body.
        InvalidHeader: a header cannot be sent. A URL that cannot be parsed
            raises ``InvalidURL`` where it is first used (:attr:`url`,
            :meth:`prepare`, sending), as requests raises it in ``prepare()``.

    Attributes:
        method: upper-case method.
        url: the absolute :class:`URL`.
        headers: :class:`Headers`, including ``Host`` and body framing.
        stream: the body as a :class:`RequestContent`.
        extensions: per-request settings for transports (``timeout``, ...).
        deadlines: the :class:`Deadlines` of the request once it is being
            sent (set by ``AsyncClient.send``, shared by redirects and
            retries); ``None`` before.
        auth, cookies: as given, for :meth:`prepare`.
    """

    __slots__ = (
        "_data",
        "_hooks",
        "_url",
        "_url_error",
        "auth",
        "cookies",
        "deadlines",
        "extensions",
        "headers",
        "method",
        "stream",
    )

    # None only while a request built without a URL has none assigned, or
    # when the URL given could not be parsed (see ``url``).
    _url: URL
    # The data= the body was built from; unset (read as None) without one.
    _data: RequestData | None
    # Set by trio_http._prepared: see the module docstring.
    _preparer: ClassVar[Callable[[Request], Request] | None] = None

    def __init__(
        self,
        method: str | bytes | None = None,
        url: URL | str | None = None,
        headers: HeaderTypes | None = None,
        files: RequestFiles | None = None,
        data: RequestData | None = None,
        params: QueryParamTypes | None = None,
        auth: RequestAuth = None,
        cookies: CookieTypes | None = None,
        hooks: HooksTypes | None = None,
        json: JSONTypes = None,
        *,
        content: RequestContentTypes | None = None,
        stream: RequestContent | None = None,
        # Whatever the transports read: no precise value type exists.
        extensions: dict[str, Any] | None = None,
    ) -> None:
        # requests' Request() may be built empty and filled in before
        # prepare(): a missing method or URL stays None until assigned.
        self.method: str = normalize_method(method) if method is not None else None  # type: ignore[assignment]
        self._url_error: InvalidURL | None = None
        try:
            if url is None:
                self._url = None  # type: ignore[assignment]
            else:
                self._url = URL(url) if params is None else URL(url, params=params)
        except InvalidURL as exc:
            # requests finds a bad URL in prepare(), not in Request(): the
            # error is kept and raised where the URL is first needed.
            self._url = None  # type: ignore[assignment]
            self._url_error = exc
        self.headers = headers.copy() if isinstance(headers, Headers) else Headers(headers)
        self.extensions: dict[str, Any] = {} if extensions is None else extensions
        self.deadlines: Deadlines | None = None
        self.auth = auth
        self.cookies = cookies
        self._hooks: dict[str, list[Callable[..., Any]]] | None = None
        if hooks:
            for event, event_hooks in hooks.items():
                self.register_hook(event, event_hooks)
        if stream is None:
            if content is None and data is None and files is None and json is None:
                stream = EMPTY_CONTENT
            else:
                from ._content import encode_request

                content_headers, stream = encode_request(
                    content=content, data=data, files=files, json=json
                )
                if data is not None:
                    self._data = data
                for name, value in content_headers.items():
                    if name not in self.headers:
                        self.headers[name] = value
        self.stream = stream
        self._prepare_framing()

    def _prepare_framing(self) -> None:
        # One pass over the (few) names present, then one append: this runs
        # for every request, so it avoids building the lookup index.
        headers = self.headers
        present = {entry[3] for entry in headers._get_entries()}
        additions: list[_Entry] = []
        if "host" not in present and self._url is not None and self._url.host:
            additions.append(_host_entry(self._url.netloc))
        if "content-length" not in present and "transfer-encoding" not in present:
            length = self.stream.length
            if length is None:
                additions.append(_make_entry("Transfer-Encoding", "chunked"))
            elif length or self.method not in _METHODS_WITHOUT_BODY:
                additions.append(_make_entry("Content-Length", str(length)))
        if additions:
            headers._extend_new(additions)

    @property
    def url(self) -> URL:
        """The absolute :class:`URL`; assigning a ``str`` parses it.

        Raises:
            InvalidURL: the URL given to ``Request()`` could not be parsed
                (raised here, on first use, as requests raises it in
                ``prepare()``).
        """
        url: URL | None = self._url
        if url is None and self._url_error is not None:
            raise self._url_error
        return url  # type: ignore[return-value]  # None: an empty PreparedRequest

    @url.setter
    def url(self, value: URL | str) -> None:
        # requests-style auth callables assign strings (``r.url = r.url + "&k=v"``).
        old = self._url
        new = self._url = value if type(value) is URL else URL(value)
        self._url_error = None
        # A Host header derived from the old URL follows the new one.
        headers = self.headers
        if (
            old is not None
            and old.netloc != new.netloc
            and new.host
            and headers.get("Host") == old.netloc
        ):
            headers["Host"] = new.netloc

    @property
    def path_url(self) -> str:
        """The path and query sent in the request line (requests' name)."""
        return self._url.target.decode("ascii")

    @property
    def body(self) -> bytes | str | None:
        """The body as requests shows it when in memory; ``None`` when empty.

        A body given as text (a ``str``, or form fields, which are encoded
        as text) is that ``str``, as in requests; other bodies in memory are
        ``bytes`` (:attr:`content` is always the bytes sent). A streamed
        body (file, iterator) that has not been read gives ``None`` too;
        ``stream`` holds it. Assigning bytes, ``str`` (sent as UTF-8), a
        file or an iterable of bytes replaces the body, and the
        ``Content-Length`` or ``Transfer-Encoding`` header with it (requests
        leaves the old header, which no longer matches).
        """
        stream = self.stream
        if isinstance(stream, BytesContent) and stream.body:
            text = stream.text
            return stream.body if text is None else text
        return None

    @body.setter
    def body(self, value: RequestContentTypes | None) -> None:
        from ._content import encode_content

        self.stream = EMPTY_CONTENT if value is None else encode_content(value)
        self.refresh_framing()

    @property
    def data(self) -> RequestData | None:
        """requests' ``Request.data``: the ``data`` the body was last built from.

        Assigning it (requests code fills a ``Request()`` in before
        ``prepare()``) encodes the body again, as ``Request(data=...)``
        would, with its ``Content-Type`` when none is set, and framing.
        ``None`` when the body came from another argument.

        Raises:
            TypeError: a body of an unsupported type.
        """
        try:
            return self._data
        except AttributeError:
            return None

    @data.setter
    def data(self, value: RequestData | None) -> None:
        from ._content import encode_request

        content_headers, self.stream = encode_request(data=value)
        self._data = value
        for name, header_value in content_headers.items():
            if name not in self.headers:
                self.headers[name] = header_value
        self.refresh_framing()

    def refresh_framing(self) -> None:
        """Derive ``Content-Length`` / ``Transfer-Encoding`` from the body again.

        Also adds ``Host`` when it is missing.
        """
        self.headers.pop("Content-Length", None)
        self.headers.pop("Transfer-Encoding", None)
        self._prepare_framing()

    # -- requests' Request --------------------------------------------------

    @property
    def hooks(self) -> dict[str, list[Callable[..., Any]]]:
        """requests' hooks mapping, ``{"response": [...]}``."""
        hooks = self._hooks
        if hooks is None:
            hooks = self._hooks = default_hooks()
        return hooks

    @hooks.setter
    def hooks(self, value: dict[str, list[Callable[..., Any]]]) -> None:
        self._hooks = value

    def register_hook(self, event: str, hook: HookValue) -> None:
        """Add a hook (or an iterable of hooks) for ``event``.

        Raises:
            ValueError: an event other than ``"response"``.
        """
        hooks = self.hooks
        if event not in hooks:
            raise ValueError(f"unsupported hook event {event!r}: use one of {sorted(hooks)}")
        hooks[event].extend(hook_list(hook))

    def deregister_hook(self, event: str, hook: Callable[..., Any]) -> bool:
        """Remove a hook; whether it was registered."""
        try:
            self.hooks[event].remove(hook)
        except (KeyError, ValueError):
            return False
        return True

    def prepare(self) -> Request:
        """requests' ``Request.prepare()``: a ``PreparedRequest`` ready to send.

        The result is a copy with :attr:`cookies`, :attr:`auth` (or the
        URL's credentials) and the hooks applied; this request is left as
        it is. Not a checkpoint.

        Returns:
            A :class:`~trio_http.PreparedRequest`, declared as its base class
            (this module sits below the auth and cookie rules it applies).
        """
        preparer = Request._preparer
        if preparer is None:
            # ``import trio_http`` loads PreparedRequest lazily; loading it
            # installs the preparer (imported by name: it is a layer above).
            importlib.import_module("._prepared", __package__)
            preparer = Request._preparer
            assert preparer is not None
        return preparer(self)

    @property
    def content(self) -> bytes:
        """The body, when it is held in memory.

        Raises:
            ResponseNotRead: the body is a stream that has not been read.
        """
        if isinstance(self.stream, BytesContent):
            return self.stream.body
        raise ResponseNotRead("the request body is a stream; call aread() first")

    async def aread(self) -> bytes:
        """Read a streamed body into memory (so it can be sent again)."""
        if not isinstance(self.stream, BytesContent):
            body = b"".join([chunk async for chunk in self.stream])
            self.stream = BytesContent(body)
        return self.stream.body

    def __repr__(self) -> str:
        return f"<Request({self.method!r}, {str(self._url)!r})>"


# requests' auth: (user, password) for Basic, a callable that takes and
# returns the request (an AuthBase), or a trio_http Auth flow.
RequestAuth = tuple[str | bytes, str | bytes] | Callable[[Request], Request] | _AuthFlow | None
