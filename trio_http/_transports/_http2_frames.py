"""DATA as the engine takes it off the wire, without hyperframe's per-frame objects.

:class:`DataChunk` is our event for DATA joined from consecutive frames on
one stream; :class:`LightDataFrame` carries one DATA frame to h2's own DATA
handler; :class:`QuietDataFrame` is hyperframe's DATA frame (padded ones come
that way) with a repr that does not hex-encode the payload.
"""

from __future__ import annotations

from typing import final

import hyperframe.frame

__all__ = ["DataChunk", "LightDataFrame", "QuietDataFrame", "join_data"]


@final
class DataChunk:
    """DATA received on one stream, from one or more consecutive frames.

    Our event type, handled like h2's ``DataReceived``: ``data`` is the
    payload, ``flow_controlled_length`` what it counts against the windows.
    """

    __slots__ = ("data", "flow_controlled_length", "stream_id")

    def __init__(self, stream_id: int, data: bytes, flow_controlled_length: int) -> None:
        self.stream_id = stream_id
        self.data = data
        self.flow_controlled_length = flow_controlled_length

    def __repr__(self) -> str:
        return f"<DataChunk stream_id:{self.stream_id}, length:{len(self.data)}>"


@final
class LightDataFrame:
    """A received DATA frame for h2's own DATA handler, without hyperframe.

    It carries what ``H2Connection._receive_data_frame`` reads: the stream
    id, the payload, the flags and the flow-controlled length.
    """

    __slots__ = ("data", "flags", "flow_controlled_length", "stream_id")

    def __init__(self, stream_id: int, payload: bytes, end_stream: bool) -> None:
        self.stream_id = stream_id
        self.data = payload
        self.flags = ("END_STREAM",) if end_stream else ()
        self.flow_controlled_length = len(payload)

    def __repr__(self) -> str:
        return _data_frame_repr(self)


class QuietDataFrame(hyperframe.frame.DataFrame):
    """A DATA frame (padded ones come this way) whose repr is cheap."""

    def __repr__(self) -> str:
        return _data_frame_repr(self)


def _data_frame_repr(frame: LightDataFrame | QuietDataFrame) -> str:
    # Length only: h2 formats this for every frame, logged or not.
    return f"DataFrame(stream_id={frame.stream_id}, length={len(frame.data)})"


def join_data(stream_id: int, payloads: list[memoryview], length: int) -> DataChunk:
    """One event for DATA joined from consecutive frames: one copy of the bytes."""
    data = bytes(payloads[0]) if len(payloads) == 1 else b"".join(payloads)
    return DataChunk(stream_id, data, length)
