"""Authentication as flows: generators that yield requests and get responses.

How this works: :meth:`Auth.auth_flow` is a generator. The client sends each
request it yields and sends the response back in with ``generator.send``;
the flow may yield again (a Digest challenge answered, for instance) and the
last response is the one the caller gets. A flow holds no I/O, so each
scheme is tested here with hand-made responses.
"""

from __future__ import annotations

import hashlib
import netrc
import os
import re
import secrets
import threading
from base64 import b64encode
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, final
from urllib.parse import quote

from ._streams import BytesContent

if TYPE_CHECKING:
    from ._models import Request, Response

__all__ = [
    "Auth",
    "BasicAuth",
    "Challenge",
    "DigestAuth",
    "FunctionAuth",
    "NetRCAuth",
    "auth_from_value",
    "parse_challenges",
]


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


# -- challenges (RFC 9110 §11.6.1) ----------------------------------------

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_TOKEN68 = re.compile(r"[A-Za-z0-9\-._~+/]+=*[ \t]*(?=,|$)")
_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"', re.DOTALL)
_QUOTED_PAIR = re.compile(r"\\(.)", re.DOTALL)
_SKIP_WS = re.compile(r"[ \t]*")
_SKIP_WS_COMMAS = re.compile(r"[ \t,]*")
_MAX_CHALLENGE_LENGTH = 16 * 1024  # per header value; longer is not parsed


@final
@dataclass(frozen=True, slots=True)
class Challenge:
    """One challenge of a ``WWW-Authenticate`` header.

    Attributes:
        scheme: the auth scheme, as sent (compare case-insensitively).
        params: the auth-params, names lower-cased, quoted strings unescaped.
        token68: the token68 form (``Negotiate abc==``), ``None`` if absent.
    """

    scheme: str
    params: dict[str, str]
    token68: str | None = None


def _parse_challenge_value(text: str) -> list[Challenge]:
    challenges: list[Challenge] = []
    params: dict[str, str] | None = None
    end = len(text)
    pos = 0
    while True:
        pos = _SKIP_WS_COMMAS.match(text, pos).end()  # type: ignore[union-attr]
        if pos >= end:
            return challenges
        match = _TOKEN.match(text, pos)
        if match is None:
            raise ValueError(f"unexpected character {text[pos]!r} at {pos}")
        name = match.group()
        after = _SKIP_WS.match(text, match.end()).end()  # type: ignore[union-attr]
        if params is not None and after < end and text[after] == "=":
            # auth-param = token BWS "=" BWS ( token / quoted-string )
            pos = _SKIP_WS.match(text, after + 1).end()  # type: ignore[union-attr]
            if pos < end and text[pos] == '"':
                quoted = _QUOTED.match(text, pos)
                if quoted is None:
                    raise ValueError("unterminated quoted string")
                value = _QUOTED_PAIR.sub(r"\1", quoted.group(1))
                pos = quoted.end()
            else:
                token = _TOKEN.match(text, pos)
                if token is None:
                    raise ValueError(f"parameter {name!r} has no value")
                value = token.group()
                pos = token.end()
            key = name.lower()
            if key in params:
                raise ValueError(f"parameter {name!r} repeated")  # RFC 9110 §11.2
            params[key] = value
            pos = _SKIP_WS.match(text, pos).end()  # type: ignore[union-attr]
            if pos < end and text[pos] != ",":
                raise ValueError(f"expected ',' at {pos}")
            continue
        # A token not followed by "=" starts the next challenge.
        params = {}
        token68 = _TOKEN68.match(text, after)
        if token68 is not None:
            challenges.append(Challenge(name, params, token68.group().rstrip(" \t")))
            pos = token68.end()
            params = None  # no auth-params follow a token68
        else:
            challenges.append(Challenge(name, params))
            pos = after


