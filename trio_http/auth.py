"""requests-style authentication classes.

``AuthBase`` subclasses are callables that take a request, change it (usually
its headers) and return it; a session calls them once per request it sends,
redirect hops to the same origin included. ``HTTPDigestAuth`` answers a
server's challenge with the RFC 7616 flow of :class:`trio_http.DigestAuth`.

A ``(user, password)`` tuple works wherever an auth object does (Basic).
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING

from ._auth import Auth, basic_auth_header
from ._auth_digest import DigestAuth

if TYPE_CHECKING:
    from ._request import Request
    from ._response import Response

__all__ = ["AuthBase", "HTTPBasicAuth", "HTTPDigestAuth", "HTTPProxyAuth"]


class AuthBase:
    """Base class of requests-style auth callables.

    Subclasses implement ``__call__(request) -> request``; the request has
    ``.method``, ``.url`` (assignable), ``.headers`` and ``.body``.
    """

    def __call__(self, r: Request) -> Request:
        raise NotImplementedError("auth hooks must be callable (implement __call__)")


class HTTPBasicAuth(AuthBase):
    """HTTP Basic credentials sent with every request.

    Args:
        username: the user name.
        password: the password.
    """

    def __init__(self, username: str | bytes, password: str | bytes) -> None:
        self.username = username
        self.password = password

    def __eq__(self, other: object) -> bool:
        return (getattr(other, "username", None), getattr(other, "password", None)) == (
            self.username,
            self.password,
        )

    def __ne__(self, other: object) -> bool:
        return not self == other

    __hash__ = None  # type: ignore[assignment]

    def __call__(self, r: Request) -> Request:
        r.headers["Authorization"] = basic_auth_header(self.username, self.password)
        return r

    def __repr__(self) -> str:
        return f"{type(self).__name__}(username={self.username!r}, password=***)"


class HTTPProxyAuth(HTTPBasicAuth):
    """Basic credentials for a proxy (the ``Proxy-Authorization`` header)."""

    def __call__(self, r: Request) -> Request:
        r.headers["Proxy-Authorization"] = basic_auth_header(self.username, self.password)
        return r


class HTTPDigestAuth(Auth, AuthBase):
    """HTTP Digest authentication (RFC 7616), as requests' class of this name.

    The first request goes without credentials; a 401 carrying a Digest
    challenge is answered (MD5, SHA-256, SHA-512, SHA-512-256, ``qop=auth``,
    nonce counting, a stale nonce re-challenged once), with requests'
    ``Authorization`` bytes. The nonce is reused for later requests to the
    same origin; a redirect hop waits for its own challenge, as in requests.
    Safe to share between threads.

    Args:
        username: the user name.
        password: the password.
    """

    def __init__(self, username: str | bytes, password: str | bytes) -> None:
        self.username = username
        self.password = password
        self._flow = DigestAuth(username, password)
        self.requires_request_body = self._flow.requires_request_body
        self.requires_response_body = self._flow.requires_response_body

    def auth_flow(self, request: Request) -> Generator[Request, Response, None]:
        return self._flow.auth_flow(request)

    def _redirect_flow(self, request: Request) -> Generator[Request, Response, None]:
        return self._flow._redirect_flow(request)

    def __call__(self, r: Request) -> Request:
        raise TypeError(
            "HTTPDigestAuth answers server challenges; pass it as auth= to a "
            "request or Session instead of calling it"
        )

    def __eq__(self, other: object) -> bool:
        return (getattr(other, "username", None), getattr(other, "password", None)) == (
            self.username,
            self.password,
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"HTTPDigestAuth(username={self.username!r}, password=***)"
