"""Differential tests: the same calls through requests and trio_http.

Each scenario runs against one local test server (in its own thread) with
``requests.Session`` and ``trio_http.Session``, and compares what a
requests user would look at: status, headers (minus Date/Server), body,
history, cookies, and the class of the exception raised.
"""

from __future__ import annotations

import gzip
import json
import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
import requests.auth
from server import TestServer
from threaded_server import add_digest_routes, serve_in_thread

import trio_http
import trio_http.auth

IGNORED_RESPONSE_HEADERS = {"date", "server"}
# What each client says about itself; everything else it sends must match.
IGNORED_REQUEST_HEADERS = {"user-agent", "accept-encoding"}


@pytest.fixture(scope="module")
def live() -> Iterator[TestServer]:
    with serve_in_thread() as running:
        add_digest_routes(running, "user", "pass")
        yield running


@pytest.fixture
def sessions() -> Iterator[tuple[requests.Session, trio_http.Session]]:
    with requests.Session() as theirs, trio_http.Session() as ours:
        yield theirs, ours


Sessions = tuple[requests.Session, trio_http.Session]


def _echoed_headers(payload: Any) -> dict[str, str]:
    # requests spaces its JSON bodies, so their lengths differ; bodies are
    # compared separately.
    return {
        name: value
        for name, value in payload["headers"].items()
        if name not in IGNORED_REQUEST_HEADERS and name != "content-length"
    }


def _response_headers(response: Any) -> dict[str, str]:
    return {
        name.lower(): value
        for name, value in response.headers.items()
        if name.lower() not in IGNORED_RESPONSE_HEADERS
    }


def assert_same_response(theirs: Any, ours: Any) -> None:
    assert ours.status_code == theirs.status_code
    assert ours.reason == theirs.reason
    assert ours.ok == theirs.ok
    ours_headers, theirs_headers = _response_headers(ours), _response_headers(theirs)
    if b'"headers"' in theirs.content or theirs.request.method == "HEAD":
        # The echoed User-Agent differs, and with it the length.
        ours_headers.pop("content-length")
        theirs_headers.pop("content-length")
    assert ours_headers == theirs_headers
    assert ours.url == theirs.url
    assert isinstance(ours.url, str)
    assert [r.status_code for r in ours.history] == [r.status_code for r in theirs.history]
    assert [r.url for r in ours.history] == [r.url for r in theirs.history]
    assert ours.is_redirect == theirs.is_redirect
    assert ours.is_permanent_redirect == theirs.is_permanent_redirect
    assert ours.request.method == theirs.request.method
    assert ours.request.url == theirs.request.url
    assert ours.links == theirs.links
    content_type = theirs.headers.get("Content-Type", "")
    if content_type.startswith("application/json") and theirs.content:
        ours_json, theirs_json = ours.json(), theirs.json()
        if isinstance(theirs_json, dict) and "headers" in theirs_json:
            assert _echoed_headers(ours_json) == _echoed_headers(theirs_json)
            ours_json.pop("headers")
            theirs_json.pop("headers")
        if isinstance(theirs_json, dict) and theirs_json.get("json") is not None:
            # Same JSON value, different whitespace in the raw body.
            ours_json.pop("data")
            theirs_json.pop("data")
        assert ours_json == theirs_json
    else:
        assert ours.content == theirs.content


def both(
    sessions: Sessions, method: str, url: str, **kwargs: Any
) -> tuple[requests.Response, trio_http.Response]:
    theirs, ours = sessions
    return theirs.request(method, url, **kwargs), ours.request(method, url, **kwargs)


def same_exception(call: Callable[[Any], object]) -> type[BaseException]:
    """Run ``call(requests)`` and ``call(trio_http)``; the classes must correspond."""
    with pytest.raises(requests.RequestException) as theirs:
        call(requests)
    name = type(theirs.value).__name__
    with pytest.raises(getattr(trio_http.exceptions, name)) as ours:
        call(trio_http)
    return type(ours.value)


