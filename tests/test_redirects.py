from __future__ import annotations

import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trio_http._config import MAX_REDIRECTS
from trio_http._exceptions import (
    InvalidSchema,
    InvalidURL,
    RemoteProtocolError,
    TooManyRedirects,
    UnrewindableBodyError,
)
from trio_http._headers import Headers
from trio_http._redirects import build_redirect_request, should_strip_auth
from trio_http._request import Request
from trio_http._response import Response
from trio_http._streams import (
    EMPTY_CONTENT,
    AsyncIterableContent,
    BytesContent,
    FileContent,
    IterableContent,
    RequestContent,
)
from trio_http._urls import URL

BODY = b'{"k": "v"}'


def _request(
    method: str = "POST",
    url: str = "https://example.com/start",
    stream: RequestContent | None = None,
    headers: dict[str, str] | None = None,
) -> Request:
    all_headers = {"Content-Type": "application/json", "Authorization": "Bearer t"}
    all_headers.update(headers or {})
    return Request(
        method, url, headers=all_headers, stream=BytesContent(BODY) if stream is None else stream
    )


def _redirect(request: Request, status: int = 302, location: str | None = "/next") -> Response:
    # As received: a value a caller could not give (leading whitespace) stays possible.
    raw = [] if location is None else [(b"Location", location.encode("utf-8"))]
    return Response(status, headers=Headers.from_raw(raw), request=request)


def _follow(request: Request, status: int = 302, location: str = "/next") -> Request:
    return build_redirect_request(request, _redirect(request, status, location))


# -- Location ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        ("/next", "https://example.com/next"),
        ("next", "https://example.com/next"),
        ("../up?q=1", "https://example.com/up?q=1"),
        ("?only=query", "https://example.com/start?only=query"),
        ("//other.example/x", "https://other.example/x"),
        ("http://other.example:8080/y", "http://other.example:8080/y"),
        ("https://EXAMPLE.com/Case", "https://example.com/Case"),
    ],
)
def test_location_is_resolved_against_the_request_url(location: str, expected: str) -> None:
    request = _request("GET", "https://example.com/start")
    assert str(_follow(request, 302, location).url) == expected


def test_fragment_of_the_original_url_is_kept_when_location_has_none() -> None:
    request = _request("GET", "https://example.com/start#section")
    assert str(_follow(request, 302, "/next").url) == "https://example.com/next#section"


def test_fragment_of_the_location_wins() -> None:
    request = _request("GET", "https://example.com/start#section")
    assert str(_follow(request, 302, "/next#other").url) == "https://example.com/next#other"


def test_non_ascii_location_is_percent_encoded() -> None:
    request = _request("GET", "https://example.com/")
    assert str(_follow(request, 302, "/caf\u00e9").url) == "https://example.com/caf%C3%A9"


@pytest.mark.parametrize("location", [None, "", "   "])
def test_missing_location_is_a_protocol_error(location: str | None) -> None:
    request = _request("GET")
    response = _redirect(request, 302, location)
    with pytest.raises(RemoteProtocolError, match="Location") as info:
        build_redirect_request(request, response)
    assert info.value.response is response


@pytest.mark.parametrize(
    "location",
    [
        "file:///etc/passwd",
        "ftp://example.com/file",
        "javascript:alert(1)",
        "data:text/plain,hi",
        "gopher://example.com/",
        "ws://example.com/socket",
    ],
)
def test_hostile_schemes_are_refused(location: str) -> None:
    request = _request("GET")
    with pytest.raises(InvalidSchema) as info:
        _follow(request, 302, location)
    assert info.value.request is request


def test_invalid_location_raises_invalid_url() -> None:
    request = _request("GET")
    with pytest.raises(InvalidURL):
        _follow(request, 302, "http://exa mple.com:99999999/")


def test_location_without_a_host_is_refused() -> None:
    with pytest.raises(InvalidURL, match="without a host"):
        _follow(_request("GET"), 302, "https:/no-host")


# -- method and body -----------------------------------------------------------

METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def _expected_method(status: int, method: str) -> str:
    if status == 303:
        return "HEAD" if method == "HEAD" else "GET"
    if status in (301, 302) and method == "POST":
        return "GET"
    return method


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
@pytest.mark.parametrize("method", METHODS)
def test_method_and_body_policy_table(status: int, method: str) -> None:
    request = _request(method)
    new = _follow(request, status)
    expected = _expected_method(status, method)
    assert new.method == expected
    keeps_body = status != 303 and expected == method
    if keeps_body:
        assert new.stream is request.stream
        assert new.content == BODY
        assert new.headers["Content-Type"] == "application/json"
        assert new.headers["Content-Length"] == str(len(BODY))
    else:
        assert new.stream is EMPTY_CONTENT
        for name in ("Content-Type", "Content-Length", "Transfer-Encoding"):
            assert name not in new.headers


