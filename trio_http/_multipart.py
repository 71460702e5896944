"""multipart/form-data request bodies (RFC 7578), streamed part by part.

How this works: every part is turned into its header bytes up front; parts
held in memory keep their bytes, file parts keep their file object. As
requests reads every file while preparing, small files (up to
``MULTIPART_MEMORY`` bytes in all, sizes known) and text-mode files (whose
size in bytes is only known once encoded) are read at once: a body made only
of such parts is plain bytes (``prepared.body``), may be sent after its files
are closed, and is pickled like any bytes. Larger files stay file objects:
while iterating, in-memory bytes are gathered and sent together, and each
file is read in ``WRITE_CHUNK`` pieces, never whole. The total length is
known when every file's size is, so most uploads get a ``Content-Length``.
"""

from __future__ import annotations

import mimetypes
import os
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import IO, Any

from ._config import MULTIPART_MEMORY, WRITE_CHUNK
from ._exceptions import StreamConsumedError
from ._streams import RequestContent, file_length, is_text_file

__all__ = ["MultipartContent", "is_text_file", "iter_fields"]

# RFC 2046 §5.1.1: bcharsnospace, plus space (never last).
_BOUNDARY_CHARS = frozenset(
    b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'()+_,-./:=? "
)
# Boundary characters that are not token characters (RFC 9110 §5.6.2), so a
# boundary holding one must be quoted in the Content-Type header.
_NEEDS_QUOTES = frozenset(b"(),/:=? ")
_PARAM_ESCAPES = str.maketrans({'"': "%22", "\r": "%0D", "\n": "%0A"})


def _flatten(value: Any) -> list[Any]:
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        return [value]
    return list(value)


def iter_fields(data: Any) -> Iterator[tuple[str | bytes, str | bytes]]:
    """Flatten form fields the way requests does.

    ``data`` is a mapping or a sequence of pairs. A list or tuple value
    repeats its key; ``None`` values are left out; values other than ``str``
    and ``bytes`` become ``str(value)`` (so ``True`` is ``"True"``).
    """
    items = data.items() if isinstance(data, Mapping) else data
    for item in items:
        try:
            key, values = item
        except (TypeError, ValueError):
            raise TypeError(
                f"form data must be a mapping or a sequence of (name, value) pairs, got {item!r}"
            ) from None
        if not isinstance(key, (str, bytes)):
            key = str(key)
        for value in _flatten(values):
            if value is None:
                continue
            if not isinstance(value, (str, bytes)):
                value = str(value)
            yield key, value


def _quote_param(value: str | bytes) -> bytes:
    """A name or filename for a Content-Disposition parameter.

    The HTML form-data rules: ``"``, CR and LF become %22, %0D and %0A;
    other characters are sent as UTF-8.
    """
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    return value.translate(_PARAM_ESCAPES).encode("utf-8")


def _check_header(name: str, value: str) -> None:
    for text in (name, value):
        if "\r" in text or "\n" in text or "\0" in text:
            raise ValueError(f"multipart part header {name!r}: {value!r} contains CR, LF or NUL")


def _filename_of(fileobj: Any) -> str | None:
    name = getattr(fileobj, "name", None)
    if isinstance(name, bytes):
        name = os.fsdecode(name)
    # Names like "<stdin>" are not file names.
    if isinstance(name, str) and name and not (name[0] == "<" and name[-1] == ">"):
        return os.path.basename(name)
    return None


