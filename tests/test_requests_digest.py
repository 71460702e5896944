"""Digest authentication against requests': the header bytes and the exchanges.

The header is compared byte for byte with the one requests'
``HTTPDigestAuth.build_digest_header`` computes for the same challenge (its
client nonce taken over), and live exchanges with a local server that
checks the answer are run through ``requests.Session`` and
``trio_http.Session`` alike: what the server saw, the statuses and the
history must be the same.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import requests.auth
from server import Responder, ServerRequest, TestServer
from threaded_server import serve_in_thread

import trio_http
import trio_http.auth
from trio_http._auth_digest import DigestAuth
from trio_http._request import Request
from trio_http._response import Response

NONCE = "6bf5d6e4da1ce66918800195d6b9130d"
OPAQUE = "372825293d1c26955496c80ed6426e9e"
REALM = "me@example.test"


class FixedCnonce(DigestAuth):
    def __init__(self, cnonce: str) -> None:
        super().__init__("user", "pass")
        self.cnonce = cnonce

    def _new_cnonce(self) -> str:
        return self.cnonce


def requests_header(challenge: dict[str, str], method: str, url: str) -> str:
    auth = requests.auth.HTTPDigestAuth("user", "pass")
    auth.init_per_thread_state()
    auth._thread_local.chal = challenge
    header = auth.build_digest_header(method, url)
    assert header is not None
    return header


def our_header(challenge_text: str, method: str, url: str, cnonce: str) -> str:
    request = Request(method, url)
    flow = FixedCnonce(cnonce).auth_flow(request)
    next(flow)
    challenge = Response(401, headers=[("WWW-Authenticate", challenge_text)], request=request)
    header = flow.send(challenge).headers["Authorization"]
    assert isinstance(header, str)
    return header


@pytest.mark.parametrize(
    "extra",
    [
        {"qop": "auth"},
        {"qop": "auth", "algorithm": "MD5"},
        {"qop": "auth", "algorithm": "SHA-256"},
        {"qop": "auth", "algorithm": "SHA-512"},
        {"qop": "auth", "algorithm": "SHA"},
        {"qop": "auth", "algorithm": "MD5-sess"},
        {"qop": "auth,auth-int", "algorithm": "SHA-256"},
        {"qop": "auth", "opaque": OPAQUE},
        {"opaque": OPAQUE},  # RFC 2069: no qop, no nc, no cnonce
        {},
    ],
    ids=lambda extra: ",".join(f"{k}={v}" for k, v in extra.items()) or "bare",
)
@pytest.mark.parametrize("url", ["http://example.test/", "http://example.test/dir/a?x=1&y=2"])
def test_digest_header_is_byte_for_byte_requests_one(extra: dict[str, str], url: str) -> None:
    challenge = {"realm": REALM, "nonce": NONCE, **extra}
    theirs = requests_header(challenge, "GET", url)
    cnonce_match = re.search(r'cnonce="([0-9a-f]+)"', theirs)
    cnonce = cnonce_match.group(1) if cnonce_match else "unused"
    # The challenge as a server sends it: qop quoted when it lists several.
    text = "Digest " + ", ".join(
        f'{name}="{value}"' if name != "algorithm" else f"{name}={value}"
        for name, value in challenge.items()
    )
    assert our_header(text, "GET", url, cnonce) == theirs


def test_digest_answers_a_quoted_qop_and_quotes_its_own() -> None:
    header = our_header(
        f'Digest realm="{REALM}", nonce="{NONCE}", qop="auth"', "GET", "http://a.test/", "c"
    )
    assert ', qop="auth", nc=00000001, cnonce="c"' in header


# -- live exchanges ------------------------------------------------------------

_PARAM = re.compile(r'(\w+)=(?:"([^"]*)"|([^\s,]+))')
_HASHES = {"MD5": hashlib.md5, "SHA-256": hashlib.sha256, "SHA-512": hashlib.sha512}


def _digest_ok(request: ServerRequest, algorithm: str) -> bool:
    header = request.header("authorization") or ""
    if not header.startswith("Digest "):
        return False
    params = {m[0]: m[1] or m[2] for m in _PARAM.findall(header[7:])}

    def h(text: str) -> str:
        return _HASHES[algorithm](text.encode()).hexdigest()

    ha1 = h(f"user:{REALM}:pass")
    ha2 = h(f"{request.method}:{params.get('uri')}")
    expected = h(f"{ha1}:{NONCE}:{params.get('nc')}:{params.get('cnonce')}:auth:{ha2}")
    return params.get("response") == expected and params.get("uri") == request.target


async def _challenge(respond: Responder, algorithm: str) -> None:
    challenge = (
        f'Digest realm="{REALM}", nonce="{NONCE}", qop="auth", opaque="{OPAQUE}", '
        f"algorithm={algorithm}"
    )
    headers = [("WWW-Authenticate", challenge), ("Set-Cookie", "fake=fake_value; Path=/")]
    await respond.respond(401, headers, b"")


def _has_cookie(request: ServerRequest) -> bool:
    return "fake=fake_value" in (request.header("cookie") or "")


async def _start(request: ServerRequest, respond: Responder) -> None:
    # Like httpbin's digest endpoint: the answer counts only with the cookie
    # the challenge set.
    algorithm = request.args.get("algorithm", "MD5")
    assert isinstance(algorithm, str)
    if _digest_ok(request, algorithm) and _has_cookie(request):
        target = request.args.get("to")
        if isinstance(target, str):
            await respond.respond(302, [("Location", target)], b"")
        else:
            await respond.respond(200, [("Content-Type", "text/plain")], b"in")
        return
    await _challenge(respond, algorithm)


@pytest.fixture(scope="module")
def live() -> Iterator[TestServer]:
    with serve_in_thread() as running:
        running.routes["/digest"] = _start
        running.routes["/digest/next"] = _start
        yield running


def _exchange(live: TestServer, session: Any, auth: Any, path: str) -> tuple[Any, list[Any]]:
    live.reset_counters()
    with session:
        response = session.get(live.url_for(path), auth=auth)
    seen = [
        (r.target, r.header("authorization") is not None, _has_cookie(r)) for r in live.requests
    ]
    names = [[m[0] for m in _PARAM.findall(r.header("authorization") or "")] for r in live.requests]
    shape = [response.status_code, [h.status_code for h in response.history], response.text]
    return (shape, seen), names


def both(live: TestServer, path: str, password: str = "pass") -> tuple[Any, list[Any]]:
    theirs = _exchange(
        live, requests.Session(), requests.auth.HTTPDigestAuth("user", password), path
    )
    ours = _exchange(
        live, trio_http.Session(), trio_http.auth.HTTPDigestAuth("user", password), path
    )
    assert ours == theirs
    return ours


@pytest.mark.parametrize("algorithm", ["MD5", "SHA-256", "SHA-512"])
def test_digest_sends_the_cookie_its_challenge_set(live: TestServer, algorithm: str) -> None:
    (shape, seen), _ = both(live, f"/digest?algorithm={algorithm}")
    assert shape == [200, [401], "in"]
    assert seen[1][1:] == (True, True)


def test_digest_wrong_password_is_answered_once(live: TestServer) -> None:
    (shape, seen), _ = both(live, "/digest", password="wrong")
    assert shape[:2] == [401, [401]]
    assert len(seen) == 2


def test_digest_redirect_hop_waits_for_its_own_challenge(live: TestServer) -> None:
    # A 302 after the answered challenge: the next hop goes without
    # credentials, is challenged, and answered; history keeps the redirect.
    (shape, seen), _ = both(live, "/digest?to=/digest/next")
    assert shape == [200, [302], "in"]
    assert [had_auth for _, had_auth, _ in seen] == [False, True, False, True]


async def test_next_request_of_an_unfollowed_redirect_has_no_digest_answer(
    server: TestServer,
) -> None:
    async def route(request: ServerRequest, respond: Responder) -> None:
        if _digest_ok(request, "MD5"):
            await respond.respond(302, [("Location", "/elsewhere")], b"")
        else:
            await _challenge(respond, "MD5")

    server.routes["/d"] = route
    auth = trio_http.DigestAuth("user", "pass")
    async with trio_http.AsyncClient(auth=auth, follow_redirects=False) as client:
        response = await client.get(server.url_for("/d"))
    assert response.status_code == 302
    assert response.request.headers["Authorization"].startswith("Digest ")
    assert response.next_request is not None
    assert "Authorization" not in response.next_request.headers