# -- plain requests -------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("GET", "/get", {}),
        ("GET", "/get", {"params": {"a": "1", "b": ["x", "y z"], "none": None}}),
        ("GET", "/get?q=1", {"params": [("q", "2")]}),
        ("GET", "/get", {"headers": {"X-Custom": "value", "Accept": "text/plain"}}),
        ("DELETE", "/get", {}),
        ("OPTIONS", "/get", {}),
        ("POST", "/anything", {"data": {"field": "v", "many": ["1", "2"]}}),
        ("POST", "/anything", {"data": [("a", "1"), ("a", "2")]}),
        ("POST", "/anything", {"json": {"k": [1, 2, {"z": None}]}}),
        ("PUT", "/anything", {"data": b"raw bytes"}),
        ("PATCH", "/anything", {"data": "text body"}),
        ("GET", "/status/404", {}),
        ("GET", "/status/500", {}),
        ("GET", "/status/204", {}),
        ("GET", "/response-headers?Link=%3C%2Fnext%3E%3B+rel%3D%22next%22", {}),
        ("GET", "/gzip", {}),
        ("GET", "/deflate", {}),
        ("GET", "/text?charset=utf-8", {}),
        ("GET", "/text?charset=latin-1", {}),
        ("GET", "/bytes/70000", {}),
    ],
)
def test_same_response(
    live: TestServer, sessions: Sessions, method: str, path: str, kwargs: dict[str, Any]
) -> None:
    theirs, ours = both(sessions, method, live.url_for(path), **kwargs)
    assert_same_response(theirs, ours)
    if b'"headers"' not in theirs.content:
        assert ours.text == theirs.text
    if "charset=" in theirs.headers.get("Content-Type", ""):
        # Without a declared charset requests guesses; trio_http uses UTF-8.
        assert ours.encoding == theirs.encoding


def test_generator_body_is_sent_chunked(live: TestServer, sessions: Sessions) -> None:
    def chunks() -> Iterator[bytes]:
        yield b"chunk1"
        yield b"chunk2"

    theirs, ours = sessions
    url = live.url_for("/anything")
    theirs_r, ours_r = theirs.post(url, data=chunks()), ours.post(url, data=chunks())
    assert_same_response(theirs_r, ours_r)
    assert ours_r.json()["data"] == "chunk1chunk2"


def test_head_does_not_follow_redirects(live: TestServer, sessions: Sessions) -> None:
    theirs, ours = sessions
    url = live.url_for("/redirect/1")
    assert_same_response(theirs.head(url), ours.head(url))
    assert ours.head(url).next is not None
    assert_same_response(
        theirs.head(url, allow_redirects=True), ours.head(url, allow_redirects=True)
    )


def test_multipart_upload_sends_the_same_fields(live: TestServer, sessions: Sessions) -> None:
    files = {"file": ("report.txt", b"file content\n", "text/plain")}
    theirs, ours = both(
        sessions, "POST", live.url_for("/anything"), data={"name": "x"}, files=files
    )
    assert ours.status_code == theirs.status_code
    for part in ('name="name"', 'name="file"; filename="report.txt"', "file content"):
        assert part in ours.json()["data"]
        assert part in theirs.json()["data"]


# -- redirects ------------------------------------------------------------


@pytest.mark.parametrize("path", ["/redirect/1", "/redirect/3", "/redirect/2?absolute=true"])
def test_redirect_chains(live: TestServer, sessions: Sessions, path: str) -> None:
    theirs, ours = both(sessions, "GET", live.url_for(path))
    assert_same_response(theirs, ours)
    assert len(ours.history) == len(theirs.history) > 0


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_redirected_post_changes_method_like_requests(
    live: TestServer, sessions: Sessions, status: int
) -> None:
    url = live.url_for(f"/redirect-to?url=/anything&status_code={status}")
    theirs, ours = both(sessions, "POST", url, data={"a": "1"})
    assert_same_response(theirs, ours)


def test_redirects_not_followed_on_request(live: TestServer, sessions: Sessions) -> None:
    theirs, ours = both(sessions, "GET", live.url_for("/redirect/2"), allow_redirects=False)
    assert_same_response(theirs, ours)
    assert ours.next is not None
    assert ours.next.url == theirs.next.url


def test_too_many_redirects(live: TestServer, sessions: Sessions) -> None:
    theirs, ours = sessions
    theirs.max_redirects = ours.max_redirects = 2
    url = live.url_for("/redirect/5")
    with pytest.raises(requests.TooManyRedirects):
        theirs.get(url)
    with pytest.raises(trio_http.TooManyRedirects):
        ours.get(url)


# -- cookies --------------------------------------------------------------


def test_cookies_set_by_server_are_kept_by_the_session(
    live: TestServer, sessions: Sessions
) -> None:
    theirs, ours = both(sessions, "GET", live.url_for("/cookies/set?a=1&b=two"))
    assert_same_response(theirs, ours)
    assert (
        sessions[1].cookies.get_dict() == sessions[0].cookies.get_dict() == {"a": "1", "b": "two"}
    )
    assert ours.history[0].cookies.get_dict() == theirs.history[0].cookies.get_dict()
    theirs, ours = both(sessions, "GET", live.url_for("/cookies/delete?a"))
    assert_same_response(theirs, ours)
    assert sessions[1].cookies.get_dict() == sessions[0].cookies.get_dict()


def test_request_cookies_are_sent_but_not_kept(live: TestServer, sessions: Sessions) -> None:
    theirs, ours = both(sessions, "GET", live.url_for("/cookies"), cookies={"once": "1"})
    assert_same_response(theirs, ours)
    assert ours.json() == {"cookies": {"once": "1"}}
    assert dict(sessions[1].cookies) == dict(sessions[0].cookies) == {}