def parse_challenges(values: Iterable[str]) -> list[Challenge]:
    """Parse ``WWW-Authenticate`` (or ``Proxy-Authenticate``) header values.

    One value may hold several comma-separated challenges. A value that
    cannot be parsed is skipped as a whole: a challenge cut short by a
    syntax error could otherwise be mistaken for a complete one.

    Args:
        values: each header value, e.g. ``response.headers.get_list(...)``.

    Returns:
        The challenges in the order sent.
    """
    challenges: list[Challenge] = []
    for value in values:
        if len(value) > _MAX_CHALLENGE_LENGTH:
            continue
        try:
            challenges.extend(_parse_challenge_value(value))
        except ValueError:
            continue
    return challenges


# -- Digest (RFC 7616) ------------------------------------------------------


def _sha512_256(data: bytes) -> hashlib._Hash:
    return hashlib.new("sha512_256", data)


_DIGEST_HASHES: dict[str, Callable[[bytes], hashlib._Hash]] = {
    "MD5": hashlib.md5,
    "SHA-256": hashlib.sha256,
    "SHA-512-256": _sha512_256,
}
try:
    _sha512_256(b"")
except ValueError:  # pragma: no cover - OpenSSL built without it
    del _DIGEST_HASHES["SHA-512-256"]


def _credential_text(value: str | bytes) -> str:
    if isinstance(value, str):
        return value
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value.decode("latin-1")


