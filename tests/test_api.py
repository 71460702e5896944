"""Module functions: trio_http.get() and friends, one session per call."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from server import TestServer
from threaded_server import serve_in_thread

import trio_http


@pytest.fixture(scope="module")
def live() -> Iterator[TestServer]:
    with serve_in_thread() as running:
        yield running


@pytest.mark.parametrize(
    ("function", "method"),
    [
        (trio_http.get, "GET"),
        (trio_http.options, "OPTIONS"),
        (trio_http.delete, "DELETE"),
        (trio_http.post, "POST"),
        (trio_http.put, "PUT"),
        (trio_http.patch, "PATCH"),
    ],
)
def test_each_function_sends_its_method(live: TestServer, function: object, method: str) -> None:
    r = function(live.url_for("/anything"))  # type: ignore[operator]
    assert r.json()["method"] == method


def test_get_takes_params_positionally(live: TestServer) -> None:
    assert trio_http.get(live.url_for("/get"), {"q": "1"}).json()["args"] == {"q": "1"}


def test_post_takes_data_and_json_positionally(live: TestServer) -> None:
    assert trio_http.post(live.url_for("/anything"), None, {"a": 1}).json()["json"] == {"a": 1}
    assert trio_http.post(live.url_for("/anything"), b"raw").json()["data"] == "raw"


def test_head_does_not_follow_redirects_by_default(live: TestServer) -> None:
    assert trio_http.head(live.url_for("/redirect/1")).status_code == 302
    assert trio_http.head(live.url_for("/redirect/1"), allow_redirects=True).status_code == 200


def test_streamed_response_outlives_the_call(live: TestServer) -> None:
    r = trio_http.get(live.url_for("/stream/50"), stream=True)
    assert len(list(r.iter_lines())) == 50
    assert r.is_closed


def test_request_with_any_method(live: TestServer) -> None:
    assert trio_http.request("PUT", live.url_for("/anything")).json()["method"] == "PUT"