def test_session_cookies_set_by_hand_are_sent(live: TestServer, sessions: Sessions) -> None:
    for session in sessions:
        session.cookies.set("manual", "yes")
    theirs, ours = both(sessions, "GET", live.url_for("/cookies"))
    assert_same_response(theirs, ours)
    assert ours.json() == {"cookies": {"manual": "yes"}}


# -- auth -----------------------------------------------------------------


@pytest.mark.parametrize("password", ["pass", "wrong"])
def test_basic_auth_tuple_and_class(live: TestServer, sessions: Sessions, password: str) -> None:
    url = live.url_for("/basic-auth/user/pass")
    theirs, ours = both(sessions, "GET", url, auth=("user", password))
    assert_same_response(theirs, ours)
    theirs_r = sessions[0].get(url, auth=requests.auth.HTTPBasicAuth("user", password))
    ours_r = sessions[1].get(url, auth=trio_http.auth.HTTPBasicAuth("user", password))
    assert_same_response(theirs_r, ours_r)


def test_session_auth_changed_after_creation_applies(live: TestServer, sessions: Sessions) -> None:
    url = live.url_for("/basic-auth/user/pass")
    for session in sessions:
        session.auth = ("user", "pass")
    theirs, ours = both(sessions, "GET", url)
    assert_same_response(theirs, ours)
    assert ours.status_code == 200


@pytest.mark.parametrize(
    ("algorithm", "password"), [("MD5", "pass"), ("SHA-256", "pass"), ("MD5", "no")]
)
def test_digest_auth(live: TestServer, sessions: Sessions, algorithm: str, password: str) -> None:
    url = live.url_for(f"/digest-auth/user/pass/{algorithm}")
    theirs = sessions[0].get(url, auth=requests.auth.HTTPDigestAuth("user", password))
    ours = sessions[1].get(url, auth=trio_http.auth.HTTPDigestAuth("user", password))
    assert ours.status_code == theirs.status_code
    assert ours.json() == theirs.json()
    assert len(ours.history) == len(theirs.history)


def test_auth_callable_edits_the_request(live: TestServer, sessions: Sessions) -> None:
    def add_token(r: Any) -> Any:
        r.headers["X-Token"] = "secret"
        r.url = r.url + "&signed=1"
        return r

    theirs, ours = both(sessions, "GET", live.url_for("/get?a=1"), auth=add_token)
    assert_same_response(theirs, ours)
    assert ours.json()["args"] == {"a": "1", "signed": "1"}


# -- hooks ----------------------------------------------------------------


def test_response_hooks_see_every_response_and_may_replace_it(
    live: TestServer, sessions: Sessions
) -> None:
    seen: dict[str, list[int]] = {"requests": [], "trio_http": []}

    def recorder(name: str) -> Callable[..., Any]:
        def hook(r: Any, *args: Any, **kwargs: Any) -> Any:
            seen[name].append(r.status_code)
            assert "timeout" in kwargs and "verify" in kwargs
            return None

        return hook

    sessions[0].hooks["response"].append(recorder("requests"))
    sessions[1].hooks["response"].append(recorder("trio_http"))
    both(sessions, "GET", live.url_for("/redirect/2"))
    assert seen["trio_http"] == seen["requests"] == [302, 302, 200]

    def requests_replacement(r: Any, **kwargs: Any) -> Any:
        replacement = requests.Response()
        replacement.status_code = 299
        return replacement

    def trio_http_replacement(r: Any, **kwargs: Any) -> Any:
        return trio_http.Response(299)

    url = live.url_for("/get")
    theirs = sessions[0].get(url, hooks={"response": requests_replacement})
    ours = sessions[1].get(url, hooks={"response": [trio_http_replacement]})
    assert ours.status_code == theirs.status_code == 299


# -- streaming ------------------------------------------------------------


def test_streamed_lines(live: TestServer, sessions: Sessions) -> None:
    theirs, ours = both(sessions, "GET", live.url_for("/stream/20"), stream=True)
    assert list(ours.iter_lines()) == list(theirs.iter_lines())
    ours.close()
    theirs.close()


@pytest.mark.parametrize("chunk_size", [1, 7, 1024, None])
def test_streamed_content_chunks(
    live: TestServer, sessions: Sessions, chunk_size: int | None
) -> None:
    theirs, ours = both(sessions, "GET", live.url_for("/bytes/5000"), stream=True)
    ours_chunks = list(ours.iter_content(chunk_size))
    theirs_chunks = list(theirs.iter_content(chunk_size))
    assert b"".join(ours_chunks) == b"".join(theirs_chunks)
    if chunk_size is not None:
        assert [len(c) for c in ours_chunks] == [len(c) for c in theirs_chunks]