def test_dropped_body_takes_every_body_header_with_it() -> None:
    request = _request(
        "POST",
        headers={
            "Content-Encoding": "gzip",
            "Content-Language": "en",
            "Content-Location": "/x",
            "Digest": "sha-256=abc",
            "Expect": "100-continue",
            "X-Custom": "kept",
        },
    )
    new = _follow(request, 303)
    for name in ("Content-Encoding", "Content-Language", "Content-Location", "Digest", "Expect"):
        assert name not in new.headers
    assert new.headers["X-Custom"] == "kept"


def test_307_with_a_chunked_iterable_list_body_is_rewound() -> None:
    stream = IterableContent([b"a", b"b"])
    request = _request("PUT", stream=stream)
    assert request.headers["Transfer-Encoding"] == "chunked"
    new = _follow(request, 307)
    assert new.stream is stream
    assert new.headers["Transfer-Encoding"] == "chunked"


def test_308_rewinds_a_seekable_file_to_where_it_started() -> None:
    fileobj = io.BytesIO(b"xxhello")
    fileobj.seek(2)
    request = _request("POST", stream=FileContent(fileobj))
    fileobj.read()  # the body was sent once
    _follow(request, 308)
    assert fileobj.read() == b"hello"


@pytest.mark.parametrize("status", [307, 308])
def test_one_shot_body_that_must_be_resent_raises(status: int) -> None:
    async def chunks():  # type: ignore[no-untyped-def]
        yield b"data"

    request = _request("POST", stream=AsyncIterableContent(chunks()))
    with pytest.raises(UnrewindableBodyError, match="one-shot"):
        _follow(request, status)


def test_one_shot_body_is_fine_when_the_redirect_drops_it() -> None:
    request = _request("POST", stream=IterableContent(iter([b"x"])))
    assert _follow(request, 303).stream is EMPTY_CONTENT


def test_old_request_is_not_mutated() -> None:
    request = _request("POST", headers={"Cookie": "a=1"})
    before = request.headers.copy()
    _follow(request, 303, "https://other.example/")
    assert request.headers == before
    assert request.method == "POST"
    assert str(request.url) == "https://example.com/start"


def test_extensions_are_copied_not_shared() -> None:
    request = _request("GET")
    request.extensions["timeout"] = 5
    new = _follow(request)
    assert new.extensions == {"timeout": 5}
    assert new.extensions is not request.extensions


# -- headers and credentials -------------------------------------------------------


def test_host_header_follows_the_new_url() -> None:
    request = _request("GET", headers={"Host": "example.com"})
    new = _follow(request, 302, "https://other.example:8443/")
    assert new.headers["Host"] == "other.example:8443"


def test_cookie_header_is_always_dropped_for_the_jar_to_rebuild() -> None:
    request = _request("GET", headers={"Cookie": "sid=old"})
    assert "Cookie" not in _follow(request, 302, "/same-origin").headers


@pytest.mark.parametrize(
    "location",
    [
        "/same",
        "https://example.com:443/explicit-default-port",
        "https://EXAMPLE.COM/case",
    ],
)
def test_same_origin_redirect_keeps_authorization(location: str) -> None:
    request = _request("GET", headers={"Proxy-Authorization": "Basic p"})
    new = _follow(request, 302, location)
    assert new.headers["Authorization"] == "Bearer t"
    assert new.headers["Proxy-Authorization"] == "Basic p"


@pytest.mark.parametrize(
    "location",
    [
        "https://evil.example/",
        "https://sub.example.com/",
        "https://example.com:8443/",
        "http://example.com/",  # downgrade
        "//evil.example/scheme-relative",
    ],
)
def test_cross_origin_redirect_strips_credentials(location: str) -> None:
    request = _request("GET", headers={"Proxy-Authorization": "Basic p", "Cookie": "a=1"})
    new = _follow(request, 302, location)
    assert "Authorization" not in new.headers
    assert "Proxy-Authorization" not in new.headers
    assert "Cookie" not in new.headers


def test_http_to_https_upgrade_on_default_ports_keeps_authorization() -> None:
    request = _request("GET", "http://example.com/")
    assert _follow(request, 301, "https://example.com/").headers["Authorization"] == "Bearer t"


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("http://example.com:8080/", "https://example.com/"),
        ("http://example.com/", "https://example.com:8443/"),
        ("http://example.com/", "https://www.example.com/"),
    ],
)
def test_upgrade_with_other_ports_or_hosts_strips_authorization(old: str, new: str) -> None:
    assert "Authorization" not in _follow(_request("GET", old), 301, new).headers


