from __future__ import annotations

import hashlib

import pytest
from auth_flows import ok, ok_respond, run_flow, unauthorized

from trio_http._auth_challenge import parse_challenges
from trio_http._auth_digest import DigestAuth
from trio_http._exceptions import UnrewindableBodyError
from trio_http._request import Request
from trio_http._response import Response
from trio_http._streams import AsyncIterableContent, BytesContent

# RFC 7616 §3.9.1
RFC_REALM = "http-auth@example.org"
RFC_NONCE = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v"
RFC_OPAQUE = "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"
RFC_CNONCE = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"


def _rfc_challenge(algorithm: str) -> str:
    return (
        f'Digest realm="{RFC_REALM}", qop="auth, auth-int", algorithm={algorithm}, '
        f'nonce="{RFC_NONCE}", opaque="{RFC_OPAQUE}"'
    )


class FixedCnonceDigest(DigestAuth):
    def __init__(self, username: str, password: str, cnonce: str = RFC_CNONCE) -> None:
        super().__init__(username, password)
        self.cnonce = cnonce

    def _new_cnonce(self) -> str:
        return self.cnonce


def _digest_params(header: str) -> dict[str, str]:
    assert header.startswith("Digest ")
    (challenge,) = parse_challenges([header])
    return challenge.params


# -- Digest: RFC 7616 examples ---------------------------------------------------------


@pytest.mark.parametrize(
    ("algorithm", "expected"),
    [
        ("SHA-256", "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"),
        ("MD5", "8ca523f5e9506fed4657c9700eebdbec"),
    ],
)
def test_digest_matches_rfc_7616_example(algorithm: str, expected: str) -> None:
    auth = FixedCnonceDigest("Mufasa", "Circle of Life")
    request = Request("GET", "http://www.example.org/dir/index.html")

    def respond(request: Request, attempt: int) -> Response:
        if attempt == 1:
            return unauthorized(request, _rfc_challenge(algorithm))
        return ok(request)

    sent, response = run_flow(auth, request, respond)
    assert response.status_code == 200
    assert sent[0] is None
    assert sent[1] is not None
    params = _digest_params(sent[1])
    assert params == {
        "username": "Mufasa",
        "realm": RFC_REALM,
        "uri": "/dir/index.html",
        "algorithm": algorithm,
        "nonce": RFC_NONCE,
        "nc": "00000001",
        "cnonce": RFC_CNONCE,
        "qop": "auth",
        "response": expected,
        "opaque": RFC_OPAQUE,
    }


def test_digest_takes_the_first_supported_challenge_of_several_headers() -> None:
    auth = FixedCnonceDigest("Mufasa", "Circle of Life")
    request = Request("GET", "http://www.example.org/dir/index.html")
    response = unauthorized(
        request,
        'Basic realm="x"',
        'Digest realm="r", nonce="n", algorithm=UNKNOWN-HASH',
        _rfc_challenge("SHA-256"),
        _rfc_challenge("MD5"),
    )
    flow = auth.auth_flow(request)
    next(flow)
    retry = flow.send(response)
    params = _digest_params(retry.headers["Authorization"])
    assert params["algorithm"] == "SHA-256"


def test_digest_answers_a_challenge_after_basic_in_the_same_header() -> None:
    auth = FixedCnonceDigest("Mufasa", "Circle of Life")
    request = Request("GET", "http://www.example.org/dir/index.html")
    header = 'Basic realm="simple", ' + _rfc_challenge("MD5")
    flow = auth.auth_flow(request)
    next(flow)
    retry = flow.send(unauthorized(request, header))
    assert _digest_params(retry.headers["Authorization"])["response"] == (
        "8ca523f5e9506fed4657c9700eebdbec"
    )


def test_digest_userhash_with_sha512_256() -> None:
    # The inputs of RFC 7616 §3.9.2; its printed hashes are disputed (errata
    # 4897), so the expected values are computed from the §3.4 formulas.
    username = "J\u00e4s\u00f8n Doe"
    realm = "api@example.org"
    nonce = "5TsQWLVdgBdmrQ0XsxbDODV+57QdFR34I9HAbC/RVvkK"
    cnonce = "NTg6RKcb9boFIAS3KrFK9BGeh+iDa/sm6jUMp2wds69v"
    auth = FixedCnonceDigest(username, "Secret, or not?", cnonce=cnonce)
    request = Request("GET", "http://api.example.org/doe.json")
    challenge = (
        f'Digest realm="{realm}", qop=auth, algorithm=SHA-512-256, nonce="{nonce}", '
        'opaque="HRPCssKJSGjCrkzDg8OhwpzCiGPChXYjwrI2QmXDnsOS", charset=UTF-8, userhash=true'
    )
    params = _answer(auth, request, challenge)
    a1 = _h("SHA-512-256", f"{username}:{realm}:Secret, or not?")
    a2 = _h("SHA-512-256", "GET:/doe.json")
    assert params["username"] == _h("SHA-512-256", f"{username}:{realm}")
    assert params["userhash"] == "true"
    assert params["algorithm"] == "SHA-512-256"
    assert params["response"] == _h("SHA-512-256", f"{a1}:{nonce}:00000001:{cnonce}:auth:{a2}")