class _Part:
    __slots__ = ("body", "fileobj", "head", "length", "start", "text")

    def __init__(self, head: bytes, body: bytes, fileobj: IO[Any] | None) -> None:
        self.head = head
        self.body = body
        self.fileobj = fileobj
        self.text = False
        self.start: int | None = None
        self.length: int | None = len(body)
        if fileobj is not None:
            self.text = is_text_file(fileobj)
            # Text files are re-encoded as UTF-8: their size on disk says
            # nothing about the bytes sent.
            self.length = None if self.text else file_length(fileobj)
            try:
                self.start = fileobj.tell()
                if hasattr(fileobj, "seekable") and not fileobj.seekable():
                    self.start = None
            except (AttributeError, OSError, ValueError):
                self.start = None

    def read_now(self) -> None:
        """Read the file into ``body`` (requests' way); the part is then in memory."""
        fileobj = self.fileobj
        assert fileobj is not None
        data = fileobj.read()
        self.body = data.encode("utf-8") if isinstance(data, str) else bytes(data)
        self.length = len(self.body)
        self.fileobj = None
        self.text = False
        self.start = None


def _part_head(
    name: str | bytes,
    filename: str | bytes | None,
    content_type: str | None,
    headers: Mapping[str, str] | None,
) -> bytes:
    lines = [b'Content-Disposition: form-data; name="' + _quote_param(name) + b'"']
    if filename is not None:
        lines[0] += b'; filename="' + _quote_param(filename) + b'"'
    extra: list[tuple[str, str]] = []
    if headers:
        for header_name, header_value in headers.items():
            _check_header(header_name, header_value)
            if header_name.lower() == "content-type":
                content_type = header_value
            elif header_name.lower() != "content-disposition":
                extra.append((header_name, header_value))
    if content_type is None and filename is not None:
        filename_text = (
            filename.decode("utf-8", "replace") if isinstance(filename, bytes) else filename
        )
        content_type = mimetypes.guess_type(filename_text)[0] or "application/octet-stream"
    if content_type is not None:
        _check_header("Content-Type", content_type)
        lines.append(b"Content-Type: " + content_type.encode("utf-8"))
    for header_name, header_value in extra:
        lines.append(f"{header_name}: {header_value}".encode())
    return b"\r\n".join(lines) + b"\r\n\r\n"


def _file_part(name: str | bytes, value: Any) -> _Part:
    headers: Mapping[str, str] | None = None
    content_type: str | None = None
    if isinstance(value, tuple):
        if not 2 <= len(value) <= 4:
            raise TypeError(
                f"file {name!r}: a tuple must be (filename, file), (filename, file, "
                f"content_type) or (filename, file, content_type, headers), got {len(value)} items"
            )
        filename = value[0]
        content = value[1]
        if len(value) > 2:
            content_type = value[2]
        if len(value) > 3:
            headers = value[3]
    else:
        content = value
        # requests' default: the file's own name, else the field name.
        filename = _filename_of(content) or name
    if isinstance(content, int) and not isinstance(content, bool):
        content = str(content)  # as urllib3 encodes a number
    if isinstance(content, str):
        return _Part(_part_head(name, filename, content_type, headers), content.encode(), None)
    if isinstance(content, (bytes, bytearray, memoryview)):
        return _Part(_part_head(name, filename, content_type, headers), bytes(content), None)
    if hasattr(content, "read"):
        return _Part(_part_head(name, filename, content_type, headers), b"", content)
    raise TypeError(
        f"file {name!r} must be bytes, str or a file object (or a tuple holding one), "
        f"not {type(content).__name__}"
    )


def _read_small_files(parts: list[_Part]) -> None:
    # Text files, and binary files while their known sizes fit in
    # MULTIPART_MEMORY, are read now, as requests reads every file.
    budget = MULTIPART_MEMORY
    for part in parts:
        if part.fileobj is None:
            continue
        if part.text:
            part.read_now()
        elif part.length is not None and part.length <= budget:
            budget -= part.length
            part.read_now()


def _check_boundary(boundary: bytes | str) -> bytes:
    if isinstance(boundary, str):
        boundary = boundary.encode("ascii", errors="replace")
    if (
        not 1 <= len(boundary) <= 70
        or boundary.endswith(b" ")
        or not _BOUNDARY_CHARS.issuperset(boundary)
    ):
        raise ValueError(
            f"invalid multipart boundary {boundary!r}: RFC 2046 allows 1 to 70 letters, "
            "digits and '()+_,-./:=? (a space, but not last)"
        )
    return boundary


