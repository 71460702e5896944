"""What requests' code assigns on a response it fills in by hand.

requests' tests and custom adapters build responses field by field::

    r = Response()
    r.status_code = 200
    r._content = b'{"ok": true}'
    r.headers = CaseInsensitiveDict({"Content-Type": "application/json"})
    r.url, r.reason, r.raw = url, "OK", io.BytesIO(b"...")

:class:`HandFilledHead` sits between
:class:`~trio_http._response_text.ResponseText` and :class:`~trio_http.Response`
and makes ``url``, ``reason`` and ``raw`` assignable; any other attribute
(``r.connection``, ``r._content_consumed``) lands in the instance dict,
which is only created when one is set. A file-like object assigned as
``raw`` is the body: :class:`~trio_http.Response` reads it with the
functions below, as requests reads its ``raw``, and closes it in
``close()``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Protocol

from ._raw_body import RawBody
from ._response_text import ResponseText
from ._urls import URL

if TYPE_CHECKING:
    from ._body import BlockingBody

__all__ = ["HandFilledHead", "SupportsRead", "close_hand_raw", "iter_hand_raw", "read_hand_raw"]


class SupportsRead(Protocol):
    """A file-like object assigned as ``response.raw``."""

    def read(self, size: int = -1, /) -> bytes: ...


def _as_bytes(chunk: bytes | str) -> bytes:
    # A text-mode file (requests' tests assign StringIO) gives str.
    return chunk.encode("utf-8") if isinstance(chunk, str) else chunk


def read_hand_raw(raw: SupportsRead) -> bytes:
    """Everything left in a ``raw`` assigned by hand."""
    return _as_bytes(raw.read())


def iter_hand_raw(raw: SupportsRead, chunk_size: int | None) -> Iterator[bytes]:
    """A ``raw`` assigned by hand, read ``chunk_size`` bytes at a time (all: ``None``)."""
    if chunk_size is None:
        chunk = read_hand_raw(raw)
        if chunk:
            yield chunk
        return
    while chunk := _as_bytes(raw.read(chunk_size)):
        yield chunk


def close_hand_raw(raw: SupportsRead) -> None:
    """Close a ``raw`` assigned by hand, if it can be closed (requests does too)."""
    close = getattr(raw, "close", None)
    if callable(close):
        close()


class HandFilledHead(ResponseText):
    """``url`` and ``reason`` that may be assigned (a base of :class:`Response`)."""

    __slots__ = ("__dict__", "_url")

    # Set to None by Response.__init__; a URL once one is assigned.
    _url: URL | None
    # requests' adapter that sent the response (set by HTTPAdapter.build_response).
    connection: object
    if TYPE_CHECKING:  # Response's
        _raw_body: RawBody | SupportsRead | None
        _blocking: BlockingBody | None

    @property
    def url(self) -> URL:
        """The URL of the request that produced this response, unless one was assigned.

        Raises:
            RuntimeError: neither was there.
        """
        url = self._url
        return url if url is not None else super().url

    @url.setter
    def url(self, value: URL | str) -> None:
        self._url = value if isinstance(value, URL) else URL(value)

    @property
    def reason(self) -> str:
        """The reason phrase (requests' name); assignable."""
        return self.reason_phrase

    @reason.setter
    def reason(self, value: str) -> None:
        self.reason_phrase = value

    @property
    def raw(self) -> RawBody | SupportsRead:
        """A file-like object over the undecoded body bytes (``.read(n)``); assignable."""
        raw = self._raw_body
        if raw is None:
            raw = self._raw_body = RawBody(self, blocking=self._blocking is not None)  # type: ignore[arg-type]
        return raw

    @raw.setter
    def raw(self, value: SupportsRead | None) -> None:
        self._raw_body = value
