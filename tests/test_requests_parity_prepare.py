"""Differential tests: trio_http against requests when preparing requests.

The same URL, params or body goes to both libraries' ``Request(...).prepare()``
(or a request to the local test server); what comes out must match: which
URLs are refused and with which exception, which are kept as written, and
what a multipart or file body looks like.
"""

from __future__ import annotations

import pickle
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import requests
from server import TestServer
from threaded_server import serve_in_thread

import trio_http

LIBRARIES = pytest.mark.parametrize("lib", [requests, trio_http], ids=["requests", "trio_http"])


@pytest.fixture(scope="module")
def live() -> Iterator[TestServer]:
    with serve_in_thread() as running:
        yield running


# -- URLs -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["http://*", "http://*.google.com", "http://*example.com", "http://\u2603.net/"]
)
@LIBRARIES
def test_bad_hosts_are_refused_by_prepare_not_by_request(lib: Any, url: str) -> None:
    request = lib.Request("GET", url)
    with pytest.raises(lib.exceptions.InvalidURL):
        request.prepare()


@LIBRARIES
def test_a_wildcard_host_is_refused_before_any_lookup(lib: Any) -> None:
    with pytest.raises(lib.exceptions.InvalidURL):
        lib.get("http://*example.com", timeout=5)


@pytest.mark.parametrize("url", ["http://xn--n3h.net/", "http://xn--bcher-kva.example/"])
def test_an_encoded_punycode_host_is_kept(url: str) -> None:
    ours = trio_http.Request("GET", url).prepare().url
    theirs = requests.Request("GET", url).prepare().url
    assert ours == theirs == url


@pytest.mark.parametrize(
    ("url", "params"),
    [
        ("mailto:user@example.org", {"key": "value"}),
        ("data:SSDimaUgUHl0aG9uIQ==", {"key": "value"}),
        (b"mailto:user@example.org", {"key": "value"}),
        ("http+unix://%2Fvar%2Frun%2Fsocket/path", {"key": "value"}),
        (b"http+unix://%2Fvar%2Frun%2Fsocket/path", None),
    ],
)
def test_urls_of_other_schemes_as_requests_prepares_them(url: Any, params: Any) -> None:
    ours = trio_http.Request("GET", url, params=params).prepare().url
    theirs = requests.Request("GET", url, params=params).prepare().url
    assert ours == theirs


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("10.122.1.1:3128/", "InvalidSchema"),
        ("localhost:3128", "InvalidSchema"),
        ("hiwpefhipowhefopw", "MissingSchema"),
    ],
)
@LIBRARIES
def test_missing_or_invalid_schema_as_requests_decides(lib: Any, url: str, error: str) -> None:
    with pytest.raises(getattr(lib.exceptions, error)):
        lib.get(url, timeout=5)


# -- bodies -----------------------------------------------------------------------


def _parts(body: bytes, boundary: str) -> list[bytes]:
    return body.split(b"--" + boundary.encode())[1:-1]


