"""Response: a response head plus a body that is read once (layer 0: no I/O).

A :class:`Response` holds an :class:`~trio_http._streams.AsyncByteStream`
from its transport and, from the blocking API, a
:class:`~trio_http._body.BlockingBody` too. Every read goes through one body
pipeline (:mod:`trio_http._body`): :meth:`Response._apiped` feeds it from
the stream, :meth:`Response._piped` from the blocking batches, and a body
already in memory is fed again from ``content``. The Content-Encoding is
decoded as the bytes arrive, bounded by the decompression limits;
``aclose``/``close`` hands the connection back to the pool or closes it.
What the status line and headers say is
:class:`~trio_http._response_head.ResponseHead`'s; reading the body as text,
:class:`~trio_http._response_text.ResponseText`'s; requests' chunked
iteration, :class:`~trio_http._response_chunks.RequestsChunks`'.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar, cast, final

from . import _body
from ._body import BlockingBody, BodyPipeline, ByteStage, TextStage
from ._decoders import make_decoder
from ._exceptions import ContentDecodingError, ResponseNotRead, StreamConsumedError
from ._raw_body import RawBody
from ._response_chunks import RequestsChunks
from ._response_hand import SupportsRead, close_hand_raw, iter_hand_raw, read_hand_raw
from ._streams import AsyncByteStream, ByteStream

if TYPE_CHECKING:
    from types import TracebackType

    from ._decompress_stage import ContentDecoder
    from ._request import Request
    from ._types import HeaderTypes

__all__ = ["Response"]

T = TypeVar("T")
# The raw bytes: nothing decoded, only cut to the chunk size asked for.
_raw_stage = functools.partial(ByteStage, None)
# The stream of a response built with neither a body nor a stream.
_NO_BODY = ByteStream(b"")


@final
class Response(RequestsChunks):
    """An HTTP response.

    A response from ``client.get()`` and friends is read already: ``content``,
    ``text`` and ``json()`` work at once. One from ``client.stream()`` is not:
    iterate ``aiter_bytes()`` (or call ``aread()``) inside the ``async with``.

    ``Response()`` may be filled in by hand, as in requests (``_content``, ``url``...).

    Attributes:
        status_code: the status as an ``int``.
        reason_phrase: the server's reason phrase (``reason`` is an alias).
        http_version: ``"HTTP/1.1"`` or ``"HTTP/2"``.
        headers: response :class:`Headers`.
        request: the :class:`Request` that produced this response.
        history: the redirect responses that led here, oldest first.
        elapsed: time from sending the request to the complete response
            headers (requests' meaning).
        cookies: the cookies the ``Set-Cookie`` headers set, as the client
            that received the response stored them.
        default_encoding: text encoding used when neither the headers nor
            ``encoding`` name one: a codec name, or a callable that guesses
            one from the body.
        stream: the body as the transport delivers it.
        num_bytes_downloaded: raw body bytes received so far.
    """

    __slots__ = (
        "__weakref__",  # caches and tests may hold responses weakly
        "_blocking",
        "_content",
        "_is_closed",
        "_raw_body",
        "_reading",
        "_stream_consumed",
        "history",
        "num_bytes_downloaded",
        "stream",
    )

    def __init__(
        self,
        status_code: int | None = None,
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
        super().__init__(  # status_code None: filled in by hand (see _response_hand)
            cast("int", status_code), headers, request, http_version, reason_phrase, extensions
        )
        self._url = None
        self.default_encoding = default_encoding
        self.encoding = None
        self.history: list[Response] = []
        self.num_bytes_downloaded = 0
        self._is_closed = False
        self._stream_consumed = False
        self._blocking: BlockingBody | None = None
        self._raw_body: RawBody | SupportsRead | None = None  # SupportsRead: assigned
        self._reading: AsyncGenerator[object, None] | None = None
        self._content: bytes | None
        if content is not None:
            body = content.encode("utf-8") if isinstance(content, str) else content
            self._content = body
            self.stream: AsyncByteStream = ByteStream(body)
            self._stream_consumed = True
            self._is_closed = True
        else:
            self._content = None
            self.stream = stream if stream is not None else _NO_BODY

    # -- body and text ------------------------------------------------------

    @property
    def content(self) -> bytes:
        """The decoded body.

        Raises:
            ResponseNotRead: a streamed response whose body was not read.
        """
        if self._content is None:
            raw = self._raw_body
            if raw is not None and not isinstance(raw, RawBody):
                self._content = read_hand_raw(raw)  # a file-like object assigned as raw
                return self._content
            if self.stream is _NO_BODY and self._blocking is None:
                # ``Response()`` with no body given and none assigned: None,
                # as requests has (typed as bytes: every other response has some).
                return cast("bytes", None)
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
    def is_closed(self) -> bool:
        return self._is_closed

    @property
    def is_stream_consumed(self) -> bool:
        return self._stream_consumed

    # -- the body pipeline --------------------------------------------------

    def _content_decoder(self) -> ContentDecoder | None:
        """The decoder for this body's Content-Encoding, or None for identity.

        Called before the body is touched, so after an error the body can
        still be read undecoded with ``aiter_raw``/``iter_raw``.

        Raises:
            TooManyContentEncodings: the header lists too many codings.
            ContentDecodingError: a coding needs a package not installed.
        """
        try:
            return make_decoder(self.headers.get("Content-Encoding"))
        except ContentDecodingError as exc:
            exc.response = self
            if exc.request is None:
                exc.request = self.request
            raise

    def _start_reading(self) -> None:
        if self._stream_consumed:
            raise StreamConsumedError(
                "the response body was already read; it can be iterated once", response=self
            )
        self._stream_consumed = True

    def _byte_stage(self, chunk_size: int | None) -> ByteStage:
        # A body in memory is decoded already: it is only cut again.
        decoder = None if self._content is not None else self._content_decoder()
        return ByteStage(decoder, chunk_size)

    def _text_stage(self, chunk_size: int | None) -> TextStage:
        return TextStage(self._byte_stage(chunk_size), self.encoding or "utf-8")

    def _apiped(
        self,
        make: Callable[[int | None], BodyPipeline[T]],
        chunk_size: int | None,
        replay: bool = True,
    ) -> AsyncGenerator[T, None]:
        """The async body loop: the stream's raw chunks through one pipeline.

        The pipeline is made on the first step, so a bad Content-Encoding
        raises before a byte is read. The stream is closed at the end, on
        error and on cancellation. A body read already is fed from
        ``content`` unless ``replay`` is false (raw bytes are not kept).
        The loop is remembered, so that :meth:`aclose` finishes one that was
        left early instead of leaving it to the garbage collector.
        """
        self._reading = reading = self._apipe(make, chunk_size, replay)
        return reading

    async def _apipe(
        self, make: Callable[[int | None], BodyPipeline[T]], chunk_size: int | None, replay: bool
    ) -> AsyncGenerator[T, None]:
        pipeline = make(chunk_size)
        if replay and self._content is not None:
            for item in _body.run(pipeline, (self._content,)):
                yield item
            return
        self._start_reading()
        # AsyncByteStream declares prefer_chunk_size; a plain async iterable has none.
        prefer = getattr(self.stream, "prefer_chunk_size", None)
        if prefer is not None:
            prefer(pipeline.raw_chunk_size)
        raws = self.stream.__aiter__()
        try:
            async for raw in raws:
                self.num_bytes_downloaded += len(raw)
                for item in pipeline.feed(raw):
                    yield item
            for item in pipeline.flush():
                yield item
        finally:
            self._reading = None  # over: aclose() has no loop left to finish
            try:
                if isinstance(raws, AsyncGenerator):
                    await raws.aclose()  # the stream iterates through a generator
            finally:
                await self.aclose()

    def _piped(
        self,
        make: Callable[[int | None], BodyPipeline[T]],
        chunk_size: int | None,
        replay: bool = True,
    ) -> Iterator[T]:
        """The blocking body loop: batches of raw chunks through one pipeline.

        Each batch is one trip to the event loop (see :class:`BlockingBody`);
        otherwise as :meth:`_apiped`.
        """
        pipeline = make(chunk_size)
        if replay and self._content is not None:
            yield from _body.run(pipeline, (self._content,))
            return
        body = self._blocking
        hand_raw = self._raw_body
        if body is None and hand_raw is not None and not isinstance(hand_raw, RawBody):
            # A file-like object assigned as ``raw``, read as requests does.
            self._start_reading()
            for piece in iter_hand_raw(hand_raw, chunk_size):
                yield from pipeline.feed(piece)
            yield from pipeline.flush()
            return
        if body is None:
            raise RuntimeError(
                "this response came from AsyncClient: use aread() / aiter_bytes(); "
                "the blocking methods work on responses from trio_http.Session"
            )
        self._start_reading()
        body.prefer_chunk_size(pipeline.raw_chunk_size)
        try:
            while batch := body.read_batch():
                self.num_bytes_downloaded += sum(map(len, batch))
                for raw in batch:
                    yield from pipeline.feed(raw)
            yield from pipeline.flush()
        finally:
            self.close()

    # -- async reads --------------------------------------------------------

    async def aread(self) -> bytes:
        """Read the whole (decoded) body into memory and close the stream.

        A checkpoint, unless the whole body is in memory already (read
        before, or arrived with the head). Cancellation closes the stream (the
        connection is not reused) and leaves ``content`` unread.
        """
        if self._content is not None:
            return self._content
        if self._stream_consumed:
            self._start_reading()  # raises: a body is read once
        pipeline = ByteStage(self._content_decoder(), None)  # before the stream is touched
        # AsyncByteStream declares take_ready; a body given as a plain async
        # iterable (Response(stream=generator)) has none.
        take_ready = getattr(self.stream, "take_ready", None)
        ready = take_ready() if take_ready is not None else None
        if ready is None:
            chunks = [chunk async for chunk in self._apiped(lambda _: pipeline, None)]
        else:
            # The common case, one small body that came with its head: no
            # async iteration at all.
            self._stream_consumed = True
            self.num_bytes_downloaded += sum(map(len, ready))
            try:
                chunks = _body.run(pipeline, ready)
            except BaseException:
                await self.aclose()
                raise
            self._is_closed = True
            await self.stream.aclose()
        self._content = _body.join_chunks(chunks)
        return self._content

    def aiter_raw(self, chunk_size: int | None = None) -> AsyncIterator[bytes]:
        """Iterate the body as received, Content-Encoding not decoded.

        Raises:
            StreamConsumedError: the body was already iterated.
        """
        return self._apiped(_raw_stage, chunk_size, replay=False)

    def aiter_bytes(self, chunk_size: int | None = None) -> AsyncIterator[bytes]:
        """Iterate the decoded body (gzip, deflate, br, zstd undone).

        Raises:
            StreamConsumedError: the body was already iterated.
            DecompressionBombError: decoding exceeded the allowed ratio.
            TooManyContentEncodings: the Content-Encoding lists more than
                five codings (raised before any byte is read).
            ContentDecodingError: the encoded bytes are corrupt.
        """
        return self._apiped(self._byte_stage, chunk_size)

    def aiter_text(self, chunk_size: int | None = None) -> AsyncIterator[str]:
        """Iterate the body decoded to text."""
        return self._apiped(self._text_stage, chunk_size)

    def aiter_lines(self) -> AsyncIterator[str]:
        """Iterate the body's text line by line, without line endings."""
        return self._apiped(lambda _: _body.LineStage(self._text_stage(None)), None)

    async def aclose(self) -> None:
        """Close the body stream; the connection goes back to the pool if clean.

        Idempotent. A checkpoint when it closes the stream; on a response
        closed already it returns at once (nothing is left that could block).
        """
        if not self._is_closed:
            self._is_closed = True
            reading, self._reading = self._reading, None
            if reading is not None:
                await reading.aclose()  # an aiter_*() loop left early
            await self.stream.aclose()

    # -- blocking reads (responses from the blocking API) ---------------------

    def attach_blocking_body(self, body: BlockingBody) -> None:
        """Let the blocking methods (``iter_content``, ``read``...) read the body.

        Called by the blocking facade on the responses it returns.
        """
        self._blocking = body

    def iter_raw(self, chunk_size: int | None = None) -> Iterator[bytes]:
        """Iterate the body as received, Content-Encoding not decoded (blocking).

        Raises:
            StreamConsumedError: the body was already iterated.
        """
        return self._piped(_raw_stage, chunk_size, replay=False)

    def iter_bytes(self, chunk_size: int | None = None) -> Iterator[bytes]:
        """Iterate the decoded body (blocking); see :meth:`aiter_bytes`."""
        return self._piped(self._byte_stage, chunk_size)

    def iter_text(self, chunk_size: int | None = None) -> Iterator[str]:
        """Iterate the body decoded to text (blocking)."""
        return self._piped(self._text_stage, chunk_size)

    def read(self) -> bytes:
        """Read the whole (decoded) body into memory (blocking).

        Returns:
            :attr:`content`.
        """
        if self._content is None:
            self._content = _body.join_chunks(list(self.iter_bytes()))
        return self._content

    def close(self) -> None:
        """Close the body stream (blocking); the connection is released.

        Idempotent. A response from ``AsyncClient`` with an unread stream
        must be closed with ``aclose()`` instead.

        Raises:
            RuntimeError: an unread ``AsyncClient`` stream.
        """
        raw = self._raw_body
        if raw is not None and not isinstance(raw, RawBody):
            self._is_closed = True
            close_hand_raw(raw)
            return
        if self._is_closed:
            return
        body = self._blocking
        if body is None and type(self.stream) is not ByteStream:  # not a body in memory
            raise RuntimeError("close this AsyncClient response with 'await response.aclose()'")
        self._is_closed = True
        if body is not None:
            body.close()

    def __reduce__(self) -> tuple[Callable[[dict[str, Any]], Response], tuple[dict[str, Any]]]:
        # Pickled as requests pickles a response: the body is read first, and
        # the copy holds it in memory. What belongs to the connection (the
        # stream, the blocking pump, the transport's extensions) stays behind.
        content = self.content
        state: dict[str, Any] = dict(getattr(self, "__dict__", {}))
        for klass in type(self).__mro__:
            for name in getattr(klass, "__slots__", ()):
                if name not in _NOT_PICKLED and hasattr(self, name):
                    state[name] = getattr(self, name)
        state["_content"] = content
        return _unpickle_response, (state,)

    def __enter__(self) -> Response:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


# Response slots that hold the connection's side of a response, not pickled.
_NOT_PICKLED = frozenset(
    {"__dict__", "__weakref__", "_blocking", "_raw_body", "_reading", "extensions", "stream"}
)


def _unpickle_response(state: dict[str, Any]) -> Response:
    response = Response(state.get("status_code"), content=state["_content"] or b"")
    for name, value in state.items():
        setattr(response, name, value)
    return response
