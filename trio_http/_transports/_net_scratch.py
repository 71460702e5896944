"""One read buffer per thread, and cutting what a read put there into ``bytes``.

A connection reading a large body reads the socket (or decrypts TLS
records) into this thread's scratch buffer, not into a fresh object per
read: a read of a few hundred KiB would otherwise be an allocation that
glibc maps, faults in page by page and unmaps again. What the read brought
is then copied out once, already cut to the size its reader asked for
(:func:`cut_pieces`), so re-chunking copies nothing more.

The buffer is safe to share: it is filled and emptied within one
synchronous call, with no checkpoint between.
"""

from __future__ import annotations

import threading

__all__ = ["SCRATCH_MOST", "cut_pieces", "scratch_buffer"]

SCRATCH_MOST = 1024 * 1024  # a larger ask gets a buffer of its own

_scratch = threading.local()


def scratch_buffer(size: int) -> memoryview:
    """A writable view of ``size`` bytes, reused within this thread up to :data:`SCRATCH_MOST`."""
    if size > SCRATCH_MOST:
        return memoryview(bytearray(size))  # not kept for the thread's life
    buffer: bytearray | None = getattr(_scratch, "buffer", None)
    if buffer is None or len(buffer) < size:
        buffer = _scratch.buffer = bytearray(size)
    return memoryview(buffer)[:size]


def cut_pieces(view: memoryview, first: int, piece: int | None) -> list[bytes]:
    """``view`` copied out as ``bytes``: ``first`` bytes, then ``piece`` each.

    The last piece may be shorter. ``piece`` None: one piece, the whole
    view. An empty view gives an empty list.

    >>> cut_pieces(memoryview(b"abcdefg"), 2, 3)
    [b'ab', b'cde', b'fg']
    """
    size = len(view)
    if piece is None or size <= first:
        return [bytes(view)] if size else []
    pieces = [bytes(view[:first])] if first else []
    for start in range(first, size, piece):
        pieces.append(bytes(view[start : start + piece]))
    return pieces
