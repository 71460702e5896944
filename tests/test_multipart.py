from __future__ import annotations

import io
import os
from email.parser import BytesParser
from email.policy import HTTP
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trio_http._config import MULTIPART_MEMORY, WRITE_CHUNK
from trio_http._exceptions import StreamConsumedError, UnrewindableBodyError
from trio_http._multipart import MultipartContent, iter_fields


async def collect(content: MultipartContent) -> list[bytes]:
    return [chunk async for chunk in content]


def parse(content_type: str, body: bytes) -> list[tuple[dict[str, str], bytes]]:
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
    )
    assert message.is_multipart()
    parts = []
    for part in message.iter_parts():
        headers = {name.lower(): str(value) for name, value in part.items()}
        payload = part.get_payload(decode=True)
        assert isinstance(payload, bytes)
        parts.append((headers, payload))
    return parts


async def test_fields_and_files_parse_back() -> None:
    content = MultipartContent(
        data={"a": "1", "b": ["x", "y"], "n": 3, "skip": None},
        files={"upload": ("report.txt", b"hello\r\nworld")},
        boundary=b"XyZ",
    )
    body = b"".join(await collect(content))
    assert content.length == len(body)
    assert content.content_type == "multipart/form-data; boundary=XyZ"
    parts = parse(content.content_type, body)
    assert [(h["content-disposition"], p) for h, p in parts] == [
        ('form-data; name="a"', b"1"),
        ('form-data; name="b"', b"x"),
        ('form-data; name="b"', b"y"),
        ('form-data; name="n"', b"3"),
        ('form-data; name="upload"; filename="report.txt"', b"hello\r\nworld"),
    ]
    assert "content-type" not in parts[0][0]
    assert parts[-1][0]["content-type"] == "text/plain"


async def test_exact_wire_format() -> None:
    content = MultipartContent(data=[("k", b"v")], boundary="b")
    assert content.body == (
        b'--b\r\nContent-Disposition: form-data; name="k"\r\n\r\nv\r\n--b--\r\n'
    )
    assert b"".join(await collect(content)) == content.body


def test_file_tuple_forms() -> None:
    content = MultipartContent(
        files=[
            ("plain", b"data"),
            ("named", ("pic.png", b"\x89PNG")),
            ("typed", ("x.bin", "text", "text/csv")),
            ("extra", ("y", b"", None, {"X-Note": "hi", "Content-Type": "a/b"})),
            ("noname", (None, b"value")),
        ],
        boundary="B",
    )
    body = content.body
    assert body is not None
    parts = parse(content.content_type, body)
    dispositions = [headers["content-disposition"] for headers, _ in parts]
    assert dispositions == [
        'form-data; name="plain"; filename="plain"',
        'form-data; name="named"; filename="pic.png"',
        'form-data; name="typed"; filename="x.bin"',
        'form-data; name="extra"; filename="y"',
        'form-data; name="noname"',
    ]
    types = [headers.get("content-type") for headers, _ in parts]
    assert types == ["application/octet-stream", "image/png", "text/csv", "a/b", None]
    assert parts[3][0]["x-note"] == "hi"
    assert parts[2][1] == b"text"


def test_names_and_filenames_are_escaped() -> None:
    content = MultipartContent(
        files={'we"ird\r\nname': ('fi"le\n.txt', b"x"), "uni": ("résumé.pdf", b"y")},
        boundary="B",
    )
    body = content.body
    assert body is not None
    assert b'name="we%22ird%0D%0Aname"; filename="fi%22le%0A.txt"' in body
    assert 'filename="résumé.pdf"'.encode() in body


def test_bad_part_header_is_rejected() -> None:
    with pytest.raises(ValueError, match="CR, LF"):
        MultipartContent(files={"f": ("a", b"", "text/plain\r\nX: y")})
    with pytest.raises(ValueError, match="CR, LF"):
        MultipartContent(files={"f": ("a", b"", None, {"X": "1\n2"})})


def test_bad_file_values_are_rejected() -> None:
    with pytest.raises(TypeError, match="bytes, str or a file"):
        MultipartContent(files={"f": 1.5})
    with pytest.raises(TypeError, match="tuple must be"):
        MultipartContent(files={"f": ("a",)})
    with pytest.raises(TypeError, match="pairs"):
        list(iter_fields(["abc"]))


@pytest.mark.parametrize("boundary", [b"", b"a" * 71, b"ends with space ", b"semi;colon", b"\xff"])
def test_invalid_boundary_is_rejected(boundary: bytes) -> None:
    with pytest.raises(ValueError, match="boundary"):
        MultipartContent(data={"a": "b"}, boundary=boundary)