class MultipartContent(RequestContent):
    """A multipart/form-data body, streamed part by part.

    Args:
        data: form fields, a mapping or sequence of pairs; a list value
            repeats its name and ``None`` values are left out.
        files: file fields, a mapping or sequence of pairs ``name -> value``
            where value is a file object, ``bytes``, ``str``, an ``int``, or a
            tuple ``(filename, content[, content_type[, headers]])``. A
            filename of None sends the part without one; a field whose
            content is None is left out (as in requests). Small and
            text-mode files are read here (see the module docstring).
        boundary: the boundary, random when not given.

    Attributes:
        boundary: the boundary bytes.
        content_type: the ``Content-Type`` header value for this body.
        length: the body size, or None when a file's size cannot be told.
        rewindable: every file can seek back to where it started.

    Raises:
        ValueError: an invalid boundary or part header.
        TypeError: a field or file of an unsupported type.
    """

    __slots__ = ("_consumed", "_parts", "boundary", "content_type")

    def __init__(
        self,
        data: Any = None,
        files: Any = None,
        boundary: bytes | str | None = None,
    ) -> None:
        self.boundary = (
            os.urandom(16).hex().encode() if boundary is None else _check_boundary(boundary)
        )
        text = self.boundary.decode("ascii")
        if _NEEDS_QUOTES.intersection(self.boundary):
            text = f'"{text}"'
        self.content_type = f"multipart/form-data; boundary={text}"
        parts: list[_Part] = []
        if data:
            for name, value in iter_fields(data):
                body = value.encode("utf-8") if isinstance(value, str) else value
                parts.append(_Part(_part_head(name, None, None, None), body, None))
        if files:
            items = files.items() if isinstance(files, Mapping) else files
            for name, value in items:
                if value is None or (isinstance(value, tuple) and value[1:2] == (None,)):
                    continue  # requests leaves out a file field without a file
                parts.append(_file_part(name, value))
        _read_small_files(parts)
        self._parts = parts
        self._consumed = False
        delimiter = len(self.boundary) + 4  # "--" boundary CRLF
        length: int | None = delimiter + 2  # closing "--" boundary "--" CRLF
        for part in parts:
            if part.length is None:
                length = None
                break
            assert length is not None
            length += delimiter + len(part.head) + part.length + 2
        self.length = length
        self.rewindable = all(part.fileobj is None or part.start is not None for part in parts)

    @property
    def body(self) -> bytes | None:
        """The whole body when no part is a file, else None."""
        if any(part.fileobj is not None for part in self._parts):
            return None
        return b"".join(self._pieces())

    def _pieces(self) -> Iterator[bytes]:
        dash_boundary = b"--" + self.boundary
        for part in self._parts:
            yield dash_boundary + b"\r\n" + part.head
            yield part.body
            yield b"\r\n"
        yield dash_boundary + b"--\r\n"

    def rewind(self) -> None:
        super().rewind()
        for part in self._parts:
            if part.fileobj is not None:
                part.fileobj.seek(part.start or 0)
        self._consumed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        if self._consumed:
            # Sending twice: seek the files back first (or refuse).
            if not self.rewindable:
                raise StreamConsumedError("the multipart body streams a file and was already sent")
            self.rewind()
        self._consumed = True
        dash_boundary = b"--" + self.boundary
        pending: list[bytes] = []
        for part in self._parts:
            pending.append(dash_boundary + b"\r\n" + part.head)
            fileobj = part.fileobj
            if fileobj is None:
                pending.append(part.body)
            else:
                yield b"".join(pending)
                pending.clear()
                read = fileobj.read
                while True:
                    chunk = read(WRITE_CHUNK)
                    if not chunk:
                        break
                    if isinstance(chunk, str):
                        chunk = chunk.encode("utf-8")
                    yield chunk
            pending.append(b"\r\n")
        pending.append(dash_boundary + b"--\r\n")
        yield b"".join(pending)
