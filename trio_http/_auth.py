"""Authentication as flows: generators that yield requests and get responses.

How this works: :meth:`Auth.auth_flow` is a generator. The client sends each
request it yields and sends the response back in with ``generator.send``;
the flow may yield again (a Digest challenge answered, for instance) and the
last response is the one the caller gets. A flow holds no I/O, so each
scheme is tested with hand-made responses. Digest, the scheme that answers
challenges, is :mod:`trio_http._auth_digest`.
"""

from __future__ import annotations

import os
import threading
from base64 import b64encode
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, final

if TYPE_CHECKING:
    from ._request import Request
    from ._response import Response

__all__ = ["Auth", "BasicAuth", "FunctionAuth", "NetRCAuth", "auth_from_value", "basic_auth_header"]


class Auth:
    """Base class of authentication schemes; by itself it adds nothing.

    Subclasses override :meth:`auth_flow`.

    Attributes:
        requires_request_body: the flow needs ``request.content``, so the
            client reads a streamed body into memory before starting it.
        requires_response_body: the flow reads ``response.content``, so the
            client reads each response body before sending it into the flow.
    """

    requires_request_body: bool = False
    requires_response_body: bool = False

    def auth_flow(self, request: Request) -> Generator[Request, Response, None]:
        """Yield requests to send; receive each one's response.

        Args:
            request: the request to authenticate; flows may change its
                headers in place.

        Yields:
            The requests to send, one at a time. The response to the last
            one is returned to the caller.
        """
        yield request

    def _redirect_flow(self, request: Request) -> Generator[Request, Response, None]:
        """The flow for a redirect hop back on the origin the request started at.

        The same as :meth:`auth_flow` unless a scheme answers challenges
        differently there (Digest waits to be challenged again).
        """
        return self.auth_flow(request)


def _credential_bytes(value: str | bytes) -> bytes:
    if isinstance(value, bytes):
        return value
    # RFC 7617 leaves the charset to the server; Latin-1 is what servers
    # (and requests) have long expected, UTF-8 the only way to send the rest.
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode("utf-8")


def basic_auth_header(username: str | bytes, password: str | bytes) -> str:
    """The ``Authorization`` value for HTTP Basic credentials (RFC 7617)."""
    token = b64encode(_credential_bytes(username) + b":" + _credential_bytes(password))
    return "Basic " + token.decode("ascii")


@final
class BasicAuth(Auth):
    """HTTP Basic authentication: sends the credentials with every request.

    Text is encoded as Latin-1 when it can be, else as UTF-8.

    Args:
        username: the user name (must not contain ``:``, RFC 7617 §2).
        password: the password.
    """

    __slots__ = ("_header", "username")

    def __init__(self, username: str | bytes, password: str | bytes) -> None:
        self.username = username
        self._header = basic_auth_header(username, password)

    def auth_flow(self, request: Request) -> Generator[Request, Response, None]:
        request.headers["Authorization"] = self._header
        yield request

    def __repr__(self) -> str:
        return f"BasicAuth(username={self.username!r}, password=***)"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, BasicAuth):
            return self._header == other._header
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._header)


@final
class FunctionAuth(Auth):
    """Authentication by a callable that takes a request and returns it.

    This is how requests-style auth callables (``AuthBase`` subclasses and
    plain functions) are used.

    Args:
        func: called once per request; it returns the request to send,
            usually the same one with headers added.
    """

    __slots__ = ("_func",)

    def __init__(self, func: Callable[[Request], Request]) -> None:
        self._func = func

    def auth_flow(self, request: Request) -> Generator[Request, Response, None]:
        result = self._func(request)
        if result is None:
            raise TypeError(
                f"the auth callable {self._func!r} returned None; it must return the request"
            )
        yield result


# -- netrc ------------------------------------------------------------------


@final
class NetRCAuth(Auth):
    """Basic authentication from a netrc file, for the hosts it lists.

    The file is read on first use. Only a ``machine`` entry naming the
    request's host is used; a ``default`` entry is ignored, so credentials
    never go to a host the file does not name. A request that already has
    an ``Authorization`` header is left alone.

    Args:
        file: the netrc path. ``None`` means ``$NETRC``, else ``~/.netrc``;
            a missing default file means no credentials, a missing or
            invalid explicit one raises on first use.

    Raises:
        FileNotFoundError: (on first use) an explicit ``file`` is missing.
        netrc.NetrcParseError: (on first use) an explicit ``file`` is invalid.
    """

    __slots__ = ("_file", "_hosts", "_lock")

    def __init__(self, file: str | os.PathLike[str] | None = None) -> None:
        self._file = None if file is None else os.fspath(file)
        self._hosts: dict[str, str] | None = None  # lower-cased host -> header
        self._lock = threading.Lock()

    def _load(self) -> dict[str, str]:
        explicit = self._file
        path = explicit if explicit is not None else os.environ.get("NETRC")
        if path is None and not os.path.exists(os.path.join(os.path.expanduser("~"), ".netrc")):
            return {}  # netrc's own default; most machines have none
        import netrc  # with shlex, only where there is a file to parse

        try:
            parsed = netrc.netrc(path)
        except (FileNotFoundError, netrc.NetrcParseError):
            if explicit is not None:
                raise
            return {}
        hosts: dict[str, str] = {}
        for machine, (login, _account, password) in parsed.hosts.items():
            if machine == "default" or not (login or password):
                continue
            hosts[machine.lower()] = basic_auth_header(login or "", password or "")
        return hosts

    def _header_for(self, host: str) -> str | None:
        hosts = self._hosts
        if hosts is None:
            with self._lock:
                hosts = self._hosts
                if hosts is None:
                    hosts = self._hosts = self._load()
        return hosts.get(host.lower())

    def covers(self, host: str) -> bool:
        """Whether the file has credentials for ``host`` (read on first use)."""
        return self._header_for(host) is not None

    def auth_flow(self, request: Request) -> Generator[Request, Response, None]:
        if "Authorization" not in request.headers:
            header = self._header_for(request.url.host)
            if header is not None:
                request.headers["Authorization"] = header
        yield request


def auth_from_value(
    auth: Auth | tuple[str | bytes, str | bytes] | Callable[[Request], Request] | None,
) -> Auth | None:
    """Turn what a user passes as ``auth=`` into an :class:`Auth`.

    Args:
        auth: ``None``, an :class:`Auth`, a ``(username, password)`` pair
            (Basic), or a callable taking and returning a request.

    Raises:
        TypeError: anything else.
    """
    if auth is None or isinstance(auth, Auth):
        return auth
    if isinstance(auth, (tuple, list)):
        if len(auth) != 2:
            raise TypeError(f"an auth tuple must be (username, password), got {len(auth)} items")
        return BasicAuth(auth[0], auth[1])
    if callable(auth):
        return FunctionAuth(auth)
    raise TypeError(
        "auth must be an Auth instance, a (username, password) tuple or a callable, "
        f"not {type(auth).__name__}"
    )
