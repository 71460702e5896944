from __future__ import annotations

import io
import math
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import parse_qsl

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trio_http._config import MULTIPART_MEMORY
from trio_http._content import encode_form, encode_json, encode_request
from trio_http._exceptions import InvalidJSONError, LocalProtocolError
from trio_http._multipart import MultipartContent
from trio_http._streams import (
    AsyncIterableContent,
    BytesContent,
    FileContent,
    IterableContent,
    RequestContent,
)


async def body_of(stream: RequestContent) -> bytes:
    return b"".join([chunk async for chunk in stream])


@pytest.mark.parametrize(
    ("content", "expected"),
    [(b"raw", b"raw"), (bytearray(b"ba"), b"ba"), (memoryview(b"mv"), b"mv"), ("é", "é".encode())],
)
async def test_in_memory_content(content: object, expected: bytes) -> None:
    headers, stream = encode_request(content=content)
    assert headers == {}
    assert isinstance(stream, BytesContent)
    assert stream.length == len(expected)
    assert await body_of(stream) == expected


async def test_file_content_is_streamed(tmp_path: Path) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(b"x" * 1000)
    with path.open("rb") as fileobj:
        headers, stream = encode_request(content=fileobj)
        assert headers == {}
        assert isinstance(stream, FileContent)
        assert stream.length == 1000
        assert await body_of(stream) == b"x" * 1000


async def test_text_file_content_has_no_length(tmp_path: Path) -> None:
    path = tmp_path / "f.txt"
    path.write_text("é\n", encoding="utf-8")
    with path.open(encoding="utf-8") as fileobj:
        _, stream = encode_request(content=fileobj)
        assert stream.length is None
        assert await body_of(stream) == "é\n".encode()


async def test_iterables_become_streams() -> None:
    def generate() -> Iterator[bytes]:
        yield b"a"
        yield b"b"

    async def agenerate() -> AsyncIterator[bytes]:
        yield b"c"

    _, stream = encode_request(content=generate())
    assert isinstance(stream, IterableContent)
    assert stream.length is None
    assert await body_of(stream) == b"ab"
    _, stream = encode_request(content=[b"ab", b"cd"])
    assert stream.length == 4
    assert stream.rewindable
    _, stream = encode_request(content=agenerate())
    assert isinstance(stream, AsyncIterableContent)
    assert await body_of(stream) == b"c"


@pytest.mark.parametrize("content", [12, 1.5, {"a": "b"}, object()])
def test_unsupported_content_type_is_a_clear_error(content: object) -> None:
    with pytest.raises(TypeError, match="request body must be"):
        encode_request(content=content)


@pytest.mark.parametrize(
    "others", [{"data": {"a": "b"}}, {"json": {}}, {"files": {"f": b"x"}}, {"data": ""}]
)
def test_content_with_another_body_argument_is_rejected(others: dict[str, object]) -> None:
    with pytest.raises(LocalProtocolError, match="cannot be combined"):
        encode_request(content=b"x", **others)  # type: ignore[arg-type]


async def test_form_data_like_requests() -> None:
    headers, stream = encode_request(
        data={"q": "a b&c", "n": 1, "f": 1.5, "t": True, "l": ["x", None, "y"], "none": None}
    )
    assert headers == {"Content-Type": "application/x-www-form-urlencoded"}
    assert await body_of(stream) == b"q=a+b%26c&n=1&f=1.5&t=True&l=x&l=y"
    _, stream = encode_request(data=[("k", "1"), ("k", b"\xff")])
    assert await body_of(stream) == b"k=1&k=%FF"


def test_empty_form_data_sends_no_body() -> None:
    for data in ({}, [], ()):
        headers, stream = encode_request(data=data)
        assert headers == {}
        assert stream.length == 0


async def test_raw_data_is_sent_as_is_without_content_type() -> None:
    headers, stream = encode_request(data="x y")
    assert headers == {}
    assert await body_of(stream) == b"x y"
    headers, stream = encode_request(data=io.BytesIO(b"file"))
    assert headers == {}
    assert await body_of(stream) == b"file"
    headers, stream = encode_request(data=iter([b"it"]))
    assert await body_of(stream) == b"it"


async def test_json_is_compact_utf8() -> None:
    headers, stream = encode_request(json={"name": "é", "list": [1, 2.5, None]})
    assert headers == {"Content-Type": "application/json"}
    assert await body_of(stream) == '{"name":"é","list":[1,2.5,null]}'.encode()
    assert encode_json(None) == b"null"


@pytest.mark.parametrize("value", [math.nan, [math.inf], {"a": object()}, {1j: 2}])
def test_unserializable_json_raises_invalid_json_error(value: object) -> None:
    with pytest.raises(InvalidJSONError) as info:
        encode_request(json=value)
    assert isinstance(info.value.__cause__, (TypeError, ValueError))


async def test_data_and_files_win_over_json() -> None:
    headers, stream = encode_request(data={"a": "1"}, json={"b": 2})
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert await body_of(stream) == b"a=1"
    headers, _ = encode_request(files={"f": b"x"}, json={"b": 2})
    assert headers["Content-Type"].startswith("multipart/form-data; boundary=")
    # Empty data does not count, as in requests.
    headers, _ = encode_request(data={}, json={"b": 2})
    assert headers == {"Content-Type": "application/json"}


async def test_files_make_multipart() -> None:
    headers, stream = encode_request(data={"a": "1"}, files={"f": ("n.txt", b"x")}, boundary=b"BB")
    assert headers == {"Content-Type": "multipart/form-data; boundary=BB"}
    # Held in memory: a plain bytes body with a known length.
    assert isinstance(stream, BytesContent)
    body = await body_of(stream)
    assert body.startswith(b'--BB\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n')
    assert body.endswith(b"--BB--\r\n")


async def test_large_files_from_disk_stay_streamed(tmp_path: Path) -> None:
    path = tmp_path / "up.bin"
    path.write_bytes(b"z" * (MULTIPART_MEMORY + 10))
    with path.open("rb") as fileobj:
        _, stream = encode_request(files={"f": fileobj})
        assert isinstance(stream, MultipartContent)
        assert stream.length == len(await body_of(stream))


def test_small_files_from_disk_become_bytes(tmp_path: Path) -> None:
    path = tmp_path / "up.bin"
    path.write_bytes(b"z" * 10)
    with path.open("rb") as fileobj:
        _, stream = encode_request(files={"f": fileobj})
    assert isinstance(stream, BytesContent)
    assert b"zzzzzzzzzz" in stream.body


def test_files_with_raw_data_is_rejected() -> None:
    with pytest.raises(ValueError, match="form fields"):
        encode_request(data="raw", files={"f": b"x"})


@given(
    st.lists(
        st.tuples(st.text(min_size=1), st.one_of(st.text(), st.integers())),
        max_size=8,
    )
)
def test_form_encoding_round_trips(pairs: list[tuple[str, str | int]]) -> None:
    encoded = encode_form(pairs)
    assert parse_qsl(encoded, keep_blank_values=True) == [(k, str(v)) for k, v in pairs]
