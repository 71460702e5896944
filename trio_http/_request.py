"""Request: one HTTP request as it goes on the wire (layer 0: no I/O here).

Building a request validates the method, parses the URL, encodes the body
(``content``, ``data``, ``files`` or ``json``) and adds the ``Host`` and
framing headers the body needs, once, so transports only serialise it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, final

from ._exceptions import LocalProtocolError, ResponseNotRead
from ._headers import Headers, _Entry, _make_entry
from ._streams import EMPTY_CONTENT, BytesContent, RequestContent
from ._urls import URL

if TYPE_CHECKING:
    from ._deadlines import Deadlines
    from ._types import (
        HeaderTypes,
        JSONTypes,
        QueryParamTypes,
        RequestContentTypes,
        RequestData,
        RequestFiles,
    )

__all__ = ["Request", "normalize_method"]

_METHOD_CHARS = frozenset(
    "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
)
_METHODS_WITHOUT_BODY = frozenset({"GET", "HEAD", "OPTIONS", "TRACE", "DELETE", "CONNECT"})
# The usual spellings, already valid and upper-case.
_KNOWN_METHODS = {
    name: name
    for name in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT")
}


def normalize_method(method: str | bytes) -> str:
    """Upper-case and validate an HTTP method token.

    Raises:
        LocalProtocolError: empty, or not an RFC 9110 token.
    """
    if type(method) is str:
        known = _KNOWN_METHODS.get(method)
        if known is not None:
            return known
    if isinstance(method, bytes):
        method = method.decode("ascii", "replace")
    if not isinstance(method, str) or not method or not _METHOD_CHARS.issuperset(method):
        raise LocalProtocolError(f"invalid HTTP method {method!r}")
    return method.upper()


# netloc -> its validated Host entry (entries are immutable tuples).
_HOST_ENTRIES: dict[str, _Entry] = {}
_HOST_ENTRIES_MAX = 512


def _host_entry(netloc: str) -> _Entry:
    entry = _HOST_ENTRIES.get(netloc)
    if entry is None:
        entry = _make_entry("Host", netloc)
        if len(_HOST_ENTRIES) < _HOST_ENTRIES_MAX:
            _HOST_ENTRIES[netloc] = entry
    return entry


@final
class Request:
    """One HTTP request, as sent on the wire.

    Build it with the client's ``build_request`` (which merges client
    defaults), or directly. The body comes from exactly one of ``content``,
    ``data``, ``files`` (with optional ``data`` form fields) or ``json``.

    Attributes:
        method: upper-case method.
        url: the absolute :class:`URL`.
        headers: :class:`Headers`, including ``Host`` and body framing.
        stream: the body as a :class:`RequestContent`.
        extensions: per-request settings for transports (``timeout``, ...).
        deadlines: the :class:`Deadlines` of the request once it is being
            sent (set by ``AsyncClient.send``, shared by redirects and
            retries); ``None`` before.
    """

    __slots__ = ("_url", "deadlines", "extensions", "headers", "method", "stream")

    def __init__(
        self,
        method: str | bytes,
        url: URL | str,
        *,
        params: QueryParamTypes | None = None,
        headers: HeaderTypes | None = None,
        content: RequestContentTypes | None = None,
        data: RequestData | None = None,
        files: RequestFiles | None = None,
        json: JSONTypes = None,
        stream: RequestContent | None = None,
        # Whatever the transports read: no precise value type exists.
        extensions: dict[str, Any] | None = None,
    ) -> None:
        self.method = normalize_method(method)
        self._url = URL(url) if params is None else URL(url, params=params)
        self.headers = headers.copy() if isinstance(headers, Headers) else Headers(headers)
        self.extensions: dict[str, Any] = {} if extensions is None else extensions
        self.deadlines: Deadlines | None = None
        if stream is None:
            if content is None and data is None and files is None and json is None:
                stream = EMPTY_CONTENT
            else:
                from ._content import encode_request

                content_headers, stream = encode_request(
                    content=content, data=data, files=files, json=json
                )
                for name, value in content_headers.items():
                    if name not in self.headers:
                        self.headers[name] = value
        self.stream = stream
        self._prepare_framing()

    def _prepare_framing(self) -> None:
        # One pass over the (few) names present, then one append: this runs
        # for every request, so it avoids building the lookup index.
        headers = self.headers
        present = {entry[3] for entry in headers._get_entries()}
        additions: list[_Entry] = []
        if "host" not in present and self._url.host:
            additions.append(_host_entry(self._url.netloc))
        if "content-length" not in present and "transfer-encoding" not in present:
            length = self.stream.length
            if length is None:
                additions.append(_make_entry("Transfer-Encoding", "chunked"))
            elif length or self.method not in _METHODS_WITHOUT_BODY:
                additions.append(_make_entry("Content-Length", str(length)))
        if additions:
            headers._extend_new(additions)

    @property
    def url(self) -> URL:
        """The absolute :class:`URL`; assigning a ``str`` parses it."""
        return self._url

    @url.setter
    def url(self, value: URL | str) -> None:
        # requests-style auth callables assign strings (``r.url = r.url + "&k=v"``).
        self._url = value if type(value) is URL else URL(value)

    @property
    def body(self) -> bytes | None:
        """The body as requests shows it: bytes in memory, ``None`` when empty.

        A streamed body (file, iterator) that has not been read gives ``None``
        too; ``stream`` holds it.
        """
        stream = self.stream
        if isinstance(stream, BytesContent):
            return stream.body or None
        return None

    @property
    def content(self) -> bytes:
        """The body, when it is held in memory.

        Raises:
            ResponseNotRead: the body is a stream that has not been read.
        """
        if isinstance(self.stream, BytesContent):
            return self.stream.body
        raise ResponseNotRead("the request body is a stream; call aread() first")

    async def aread(self) -> bytes:
        """Read a streamed body into memory (so it can be sent again)."""
        if not isinstance(self.stream, BytesContent):
            body = b"".join([chunk async for chunk in self.stream])
            self.stream = BytesContent(body)
        return self.stream.body

    def __repr__(self) -> str:
        return f"<Request({self.method!r}, {str(self.url)!r})>"