def test_streamed_gzip_raw_is_undecoded(live: TestServer, sessions: Sessions) -> None:
    theirs, ours = both(sessions, "GET", live.url_for("/gzip"), stream=True)
    ours_raw, theirs_raw = ours.raw.read(), theirs.raw.read()
    assert ours_raw[:2] == theirs_raw[:2] == b"\x1f\x8b"
    ours_json, theirs_json = (
        json.loads(gzip.decompress(ours_raw)),
        json.loads(gzip.decompress(theirs_raw)),
    )
    assert ours_json["gzipped"] == theirs_json["gzipped"] is True


def test_stream_content_read_on_access(live: TestServer, sessions: Sessions) -> None:
    theirs, ours = both(sessions, "GET", live.url_for("/stream/3"), stream=True)
    assert ours.content == theirs.content
    assert list(ours.iter_content(4)) == list(theirs.iter_content(4))


def test_streamed_body_cannot_be_iterated_twice(live: TestServer, sessions: Sessions) -> None:
    def call(module: Any) -> None:
        with module.Session() as s:
            r = s.get(live.url_for("/bytes/10"), stream=True)
            list(r.iter_content(3))
            list(r.iter_content(3))

    # requests raises StreamConsumedError here.
    same_exception(call)


# -- errors ---------------------------------------------------------------


def test_raise_for_status(live: TestServer, sessions: Sessions) -> None:
    for code in (404, 503):
        theirs, ours = both(sessions, "GET", live.url_for(f"/status/{code}"))
        with pytest.raises(requests.HTTPError) as theirs_error:
            theirs.raise_for_status()
        with pytest.raises(trio_http.exceptions.HTTPError) as ours_error:
            ours.raise_for_status()
        assert ours_error.value.response is ours
        assert ours_error.value.request is ours.request
        assert (
            str(ours_error.value).split(" for url")[0].split(":")[0]
            == str(theirs_error.value).split(":")[0]
        )


@pytest.mark.parametrize(
    "url",
    [
        "example.org/path",
        "ftp://example.org/",
        "localhost:8000/x",
        "http://",
        "http://exa mple.com:99999/",
        "http://[::1/",
        "",
    ],
)
def test_bad_urls(url: str) -> None:
    same_exception(lambda module: module.get(url))


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Bad": "a\nb"},
        {"X-Bad": "a\r\nInjected: 1"},
        {"X-Bad": 12},
    ],
)
def test_bad_headers(live: TestServer, headers: dict[str, Any]) -> None:
    same_exception(lambda module: module.get(live.url_for("/get"), headers=headers))


@pytest.mark.parametrize("headers", [{"Bad Name": "v"}, {"X-Bad": "a\x00b"}])
def test_header_refused_before_sending(headers: dict[str, str]) -> None:
    # requests sends these and leaves the server to object; trio_http refuses early.
    with pytest.raises(trio_http.InvalidHeader):
        trio_http.get("http://127.0.0.1:1/", headers=headers)


def test_connection_refused() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    same_exception(lambda module: module.get(f"http://127.0.0.1:{port}/", timeout=5))


def test_read_timeout(live: TestServer) -> None:
    raised = same_exception(lambda module: module.get(live.url_for("/delay/3"), timeout=0.2))
    assert issubclass(raised, trio_http.ReadTimeout)


def test_read_timeout_in_a_tuple(live: TestServer) -> None:
    same_exception(lambda module: module.get(live.url_for("/delay/3"), timeout=(5, 0.2)))


def test_json_decode_error(live: TestServer, sessions: Sessions) -> None:
    theirs, ours = both(sessions, "GET", live.url_for("/text"))
    with pytest.raises(requests.JSONDecodeError):
        theirs.json()
    with pytest.raises(trio_http.exceptions.JSONDecodeError) as ours_error:
        ours.json()
    assert isinstance(ours_error.value, ValueError)


def test_exception_tree_matches_requests() -> None:
    for name in dir(requests.exceptions):
        theirs = getattr(requests.exceptions, name)
        if not (isinstance(theirs, type) and issubclass(theirs, (Exception, Warning))):
            continue
        if theirs.__module__ != "requests.exceptions":
            continue
        ours = getattr(trio_http.exceptions, name)
        for base in theirs.__mro__:
            if base.__module__ == "requests.exceptions":
                assert issubclass(ours, getattr(trio_http.exceptions, base.__name__)), (
                    name,
                    base,
                )
            elif base.__module__ == "builtins" and base is not object:
                assert issubclass(ours, base), (name, base)


def test_codes_spellings() -> None:
    assert trio_http.codes.ok == trio_http.codes.OK == trio_http.codes["ok"] == requests.codes.ok
    assert trio_http.codes.not_found == requests.codes.not_found
    assert trio_http.codes.teapot == requests.codes.teapot
