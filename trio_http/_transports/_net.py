"""Every path that reads or writes a connection around Trio's streams.

Reading is done through :class:`Receiver`, which sizes reads to the
traffic; TLS over TCP is :class:`~._net_tls.TLSSocketStream`, which takes
every record at hand per read.
:class:`DirectSocket` writes an HTTP/1.1 request head and reads its response
head on a plain TCP socket's descriptor. :func:`pending_tls_alert` reads
the alert a TLS server sent before it reset the connection. Streams are
opened in :mod:`._connect` and SSL contexts built in :mod:`._tls_context`;
both are re-exported here.
"""

from __future__ import annotations

import os
import ssl
from typing import TYPE_CHECKING, final

import trio

from .._config import MIN_READ_SIZE
from ._connect import negotiated_protocol, open_stream
from ._net_scratch import cut_pieces, scratch_buffer
from ._net_tls import TLSSocketStream
from ._sockets import close_stream_nowait as close_stream_nowait
from ._sockets import socket_of as socket_of
from ._sockets import socket_readable as socket_readable
from ._tls_context import CertTypes, VerifyTypes, create_ssl_context

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "CertTypes",
    "DirectSocket",
    "Receiver",
    "VerifyTypes",
    "create_ssl_context",
    "negotiated_protocol",
    "next_read_size",
    "open_stream",
    "pending_tls_alert",
    "socket_readable",
]

# -- helpers shared by the connection kinds -------------------------------

# Plain TCP sockets are written and read through their descriptor on POSIX.
_DIRECT_IO = os.name == "posix"

# What a broken or closed socket raises from send_all/receive_some.
IO_ERRORS = (trio.BrokenResourceError, trio.ClosedResourceError, OSError)


def pending_tls_alert(stream: trio.abc.Stream) -> ssl.SSLError | None:
    """The TLS alert the server sent that nothing read yet, or None.

    A TLS 1.3 server that refuses a missing client certificate sends its
    alert once the client's side of the handshake is done, then closes. If
    the client's first request is still unread there, the close turns into
    a reset; writing the request fails, and no later read reaches the
    alert. The kernel still holds the bytes that came before the reset:
    this reads what is ready, without waiting (not a checkpoint), and
    returns the error OpenSSL raises for it. What it reads is gone for the
    stream: call it only on a connection that is being closed anyway.
    """
    if isinstance(stream, TLSSocketStream):
        return stream.pending_alert()
    return None


def next_read_size(current: int, received: int, maximum: int) -> int:
    """How many bytes a connection's next read asks for, after one of ``current``.

    A read that came back full suggests more is waiting: ask for twice as
    much, up to ``maximum``. A read that came back with less than
    :data:`MIN_READ_SIZE` took everything there was (a small response, a
    body's tail): start small again. Anything between keeps the size. So a
    small response never costs a large buffer (CPython allocates the whole
    ask before the read; from 128 KiB on, glibc maps and unmaps it for every
    read), and a download reaches ``maximum`` within a few reads.
    """
    if received >= current:
        return min(current * 2, maximum)
    if received < MIN_READ_SIZE:
        return min(MIN_READ_SIZE, maximum)
    return current


