"""HTTP Digest authentication (RFC 7616, and RFC 2069 servers).

How this works: the flow sends the request without credentials; on a 401
with a Digest challenge it computes the ``Authorization`` value from the
challenge's nonce and sends the request once more. The last challenge is
kept per origin, so later requests answer it at once (counting ``nc`` up),
and a ``stale`` nonce is answered afresh once.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import quote

from ._auth import Auth
from ._auth_challenge import Challenge, parse_challenges
from ._streams import BytesContent

if TYPE_CHECKING:
    from ._request import Request
    from ._response import Response

__all__ = ["DigestAuth"]


def _sha512_256(data: bytes) -> hashlib._Hash:
    return hashlib.new("sha512_256", data)


# RFC 7616 names MD5, SHA-256 and SHA-512-256; SHA-512 and "SHA" (SHA-1)
# are not in it, but servers send them (httpbin does) and requests answers them.
_DIGEST_HASHES: dict[str, Callable[[bytes], hashlib._Hash]] = {
    "MD5": hashlib.md5,
    "SHA": hashlib.sha1,
    "SHA-256": hashlib.sha256,
    "SHA-512": hashlib.sha512,
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
    algorithm_sent: str | None  # as the challenge spelled it; None when absent
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
    challenge is answered once. Supports MD5, SHA-256, SHA-512 and
    SHA-512-256 (and requests' ``SHA``, SHA-1), their ``-sess`` variants,
    ``qop=auth`` and ``qop=auth-int`` (the latter only when the body is in
    memory), ``opaque`` and ``userhash``. The nonce is
    remembered for later requests to the same origin (a redirect hop, though,
    waits to be challenged); when the server calls it stale, the flow
    answers the fresh challenge once. The ``Authorization`` value has
    requests' parameter order and quoting. A 401 to answered
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
        return self._flow(request, preempt=True)

    def _redirect_flow(self, request: Request) -> Generator[Request, Response, None]:
        # A redirect hop goes without credentials until it is challenged, as
        # with requests, whose digest hook answers 401s on every hop but
        # computes credentials only for a challenge or a new call.
        return self._flow(request, preempt=False)

    def _flow(self, request: Request, *, preempt: bool) -> Generator[Request, Response, None]:
        origin = request.url.origin
        sent_nonce: str | None = None
        if preempt:
            with self._lock:
                state = self._state
                if state is not None and state.origin == origin:
                    header = self._authorization(request, state)
                    if header is not None:
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
            algorithm_sent=params.get("algorithm"),
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

        # The parameters in requests' order, every value but nc quoted as
        # requests does (qop and algorithm included: RFC 7616 calls them
        # tokens, but servers written against requests compare these bytes,
        # and the servers that parse the header accept both forms).
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
        parts.append(f"nonce={_quote_param(state.nonce)}")
        parts.append(f"uri={_quote_param(uri)}")
        parts.append(f"response={_quote_param(response)}")
        if state.opaque is not None:
            parts.append(f"opaque={_quote_param(state.opaque)}")
        if state.algorithm_sent is not None:
            # Echoed as the server spelled it; absent means MD5 (RFC 7616 §3.3).
            parts.append(f"algorithm={_quote_param(state.algorithm_sent)}")
        if qop is not None:
            parts.append(f"qop={_quote_param(qop)}")
            parts.append(f"nc={nc}")
            parts.append(f"cnonce={_quote_param(cnonce)}")
        if state.userhash:
            parts.append("userhash=true")
        return "Digest " + ", ".join(parts)
