"""Whole WebSocket messages from the fragments wsproto reports, within a size limit.

wsproto hands a message over in pieces (each frame, and parts of large
frames); :class:`MessageAssembler` joins them and refuses a message whose
pieces add up to more than ``max_message_size`` (characters for text, bytes
for binary) as soon as they do, before it is whole.
"""

from __future__ import annotations

from typing import final

from ._exceptions import WebSocketMessageTooBig

__all__ = ["MessageAssembler"]


@final
class MessageAssembler:
    """The fragments of the message being received.

    Args:
        max_message_size: the largest message accepted.
    """

    __slots__ = ("_parts", "_size", "max_message_size")

    def __init__(self, max_message_size: int) -> None:
        self.max_message_size = max_message_size
        self._parts: list[str | bytes] = []
        self._size = 0

    def add(self, data: str | bytes, finished: bool) -> str | bytes | None:
        """Take one piece; the whole message once ``finished``, else None.

        Raises:
            WebSocketMessageTooBig: the message grew past ``max_message_size``.
        """
        self._size += len(data)
        if self._size > self.max_message_size:
            raise WebSocketMessageTooBig(
                f"a received message exceeded max_message_size={self.max_message_size}"
            )
        if not finished:
            self._parts.append(data)
            return None
        parts, self._parts, self._size = self._parts, [], 0
        if not parts:
            return data
        parts.append(data)
        if isinstance(data, str):
            return "".join(parts)  # type: ignore[arg-type]
        return b"".join(parts)  # type: ignore[arg-type]