@final
class Receiver:
    """Receives from a connection's stream, sizing reads to the traffic.

    Each :attr:`receive` is one ``receive_some``, which takes everything
    ready already, up to the read size: on a TLS connection over TCP
    (:class:`~._net_tls.TLSSocketStream`) that is every record at hand,
    decrypted in one call. The size adapts (:func:`next_read_size`):
    16 KiB first, doubling while reads come back full, up to ``max_bytes``.
    So a small response never costs a large buffer and a download reaches
    ``max_bytes`` within a few reads. :meth:`receive_pieces` reads the same
    way into a scratch buffer and copies the bytes out once, cut where the
    reader's chunks end.

    Between calls a Receiver holds nothing. Over TLS, OpenSSL may hold the
    rest of one record (16 KiB at most) when a read stopped at the size;
    its record buffers exist only while a record is in flight (CPython sets
    ``SSL_MODE_RELEASE_BUFFERS``), and no ciphertext waits in memory: OpenSSL
    reads the socket itself.

    Only one task may receive at a time, as with any Trio stream.

    Args:
        stream: the connection's stream.
        max_bytes: the most one :attr:`receive` returns.
    """

    __slots__ = ("_max_bytes", "_read_size", "_socket", "_stream")

    def __init__(self, stream: trio.abc.Stream, max_bytes: int) -> None:
        self._stream = stream
        self._max_bytes = max_bytes
        self._read_size = min(MIN_READ_SIZE, max_bytes)
        # A plain TCP socket is read on its descriptor by receive_pieces.
        self._socket: trio.socket.SocketType | None = None
        if _DIRECT_IO and type(stream) is trio.SocketStream:
            self._socket = stream.socket

    @property
    def read_size(self) -> int:
        """Bytes the next read asks for (see :func:`next_read_size`)."""
        return self._read_size

    def note_read(self, received: int) -> None:
        """Adapt to a read of :attr:`read_size` bytes made elsewhere on the socket."""
        self._read_size = next_read_size(self._read_size, received, self._max_bytes)

    async def receive(self) -> bytes | bytearray:
        """Up to ``max_bytes`` of what the peer sent, ``b""`` at the end.

        A checkpoint; raises what the stream's ``receive_some`` raises.
        """
        current = self._read_size
        data = await self._stream.receive_some(current)
        self._read_size = next_read_size(current, len(data), self._max_bytes)
        return data

    async def receive_pieces(self, first: int, piece: int | None) -> list[bytes]:
        """As :attr:`receive`, cut as :func:`~._net_scratch.cut_pieces` cuts; ``[]`` at the end.

        On a plain TCP socket (POSIX) or TLS over one, the read lands in
        this thread's scratch buffer and each piece is its one copy, so a
        reader that wants ``piece``-sized chunks re-chunks nothing. Other
        streams (TLS inside a proxy's tunnel) return their read whole.
        """
        current = self._read_size
        stream = self._stream
        if isinstance(stream, TLSSocketStream):
            pieces = await stream.receive_pieces(current, first, piece)
        elif self._socket is not None:
            pieces = await self._read_socket(current, first, piece)
        else:
            data = await stream.receive_some(current)
            pieces = [bytes(data)] if data else []
        received = len(pieces[0]) if len(pieces) == 1 else sum(map(len, pieces))
        self._read_size = next_read_size(current, received, self._max_bytes)
        return pieces

    async def _read_socket(self, size: int, first: int, piece: int | None) -> list[bytes]:
        # Trio's pattern: try first, a checkpoint either way; cancellation
        # leaves nothing read. The read and the cut are one synchronous step.
        await trio.lowlevel.checkpoint_if_cancelled()
        pieces = self._read_socket_nowait(size, first, piece)
        if pieces is not None:
            await trio.lowlevel.cancel_shielded_checkpoint()
            return pieces
        while True:
            assert self._socket is not None
            await trio.lowlevel.wait_readable(self._socket)
            pieces = self._read_socket_nowait(size, first, piece)
            if pieces is not None:
                return pieces

    def _read_socket_nowait(self, size: int, first: int, piece: int | None) -> list[bytes] | None:
        assert self._socket is not None
        fd = self._socket.fileno()  # afresh: a closed socket answers -1
        if fd < 0:
            raise trio.ClosedResourceError("the connection was closed")
        view = scratch_buffer(size)
        try:
            count = os.readv(fd, [view])
        except BlockingIOError:
            return None
        return cut_pieces(view[:count], first, piece)

    def has_ready(self) -> bool:
        """Whether the next :attr:`receive` will return at once (no waiting).

        A hint, never a promise: plaintext OpenSSL decrypted already, or a
        readable socket, counts.
        """
        stream = self._stream
        if isinstance(stream, TLSSocketStream) and stream.has_pending():
            return True
        return socket_readable(stream, if_broken=False)


