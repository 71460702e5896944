"""Redirect policy: the next request after a 3xx response, decided without I/O.

How this works: :func:`build_redirect_request` resolves ``Location`` against
the request URL, refuses targets other than http(s), picks the method
(RFC 9110 §15.4 and the Fetch standard: 303 becomes GET, 301/302 turn POST
into GET, 307/308 keep method and body), drops the body and the headers that
describe it when the method changes, and strips credentials when the origin
changes. The client sends the result; this module never touches the network.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ._config import MAX_REDIRECTS
from ._exceptions import (
    InvalidSchema,
    InvalidURL,
    RemoteProtocolError,
    TooManyRedirects,
    UnrewindableBodyError,
)
from ._request import Request
from ._streams import EMPTY_CONTENT

if TYPE_CHECKING:
    from ._response import Response
    from ._urls import URL

__all__ = ["build_redirect_request", "should_strip_auth"]

_REDIRECT_SCHEMES = frozenset({"http", "https"})

# Headers that describe the request body; they go when the body goes
# (Fetch's "request-body-header names", plus framing and body digests).
_BODY_HEADERS = (
    "Content-Length",
    "Transfer-Encoding",
    "Content-Type",
    "Content-Encoding",
    "Content-Language",
    "Content-Location",
    "Content-MD5",
    "Content-Digest",
    "Repr-Digest",
    "Digest",
    "Expect",
)

# Credentials meant for one origin only.
_ORIGIN_CREDENTIAL_HEADERS = ("Authorization", "Proxy-Authorization")

# How many times one (method, URL) may already have been requested in a
# redirect chain before going there again counts as a loop. Two, not one: a
# server may legitimately send a client back to the same URL once it has set
# a cookie (``/login`` -> ``/set-session`` -> ``/login``), and the response
# that would break the loop can only come from trying again.
_MAX_VISITS = 2


def should_strip_auth(old: URL, new: URL) -> bool:
    """Whether credentials for ``old`` must not be sent to ``new``.

    They may be kept only when the origin (scheme, host, effective port) is
    the same, or for the upgrade from ``http`` on port 80 to ``https`` on
    port 443 of the same host (requests keeps them there too; the upgrade
    only makes the channel safer). Every other change strips them,
    including the downgrade from https to http.

    Args:
        old: the URL the credentials were sent to.
        new: the redirect target.
    """
    if old.host != new.host:
        return True
    old_scheme = old.scheme
    new_scheme = new.scheme
    try:
        old_port = old.effective_port
        new_port = new.effective_port
    except InvalidURL:
        return True
    if old_scheme == new_scheme:
        return old_port != new_port
    return not (
        old_scheme == "http" and new_scheme == "https" and old_port == 80 and new_port == 443
    )


def _without_fragment(url: URL) -> str:
    text = str(url)
    if url.fragment:
        text = text[: -len(url.fragment) - 1]
    return text


def build_redirect_request(
    request: Request,
    response: Response,
    *,
    history: Sequence[Response] = (),
    max_redirects: int = MAX_REDIRECTS,
) -> Request:
    """Build the request that follows the redirect ``response``.

    Args:
        request: the request that got ``response``.
        response: a redirect response (``response.is_redirect``).
        history: the responses received before ``response`` in this chain,
            oldest first (not including ``response``). Only redirects among
            them count.
        max_redirects: how many redirects may be followed in all.

    Returns:
        A new :class:`Request`; ``request`` and its headers are not changed.
        When the body is kept (307, 308, and 301/302 for methods other than
        POST) it is the same body stream, rewound.

    Raises:
        TooManyRedirects: ``max_redirects`` redirects were already followed,
            or the target was already requested twice with the same method
            in this chain (a loop).
        RemoteProtocolError: the response has no ``Location``.
        InvalidURL: ``Location`` is not a valid URL or has no host.
        InvalidSchema: the target's scheme is not http or https (a server
            must not send a client to ``file:`` or ``ftp:``).
        UnrewindableBodyError: the body must be sent again but is a
            one-shot stream.
    """
    # The history may also hold auth challenges (a 401 answered by a Digest
    # flow); only redirects count toward the limit and toward loops.
    redirects = [earlier for earlier in history if earlier.is_redirect]
    if len(redirects) >= max_redirects:
        raise TooManyRedirects(
            f"exceeded {max_redirects} redirects (the limit is max_redirects)",
            request=request,
            response=response,
        )
    location = response.headers.get("Location")
    if location is None or not location.strip():
        raise RemoteProtocolError(
            f"{response.status_code} redirect without a Location header",
            request=request,
            response=response,
        )
    old_url = request.url
    try:
        new_url = old_url.join(location)
    except InvalidURL as exc:
        raise InvalidURL(
            f"redirect to an invalid URL {location!r}: {exc}", request=request, response=response
        ) from exc
    if new_url.scheme not in _REDIRECT_SCHEMES:
        raise InvalidSchema(
            f"refusing to follow a redirect to a {new_url.scheme!r} URL; "
            "only http and https are followed",
            request=request,
            response=response,
        )
    if not new_url.host:
        raise InvalidURL(
            f"redirect to a URL without a host: {location!r}", request=request, response=response
        )
    if not new_url.fragment and old_url.fragment:
        # RFC 9110 §10.2.2: a Location without a fragment inherits the one
        # of the original URL.
        new_url = new_url.copy_with(fragment=old_url.fragment)

    status = response.status_code
    method = request.method
    if (status == 303 and method != "HEAD") or (status in (301, 302) and method == "POST"):
        method = "GET"
    # 303 points at another resource: the body never belongs to it.
    drop_body = status == 303 or method != request.method

    target_key = _without_fragment(new_url)
    visits = 0
    if request.method == method and _without_fragment(old_url) == target_key:
        visits = 1
    for earlier in redirects:
        previous = earlier.request
        if (
            previous is not None
            and previous.method == method
            and _without_fragment(previous.url) == target_key
        ):
            visits += 1
    if visits > _MAX_VISITS:
        raise TooManyRedirects(
            f"redirect loop: {method} {target_key} was already requested {visits} times",
            request=request,
            response=response,
        )

    headers = request.headers.copy()
    headers.pop("Host", None)  # the new Request sets it from new_url
    # The jar re-adds the cookies that match the new URL, including those the
    # redirect response has just set; the old header would hide them.
    headers.pop("Cookie", None)
    if should_strip_auth(old_url, new_url):
        for name in _ORIGIN_CREDENTIAL_HEADERS:
            headers.pop(name, None)

    stream = request.stream
    if drop_body:
        for name in _BODY_HEADERS:
            headers.pop(name, None)
        stream = EMPTY_CONTENT
    elif stream is not EMPTY_CONTENT:
        if not stream.rewindable:
            raise UnrewindableBodyError(
                f"a {status} redirect requires sending the request body again, but it "
                "is a one-shot stream; pass bytes, a list, or a seekable file instead",
                request=request,
                response=response,
            )
        stream.rewind()

    return Request(
        method,
        new_url,
        headers=headers,
        stream=stream,
        extensions=dict(request.extensions),
    )
