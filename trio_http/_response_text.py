"""A response body read as text: its charset, ``text`` and ``json()``.

:class:`ResponseText` sits between :class:`~trio_http._response_head.ResponseHead`
and :class:`~trio_http.Response`. It works on the body once it is in memory
(``content``), which the response below provides; it never reads the
stream itself.
"""

from __future__ import annotations

import json as jsonlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from ._exceptions import JSONDecodeError, ResponseNotRead
from ._response_head import ResponseHead
from ._text import decode_text, guess_encoding, has_explicit_charset

if TYPE_CHECKING:
    from ._response import Response

__all__ = ["ResponseText"]


class ResponseText(ResponseHead):
    """Charset, text and JSON of a response body (a base of :class:`Response`).

    Attributes:
        default_encoding: text encoding used when neither the headers nor
            ``encoding`` name one: a codec name, or a callable that guesses
            one from the body.
    """

    __slots__ = ("_encoding", "default_encoding")

    # Set by Response.__init__: ``default_encoding`` as given, ``encoding``
    # to None (not named yet).
    _encoding: str | None
    default_encoding: str | Callable[[bytes], str]

    @property
    def content(self) -> bytes:
        """The decoded body (the response below reads it)."""
        raise NotImplementedError  # pragma: no cover - Response overrides it

    @property
    def is_stream_consumed(self) -> bool:
        """Whether reading the body has started (the response below knows)."""
        raise NotImplementedError  # pragma: no cover - Response overrides it

    def _content_if_read(self) -> bytes | None:
        # Never starts a read: ``content`` would on a blocking response.
        if not self.is_stream_consumed:
            return None
        try:
            return self.content
        except ResponseNotRead:
            return None

    @property
    def encoding(self) -> str | None:
        """The text encoding: set explicitly, else from Content-Type.

        Falls back to ``default_encoding`` (or its guess from the body; None
        while the body is not read).
        """
        if self._encoding is None:
            charset = self.charset_encoding
            if charset is not None:
                self._encoding = charset
            elif callable(self.default_encoding):
                content = self._content_if_read()
                if content is None:
                    return None
                self._encoding = self.default_encoding(content)
            else:
                self._encoding = self.default_encoding
        return self._encoding

    @encoding.setter
    def encoding(self, value: str | None) -> None:
        self._encoding = value

    @property
    def apparent_encoding(self) -> str:
        """An encoding guessed from the body bytes alone."""
        return guess_encoding(self.content)

    @property
    def text(self) -> str:
        """The body decoded to ``str`` (undecodable bytes are replaced)."""
        content = self.content
        if not content:
            return ""
        return decode_text(content, self.encoding or "utf-8")

    def json(self, **kwargs: Any) -> Any:
        """Parse the body as JSON.

        Raises:
            JSONDecodeError: the body is not JSON (also a ``ValueError``).
        """
        content = self.content
        response = cast("Response", self)  # the bases are only ever a Response's
        try:
            if self._encoding is None and not has_explicit_charset(
                self.headers.get("Content-Type")
            ):
                # RFC 8259 §8.1: no charset is named, so let json detect
                # UTF-8/16/32 from the bytes.
                try:
                    return jsonlib.loads(content, **kwargs)
                except UnicodeDecodeError:
                    # Not valid in the detected encoding: parse the text, as
                    # requests does, so the error's ``doc`` is the text.
                    pass
            return jsonlib.loads(self.text, **kwargs)
        except jsonlib.JSONDecodeError as exc:
            raise JSONDecodeError(
                exc.msg, exc.doc, exc.pos, request=self.request, response=response
            )