@final
class DirectSocket:
    """An HTTP/1.1 request head's write and its response head's read, on the descriptor.

    Trio's ``send_all`` ends every send with a trip through the scheduler,
    and ``receive_some`` tries a read before it waits. A head of a few
    hundred bytes nearly always fits the socket buffer, and its response is
    not there yet when it has just gone out. So on a plain TCP socket
    (POSIX) the head goes out with one non-blocking write, and the response
    is read after waiting for readability: two scheduler trips fewer per
    request. Anything else goes through the stream and ``receiver``.

    Args:
        stream: the connection's stream.
        receiver: the connection's :class:`Receiver`; direct reads adapt its size.
    """

    __slots__ = ("_receiver", "_socket", "_stream")

    def __init__(self, stream: trio.abc.Stream, receiver: Receiver) -> None:
        self._stream = stream
        self._receiver = receiver
        self._socket: trio.socket.SocketType | None = None
        if _DIRECT_IO and type(stream) is trio.SocketStream:
            self._socket = stream.socket

    def _fd(self) -> int:
        # Asked afresh for every use: a closed socket answers -1, so a number
        # the OS has handed out again is never written to.
        sock = self._socket
        return -1 if sock is None else sock.fileno()

    async def send_head(self, data: bytes) -> bool:
        """Send ``data``, with one non-blocking write first when direct.

        A checkpoint only when that write did not take everything (the rest
        goes through ``send_all``): reading the response is the one after.

        Returns:
            True when the one write took everything (no time passed waiting).

        Raises:
            What ``os.write`` or the stream's ``send_all`` raises.
        """
        fd = self._fd()
        if fd >= 0:
            try:
                sent = os.write(fd, data)
            except BlockingIOError:
                sent = 0
            if sent == len(data):
                return True
            data = data[sent:]
        await self._stream.send_all(data)
        return False

    async def send_all(self, pieces: Sequence[bytes]) -> None:
        """Send ``pieces``, in order, as one stream of bytes; a checkpoint.

        Direct: gathered non-blocking writes (``writev``: the pieces are
        never joined), waiting for writability whenever the socket buffer
        is full, so a large body costs one write per buffer's worth and two
        scheduler trips in all, not two per write. Otherwise the pieces are
        joined and go through the stream's ``send_all`` (over TLS, one
        record for a chunk and its framing). Cancellation may leave part
        sent: the connection is then mid-request, for the caller to close.

        Raises:
            trio.ClosedResourceError: the socket was closed meanwhile;
            OSError; or what the stream's ``send_all`` raises.
        """
        if self._fd() < 0:
            await self._stream.send_all(pieces[0] if len(pieces) == 1 else b"".join(pieces))
            return
        await trio.lowlevel.checkpoint_if_cancelled()
        views = [memoryview(piece) for piece in pieces if piece]
        while views:
            fd = self._fd()
            if fd < 0:
                raise trio.ClosedResourceError("the connection was closed")
            try:
                sent = os.writev(fd, views)
            except BlockingIOError:
                await trio.lowlevel.wait_writable(fd)
                continue
            while sent:
                first = len(views[0])
                if sent < first:
                    views[0] = views[0][sent:]
                    break
                sent -= first
                del views[0]
        await trio.lowlevel.cancel_shielded_checkpoint()

    async def receive_due(self) -> bytes | bytearray:
        """The next bytes of a response that is due and not yet here; a checkpoint.

        Direct: waits for readability, then reads :attr:`Receiver.read_size`
        once. Cancellation leaves nothing read.

        Raises:
            trio.ClosedResourceError: the socket was closed while waiting;
            OSError; or what ``receiver`` raises.
        """
        fd = self._fd()
        if fd < 0:
            return await self._receiver.receive()
        receiver = self._receiver
        while True:
            await trio.lowlevel.wait_readable(fd)
            # Closed while this task was being woken? Then the number may
            # already belong to another socket: never read it.
            fd = self._fd()
            if fd < 0:
                raise trio.ClosedResourceError("the connection was closed")
            try:
                data = os.read(fd, receiver.read_size)
            except BlockingIOError:
                continue  # woken with nothing to read: wait again
            receiver.note_read(len(data))
            return data
