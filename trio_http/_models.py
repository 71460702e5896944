"""Request and Response models (layer 0: no I/O library imported here).

A :class:`Response` holds an :class:`~trio_http._streams.AsyncByteStream`
from its transport. Reading it (``aread``/``aiter_*``) decodes the
Content-Encoding as the bytes arrive, bounded by the decompression limits;
``aclose`` hands the connection back to the pool or closes it.
"""

from __future__ import annotations

import datetime
import json as jsonlib
from collections.abc import AsyncIterator, Callable, Iterator
from typing import IO, TYPE_CHECKING, Any, Protocol, final

from . import _decoders
from ._exceptions import (
    ContentDecodingError,
    HTTPError,
    JSONDecodeError,
    LocalProtocolError,
    ResponseNotRead,
    StreamConsumedError,
)
from ._headers import Headers, _Entry, _make_entry
from ._status_codes import reason_phrase as _reason_phrase
from ._streams import (
    EMPTY_CONTENT,
    AsyncByteStream,
    BytesContent,
    ByteStream,
    RequestContent,
)
from ._urls import URL

if TYPE_CHECKING:
    from types import TracebackType

    from ._cookies import Cookies
    from ._types import HeaderTypes, QueryParamTypes, RequestFiles

__all__ = ["BlockingBody", "RawBody", "Request", "Response"]

_METHOD_CHARS = frozenset(
    "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
)
_METHODS_WITHOUT_BODY = frozenset({"GET", "HEAD", "OPTIONS", "TRACE", "DELETE", "CONNECT"})
_NO_TIME = datetime.timedelta(0)  # immutable, so shared
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