def _quote_param(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass(slots=True)
class _DigestState:
    """The last challenge answered, reused for later requests to its origin."""

    origin: tuple[str, str, int]
    realm: str
    nonce: str
    algorithm: str  # upper-case, with "-SESS" when session variant
    qop: tuple[str, ...]  # offered qop values, lower-case; () for RFC 2069
    opaque: str | None
    userhash: bool
    nonce_count: int = 0


def _pick_digest(challenges: list[Challenge]) -> Challenge | None:
    # RFC 7616 §3.7: the server lists its preferred algorithm first; take the
    # first Digest challenge this client can answer.
    for challenge in challenges:
        if challenge.scheme.lower() != "digest":
            continue
        params = challenge.params
        if "realm" not in params or "nonce" not in params:
            continue
        algorithm = params.get("algorithm", "MD5").upper()
        base = algorithm[:-5] if algorithm.endswith("-SESS") else algorithm
        if base in _DIGEST_HASHES:
            return challenge
    return None


class DigestAuth(Auth):
    """HTTP Digest authentication (RFC 7616, and RFC 2069 servers).

    The first request goes without credentials; a 401 with a Digest
    challenge is answered once. Supports MD5, SHA-256 and SHA-512-256, their
    ``-sess`` variants, ``qop=auth`` and ``qop=auth-int`` (the latter only
    when the body is in memory), ``opaque`` and ``userhash``. The nonce is
    remembered for later requests to the same origin; when the server calls
    it stale, the flow answers the fresh challenge once. A 401 to answered
    credentials that is not stale is returned as is (wrong password), as is
    a 401 whose challenge cannot be parsed.

    One instance may be shared by threads; its nonce state is locked.

    Args:
        username: the user name.
        password: the password.

    Raises:
        UnrewindableBodyError: (from the flow) a challenge must be answered
            by sending a one-shot body stream again.
    """

    def __init__(self, username: str | bytes, password: str | bytes) -> None:
        self._username = _credential_text(username)
        self._password = _credential_text(password)
        self._lock = threading.Lock()
        self._state: _DigestState | None = None

    def __repr__(self) -> str:
        return f"DigestAuth(username={self._username!r}, password=***)"

    def _new_cnonce(self) -> str:
        """A fresh client nonce (tests override this to reproduce RFC examples)."""
        return secrets.token_hex(16)

    def auth_flow(self, request: Request) -> Generator[Request, Response, None]:
        origin = request.url.origin
        sent_nonce: str | None = None
        with self._lock:
            state = (
                self._state if self._state is not None and self._state.origin == origin else None
            )
            header = self._authorization(request, state) if state is not None else None
        if header is not None and state is not None:
            request.headers["Authorization"] = header
            sent_nonce = state.nonce
        response = yield request

        answered = False  # sent credentials computed from a challenge of this flow
        stale_retried = False
        while response.status_code == 401:
            challenge = _pick_digest(
                parse_challenges(response.headers.get_list("WWW-Authenticate"))
            )
            if challenge is None:
                return
            nonce = challenge.params["nonce"]
            stale = challenge.params.get("stale", "").lower() == "true"
            if sent_nonce is None:
                pass  # the first challenge
            elif nonce == sent_nonce:
                return  # the same nonce refused: wrong credentials
            elif not answered:
                pass  # a remembered nonce was refused; answer the new challenge
            elif stale and not stale_retried:
                stale_retried = True
            else:
                return
            new_state = self._state_from(challenge, origin)
            with self._lock:
                self._state = new_state
                header = self._authorization(request, new_state)
            if header is None:
                return  # only qop=auth-int offered and the body is a stream
            request.headers["Authorization"] = header
            request.stream.rewind()
            sent_nonce = nonce
            answered = True
            response = yield request

    @staticmethod
    def _state_from(challenge: Challenge, origin: tuple[str, str, int]) -> _DigestState:
        params = challenge.params
        qop = tuple(
            part.strip().lower() for part in params.get("qop", "").split(",") if part.strip()
        )
        return _DigestState(
            origin=origin,
            realm=params["realm"],
            nonce=params["nonce"],
            algorithm=params.get("algorithm", "MD5").upper(),
            qop=qop,
            opaque=params.get("opaque"),
            userhash=params.get("userhash", "").lower() == "true",
        )

    def _authorization(self, request: Request, state: _DigestState) -> str | None:
        """The ``Authorization`` value for ``request``; bumps the nonce count.

        Returns None when no offered ``qop`` can be used. Call with the lock
        held.
        """
        algorithm = state.algorithm
        session = algorithm.endswith("-SESS")
        hash_function = _DIGEST_HASHES[algorithm[:-5] if session else algorithm]

        def digest(text: str | bytes) -> str:
            data = text.encode("utf-8") if isinstance(text, str) else text
            return hash_function(data).hexdigest()

        body = request.stream.body if isinstance(request.stream, BytesContent) else None
        if not state.qop:
            qop: str | None = None
        elif "auth" in state.qop:
            qop = "auth"
        elif "auth-int" in state.qop and body is not None:
            qop = "auth-int"
        else:
            return None

        state.nonce_count += 1
        nc = f"{state.nonce_count:08x}"
        cnonce = self._new_cnonce()
        uri = request.url.target.decode("ascii")
        realm = state.realm
        username = self._username
        a1_hash = digest(f"{username}:{realm}:{self._password}")
        if session:
            a1_hash = digest(f"{a1_hash}:{state.nonce}:{cnonce}")
        a2 = f"{request.method}:{uri}"
        if qop == "auth-int":
            assert body is not None
            a2 = f"{a2}:{digest(body)}"
        if qop is None:
            response = digest(f"{a1_hash}:{state.nonce}:{digest(a2)}")
        else:
            response = digest(f"{a1_hash}:{state.nonce}:{nc}:{cnonce}:{qop}:{digest(a2)}")

        parts: list[str] = []
        if state.userhash:
            parts.append(f"username={_quote_param(digest(f'{username}:{realm}'))}")
        elif username.isascii():
            parts.append(f"username={_quote_param(username)}")
        else:
            # RFC 7616 §3.4.4: a user name that is not ASCII goes as username*
            # in the RFC 8187 extended notation.
            parts.append(f"username*=UTF-8''{quote(username, safe='')}")
        parts.append(f"realm={_quote_param(realm)}")
        parts.append(f"uri={_quote_param(uri)}")
        parts.append(f"algorithm={state.algorithm if session else algorithm}")
        parts.append(f"nonce={_quote_param(state.nonce)}")
        if qop is not None:
            parts.append(f"nc={nc}")
            parts.append(f"cnonce={_quote_param(cnonce)}")
            parts.append(f"qop={qop}")
        parts.append(f"response={_quote_param(response)}")
        if state.opaque is not None:
            parts.append(f"opaque={_quote_param(state.opaque)}")
        if state.userhash:
            parts.append("userhash=true")
        return "Digest " + ", ".join(parts)


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
