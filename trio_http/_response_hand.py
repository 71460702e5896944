"""What requests' code assigns on a response it fills in by hand.

requests' tests and custom adapters build responses field by field::

    r = Response()
    r.status_code = 200
    r._content = b'{"ok": true}'
    r.headers = CaseInsensitiveDict({"Content-Type": "application/json"})
    r.url, r.reason, r.raw = url, "OK", io.BytesIO(b"...")

:class:`HandFilledHead` sits between
:class:`~trio_http._response_text.ResponseText` and :class:`~trio_http.Response`
and makes ``url`` and ``reason`` assignable; any other attribute
(``r.connection``, ``r._content_consumed``) lands in the instance dict,
which is only created when one is set. ``raw`` and ``_content`` are the
body's, so :class:`~trio_http.Response` handles them.
"""

from __future__ import annotations

from typing import Protocol

from ._response_text import ResponseText
from ._urls import URL

__all__ = ["HandFilledHead", "SupportsRead"]


class SupportsRead(Protocol):
    """A file-like object assigned as ``response.raw``."""

    def read(self, size: int = -1, /) -> bytes: ...


class HandFilledHead(ResponseText):
    """``url`` and ``reason`` that may be assigned (a base of :class:`Response`)."""

    __slots__ = ("__dict__", "_url")

    # Set to None by Response.__init__; a URL once one is assigned.
    _url: URL | None
    # requests' adapter that sent the response (set by HTTPAdapter.build_response).
    connection: object

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