def test_boundary_with_special_characters_is_quoted() -> None:
    content = MultipartContent(data={"a": "b"}, boundary=b"a=b (c)")
    assert content.content_type == 'multipart/form-data; boundary="a=b (c)"'
    assert content.body is not None
    assert parse(content.content_type, content.body)[0][1] == b"b"


def test_default_boundary_is_random_hex() -> None:
    first = MultipartContent(data={"a": "b"})
    second = MultipartContent(data={"a": "b"})
    assert len(first.boundary) == 32
    int(first.boundary, 16)
    assert first.boundary != second.boundary


async def test_file_part_streams_in_write_chunks(tmp_path: Path) -> None:
    path = tmp_path / "big.bin"
    payload = os.urandom(MULTIPART_MEMORY + WRITE_CHUNK * 2 + 100)
    path.write_bytes(payload)
    with path.open("rb") as fileobj:
        content = MultipartContent(data={"a": "1"}, files={"file": fileobj}, boundary="B")
        assert content.body is None
        assert content.rewindable
        chunks = await collect(content)
        assert max(len(chunk) for chunk in chunks) <= WRITE_CHUNK + 200
        body = b"".join(chunks)
        assert content.length == len(body)
        parts = parse(content.content_type, body)
        assert parts[1][0]["content-disposition"].endswith('filename="big.bin"')
        assert parts[1][1] == payload
        # A second send seeks the file back.
        content.rewind()
        assert b"".join(await collect(content)) == body
        assert b"".join(await collect(content)) == body


async def test_text_mode_file_is_read_at_once_and_sent_as_utf8(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("héllo\n", encoding="utf-8")
    with path.open(encoding="utf-8") as fileobj:
        content = MultipartContent(files={"f": fileobj}, boundary="B")
    # Read while building, as requests reads it: the length is known and
    # the file may be closed before sending.
    body = b"".join(await collect(content))
    assert content.length == len(body)
    assert content.body == body
    assert parse(content.content_type, body)[0][1] == "héllo\n".encode()


async def test_small_files_are_read_at_once_large_ones_streamed(tmp_path: Path) -> None:
    small, large = tmp_path / "small.bin", tmp_path / "large.bin"
    small.write_bytes(b"s" * 10)
    large.write_bytes(b"L" * (MULTIPART_MEMORY + 1))
    with small.open("rb") as small_file, large.open("rb") as large_file:
        content = MultipartContent(files={"a": small_file, "b": large_file}, boundary="B")
        assert small_file.tell() == 10  # read already
        assert large_file.tell() == 0  # left for sending
        assert content.body is None
        body = b"".join(await collect(content))
    assert content.length == len(body)
    parts = parse(content.content_type, body)
    assert [len(part[1]) for part in parts] == [10, MULTIPART_MEMORY + 1]


def test_a_file_field_without_a_file_is_left_out_and_numbers_become_text() -> None:
    content = MultipartContent(files={"none": None, "pair": ("f", None), "n": 1}, boundary="B")
    assert content.body is not None
    assert b'name="none"' not in content.body
    assert b'name="pair"' not in content.body
    assert b'name="n"; filename="n"' in content.body
    assert b"\r\n\r\n1\r\n" in content.body


class OneShot(io.RawIOBase):
    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def read(self, size: int = -1) -> bytes:
        return self._data.read(size)


async def test_unseekable_file_is_sent_once_with_unknown_length() -> None:
    content = MultipartContent(files={"f": ("f", OneShot(b"abc"))}, boundary="B")
    assert content.length is None
    assert not content.rewindable
    body = b"".join(await collect(content))
    assert parse(content.content_type, body)[0][1] == b"abc"
    with pytest.raises(UnrewindableBodyError):
        content.rewind()
    with pytest.raises(StreamConsumedError):
        await collect(content)


_names = st.text(st.characters(codec="utf-8", exclude_characters='"\r\n'), min_size=1)


@given(
    fields=st.lists(st.tuples(_names, st.text(max_size=30)), max_size=5),
    files=st.lists(st.tuples(_names, _names, st.binary(max_size=200)), max_size=5),
)
async def test_multipart_round_trips_through_email_parser(
    fields: list[tuple[str, str]], files: list[tuple[str, str, bytes]]
) -> None:
    content = MultipartContent(
        data=fields, files=[(name, (filename, data)) for name, filename, data in files]
    )
    body = b"".join(await collect(content))
    assert content.length == len(body)
    if not fields and not files:
        return
    parts = parse(content.content_type, body)
    got_fields = [
        (headers["content-disposition"], payload) for headers, payload in parts[: len(fields)]
    ]
    assert [payload for _, payload in got_fields] == [value.encode() for _, value in fields]
    got_files = [payload for _, payload in parts[len(fields) :]]
    assert got_files == [data for _, _, data in files]