class BlockingBody(Protocol):
    """How a response from the blocking API reads its body across threads.

    The blocking facade attaches one to each response it returns; this
    module sees only this interface, so it stays free of I/O libraries.
    """

    def read_batch(self) -> list[bytes]:
        """Block until body bytes arrive; return every chunk buffered so far.

        Returns an empty list at the end of the body.
        """

    def close(self) -> None:
        """Close the body stream (the connection goes back to the pool if clean)."""


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
    """

    __slots__ = ("_url", "extensions", "headers", "method", "stream")

    def __init__(
        self,
        method: str | bytes,
        url: URL | str,
        *,
        params: QueryParamTypes | None = None,
        headers: HeaderTypes | None = None,
        content: Any = None,
        data: Any = None,
        files: RequestFiles | None = None,
        json: Any = None,
        stream: RequestContent | None = None,
        extensions: dict[str, Any] | None = None,
    ) -> None:
        self.method = normalize_method(method)
        self._url = URL(url) if params is None else URL(url, params=params)
        self.headers = headers.copy() if isinstance(headers, Headers) else Headers(headers)
        self.extensions: dict[str, Any] = {} if extensions is None else extensions
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


@final
class Response:
    """An HTTP response.

    A response from ``client.get()`` and friends is read already: ``content``,
    ``text`` and ``json()`` work at once. One from ``client.stream()`` is not:
    iterate ``aiter_bytes()`` (or call ``aread()``) inside the ``async with``.

    Attributes:
        status_code: the status as an ``int``.
        reason_phrase: the server's reason phrase (``reason`` is an alias).
        http_version: ``"HTTP/1.1"`` or ``"HTTP/2"``.
        headers: response :class:`Headers`.
        request: the :class:`Request` that produced this response.
        history: the redirect responses that led here, oldest first.
        elapsed: time from sending the request to the complete response
            headers (requests' meaning).
        default_encoding: text encoding used when neither the headers nor
            ``encoding`` name one: a codec name, or a callable that guesses
            one from the body.
    """

    __slots__ = (
        "__weakref__",  # caches and tests may hold responses weakly
        "_blocking",
        "_content",
        "_cookies",
        "_decoder",
        "_encoding",
        "_is_closed",
        "_raw_body",
        "_stream_consumed",
        "default_encoding",
        "elapsed",
        "extensions",
        "headers",
        "history",
        "http_version",
        "next_request",
        "num_bytes_downloaded",
        "reason_phrase",
        "request",
        "status_code",
        "stream",
    )

    def __init__(
        self,
        status_code: int,
        *,
        headers: HeaderTypes | None = None,
        content: bytes | str | None = None,
        stream: AsyncByteStream | None = None,
        request: Request | None = None,
        http_version: str = "HTTP/1.1",
        reason_phrase: str | None = None,
        extensions: dict[str, Any] | None = None,
        default_encoding: str | Callable[[bytes], str] = "utf-8",
    ) -> None:
        self.status_code = status_code
        self.headers = headers if isinstance(headers, Headers) else Headers(headers)
        self.request = request
        self.http_version = http_version
        self.reason_phrase = (
            reason_phrase if reason_phrase is not None else _reason_phrase(status_code)
        )
        self.extensions: dict[str, Any] = {} if extensions is None else extensions
        self.history: list[Response] = []
        self.elapsed = _NO_TIME
        self.next_request: Request | None = None
        self.default_encoding = default_encoding
        self.num_bytes_downloaded = 0
        self._encoding: str | None = None
        self._decoder: Any = None
        self._is_closed = False
        self._stream_consumed = False
        self._blocking: BlockingBody | None = None
        self._raw_body: RawBody | None = None
        self._cookies: Cookies | None = None
        self._content: bytes | None
        if content is not None:
            body = content.encode("utf-8") if isinstance(content, str) else content
            self._content = body
            self.stream: AsyncByteStream = ByteStream(body)
            self._stream_consumed = True
            self._is_closed = True
        else:
            self._content = None
            self.stream = stream if stream is not None else ByteStream(b"")

    # -- status -----------------------------------------------------------

    @property
    def reason(self) -> str:
        """The reason phrase (requests' name)."""
        return self.reason_phrase

    @property
    def url(self) -> URL:
        """The URL of the request that produced this response."""
        if self.request is None:
            raise RuntimeError("this response has no request attached")
        return self.request.url

    @property
    def is_informational(self) -> bool:
        return 100 <= self.status_code < 200

    @property
    def is_success(self) -> bool:
        return 200 <= self.status_code < 300

    @property
    def is_redirect(self) -> bool:
        """A redirect status with a ``Location`` header (requests' meaning)."""
        return self.status_code in (301, 302, 303, 307, 308) and "Location" in self.headers

    @property
    def is_permanent_redirect(self) -> bool:
        return self.status_code in (301, 308) and "Location" in self.headers

    @property
    def is_client_error(self) -> bool:
        return 400 <= self.status_code < 500

    @property
    def is_server_error(self) -> bool:
        return 500 <= self.status_code < 600

    @property
    def is_error(self) -> bool:
        return 400 <= self.status_code < 600

    @property
    def ok(self) -> bool:
        """True unless the status is 4xx or 5xx (requests' meaning)."""
        return self.status_code < 400

    def raise_for_status(self) -> Response:
        """Raise :class:`HTTPError` for a 4xx or 5xx status.

        Returns:
            the response itself, so calls can be chained.

        Raises:
            HTTPError: carrying ``.response`` and ``.request``.
        """
        if self.status_code < 400:
            return self
        kind = "Client Error" if self.status_code < 500 else "Server Error"
        url = str(self.request.url) if self.request is not None else "?"
        raise HTTPError(
            f"{self.status_code} {kind}: {self.reason_phrase} for url: {url}",
            request=self.request,
            response=self,
        )

    @property
    def links(self) -> dict[str, dict[str, str]]:
        """Parsed ``Link`` headers, keyed by ``rel`` (or by URL)."""
        header = self.headers.get("Link")
        if not header:
            return {}
        links: dict[str, dict[str, str]] = {}
        for link in _decoders.parse_link_header(header):
            key = link.get("rel") or link.get("url", "")
            links[key] = link
        return links

    # -- body -------------------------------------------------------------

    @property
    def content(self) -> bytes:
        """The decoded body.

        Raises:
            ResponseNotRead: a streamed response whose body was not read.
        """
        if self._content is None:
            if self._blocking is not None and not self._stream_consumed:
                # requests reads a streamed body on first access; so does a
                # response from the blocking API.
                return self.read()
            raise ResponseNotRead(
                "the response body was not read; call aread() (or read()) first",
                response=self,
            )
        return self._content

    @property
    def encoding(self) -> str | None:
        """The text encoding: set explicitly, else from Content-Type.

        Falls back to ``default_encoding`` (or its guess from the body).
        """
        if self._encoding is None:
            charset = self.charset_encoding
            if charset is not None:
                self._encoding = charset
            elif callable(self.default_encoding):
                if self._content is None:
                    return None
                self._encoding = self.default_encoding(self._content)
            else:
                self._encoding = self.default_encoding
        return self._encoding

    @encoding.setter
    def encoding(self, value: str | None) -> None:
        self._encoding = value

    @property
    def charset_encoding(self) -> str | None:
        """The codec named by Content-Type's charset (or its type's default)."""
        return _decoders.text_encoding_from_content_type(self.headers.get("Content-Type"))

    @property
    def apparent_encoding(self) -> str:
        """An encoding guessed from the body bytes alone."""
        return _decoders.guess_encoding(self.content)

    @property
    def text(self) -> str:
        """The body decoded to ``str`` (undecodable bytes are replaced)."""
        content = self.content
        if not content:
            return ""
        return _decoders.decode_text(content, self.encoding or "utf-8")

    def json(self, **kwargs: Any) -> Any:
        """Parse the body as JSON.

        Raises:
            JSONDecodeError: the body is not JSON (also a ``ValueError``).
        """
        content = self.content
        try:
            if self._encoding is None and not _decoders.has_explicit_charset(
                self.headers.get("Content-Type")
            ):
                # RFC 8259 §8.1: no charset is named, so let json detect
                # UTF-8/16/32 from the bytes.
                return jsonlib.loads(content, **kwargs)
            return jsonlib.loads(self.text, **kwargs)
        except jsonlib.JSONDecodeError as exc:
            raise JSONDecodeError(exc.msg, exc.doc, exc.pos, request=self.request, response=self)
        except UnicodeDecodeError as exc:
            raise JSONDecodeError(str(exc), "", 0, request=self.request, response=self)

    @property
    def is_closed(self) -> bool:
        return self._is_closed

    @property
    def is_stream_consumed(self) -> bool:
        return self._stream_consumed

    def _content_decoder(self) -> _decoders.ContentDecoder | None:
        """The decoder for this body's Content-Encoding, or None for identity.

        Called before the body is touched, so after an error the body can
        still be read undecoded with ``aiter_raw``/``iter_raw``.

        Raises:
            TooManyContentEncodings: the header lists too many codings.
            ContentDecodingError: a coding needs a package not installed.
        """
        try:
            return _decoders.make_decoder(self.headers.get("Content-Encoding"))
        except ContentDecodingError as exc:
            exc.response = self
            if exc.request is None:
                exc.request = self.request
            raise

    async def aread(self) -> bytes:
        """Read the whole (decoded) body into memory and close the stream.

        A checkpoint, unless the whole body is in memory already (read
        before, or arrived with the head). Cancellation closes the stream (the
        connection is not reused) and leaves ``content`` unread.
        """
        if self._content is not None:
            return self._content
        if self._stream_consumed:
            raise StreamConsumedError(
                "the response body was already read; it can be iterated once",
                response=self,
            )
        # The common case, one small body: iterate the transport's stream
        # directly rather than through the aiter_* generator layers.
        decoder = self._content_decoder()
        self._stream_consumed = True
        stream = self.stream
        take_ready = getattr(stream, "take_ready", None)
        ready = take_ready() if take_ready is not None else None
        chunks: list[bytes] = []

        def take(raw: bytes) -> None:
            self.num_bytes_downloaded += len(raw)
            chunks.append(decoder.decode(raw) if decoder is not None else raw)

        try:
            if ready is not None:
                # The body came with its head: no async iteration needed.
                for raw in ready:
                    take(raw)
            else:
                async for raw in stream:
                    take(raw)
            if decoder is not None:
                chunks.append(decoder.flush())
        except BaseException:
            await self.aclose()
            raise
        self._is_closed = True
        await self.stream.aclose()
        self._content = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        return self._content

    async def aiter_raw(self, chunk_size: int | None = None) -> AsyncIterator[bytes]:
        """Iterate the body as received, Content-Encoding not decoded.

        Raises:
            StreamConsumedError: the body was already iterated.
        """
        if self._stream_consumed:
            raise StreamConsumedError(
                "the response body was already read; it can be iterated once",
                response=self,
            )
        self._stream_consumed = True
        chunker = _decoders.Rechunker(chunk_size)
        try:
            async for raw in self.stream:
                self.num_bytes_downloaded += len(raw)
                if chunk_size is None:
                    yield raw
                else:
                    for chunk in chunker.feed(raw):
                        yield chunk
            if chunk_size is not None:
                tail = chunker.flush()
                if tail:
                    yield tail
        finally:
            await self.aclose()

    async def aiter_bytes(self, chunk_size: int | None = None) -> AsyncIterator[bytes]:
        """Iterate the decoded body (gzip, deflate, br, zstd undone).

        Raises:
            StreamConsumedError: the body was already iterated.
            DecompressionBombError: decoding exceeded the allowed ratio.
            TooManyContentEncodings: the Content-Encoding lists more than
                five codings (raised before any byte is read).
            ContentDecodingError: the encoded bytes are corrupt.
        """
        if self._content is not None:
            chunker = _decoders.Rechunker(chunk_size)
            for chunk in chunker.feed(self._content) if chunk_size else [self._content]:
                if chunk:
                    yield chunk
            tail = chunker.flush() if chunk_size else b""
            if tail:
                yield tail
            return
        decoder = self._content_decoder()
        if decoder is None and chunk_size is None:
            async for raw in self.aiter_raw():
                yield raw
            return
        chunker = _decoders.Rechunker(chunk_size)
        async for raw in self.aiter_raw():
            data = decoder.decode(raw) if decoder is not None else raw
            if not data:
                continue
            if chunk_size is None:
                yield data
            else:
                for chunk in chunker.feed(data):
                    yield chunk
        tail = decoder.flush() if decoder is not None else b""
        if chunk_size is None:
            if tail:
                yield tail
            return
        for chunk in chunker.feed(tail):
            yield chunk
        last = chunker.flush()
        if last:
            yield last

    async def aiter_text(self, chunk_size: int | None = None) -> AsyncIterator[str]:
        """Iterate the body decoded to text."""
        decoder = _decoders.TextDecoder(self.encoding or "utf-8")
        async for chunk in self.aiter_bytes(chunk_size):
            text = decoder.decode(chunk)
            if text:
                yield text
        tail = decoder.flush()
        if tail:
            yield tail

    async def aiter_lines(self) -> AsyncIterator[str]:
        """Iterate the body's text line by line, without line endings."""
        lines = _decoders.LineDecoder()
        async for text in self.aiter_text():
            for line in lines.decode(text):
                yield line
        for line in lines.flush():
            yield line

    async def aclose(self) -> None:
        """Close the body stream; the connection goes back to the pool if clean.

        Idempotent and a checkpoint.
        """
        if not self._is_closed:
            self._is_closed = True
            await self.stream.aclose()

    # -- requests-style extras and blocking reads ---------------------------

    @property
    def next(self) -> Request | None:
        """The next request of an unfollowed redirect (requests' name)."""
        return self.next_request

    @property
    def cookies(self) -> Cookies:
        """The cookies this response's ``Set-Cookie`` headers set."""
        jar = self._cookies
        if jar is None:
            from ._cookies import Cookies

            jar = self._cookies = Cookies()
            if self.request is not None and "Set-Cookie" in self.headers:
                jar.extract_cookies(self)
        return jar

    def attach_blocking_body(self, body: BlockingBody) -> None:
        """Let the blocking methods (``iter_content``, ``read``...) read the body.

        Called by the blocking facade on the responses it returns.
        """
        self._blocking = body

    def _raw_batches(self) -> Iterator[list[bytes]]:
        body = self._blocking
        if body is None:
            raise RuntimeError(
                "this response came from AsyncClient: use aread() / aiter_bytes(); "
                "the blocking methods work on responses from trio_http.Session"
            )
        if self._stream_consumed:
            raise StreamConsumedError(
                "the response body was already read; it can be iterated once",
                response=self,
            )
        self._stream_consumed = True
        try:
            while True:
                batch = body.read_batch()
                if not batch:
                    return
                for raw in batch:
                    self.num_bytes_downloaded += len(raw)
                yield batch
        finally:
            self.close()

    def iter_raw(self, chunk_size: int | None = None) -> Iterator[bytes]:
        """Iterate the body as received, Content-Encoding not decoded (blocking).

        Raises:
            StreamConsumedError: the body was already iterated.
        """
        if chunk_size is None:
            for batch in self._raw_batches():
                yield from batch
            return
        chunker = _decoders.Rechunker(chunk_size)
        for batch in self._raw_batches():
            for raw in batch:
                yield from chunker.feed(raw)
        tail = chunker.flush()
        if tail:
            yield tail

    def iter_bytes(self, chunk_size: int | None = None) -> Iterator[bytes]:
        """Iterate the decoded body (blocking); see :meth:`aiter_bytes`."""
        chunker = _decoders.Rechunker(chunk_size)
        if self._content is not None:
            pieces = chunker.feed(self._content) if chunk_size else [self._content]
            yield from (piece for piece in pieces if piece)
            tail = chunker.flush() if chunk_size else b""
            if tail:
                yield tail
            return
        decoder = self._content_decoder()
        for batch in self._raw_batches():
            for raw in batch:
                data = decoder.decode(raw) if decoder is not None else raw
                if not data:
                    continue
                if chunk_size is None:
                    yield data
                else:
                    yield from chunker.feed(data)
        tail = decoder.flush() if decoder is not None else b""
        if chunk_size is None:
            if tail:
                yield tail
            return
        yield from chunker.feed(tail)
        last = chunker.flush()
        if last:
            yield last

    def iter_text(self, chunk_size: int | None = None) -> Iterator[str]:
        """Iterate the body decoded to text (blocking)."""
        decoder = _decoders.TextDecoder(self.encoding or "utf-8")
        for chunk in self.iter_bytes(chunk_size):
            text = decoder.decode(chunk)
            if text:
                yield text
        tail = decoder.flush()
        if tail:
            yield tail

    def iter_content(
        self, chunk_size: int | None = 1, decode_unicode: bool = False
    ) -> Iterator[Any]:
        """Iterate the body in chunks, as requests does (blocking).

        Args:
            chunk_size: bytes per chunk; ``None`` yields chunks as they
                arrive. The last chunk may be shorter.
            decode_unicode: yield ``str`` decoded with :attr:`encoding`.

        Raises:
            TypeError: ``chunk_size`` is neither an int nor None.
            StreamConsumedError: a streamed body was already iterated.
        """
        if chunk_size is not None and (
            isinstance(chunk_size, bool) or not isinstance(chunk_size, int)
        ):
            raise TypeError(f"chunk_size must be an int or None, not {type(chunk_size).__name__}")
        if chunk_size is not None and chunk_size < 1:
            raise ValueError("chunk_size must be at least 1")
        if decode_unicode:
            return self.iter_text(chunk_size)
        return self.iter_bytes(chunk_size)

    def iter_lines(
        self,
        chunk_size: int | None = 512,
        decode_unicode: bool = False,
        delimiter: str | bytes | None = None,
    ) -> Iterator[Any]:
        """Iterate the body line by line, without line endings (blocking).

        Lines are ``bytes`` unless ``decode_unicode`` is true, as in requests.

        Args:
            chunk_size: bytes read per step.
            decode_unicode: yield ``str`` lines.
            delimiter: split on this instead of any line boundary.
        """
        pending: Any = None
        for chunk in self.iter_content(chunk_size, decode_unicode):
            text = chunk if pending is None else pending + chunk
            if delimiter is not None:
                pieces = text.split(delimiter)
                pending = pieces.pop()
                yield from pieces
                continue
            pieces = text.splitlines(keepends=True)
            last = pieces[-1] if pieces else None
            # A last piece without its line break (or ending in a CR that a
            # LF in the next chunk may complete) waits for more data.
            if last is not None and (last[-1:] not in _LINE_ENDS or last[-1:] in _CR):
                pending = pieces.pop()
            else:
                pending = None
            for piece in pieces:
                yield piece.splitlines()[0]
        if pending:
            yield from pending.splitlines() if delimiter is None else [pending]

    def read(self) -> bytes:
        """Read the whole (decoded) body into memory (blocking).

        Returns:
            :attr:`content`.
        """
        if self._content is not None:
            return self._content
        chunks = list(self.iter_bytes())
        self._content = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        return self._content

    @property
    def raw(self) -> RawBody:
        """A file-like object over the undecoded body bytes (``.read(n)``)."""
        raw = self._raw_body
        if raw is None:
            raw = self._raw_body = RawBody(self)
        return raw

    def close(self) -> None:
        """Close the body stream (blocking); the connection is released.

        Idempotent. A response from ``AsyncClient`` with an unread stream
        must be closed with ``aclose()`` instead.

        Raises:
            RuntimeError: an unread ``AsyncClient`` stream.
        """
        if self._is_closed:
            return
        body = self._blocking
        if body is None:
            raise RuntimeError("close this AsyncClient response with 'await response.aclose()'")
        self._is_closed = True
        body.close()

    def __enter__(self) -> Response:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Response [{self.status_code} {self.reason_phrase}]>"

    # requests' Response is falsy for errors; keep that for porting.
    def __bool__(self) -> bool:
        return self.ok


_LINE_ENDS: Any = frozenset(
    ["\n", "\r", "\v", "\f", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]
)
_LINE_ENDS |= {b"\n", b"\r", b"\v", b"\f", b"\x1c", b"\x1d", b"\x1e"}
_CR: Any = frozenset(["\r", b"\r"])


@final
class RawBody:
    """The undecoded body of a blocking response, as a readable file object.

    ``read(n)`` returns at most ``n`` bytes (all that is left when ``n`` is
    omitted), ``b""`` at the end. Set ``decode_content = True`` to read the
    decoded body instead. A body that was already read gives ``b""``.
    """

    def __init__(self, response: Response) -> None:
        self._response = response
        self._source: Iterator[bytes] | None = None
        self._buffer = b""
        self.decode_content = False
        self.closed = False

    def _chunks(self) -> Iterator[bytes]:
        source = self._source
        if source is None:
            response = self._response
            if response.is_stream_consumed or response._blocking is None:
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

    def close(self) -> None:
        """Close the response (the connection is released)."""
        self.closed = True
        self._response.close()
