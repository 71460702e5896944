"""``PreparedRequest``: requests' ready-to-send request, as a trio_http :class:`Request`.

How this works. A prepared request *is* a :class:`~trio_http.Request`, the
object ``AsyncClient.send`` sends, so ``Session.send`` hands it on as it is
and ``response.request`` is the object that was prepared. It may start
empty (``PreparedRequest()``) and be filled by requests' ``prepare_*``
steps, or come from :meth:`Request.prepare` and ``Session.prepare_request``
(:meth:`PreparedRequest.from_request` copies a built request, then cookies,
auth and hooks are applied). Each step reuses trio_http's own piece: the
method check, URL parsing and validation, header validation, the body
encoder (:func:`~trio_http._content.encode_request`), the request's framing
rule, the cookie jar's ``Cookie`` header and Basic credentials. Nothing here
sends anything.

Where requests differs: the headers hold ``Host`` (trio_http builds the
wire request while preparing), and an auth *flow* (a :class:`trio_http.Auth`
such as ``HTTPDigestAuth``) is run by the client while the request is sent,
not here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast, final

from ._auth import Auth, basic_auth_header
from ._content import encode_request
from ._cookies import Cookies
from ._exceptions import MissingSchema
from ._headers import Headers
from ._hooks import HookValue
from ._request import Request, normalize_method
from ._streams import EMPTY_CONTENT
from ._urls import SENDABLE_SCHEMES, URL, validate_request_url
from ._utils_urls import requote_uri

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ._request import RequestAuth
    from ._types import (
        CookieTypes,
        HeaderTypes,
        JSONTypes,
        QueryParamTypes,
        RequestContentTypes,
        RequestData,
        RequestFiles,
    )

__all__ = ["PreparedRequest"]


@final
class PreparedRequest(Request):
    """requests' ``PreparedRequest``: a request with everything applied, ready to send.

    Usually made by ``Request(...).prepare()`` or
    ``Session.prepare_request(request)`` and sent with ``Session.send``. Its
    ``method``, ``url``, ``headers`` and ``body`` may be changed before
    sending; assigning ``body`` updates the framing headers. Built empty,
    ``method`` and ``url`` are ``None`` until :meth:`prepare` (or the
    ``prepare_*`` steps) fill them.
    """

    __slots__ = ("_auth_flow", "_cookies")

    def __init__(self) -> None:
        # requests' empty state: the steps below fill it in.
        self.method = None  # type: ignore[assignment]
        self._url = None  # type: ignore[assignment]
        self._url_error = None
        self.headers = Headers()
        self.stream = EMPTY_CONTENT
        self.extensions: dict[str, Any] = {}
        self.deadlines = None
        self.auth = None
        self.cookies = None
        self._hooks = None
        # The jar prepare_cookies used, and an auth flow for the client to run.
        self._cookies: Cookies | None = None
        self._auth_flow: Auth | None = None

    @classmethod
    def from_request(
        cls, request: Request, *, url: URL | None = None, headers: HeaderTypes | None = None
    ) -> PreparedRequest:
        """A prepared copy of a built ``request``: method, URL, headers, body, extensions.

        Cookies, auth and hooks are not applied (see :meth:`prepare_cookies`,
        :meth:`prepare_auth`, :meth:`prepare_hooks`). The body stream is
        shared, not copied.

        Args:
            request: the request to copy.
            url: a URL to use instead of the request's.
            headers: headers to use instead of a copy of the request's.
        """
        prepared = cls()
        prepared.method = request.method
        prepared._url = _requoted(request.url if url is None else url)
        prepared.headers = request.headers.copy() if headers is None else Headers(headers)
        prepared.stream = request.stream
        prepared.extensions = dict(request.extensions)
        return prepared

    def prepare(  # type: ignore[override]  # requests' PreparedRequest.prepare fills in place
        self,
        method: str | None = None,
        url: URL | str | bytes | None = None,
        headers: HeaderTypes | None = None,
        files: RequestFiles | None = None,
        data: RequestData | None = None,
        params: QueryParamTypes | None = None,
        auth: RequestAuth = None,
        cookies: CookieTypes | None = None,
        hooks: Mapping[str, HookValue] | None = None,
        json: JSONTypes = None,
    ) -> None:
        """Fill in every part, in requests' order (auth last but for hooks).

        Raises:
            MissingSchema, InvalidURL: the URL cannot be sent.
            InvalidHeader: a header name or value is invalid.
            InvalidJSONError: ``json`` cannot be encoded.
        """
        self.prepare_method(method)
        self.prepare_url(url, params)
        self.prepare_headers(headers)
        self.prepare_cookies(cookies)
        self.prepare_body(data, files, json)
        self.prepare_auth(auth, url)
        self.prepare_hooks(hooks)

    def prepare_method(self, method: str | bytes | None) -> None:
        """Set the method, validated and upper-cased (``None`` leaves it unset)."""
        self.method = None if method is None else normalize_method(method)  # type: ignore[assignment]

    def prepare_url(self, url: URL | str | bytes | None, params: QueryParamTypes | None) -> None:
        """Set the URL with ``params`` appended to its query.

        Raises:
            MissingSchema: no scheme.
            InvalidURL: an ``http(s)`` URL without a host, or one that cannot
                be parsed. Other schemes are kept, as requests keeps them.
        """
        if isinstance(url, bytes):
            url = url.decode("utf-8")
        parsed = URL(str(url).lstrip() if type(url) is not URL else url, params=params or None)
        if not parsed.scheme or parsed.scheme in SENDABLE_SCHEMES:
            validate_request_url(parsed)
        self.url = _requoted(parsed)

    def prepare_headers(self, headers: HeaderTypes | None) -> None:
        """Replace the headers (validated); ``Host`` is added from the URL."""
        self.headers = Headers(headers)
        self._frame_if_ready(refresh=False)

    def prepare_body(
        self, data: RequestData | None, files: RequestFiles | None, json: JSONTypes = None
    ) -> None:
        """Encode the body as trio_http encodes every request body.

        A ``Content-Type`` given in the headers is kept. The length is set
        again for a body of known length; a streamed body keeps a
        ``Content-Length`` given in the headers, else is sent chunked.

        Raises:
            InvalidJSONError: ``json`` cannot be encoded.
            ValueError: ``files`` with a raw ``data`` body.
        """
        content_headers, self.stream = encode_request(data=data, files=files, json=json)
        for name, value in content_headers.items():
            if name not in self.headers:
                self.headers[name] = value
        self._frame_if_ready(refresh=self.stream.length is not None)

    def prepare_content_length(self, body: RequestContentTypes | None) -> None:
        """Set ``Content-Length`` (or ``Transfer-Encoding``) for ``body``.

        Passing a body other than the current one makes it the body.
        """
        if body is not None and body is not self.body:
            self.body = body
        else:
            self._frame_if_ready(refresh=True)

    def prepare_auth(self, auth: RequestAuth, url: URL | str | bytes | None = "") -> None:
        """Apply ``auth``; without one, the URL's credentials (Basic).

        A ``(user, password)`` pair sets Basic credentials and a callable
        (requests' ``AuthBase``) may change the request; both apply now. A
        :class:`trio_http.Auth` flow (``HTTPDigestAuth``) runs while the
        request is sent.

        Raises:
            TypeError: ``auth`` is none of these.
        """
        if auth is None and self._url is not None and (self._url.username or self._url.password):
            auth = (self._url.username, self._url.password)
        if not auth:
            return
        if isinstance(auth, tuple) and len(auth) == 2:
            self.headers["Authorization"] = basic_auth_header(auth[0], auth[1])
        elif isinstance(auth, Auth):
            self._auth_flow = auth
        elif callable(auth):
            stream = self.stream
            changed = auth(self)
            if changed is not None and changed is not self:
                self._take_state(changed)
            if self.stream is not stream:
                self._frame_if_ready(refresh=True)
        else:
            raise TypeError(
                "auth must be a (user, password) tuple, a callable taking and returning "
                f"the request, or a trio_http.Auth, not {type(auth).__name__}"
            )

    def prepare_cookies(self, cookies: CookieTypes | None) -> None:
        """Add a ``Cookie`` header with the cookies that match the URL.

        A ``Cookie`` header already present is left alone, as in requests:
        delete it first to prepare cookies again.
        """
        jar = cookies if isinstance(cookies, Cookies) else Cookies(cookies)
        self._cookies = jar
        if self._url is not None:
            jar.set_cookie_header(self)

    def prepare_hooks(self, hooks: Mapping[str, HookValue] | None) -> None:
        """Register ``{"event": hook or [hooks]}`` after the hooks already there."""
        for event, value in (hooks or {}).items():
            self.register_hook(event, value)

    def copy(self) -> PreparedRequest:
        """A copy to change without touching this one (requests' ``copy()``).

        Headers and the cookie jar are copied; the body and the hooks
        mapping are shared, as in requests.
        """
        clone = PreparedRequest.from_request(self) if self._url is not None else PreparedRequest()
        clone.method = self.method
        clone._hooks = self.hooks  # shared, as in requests
        clone._cookies = None if self._cookies is None else Cookies(self._cookies)
        clone._auth_flow = self._auth_flow
        clone.auth, clone.cookies = self.auth, self.cookies
        return clone

    # -- helpers ---------------------------------------------------------------

    def _frame_if_ready(self, *, refresh: bool) -> None:
        # Host and framing need the URL and the method; before both are set
        # (a step called out of requests' order) there is nothing to derive.
        url, method = cast("URL | None", self._url), cast("str | None", self.method)
        if url is None or method is None:
            return
        if refresh:
            self.refresh_framing()
        else:
            self._prepare_framing()

    def _take_state(self, other: Request) -> None:
        # An auth callable returned another request: it is the one to send.
        self.method = other.method
        self._url = other.url
        self.headers = other.headers
        self.stream = other.stream
        self.extensions = other.extensions
        self._hooks = other._hooks

    def __repr__(self) -> str:
        return f"<PreparedRequest [{self.method}]>"


def _requoted(url: URL) -> URL:
    """``url`` as requests prepares it, for the ``http*`` schemes trio_http does not send.

    requests requotes every URL whose scheme starts with ``http``: escapes of
    unreserved characters are decoded (``/path%7E`` becomes ``/path~``, the
    same resource by RFC 3986 §6.2.2.2). For ``http`` and ``https`` trio_http
    keeps the escapes as written, so a signed URL reaches the server byte for
    byte (docs/requests.rst); a URL of another ``http*`` scheme
    (``http+unix://``) is only read by the adapter mounted for it, which
    expects it as requests prepares it.
    """
    scheme = url.scheme
    if scheme in SENDABLE_SCHEMES or not scheme.startswith("http"):
        return url
    text = str(url)
    if "%" not in text:
        return url
    requoted = requote_uri(text)
    return url if requoted == text else URL(requoted)


def _prepare(request: Request) -> Request:
    # Request.prepare(): a copy with the request's cookies, auth and hooks applied.
    if cast("URL | None", request.url) is None:
        # Request() built without a URL, none assigned since (requests' wording).
        raise MissingSchema("Invalid URL None: no scheme supplied. Perhaps you meant https://?")
    prepared = PreparedRequest.from_request(request)
    # The method and URL may have been assigned after Request(): derive
    # what they decide (Host, framing) where it is still missing.
    prepared.prepare_method(request.method)
    prepared._frame_if_ready(refresh=False)
    prepared.prepare_cookies(request.cookies)
    prepared.prepare_auth(request.auth)
    prepared.prepare_hooks(request._hooks)
    return prepared


Request._preparer = _prepare
