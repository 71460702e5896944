"""Differential tests: trio_http against requests on the behaviour requests' own suite checks.

Each test gives both libraries the same input and compares what comes out:
the names requests' modules expose, timeouts that are not valid, responses
filled in by hand, and the messages code ported from requests compares.
"""

from __future__ import annotations

import io
import pickle
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import requests.hooks
import requests.models
import requests.sessions
from server import TestServer
from threaded_server import serve_in_thread

import trio_http
import trio_http.hooks
import trio_http.models
import trio_http.sessions

LIBRARIES = pytest.mark.parametrize("lib", [requests, trio_http], ids=["requests", "trio_http"])


@pytest.fixture(scope="module")
def live() -> Iterator[TestServer]:
    with serve_in_thread() as running:
        yield running


# -- names ------------------------------------------------------------------------


def test_models_urlencode_is_the_standard_librarys() -> None:
    assert trio_http.models.urlencode is requests.models.urlencode


def test_default_hooks_and_dispatch_hook_match() -> None:
    assert trio_http.hooks.default_hooks() == requests.hooks.default_hooks()
    results = []
    for hooks_module in (requests.hooks, trio_http.hooks):
        hooks = {"response": [lambda value, **_: value + 1, lambda value, **_: None]}
        results.append(hooks_module.dispatch_hook("response", hooks, 1))
    assert results == [2, 2]


def test_session_is_a_session_redirect_mixin() -> None:
    mixin = trio_http.sessions.SessionRedirectMixin
    with trio_http.Session() as session:
        assert isinstance(session, mixin)
    for name in (
        "resolve_redirects",
        "rebuild_auth",
        "rebuild_proxies",
        "should_strip_auth",
        "get_redirect_target",
        "rebuild_method",
    ):
        assert hasattr(requests.sessions.SessionRedirectMixin, name)
        if name != "rebuild_method":
            assert callable(getattr(mixin, name)), name


@LIBRARIES
def test_get_redirect_target_through_the_mixin(lib: Any) -> None:
    response = lib.Response()
    response.status_code = 302
    response.headers = {"location": "/next", "Location": "/next"}
    assert lib.sessions.SessionRedirectMixin.get_redirect_target(None, response) == "/next"


# -- timeouts ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("timeout", "words"),
    [((3, 4, 5), "(connect, read)"), ("foo", "must be an int, float or None")],
)
def test_invalid_timeout_is_a_value_error_as_in_requests(
    live: TestServer, timeout: object, words: str
) -> None:
    url = live.url
    with pytest.raises(ValueError) as theirs:
        requests.get(url, timeout=timeout)  # type: ignore[arg-type]
    assert words in str(theirs.value)
    with pytest.raises(ValueError) as ours:
        trio_http.get(url, timeout=timeout)  # type: ignore[arg-type]
    assert words in str(ours.value)
    assert isinstance(ours.value, TypeError)  # trio_http's documented type too


# -- messages ---------------------------------------------------------------------


@LIBRARIES
def test_sending_an_unprepared_request_says_so(lib: Any) -> None:
    with lib.Session() as session, pytest.raises(ValueError) as error:
        session.send(lib.Request("POST", "http://localhost/"))
    assert str(error.value) == "You can only send PreparedRequests."


def test_json_decode_error_doc_is_the_text() -> None:
    body = bytes(range(200, 220))  # not JSON, and not UTF-8
    for lib in (requests, trio_http):
        response = lib.Response()
        response.status_code = 200
        response._content = body
        with pytest.raises(lib.exceptions.JSONDecodeError) as error:
            response.json()
        # Each library's own text: the two guess an encoding differently.
        assert error.value.doc == response.text


# -- responses filled in by hand ---------------------------------------------------


@LIBRARIES
def test_a_bare_response_has_no_content(lib: Any) -> None:
    assert lib.Response().content is None


@LIBRARIES
def test_iterating_a_response_reads_its_raw(lib: Any) -> None:
    response = lib.Response()
    response.raw = io.BytesIO(b"x" * 300)
    assert [len(chunk) for chunk in response] == [128, 128, 44]


@pytest.mark.parametrize("chunk_size", [1, 4, None])
def test_iter_content_of_a_raw_assigned_by_hand(chunk_size: int | None) -> None:
    results = []
    for lib in (requests, trio_http):
        response = lib.Response()
        response.raw = io.BytesIO(b"the content")
        results.append(list(response.iter_content(chunk_size)))
    assert results[0] == results[1]


@LIBRARIES
def test_links_with_plain_dict_headers(lib: Any) -> None:
    response = lib.Response()
    response.headers = {"link": '<https://example.org/?page=2>; rel="next"'}
    assert response.links["next"]["url"] == "https://example.org/?page=2"


@pytest.mark.parametrize("encoding", ["utf-8", "latin-1"])
def test_a_bytes_reason_is_decoded_in_raise_for_status(encoding: str) -> None:
    messages = []
    for lib in (requests, trio_http):
        response = lib.Response()
        response.url = "http://example.org/"
        response.reason = "Komponenttia ei löydy".encode(encoding)
        response.status_code = 500
        with pytest.raises(lib.HTTPError) as error:
            response.raise_for_status()
        messages.append(error.value.args[0])
    assert messages[0] == messages[1]


@LIBRARIES
def test_close_closes_a_raw_assigned_by_hand(lib: Any) -> None:
    response = lib.Response()
    response.raw = io.StringIO("test")
    response.close()
    assert response.raw.closed


@LIBRARIES
def test_raw_is_closed_after_a_with_block(lib: Any, live: TestServer) -> None:
    with lib.get(live.url, stream=True) as response:
        assert not response.raw.closed
    assert response.raw.closed


# -- sessions ---------------------------------------------------------------------


@LIBRARIES
def test_a_session_pickles(lib: Any, live: TestServer) -> None:
    session = lib.Session()
    session.headers["X-Kept"] = "yes"
    session.max_redirects = 7
    copy = pickle.loads(pickle.dumps(session))
    assert copy.headers["X-Kept"] == "yes"
    assert copy.max_redirects == 7
    assert copy.get(live.url + "/get").status_code == 200
    session.close()
    copy.close()