# -- Digest: variants computed from the RFC formulas ----------------------------------


def _h(algorithm: str, text: str) -> str:
    name = {"MD5": "md5", "SHA-256": "sha256", "SHA-512-256": "sha512_256"}[algorithm]
    return hashlib.new(name, text.encode()).hexdigest()


def _answer(auth: DigestAuth, request: Request, challenge: str) -> dict[str, str]:
    flow = auth.auth_flow(request)
    next(flow)
    return _digest_params(flow.send(unauthorized(request, challenge)).headers["Authorization"])


def test_digest_session_algorithm_hashes_nonce_and_cnonce_into_a1() -> None:
    auth = FixedCnonceDigest("u", "p", cnonce="c")
    request = Request("GET", "https://a.example/x?y=1")
    params = _answer(auth, request, 'Digest realm="r", nonce="n", qop=auth, algorithm=MD5-sess')
    a1 = _h("MD5", f"{_h('MD5', 'u:r:p')}:n:c")
    expected = _h("MD5", f"{a1}:n:00000001:c:auth:{_h('MD5', 'GET:/x?y=1')}")
    assert params["algorithm"] == "MD5-sess"  # echoed as the server spelled it
    assert params["uri"] == "/x?y=1"
    assert params["response"] == expected


def test_digest_without_qop_uses_rfc_2069() -> None:
    auth = FixedCnonceDigest("u", "p")
    request = Request("GET", "https://a.example/x")
    params = _answer(auth, request, 'Digest realm="r", nonce="n"')
    assert "qop" not in params
    assert "nc" not in params
    assert params["response"] == _h("MD5", f"{_h('MD5', 'u:r:p')}:n:{_h('MD5', 'GET:/x')}")


def test_digest_auth_int_hashes_an_in_memory_body() -> None:
    auth = FixedCnonceDigest("u", "p", cnonce="c")
    request = Request("POST", "https://a.example/x", stream=BytesContent(b"body"))
    params = _answer(auth, request, 'Digest realm="r", nonce="n", qop="auth-int"')
    a2 = f"POST:/x:{_h('MD5', 'body')}"
    expected = _h("MD5", f"{_h('MD5', 'u:r:p')}:n:00000001:c:auth-int:{_h('MD5', a2)}")
    assert params["qop"] == "auth-int"
    assert params["response"] == expected


def test_digest_auth_int_only_with_a_streamed_body_returns_the_401() -> None:
    async def body():  # type: ignore[no-untyped-def]
        yield b"x"

    request = Request("POST", "https://a.example/", stream=AsyncIterableContent(body()))
    sent, response = run_flow(
        DigestAuth("u", "p"),
        request,
        lambda r, n: unauthorized(r, 'Digest realm="r", nonce="n", qop="auth-int"'),
    )
    assert sent == [None]
    assert response.status_code == 401


def test_digest_retry_with_a_one_shot_body_raises() -> None:
    async def body():  # type: ignore[no-untyped-def]
        yield b"x"

    request = Request("POST", "https://a.example/", stream=AsyncIterableContent(body()))
    flow = DigestAuth("u", "p").auth_flow(request)
    next(flow)
    with pytest.raises(UnrewindableBodyError):
        flow.send(unauthorized(request, 'Digest realm="r", nonce="n", qop=auth'))


def test_digest_non_ascii_username_is_sent_as_username_star() -> None:
    params = _answer(
        DigestAuth("J\u00e4s\u00f8n", "p"),
        Request("GET", "https://a.example/"),
        'Digest realm="r", nonce="n", qop=auth',
    )
    assert "username" not in params
    assert params["username*"] == "UTF-8''J%C3%A4s%C3%B8n"


def test_digest_escapes_quotes_in_echoed_values() -> None:
    params = _answer(
        DigestAuth('we"ird\\', "p"),
        Request("GET", "https://a.example/"),
        'Digest realm="a \\"quoted\\" realm", nonce="n", qop=auth',
    )
    assert params["username"] == 'we"ird\\'
    assert params["realm"] == 'a "quoted" realm'


# -- Digest: state and termination -----------------------------------------------------

CHALLENGE = 'Digest realm="r", nonce="{nonce}", qop=auth{extra}'


def test_digest_repeated_401_to_answered_credentials_is_returned() -> None:
    def always_401(request: Request, attempt: int) -> Response:
        return unauthorized(request, CHALLENGE.format(nonce=f"n{attempt}", extra=""))

    sent, response = run_flow(
        DigestAuth("u", "wrong"), Request("GET", "https://a.example/"), always_401
    )
    assert len(sent) == 2
    assert response.status_code == 401


