"""The head of a response: status line, headers, and what they say.

:class:`ResponseHead` is the base of :class:`~trio_http.Response`, which adds
the body. Everything here is derived from the status code and the headers,
so nothing here reads, decodes or closes anything.
"""

from __future__ import annotations

import datetime
from collections.abc import ItemsView, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Protocol, cast, final

from ._exceptions import HTTPError
from ._header_params import parse_link_header
from ._headers import Headers
from ._status_codes import reason_phrase as _reason_phrase
from ._text import text_encoding_from_content_type

if TYPE_CHECKING:
    from ._request import Request
    from ._response import Response
    from ._types import HeaderTypes
    from ._urls import URL

__all__ = ["ResponseCookies", "ResponseHead"]

_NO_TIME = datetime.timedelta(0)  # immutable, so shared


class ResponseCookies(Protocol):
    """What ``response.cookies`` offers: the cookies its ``Set-Cookie`` headers set.

    The client that receives a response stores a :class:`~trio_http.Cookies`
    jar here, since cookie policy is the client's; a response that set no
    cookie, or was built by hand, has an empty mapping.
    """

    def __getitem__(self, name: str) -> str: ...
    def __iter__(self) -> Iterator[str]: ...
    def __len__(self) -> int: ...
    def __contains__(self, name: object) -> bool: ...
    def get(self, name: str, /) -> str | None: ...
    def items(self) -> ItemsView[str, str]: ...
    def get_dict(self, domain: str | None = None, path: str | None = None) -> dict[str, str]: ...


@final
class _NoCookies(Mapping[str, str]):
    """The cookies of a response that set none; immutable, so one is shared."""

    __slots__ = ()

    def __getitem__(self, name: str) -> str:
        raise KeyError(name)

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0

    def get_dict(self, domain: str | None = None, path: str | None = None) -> dict[str, str]:
        return {}

    def __repr__(self) -> str:
        return "<Cookies []>"


_NO_COOKIES = _NoCookies()


class ResponseHead:
    """Status line and headers of a response (the base of :class:`Response`).

    Holds ``status_code``, ``reason_phrase``, ``http_version``, ``headers``,
    ``request``, ``elapsed``, ``next_request``, ``cookies`` and
    ``extensions``; :class:`Response` documents them.
    """

    __slots__ = (
        "cookies",
        "elapsed",
        "extensions",
        "headers",
        "http_version",
        "next_request",
        "reason_phrase",
        "request",
        "status_code",
    )

    def __init__(
        self,
        status_code: int,
        headers: HeaderTypes | None,
        request: Request | None,
        http_version: str,
        reason_phrase: str | None,
        extensions: dict[str, Any] | None,
    ) -> None:
        self.status_code = status_code
        self.headers = headers if isinstance(headers, Headers) else Headers(headers)
        self.request = request
        self.http_version = http_version
        self.reason_phrase = (
            reason_phrase if reason_phrase is not None else _reason_phrase(status_code)
        )
        self.extensions: dict[str, Any] = {} if extensions is None else extensions
        self.elapsed = _NO_TIME
        self.next_request: Request | None = None
        self.cookies: ResponseCookies = _NO_COOKIES

    @property
    def reason(self) -> str:
        """The reason phrase (requests' name)."""
        return self.reason_phrase

    @property
    def url(self) -> URL:
        """The URL of the request that produced this response."""
        if self.request is None:
            raise RuntimeError("this response has no request attached")
        return self.request.url

    @property
    def next(self) -> Request | None:
        """The next request of an unfollowed redirect (requests' name)."""
        return self.next_request

    @property
    def is_informational(self) -> bool:
        return 100 <= self.status_code < 200

    @property
    def is_success(self) -> bool:
        return 200 <= self.status_code < 300

    @property
    def is_redirect(self) -> bool:
        """A redirect status with a ``Location`` header (requests' meaning)."""
        return self.status_code in (301, 302, 303, 307, 308) and "Location" in self.headers

    @property
    def is_permanent_redirect(self) -> bool:
        return self.status_code in (301, 308) and "Location" in self.headers

    @property
    def is_client_error(self) -> bool:
        return 400 <= self.status_code < 500

    @property
    def is_server_error(self) -> bool:
        return 500 <= self.status_code < 600

    @property
    def is_error(self) -> bool:
        return 400 <= self.status_code < 600

    @property
    def ok(self) -> bool:
        """True unless the status is 4xx or 5xx (requests' meaning)."""
        return self.status_code < 400

    def raise_for_status(self) -> Response:
        """Raise :class:`HTTPError` for a 4xx or 5xx status.

        Returns:
            the response itself, so calls can be chained.

        Raises:
            HTTPError: carrying ``.response`` and ``.request``.
        """
        response = cast("Response", self)  # the head is only ever a Response's
        if self.status_code < 400:
            return response
        kind = "Client Error" if self.status_code < 500 else "Server Error"
        try:
            url = str(self.url)  # the request's, unless one was assigned
        except RuntimeError:
            url = "?"
        reason: object = self.reason_phrase
        if isinstance(reason, bytes):
            # A reason assigned as bytes (requests' tests do): UTF-8, else
            # Latin-1, which decodes any byte, as requests falls back.
            encoded = reason
            try:
                reason = encoded.decode("utf-8")
            except UnicodeDecodeError:
                reason = encoded.decode("iso-8859-1")
        raise HTTPError(
            f"{self.status_code} {kind}: {reason} for url: {url}",
            request=self.request,
            response=response,
        )

    @property
    def links(self) -> dict[str, dict[str, str]]:
        """Parsed ``Link`` headers, keyed by ``rel`` (or by URL)."""
        # Lower case, as requests asks: ``headers`` may be a plain dict
        # assigned by hand with lower-case names.
        header = self.headers.get("link")
        if not header:
            return {}
        return {link.get("rel") or link.get("url", ""): link for link in parse_link_header(header)}

    @property
    def charset_encoding(self) -> str | None:
        """The codec named by Content-Type's charset (or its type's default)."""
        return text_encoding_from_content_type(self.headers.get("Content-Type"))

    def __repr__(self) -> str:
        return f"<Response [{self.status_code} {self.reason_phrase}]>"

    # requests' Response is falsy for errors; keep that for porting.
    def __bool__(self) -> bool:
        return self.ok