@pytest.mark.parametrize(
    ("old", "new", "strip"),
    [
        ("https://a.example/", "https://a.example/x", False),
        ("https://a.example/", "https://a.example:443/", False),
        ("http://a.example/", "https://a.example/", False),
        ("https://a.example/", "http://a.example/", True),
        ("https://a.example/", "https://b.example/", True),
        ("https://a.example/", "https://a.example:444/", True),
        ("http://a.example:80/", "http://a.example:8080/", True),
        ("http://a.example:8080/", "https://a.example:8443/", True),
    ],
)
def test_should_strip_auth_table(old: str, new: str, strip: bool) -> None:
    assert should_strip_auth(URL(old), URL(new)) is strip


_hosts = st.sampled_from(["a.example", "b.example", "127.0.0.1", "::1"])
_schemes = st.sampled_from(["http", "https"])
_ports = st.sampled_from([None, 80, 443, 8080])


@st.composite
def _urls(draw: st.DrawFn) -> URL:
    host = draw(_hosts)
    if ":" in host:
        host = f"[{host}]"
    port = draw(_ports)
    netloc = host if port is None else f"{host}:{port}"
    return URL(f"{draw(_schemes)}://{netloc}/p")


@given(_urls(), _urls())
def test_should_strip_auth_keeps_credentials_only_for_same_origin_or_upgrade(
    old: URL, new: URL
) -> None:
    upgrade = (
        old.host == new.host
        and (old.scheme, old.effective_port) == ("http", 80)
        and (new.scheme, new.effective_port) == ("https", 443)
    )
    assert should_strip_auth(old, new) is not (old.origin == new.origin or upgrade)


@given(_urls(), _urls())
def test_should_strip_auth_is_symmetric_except_for_the_upgrade(old: URL, new: URL) -> None:
    if old.scheme == new.scheme:
        assert should_strip_auth(old, new) == should_strip_auth(new, old)
    if should_strip_auth(old, new) is False and should_strip_auth(new, old) is False:
        assert old.origin == new.origin
    if old.scheme == "https" and new.scheme == "http":
        assert should_strip_auth(old, new)


# -- limits and loops ----------------------------------------------------------------


def _history(urls: list[str], method: str = "GET") -> list[Response]:
    return [_redirect(Request(method, url)) for url in urls]


def test_max_redirects_counts_the_redirects_already_followed() -> None:
    request = _request("GET", "https://example.com/10")
    response = _redirect(request, 302, "/11")
    history = _history([f"https://example.com/{i}" for i in range(3)])
    build_redirect_request(request, response, history=history, max_redirects=4)
    with pytest.raises(TooManyRedirects, match="3 redirects") as info:
        build_redirect_request(request, response, history=history, max_redirects=3)
    assert info.value.response is response
    assert info.value.request is request


def test_max_redirects_zero_refuses_the_first_redirect() -> None:
    request = _request("GET")
    with pytest.raises(TooManyRedirects):
        build_redirect_request(request, _redirect(request), max_redirects=0)


def test_default_max_redirects_is_the_configured_limit() -> None:
    request = _request("GET", "https://example.com/last")
    response = _redirect(request, 302, "/new")
    history = _history([f"https://example.com/{i}" for i in range(MAX_REDIRECTS)])
    with pytest.raises(TooManyRedirects):
        build_redirect_request(request, response, history=history)
    build_redirect_request(request, response, history=history[1:])


def test_redirect_back_to_the_same_url_once_is_allowed() -> None:
    # e.g. /login sets a cookie and redirects to itself
    request = _request("GET", "https://example.com/login")
    new = _follow(request, 302, "/login")
    assert str(new.url) == "https://example.com/login"


def test_redirect_loop_is_detected_before_max_redirects() -> None:
    loop = ["https://example.com/a", "https://example.com/b"]
    request = _request("GET", "https://example.com/b")
    response = _redirect(request, 302, "/a")
    # a -> b -> a -> [b] -> a: the third request for /a is still allowed
    build_redirect_request(request, response, history=_history([*loop, *loop[:1]]))
    # a -> b -> a -> b -> a -> [b] -> a would be the fourth
    with pytest.raises(TooManyRedirects, match="loop"):
        build_redirect_request(request, response, history=_history([*loop, *loop, *loop[:1]]))


def test_same_url_with_another_method_is_not_a_loop() -> None:
    request = _request("GET", "https://example.com/a")
    response = _redirect(request, 307, "/a")
    history = _history(["https://example.com/a"] * 3, method="POST")
    assert build_redirect_request(request, response, history=history).method == "GET"


def test_fragments_do_not_hide_a_loop() -> None:
    request = _request("GET", "https://example.com/a#x")
    response = _redirect(request, 302, "/a#y")
    history = _history(["https://example.com/a#1", "https://example.com/a#2"])
    with pytest.raises(TooManyRedirects, match="loop"):
        build_redirect_request(request, response, history=history)


def test_auth_challenges_in_the_history_are_not_counted() -> None:
    request = _request("GET", "https://example.com/a")
    response = _redirect(request, 302, "/a")
    challenges = [Response(401, request=Request("GET", "https://example.com/a"))] * 5
    build_redirect_request(request, response, history=challenges, max_redirects=1)
