"""requests' ways to iterate a body: ``iter_content``, ``iter_lines`` and ``iter(response)``.

They are built on :class:`~trio_http.Response`'s own blocking iterators
(``iter_bytes``, ``iter_text``) and body pipeline, with requests' argument
rules: a ``chunk_size`` that is an int or ``None``, ``bytes`` unless
``decode_unicode``, lines split as requests splits them, and 128-byte
chunks for a plain ``for chunk in response``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast, overload

from . import _body
from ._response_hand import HandFilledHead

if TYPE_CHECKING:
    from ._body import BodyPipeline, ByteStage, TextStage

__all__ = ["ITER_CHUNK_SIZE", "RequestsChunks"]

T = TypeVar("T")

# requests' Response.__iter__ reads 128 bytes at a time.
ITER_CHUNK_SIZE = 128  # bytes per step of ``iter(response)``


class RequestsChunks(HandFilledHead):
    """requests' chunked iteration of a body (a base of :class:`~trio_http.Response`)."""

    __slots__ = ()

    if TYPE_CHECKING:  # Response's

        def iter_bytes(self, chunk_size: int | None = None) -> Iterator[bytes]: ...
        def iter_text(self, chunk_size: int | None = None) -> Iterator[str]: ...
        def _byte_stage(self, chunk_size: int | None) -> ByteStage: ...
        def _text_stage(self, chunk_size: int | None) -> TextStage: ...
        def _piped(
            self, make: Callable[[int | None], BodyPipeline[T]], chunk_size: int | None
        ) -> Iterator[T]: ...

    def _requests_line_stage(
        self, decode_unicode: bool, delimiter: str | bytes | None, chunk_size: int | None
    ) -> BodyPipeline[Any]:
        # A delimiter of the other type fails in the split, as in requests.
        _body.check_chunk_size(chunk_size)
        if decode_unicode:
            return _body.RequestsLineStage(
                self._text_stage(chunk_size), cast("str | None", delimiter)
            )
        return _body.RequestsLineStage(
            self._byte_stage(chunk_size), cast("bytes | None", delimiter)
        )

    @overload
    def iter_content(
        self, chunk_size: int | None = 1, decode_unicode: Literal[False] = False
    ) -> Iterator[bytes]: ...
    @overload
    def iter_content(
        self, chunk_size: int | None = 1, *, decode_unicode: Literal[True]
    ) -> Iterator[str]: ...
    @overload
    def iter_content(
        self, chunk_size: int | None = 1, decode_unicode: bool = False
    ) -> Iterator[bytes] | Iterator[str]: ...
    def iter_content(
        self, chunk_size: int | None = 1, decode_unicode: bool = False
    ) -> Iterator[bytes] | Iterator[str]:
        """Iterate the body in chunks, as requests does (blocking).

        Args:
            chunk_size: bytes per chunk; ``None`` yields chunks as they
                arrive. The last chunk may be shorter.
            decode_unicode: yield ``str`` decoded with :attr:`encoding`.

        Raises:
            TypeError: ``chunk_size`` is neither an int nor None.
            StreamConsumedError: a streamed body was already iterated.
        """
        _body.check_chunk_size(chunk_size)
        if decode_unicode:
            return self.iter_text(chunk_size)
        return self.iter_bytes(chunk_size)

    @overload
    def iter_lines(
        self,
        chunk_size: int | None = 512,
        decode_unicode: Literal[False] = False,
        delimiter: bytes | None = None,
    ) -> Iterator[bytes]: ...
    @overload
    def iter_lines(
        self,
        chunk_size: int | None = 512,
        *,
        decode_unicode: Literal[True],
        delimiter: str | None = None,
    ) -> Iterator[str]: ...
    @overload
    def iter_lines(
        self,
        chunk_size: int | None = 512,
        decode_unicode: bool = False,
        delimiter: str | bytes | None = None,
    ) -> Iterator[bytes] | Iterator[str]: ...
    def iter_lines(
        self,
        chunk_size: int | None = 512,
        decode_unicode: bool = False,
        delimiter: str | bytes | None = None,
    ) -> Iterator[bytes] | Iterator[str]:
        """Iterate the body line by line, without line endings (blocking).

        Lines are ``bytes`` unless ``decode_unicode`` is true, as in requests.

        Args:
            chunk_size: bytes read per step.
            decode_unicode: yield ``str`` lines.
            delimiter: split on this instead of any line boundary.
        """
        make = functools.partial(self._requests_line_stage, decode_unicode, delimiter)
        return self._piped(make, chunk_size)

    def __iter__(self) -> Iterator[bytes]:
        """The body in chunks of 128 bytes, as iterating a requests response gives."""
        return self.iter_content(ITER_CHUNK_SIZE)
