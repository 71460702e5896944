"""permessage-deflate (RFC 7692) with a bound on what one message may inflate to.

wsproto's :class:`~wsproto.extensions.PerMessageDeflate` inflates each
received chunk whole, so a few kilobytes of a crafted message can become
gigabytes in one call (a deflate bomb). :class:`BoundedDeflate` inflates at
most the room left in the message (``max_message_size`` minus what it
already gave) plus one byte; output that does not fit makes wsproto fail
the connection with close code 1009 (message too big), before the memory
is spent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, final

from wsproto.extensions import PerMessageDeflate
from wsproto.frame_protocol import CloseReason

if TYPE_CHECKING:
    from wsproto.frame_protocol import FrameDecoder, FrameProtocol, Opcode, RsvBits

__all__ = ["BoundedDeflate"]

# RFC 7692 §7.2.2: the tail the sender removed from every message.
_TAIL = b"\x00\x00\xff\xff"


@final
class BoundedDeflate(PerMessageDeflate):
    """permessage-deflate that refuses to inflate a message past ``max_message_size`` bytes."""

    def __init__(self, max_message_size: int) -> None:
        super().__init__()
        self.max_message_size = max_message_size
        self._inflated = 0  # bytes given for the message being received

    def frame_inbound_header(
        self,
        proto: FrameDecoder | FrameProtocol,
        opcode: Opcode,
        rsv: RsvBits,
        payload_length: int,
    ) -> CloseReason | RsvBits:
        if not opcode.iscontrol() and self._inbound_compressed is None:
            self._inflated = 0  # the first frame of a new message
        return super().frame_inbound_header(proto, opcode, rsv, payload_length)

    def _inflate(self, data: bytes) -> bytes | CloseReason:
        decompressor = self._decompressor
        assert decompressor is not None
        room = self.max_message_size - self._inflated
        try:
            out = decompressor.decompress(data, room + 1)
        except Exception:  # zlib.error: the payload is not deflate data
            return CloseReason.INVALID_FRAME_PAYLOAD_DATA
        self._inflated += len(out)
        if len(out) > room or decompressor.unconsumed_tail:
            return CloseReason.MESSAGE_TOO_BIG
        return out

    def frame_inbound_payload_data(
        self, proto: FrameDecoder | FrameProtocol, data: bytes
    ) -> bytes | CloseReason:
        if not self._inbound_compressed or not self._inbound_is_compressible:
            return data
        return self._inflate(bytes(data))

    def frame_inbound_complete(
        self, proto: FrameDecoder | FrameProtocol, fin: bool
    ) -> bytes | CloseReason | None:
        if not fin:
            return None
        if not self._inbound_is_compressible or not self._inbound_compressed:
            self._inbound_compressed = None
            return None
        out = self._inflate(_TAIL)
        if isinstance(out, CloseReason):
            return out
        takeover_off = self.server_no_context_takeover if proto.client else None
        if takeover_off or (not proto.client and self.client_no_context_takeover):
            self._decompressor = None
        self._inbound_compressed = None
        return out