def test_digest_stale_nonce_is_answered_once() -> None:
    def stale(request: Request, attempt: int) -> Response:
        extra = "" if attempt == 1 else ", stale=true"
        return unauthorized(request, CHALLENGE.format(nonce=f"n{attempt}", extra=extra))

    sent, response = run_flow(DigestAuth("u", "p"), Request("GET", "https://a.example/"), stale)
    assert len(sent) == 3
    assert [_digest_params(h)["nonce"] for h in sent[1:] if h] == ["n1", "n2"]
    assert response.status_code == 401


def test_digest_stale_then_success() -> None:
    def stale_once(request: Request, attempt: int) -> Response:
        if attempt == 1:
            return unauthorized(request, CHALLENGE.format(nonce="n1", extra=""))
        if attempt == 2:
            return unauthorized(request, CHALLENGE.format(nonce="n2", extra=", stale=TRUE"))
        return ok(request)

    sent, response = run_flow(
        DigestAuth("u", "p"), Request("GET", "https://a.example/"), stale_once
    )
    assert response.status_code == 200
    assert len(sent) == 3


def test_digest_malformed_challenge_returns_the_401() -> None:
    sent, response = run_flow(
        DigestAuth("u", "p"),
        Request("GET", "https://a.example/"),
        lambda r, n: unauthorized(r, 'Digest realm="r", nonce="unterminated'),
    )
    assert sent == [None]
    assert response.status_code == 401


@pytest.mark.parametrize(
    "challenge",
    [
        'Basic realm="r"',
        'Digest nonce="n"',
        'Digest realm="r"',
        'Digest realm="r", nonce="n", algorithm=SHA-1',
    ],
)
def test_digest_without_a_usable_challenge_returns_the_401(challenge: str) -> None:
    sent, response = run_flow(
        DigestAuth("u", "p"),
        Request("GET", "https://a.example/"),
        lambda r, n: unauthorized(r, challenge),
    )
    assert sent == [None]
    assert response.status_code == 401


def test_digest_non_401_response_passes_through() -> None:
    sent, response = run_flow(
        DigestAuth("u", "p"), Request("GET", "https://a.example/"), ok_respond
    )
    assert sent == [None]
    assert response.status_code == 200


def _challenge_then_ok(request: Request, attempt: int) -> Response:
    if request.headers.get("Authorization") is None:
        return unauthorized(request, CHALLENGE.format(nonce="n", extra=""))
    return ok(request)


def test_digest_reuses_the_nonce_for_the_same_origin_with_a_higher_count() -> None:
    auth = DigestAuth("u", "p")
    run_flow(auth, Request("GET", "https://a.example/1"), _challenge_then_ok)
    sent, response = run_flow(auth, Request("GET", "https://a.example/2"), _challenge_then_ok)
    assert len(sent) == 1
    assert sent[0] is not None
    assert _digest_params(sent[0])["nc"] == "00000002"
    assert response.status_code == 200


def test_digest_does_not_send_credentials_to_another_origin_unasked() -> None:
    auth = DigestAuth("u", "p")
    run_flow(auth, Request("GET", "https://a.example/"), _challenge_then_ok)
    sent, _ = run_flow(auth, Request("GET", "https://b.example/"), _challenge_then_ok)
    assert sent[0] is None


def test_digest_refused_remembered_nonce_answers_the_new_challenge() -> None:
    auth = DigestAuth("u", "p")
    run_flow(auth, Request("GET", "https://a.example/"), _challenge_then_ok)

    def new_nonce(request: Request, attempt: int) -> Response:
        if attempt == 1:
            return unauthorized(request, CHALLENGE.format(nonce="fresh", extra=""))
        return ok(request)

    sent, response = run_flow(auth, Request("GET", "https://a.example/"), new_nonce)
    assert [_digest_params(h)["nonce"] for h in sent if h] == ["n", "fresh"]
    assert _digest_params(sent[1] or "")["nc"] == "00000001"
    assert response.status_code == 200


def test_digest_repr_hides_the_password() -> None:
    assert "secret" not in repr(DigestAuth("u", "secret"))


def test_digest_cnonce_is_random() -> None:
    auth = DigestAuth("u", "p")
    first = _answer(
        auth, Request("GET", "https://a.example/"), CHALLENGE.format(nonce="1", extra="")
    )
    second = _answer(
        auth, Request("GET", "https://a.example/"), CHALLENGE.format(nonce="2", extra="")
    )
    assert first["cnonce"] != second["cnonce"]
    assert len(first["cnonce"]) >= 16


def test_digest_redirect_flow_waits_for_a_challenge() -> None:
    # A redirect hop on the same origin goes without the remembered nonce
    # (requests' digest hook computes credentials only when challenged).
    auth = DigestAuth("u", "p")
    run_flow(auth, Request("GET", "https://a.example/1"), _challenge_then_ok)
    hop = Request("GET", "https://a.example/2")
    flow = auth._redirect_flow(hop)
    assert next(flow).headers.get("Authorization") is None
    retry = flow.send(unauthorized(hop, CHALLENGE.format(nonce="n", extra="")))
    assert _digest_params(retry.headers["Authorization"])["uri"] == "/2"
