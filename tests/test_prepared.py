"""requests' Request / PreparedRequest flow on trio_http's Request, compared with requests."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from server import TestServer
from threaded_server import serve_in_thread

import trio_http
from trio_http import PreparedRequest, Request

# What trio_http adds to a prepared request that requests adds while
# sending, and what each client says about itself.
WIRE_ONLY = {"host", "user-agent", "accept-encoding"}


@pytest.fixture(scope="module")
def live() -> Iterator[TestServer]:
    with serve_in_thread() as running:
        yield running


def _headers(prepared: Any) -> dict[str, str]:
    return {
        name.lower(): value
        for name, value in prepared.headers.items()
        if name.lower() not in WIRE_ONLY
    }


def _body(prepared: Any) -> Any:
    body = prepared.body
    return body.encode() if isinstance(body, str) else body


def assert_same_prepared(theirs: Any, ours: Any) -> None:
    assert ours.method == theirs.method
    assert ours.url == theirs.url
    assert ours.path_url == theirs.path_url
    if theirs.headers.get("Content-Type") == "application/json":
        # Same value; requests puts spaces in its JSON.
        assert json.loads(_body(ours)) == json.loads(_body(theirs))
        theirs_headers, ours_headers = _headers(theirs), _headers(ours)
        theirs_headers.pop("content-length")
        ours_headers.pop("content-length")
        assert ours_headers == theirs_headers
    else:
        assert _body(ours) == _body(theirs)
        assert _headers(ours) == _headers(theirs)


# -- Request(...).prepare() ----------------------------------------------------


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        (("GET", "http://example.test/path"), {}),
        (("get", "http://example.test"), {"params": {"a": "1", "b": ["x", "y z"]}}),
        (("GET", "http://example.test/?q=1"), {"params": [("q", "2")]}),
        (("POST", "http://example.test/"), {"data": {"field": "v", "many": ["1", "2"]}}),
        (("POST", "http://example.test/"), {"data": b"raw bytes"}),
        (("PUT", "http://example.test/"), {"json": {"k": [1, 2, {"z": None}]}}),
        (("POST", "http://example.test/", {"X-One": "1", "Content-Type": "text/x"}), {}),
        (("POST", "http://example.test/"), {"data": {"a": "1"}, "headers": {"X-A": "b"}}),
        (("GET", "http://example.test/"), {"auth": ("user", "pass")}),
        (("GET", "http://user:pass@example.test/"), {}),
        (("GET", "http://example.test/"), {"cookies": {"a": "1", "b": "2"}}),
    ],
)
def test_prepare_matches_requests(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    theirs = requests.Request(*args, **kwargs).prepare()
    ours = Request(*args, **kwargs).prepare()
    assert isinstance(ours, PreparedRequest) and isinstance(ours, Request)
    assert_same_prepared(theirs, ours)
    assert repr(ours) == repr(theirs)


def test_request_takes_requests_arguments_in_requests_order() -> None:
    request = Request("POST", "http://example.test/", {"X-A": "1"}, None, {"f": "v"}, {"q": "1"})
    assert request.headers["X-A"] == "1"
    assert request.body == "f=v"
    assert request.url == "http://example.test/?q=1"


def test_prepare_leaves_the_request_unchanged_and_keeps_hooks() -> None:
    def hook(response: Any, **kwargs: Any) -> None:
        pass

    request = Request("GET", "http://example.test/", auth=("u", "p"), hooks={"response": hook})
    prepared = request.prepare()
    assert "Authorization" not in request.headers
    assert prepared.headers["Authorization"].startswith("Basic ")
    assert prepared.hooks == {"response": [hook]} == request.hooks
    assert request.auth == ("u", "p") and request.cookies is None


def test_an_auth_callable_changes_the_prepared_request() -> None:
    def sign(prepared: Any) -> Any:
        prepared.headers["X-Signature"] = f"{prepared.method} {prepared.path_url}"
        prepared.url = prepared.url + "&signed=1"
        return prepared

    ours = Request("GET", "http://example.test/x", params={"a": "1"}, auth=sign).prepare()
    theirs = requests.Request("GET", "http://example.test/x", params={"a": "1"}, auth=sign)
    assert_same_prepared(theirs.prepare(), ours)


def test_an_auth_flow_is_kept_for_the_client() -> None:
    digest = trio_http.auth.HTTPDigestAuth("u", "p")
    prepared = Request("GET", "http://example.test/", auth=digest).prepare()
    assert isinstance(prepared, PreparedRequest)
    assert "Authorization" not in prepared.headers
    assert prepared._auth_flow is digest


# -- PreparedRequest and its steps ----------------------------------------------


def test_empty_prepared_request_is_filled_by_prepare() -> None:
    ours, theirs = PreparedRequest(), requests.PreparedRequest()
    assert (ours.method, ours.url, ours.body) == (theirs.method, theirs.url, theirs.body)
    kwargs: dict[str, Any] = {
        "method": "patch",
        "url": "http://example.test/a b",
        "headers": {"X-A": "1"},
        "data": {"k": "v"},
        "params": {"q": "1"},
        "cookies": {"c": "d"},
    }
    ours.prepare(**kwargs)
    theirs.prepare(**kwargs)
    assert_same_prepared(theirs, ours)


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("example.test/x", "MissingSchema"),
        ("http://", "InvalidURL"),
        ("http:///path", "InvalidURL"),
    ],
)
def test_prepare_url_errors_match_requests(url: str, error: str) -> None:
    with pytest.raises(getattr(requests.exceptions, error)):
        requests.PreparedRequest().prepare_url(url, None)
    with pytest.raises(getattr(trio_http.exceptions, error)):
        PreparedRequest().prepare_url(url, None)


def test_prepare_url_keeps_other_schemes() -> None:
    ours, theirs = PreparedRequest(), requests.PreparedRequest()
    ours.prepare_url("mailto:someone@example.test", None)
    theirs.prepare_url("mailto:someone@example.test", None)
    assert ours.url == theirs.url


def test_prepare_headers_refuses_what_requests_refuses() -> None:
    with pytest.raises(requests.exceptions.InvalidHeader):
        requests.PreparedRequest().prepare_headers({"X": None})  # type: ignore[dict-item]
    with pytest.raises(trio_http.InvalidHeader):
        PreparedRequest().prepare_headers({"X": None})  # type: ignore[arg-type]


def test_steps_in_requests_order() -> None:
    steps: list[tuple[str, tuple[Any, ...]]] = [
        ("prepare_method", ("POST",)),
        ("prepare_url", ("http://example.test/up", {"a": "1"})),
        ("prepare_headers", ({"Content-Type": "text/plain"},)),
        ("prepare_cookies", ({"k": "v"},)),
        ("prepare_body", (b"payload", None)),
        ("prepare_auth", (("u", "p"),)),
        ("prepare_hooks", ({"response": []},)),
    ]
    ours, theirs = PreparedRequest(), requests.PreparedRequest()
    for name, args in steps:
        getattr(ours, name)(*args)
        getattr(theirs, name)(*args)
    assert_same_prepared(theirs, ours)


def test_prepare_content_length_follows_the_body() -> None:
    prepared = Request("POST", "http://example.test/", data=b"abc").prepare()
    assert isinstance(prepared, PreparedRequest)
    assert prepared.headers["Content-Length"] == "3"
    prepared.prepare_content_length(b"abcdef")
    assert prepared.headers["Content-Length"] == "6" and prepared.body == b"abcdef"
    prepared.prepare_content_length(None)
    assert prepared.headers["Content-Length"] == "6"


def test_assigning_body_replaces_its_framing() -> None:
    prepared = Request("POST", "http://example.test/", data={"a": "1"}).prepare()
    prepared.body = "No, I want exactly this as the body."
    assert prepared.headers["Content-Length"] == str(len(prepared.body or b""))

    def chunks() -> Iterator[bytes]:
        yield b"x"

    prepared.body = chunks()
    assert "Content-Length" not in prepared.headers
    assert prepared.headers["Transfer-Encoding"] == "chunked"
    prepared.body = None
    assert prepared.headers["Content-Length"] == "0" and prepared.body is None


def test_assigning_url_moves_a_derived_host_header() -> None:
    prepared = Request("GET", "http://a.example/x").prepare()
    prepared.url = "http://b.example:8080/y"
    assert prepared.headers["Host"] == "b.example:8080"
    explicit = Request("GET", "http://a.example/", headers={"Host": "virtual"}).prepare()
    explicit.url = "http://b.example/"
    assert explicit.headers["Host"] == "virtual"


def test_prepare_cookies_keeps_an_existing_cookie_header() -> None:
    for prepared in (PreparedRequest(), requests.PreparedRequest()):
        prepared.prepare(
            method="GET",
            url="http://example.test/",
            headers={"Cookie": "mine=1"},
            cookies={"a": "b"},
        )
        assert prepared.headers["Cookie"] == "mine=1"


def test_prepare_cookies_takes_a_jar() -> None:
    jar = trio_http.Cookies({"a": "1"})
    prepared = PreparedRequest()
    prepared.prepare(method="GET", url="http://example.test/", cookies=jar)
    assert prepared.headers["Cookie"] == "a=1"
    assert prepared._cookies is jar


def test_register_and_deregister_hooks_like_requests() -> None:
    def first(response: Any, **kwargs: Any) -> None:
        pass

    def second(response: Any, **kwargs: Any) -> None:
        pass

    for prepared in (PreparedRequest(), requests.PreparedRequest()):
        prepared.register_hook("response", first)
        prepared.register_hook("response", [second, "not callable"])  # type: ignore[list-item]
        assert prepared.hooks == {"response": [first, second]}
        assert prepared.deregister_hook("response", first) is True
        assert prepared.deregister_hook("response", first) is False
        assert prepared.hooks == {"response": [second]}
    for request in (Request("GET", "http://example.test/"), requests.Request("GET", "x")):
        with pytest.raises(ValueError):
            request.register_hook("request", first)


def test_copy_is_independent_but_shares_the_body_and_hooks() -> None:
    original = Request("POST", "http://example.test/", data=b"body", cookies={"a": "1"}).prepare()
    assert isinstance(original, PreparedRequest)
    clone = original.copy()
    clone.headers["X-Only-Clone"] = "1"
    clone.url = "http://example.test/other"
    assert "X-Only-Clone" not in original.headers
    assert original.url == "http://example.test/"
    assert clone.body == original.body and clone.hooks is original.hooks
    assert clone._cookies is not original._cookies
    assert dict(clone._cookies or {}) == {"a": "1"}
    theirs = requests.Request(
        "POST", "http://example.test/", data=b"body", cookies={"a": "1"}
    ).prepare()
    assert_same_prepared(theirs.copy(), original.copy())


def test_path_url_matches_requests() -> None:
    for url in ("http://example.test", "http://example.test/a/b?c=d#frag", "http://h/?"):
        theirs = requests.Request("GET", url).prepare()
        assert Request("GET", url).path_url == theirs.path_url, url


# -- the async API is unchanged ------------------------------------------------


async def test_async_client_sends_a_request_built_directly() -> None:
    seen: list[trio_http.Request] = []

    def answer(request: trio_http.Request) -> trio_http.Response:
        seen.append(request)
        return trio_http.Response(200, content=request.content)

    transport = trio_http.MockTransport(answer)
    async with trio_http.AsyncClient(transport=transport) as client:
        built = client.build_request("POST", "http://example.test/", content=b"raw")
        assert (await client.send(built)).content == b"raw"
        direct = trio_http.Request(
            "PUT", "http://example.test/x", headers={"X-A": "1"}, content=b"body"
        )
        response = await client.send(direct)
        assert response.content == b"body" and response.request is direct
        prepared = trio_http.Request("GET", "http://example.test/", params={"q": "1"}).prepare()
        response = await client.send(prepared)
        assert response.request is prepared and seen[-1].url == "http://example.test/?q=1"


# -- through a session, compared with requests ---------------------------------


def test_session_prepare_request_merges_like_requests(live: TestServer) -> None:
    ours, theirs = trio_http.Session(), requests.Session()
    for s in (ours, theirs):
        s.headers["X-Session"] = "s"
        s.headers["X-Replaced"] = "s"
        s.params = {"sp": "1"}
        s.cookies["sc"] = "1"
        s.auth = ("user", "pass")
    kwargs: dict[str, Any] = {
        "headers": {"X-Replaced": "r"},
        "params": {"rp": "2"},
        "cookies": {"rc": "2"},
        "data": {"f": "v"},
    }
    url = live.url_for("/anything")
    theirs_prepared = theirs.prepare_request(requests.Request("POST", url, **kwargs))
    ours_prepared = ours.prepare_request(Request("POST", url, **kwargs))
    # requests appends the merged params in the session's order; trio_http
    # appends the session's after the request's own.
    assert sorted(ours_prepared.url.params) == [("rp", "2"), ("sp", "1")]
    assert theirs_prepared.url is not None
    ours_prepared.url = theirs_prepared.url
    assert_same_prepared(theirs_prepared, ours_prepared)
    assert ours.send(ours_prepared).json()["form"] == theirs.send(theirs_prepared).json()["form"]
    ours.close()
    theirs.close()


def test_send_a_prepared_request_like_requests(live: TestServer) -> None:
    with trio_http.Session() as ours, requests.Session() as theirs:
        url = live.url_for("/cookies/set?a=1")
        ours_response = ours.send(ours.prepare_request(Request("GET", url)))
        theirs_response = theirs.send(theirs.prepare_request(requests.Request("GET", url)))
        assert ours_response.status_code == theirs_response.status_code == 200
        assert [r.status_code for r in ours_response.history] == [302]
        assert ours.cookies.get_dict() == theirs.cookies.get_dict() == {"a": "1"}
        prepared = Request("GET", live.url_for("/redirect/2")).prepare()
        unfollowed = ours.send(prepared, allow_redirects=False)
        assert unfollowed.status_code == 302 and unfollowed.request is prepared
        assert unfollowed.next is not None and unfollowed.next.url.endswith("/redirect/1")
        with pytest.raises(ValueError):
            ours.send(Request("GET", url))
        with pytest.raises(ValueError):
            theirs.send(requests.Request("GET", url))  # type: ignore[arg-type]


def test_prepared_request_hooks_run_on_send(live: TestServer) -> None:
    seen: list[int] = []

    def record(response: Any, **kwargs: Any) -> None:
        seen.append(response.status_code)

    for module in (requests, trio_http):
        with module.Session() as s:
            prepared = module.Request(
                "GET", live.url_for("/redirect/1"), hooks={"response": record}
            ).prepare()
            s.send(prepared)
    assert seen == [302, 200, 302, 200]


def test_changed_prepared_request_is_sent_as_changed(live: TestServer) -> None:
    for module in (requests, trio_http):
        with module.Session() as s:
            prepared = s.prepare_request(
                module.Request("POST", live.url_for("/anything"), data={"a": "1"})
            )
            prepared.body = b"No, I want exactly this as the body."
            prepared.headers["Content-Length"] = str(len(prepared.body))
            del prepared.headers["Content-Type"]
            echoed = s.send(prepared).json()
            assert echoed["data"] == "No, I want exactly this as the body."
            assert "content-type" not in echoed["headers"]


def test_response_filled_in_by_hand_like_requests() -> None:
    for module in (requests, trio_http):
        response = module.Response()
        assert response.status_code is None
        response.status_code = 200
        response._content = b'{"ok": true}'
        response.headers = module.structures.CaseInsensitiveDict(
            {"Content-Type": "application/json; charset=utf-8"}
        )
        response.url = "http://example.test/x"
        response.reason = "Fine"
        response.request = module.Request("GET", "http://example.test/x").prepare()
        response._content_consumed = True
        assert response.json() == {"ok": True}
        assert response.text == '{"ok": true}'
        assert response.url == "http://example.test/x"
        assert (response.reason, response.ok) == ("Fine", True)
        response.close()
    # requests leaves encoding to its adapter; trio_http reads the charset.
    assert response.encoding == "utf-8"
    raw = trio_http.Response()
    raw.raw = io.BytesIO(b"from raw")
    assert raw.content == b"from raw"
    assert trio_http.Response(201).reason == "Created"