def test_a_multipart_body_is_bytes_and_readable_after_the_files_close(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(b"some notes\n")
    bodies = []
    for lib in (requests, trio_http):
        with path.open("rb") as first, path.open("rb") as second:
            files = {"file1": ("a.txt", first), "file2": ("b", second, "text/py-content-type")}
            prepared = lib.Request("POST", "http://example.org/", files=files).prepare()
        assert isinstance(prepared.body, bytes)
        assert b"text/py-content-type" in prepared.body
        assert prepared.headers["Content-Length"] == str(len(prepared.body))
        boundary = prepared.headers["Content-Type"].partition("boundary=")[2]
        bodies.append([part.split(b"\r\n\r\n", 1)[1] for part in _parts(prepared.body, boundary)])
        copy = pickle.loads(pickle.dumps(prepared))
        assert copy.body == prepared.body
    assert bodies[0] == bodies[1]


@LIBRARIES
def test_a_text_mode_file_gets_a_content_length(lib: Any, live: TestServer, tmp_path: Path) -> None:
    path = tmp_path / "requirements.txt"
    path.write_text("pytest\nhéllo\n", encoding="utf-8")
    with path.open(encoding="utf-8") as text_file:
        response = lib.post(live.url + "/anything", files={"some": text_file})
    assert response.status_code == 200
    headers = {name.lower(): value for name, value in response.json()["headers"].items()}
    assert "content-length" in headers
    assert "transfer-encoding" not in headers
    assert "héllo" in response.json()["data"]


@LIBRARIES
def test_file_fields_without_a_file_are_left_out(lib: Any) -> None:
    files = {"random-file-1": None, "random-file-2": 1}
    body = lib.Request("POST", "http://example.org/", files=files).prepare().body
    assert b'name="random-file-1"' not in body
    assert b'name="random-file-2"' in body


class SeekWithoutResult:
    """A file-like object with read/tell/seek/__len__ and no __iter__; seek() returns None."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.index = 0

    def __len__(self) -> int:
        return len(self.data)

    def read(self, size: int | None = None) -> bytes:
        end = len(self.data) if not size else self.index + size
        chunk, self.index = self.data[self.index : end], min(end, len(self.data))
        return chunk

    def tell(self) -> int:
        return self.index

    def seek(self, offset: int, whence: int = 0) -> None:
        self.index = {0: offset, 1: self.index + offset, 2: len(self.data) + offset}[whence]


@pytest.mark.parametrize("start", [0, 2])
@LIBRARIES
def test_a_seeked_file_like_object_without_iter(lib: Any, live: TestServer, start: int) -> None:
    body = SeekWithoutResult(b"test")
    body.seek(start)
    response = lib.post(live.url + "/anything", data=body)
    assert response.status_code == 200
    assert response.json()["data"] == "test"[start:]


# -- redirects and pickling ----------------------------------------------------------


@LIBRARIES
def test_a_session_subclass_decides_the_redirect_target(lib: Any, live: TestServer) -> None:
    final = live.url + "/get"
    malformed = live.url + "/response-headers?" + urlencode({"location": final})
    first = live.url + "/redirect-to?" + urlencode({"url": malformed})

    class FollowsAnyLocation(lib.Session):  # type: ignore[misc]
        def get_redirect_target(self, resp: Any) -> str | None:
            if resp.is_redirect:
                return str(resp.headers["location"])
            location = resp.headers.get("location")  # a 200 that names a Location
            return location if location and location != resp.url else None

    with FollowsAnyLocation() as session:
        response = session.get(first)
    assert [each.status_code for each in response.history] == [302, 200]
    assert response.status_code == 200
    assert response.url == final


@LIBRARIES
def test_a_response_pickles_with_its_request(lib: Any, live: TestServer) -> None:
    response = lib.get(live.url + "/get")
    copy = pickle.loads(pickle.dumps(response))
    assert copy.status_code == 200
    assert copy.content == response.content
    assert copy.request.url == response.request.url
    assert copy.request.headers == response.request.headers
    assert pickle.loads(pickle.dumps(response.request)).url == response.request.url


@LIBRARIES
def test_a_bare_response_pickles(lib: Any) -> None:
    response = lib.Response()
    response.status_code = 200
    response._content = b"kept"
    assert pickle.loads(pickle.dumps(response)).content == b"kept"


def test_prepare_works_in_a_fresh_process() -> None:
    # ``import trio_http`` loads PreparedRequest lazily; prepare() must not
    # depend on something else having loaded it first.
    code = "import trio_http; print(type(trio_http.Request('GET', 'http://a/').prepare()).__name__)"
    shown = subprocess.check_output([sys.executable, "-c", code], text=True, timeout=60)
    assert shown.strip() == "PreparedRequest"


@LIBRARIES
def test_an_empty_request_filled_in_before_prepare(lib: Any) -> None:
    request = lib.Request()
    request.url = "http://example.org/"
    request.method = "get"
    prepared = request.prepare()
    assert (prepared.method, prepared.url) == ("GET", "http://example.org/")
    if lib is trio_http:  # trio_http's prepared headers hold Host (docs/requests.rst)
        assert prepared.headers["Host"] == "example.org"
    with pytest.raises(lib.exceptions.MissingSchema):
        lib.Request().prepare()
    with lib.Session() as session, pytest.raises(ValueError):
        session.send(lib.Request(url="http://example.org/"))
