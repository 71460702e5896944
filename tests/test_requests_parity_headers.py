"""Differential tests: trio_http against requests on request header values.

The same headers go to both libraries, sent to the local test server: which
values are refused (leading whitespace, as requests refuses it), and how an
accepted value reads back on ``response.request.headers`` (its type kept:
bytes stay bytes, a ``str`` subclass stays that subclass).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

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


class MyString(str):
    pass


class MyBytes(bytes):
    pass


@pytest.mark.parametrize(
    "headers",
    [
        {"foo": " bar"},
        {"foo": "    bar"},
        {"foo": "\tbar"},
        {"foo": "   "},
        {"foo": b" bar"},
        {"foo": b"\tbar"},
        {" foo": "bar"},
        {"\tfoo": "bar"},
        {" ": "bar"},
    ],
    ids=repr,
)
@LIBRARIES
def test_leading_whitespace_is_refused_before_sending(
    lib: Any, live: TestServer, headers: dict[Any, Any]
) -> None:
    with pytest.raises(lib.exceptions.InvalidHeader):
        lib.get(live.url + "/get", headers=headers)
    with lib.Session() as session, pytest.raises(lib.exceptions.InvalidHeader):
        session.headers.update(headers)
        session.get(live.url + "/get")


@LIBRARIES
def test_valid_values_read_back_as_given(lib: Any, live: TestServer) -> None:
    given = {"foo": "bar baz qux", "bar": b"fbbq", "baz": "", "qux": "1", "tab": "a\tb"}
    response = lib.get(live.url + "/get", headers=given)
    for name, value in given.items():
        shown = response.request.headers[name]
        assert shown == value
        assert type(shown) is type(value)
    received = response.json()["headers"]
    assert (received["foo"], received["bar"], received["qux"], received["tab"]) == (
        "bar baz qux",
        "fbbq",
        "1",
        "a\tb",
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        (MyString("x-custom"), "myheader"),
        (MyBytes(b"x-custom"), b"myheader"),
        (MyString("x-custom"), MyBytes(b"myheader")),
        ("x-custom", MyString("myheader")),
    ],
    ids=["str-subclass-name", "bytes-subclass-name", "bytes-subclass-value", "str-subclass-value"],
)
@LIBRARIES
def test_subclass_values_keep_their_type(lib: Any, live: TestServer, name: Any, value: Any) -> None:
    response = lib.get(live.url + "/get", headers={name: value})
    shown = response.request.headers["x-custom"]
    assert shown == value
    assert type(shown) is type(value)
    assert response.json()["headers"]["x-custom"] == "myheader"


@LIBRARIES
def test_prepared_headers_keep_bytes(lib: Any) -> None:
    prepared = lib.Request("GET", "http://example.org/", headers={"X-Raw": b"\xc3\xa9"}).prepare()
    assert prepared.headers["X-Raw"] == b"\xc3\xa9"


@LIBRARIES
def test_a_bytes_value_in_a_session_header_reads_back_as_bytes(lib: Any, live: TestServer) -> None:
    with lib.Session() as session:
        session.headers["X-Token"] = b"abc"
        response = session.get(live.url + "/get")
    assert response.request.headers["X-Token"] == b"abc"
    assert response.json()["headers"]["x-token"] == "abc"
