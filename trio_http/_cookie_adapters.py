"""Requests and responses in the ``urllib.request`` shape that ``http.cookiejar`` expects.

The standard library's :class:`http.cookiejar.CookieJar` implements the
matching rules; it only talks to ``urllib``-shaped objects. These adapters
present a :class:`Request` and a :class:`Response` in that shape, with only
the members the jar uses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, final

from ._cookie_limits import set_cookie_fits

if TYPE_CHECKING:
    from ._request import Request
    from ._response import Response

__all__ = ["RequestAdapter", "ResponseAdapter"]


@final
class RequestAdapter:
    """A :class:`Request` in the shape ``CookieJar`` expects.

    Only the members ``http.cookiejar`` uses exist. The URL given to the jar
    has no userinfo: the jar derives the request host from the authority.
    """

    __slots__ = ("_request", "_url", "host", "origin_req_host", "type", "unverifiable")

    def __init__(self, request: Request) -> None:
        url = request.url
        self._request = request
        self.type = url.scheme
        self.host = url.netloc  # host[:port], IPv6 bracketed
        self._url = f"{url.scheme}://{self.host}{url.target.decode('ascii')}"
        self.origin_req_host = url.host
        # Third-party checks are off in the default policy; every request
        # counts as one the user asked for.
        self.unverifiable = False

    def get_full_url(self) -> str:
        return self._url

    def has_header(self, name: str) -> bool:
        return name in self._request.headers

    def get_header(self, name: str, default: str | None = None) -> str | None:
        return self._request.headers.get(name, default)

    def add_unredirected_header(self, name: str, value: str) -> None:
        self._request.headers[name] = value


@final
class _HeadersAdapter:
    """Response headers in the shape of ``email.message.Message.get_all``."""

    __slots__ = ("_response",)

    def __init__(self, response: Response) -> None:
        self._response = response

    def get_all(self, name: str, default: list[str]) -> list[str]:
        # Asked only for Set-Cookie (and the obsolete Set-Cookie2). An
        # oversized cookie is dropped here, before the jar parses it: browsers
        # ignore one too, and one cookie must not fail a whole response.
        values = self._response.headers.get_list(name)
        return [value for value in values if set_cookie_fits(value)] if values else default


@final
class ResponseAdapter:
    """A :class:`Response` in the shape ``CookieJar`` expects: ``info()`` gives its headers."""

    __slots__ = ("_headers",)

    def __init__(self, response: Response) -> None:
        self._headers = _HeadersAdapter(response)

    def info(self) -> _HeadersAdapter:
        return self._headers
