"""``response.raw``: the body of a blocking response as a file object.

requests users read ``response.raw`` like urllib3's response: ``read(n)``,
``stream(n)``, ``readinto``. It reads through the response's own blocking
iterators, so it shares their pipeline and their read-once rule.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, TYPE_CHECKING, final

if TYPE_CHECKING:
    from ._response import Response

__all__ = ["RawBody"]


@final
class RawBody:
    """The undecoded body of a blocking response, as a readable file object.

    ``read(n)`` returns at most ``n`` bytes (all that is left when ``n`` is
    omitted), ``b""`` at the end. Set ``decode_content = True`` to read the
    decoded body instead. A body that was already read gives ``b""``, and so
    does a response from ``AsyncClient``.

    Args:
        response: the response whose body this reads.
        blocking: whether the blocking facade attached a body to it.
    """

    def __init__(self, response: Response, blocking: bool) -> None:
        self._response = response
        self._blocking = blocking  # False for a response from AsyncClient
        self._source: Iterator[bytes] | None = None
        self._buffer = b""
        self.decode_content = False
        self._closed = False

    def _chunks(self) -> Iterator[bytes]:
        source = self._source
        if source is None:
            response = self._response
            if response.is_stream_consumed or not self._blocking:
                source = iter(())
            elif self.decode_content:
                source = response.iter_bytes()
            else:
                source = response.iter_raw()
            self._source = source
        return source

    def readable(self) -> bool:
        return True

    def read(self, amt: int | None = None, decode_content: bool | None = None) -> bytes:
        """Read up to ``amt`` bytes (everything when ``None``); blocks."""
        if decode_content is not None:
            self.decode_content = decode_content
        source = self._chunks()
        if amt is None or amt < 0:
            data = self._buffer + b"".join(source)
            self._buffer = b""
            return data
        while len(self._buffer) < amt:
            chunk = next(source, None)
            if chunk is None:
                break
            self._buffer += chunk
        data, self._buffer = self._buffer[:amt], self._buffer[amt:]
        return data

    def stream(self, amt: int = 64 * 1024, decode_content: bool | None = None) -> Iterator[bytes]:
        """Yield pieces of at most ``amt`` bytes until the body ends."""
        while True:
            data = self.read(amt, decode_content)
            if not data:
                return
            yield data

    def __iter__(self) -> Iterator[bytes]:
        return self.stream()

    def readinto(self, buffer: IO[bytes] | bytearray | memoryview) -> int:
        view = memoryview(buffer)  # type: ignore[arg-type]
        data = self.read(len(view))
        view[: len(data)] = data
        return len(data)

    @property
    def closed(self) -> bool:
        """Whether this object, or the response, was closed (urllib3's meaning)."""
        return self._closed or self._response.is_closed

    def close(self) -> None:
        """Close the response (the connection is released)."""
        self._closed = True
        self._response.close()
