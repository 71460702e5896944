"""Every path that reads or writes a connection around Trio's streams.

Reading is done through :class:`Receiver`, which takes every TLS record
already at hand per wake-up instead of one record per call, sizes reads to
the traffic, and bounds what a connection keeps in memory between reads.
:class:`DirectSocket` writes an HTTP/1.1 request head and reads its response
head on a plain TCP socket's descriptor. :func:`pending_tls_alert` reads
the alert a TLS server sent before it reset the connection. Streams are
opened in :mod:`._connect` and SSL contexts built in :mod:`._tls_context`;
both are re-exported here.
"""

from __future__ import annotations

import os
import ssl
import threading
from typing import TYPE_CHECKING, Any, final

import trio

from .._config import MIN_READ_SIZE, TLS_FEED_SIZE
from ._connect import negotiated_protocol, open_stream
from ._sockets import close_stream_nowait as close_stream_nowait
from ._sockets import socket_of as socket_of
from ._sockets import socket_readable as socket_readable
from ._tls_context import CertTypes, VerifyTypes, create_ssl_context

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Sequence

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

# RFC 8446 §5.1 (RFC 5246 §6.2.1 for TLS 1.2): a record carries at most 2^14
# bytes of plaintext, and OpenSSL's read returns one record at most.
_TLS_RECORD_PLAINTEXT = 16 * 1024


# -- helpers shared by the connection kinds -------------------------------

# What a broken or closed socket raises from send_all/receive_some.
IO_ERRORS = (trio.BrokenResourceError, trio.ClosedResourceError, OSError)

# Ciphertext is read from the socket into one scratch buffer per thread,
# not a new ``bytes`` per read: a read of a few hundred KiB would otherwise
# be a fresh allocation that glibc maps, faults in page by page and unmaps
# again. Safe to share: it is filled and fed to OpenSSL within one
# synchronous call (Receiver._decrypt_ready), and a tail kept for the next
# call is copied out first.
_scratch = threading.local()


def _scratch_buffer(size: int) -> memoryview:
    """A writable view of at least ``size`` bytes, reused within this thread."""
    buffer: bytearray | None = getattr(_scratch, "buffer", None)
    if buffer is None or len(buffer) < size:
        buffer = _scratch.buffer = bytearray(size)
    return memoryview(buffer)


def pending_tls_alert(stream: trio.abc.Stream) -> ssl.SSLError | None:
    """The TLS alert the server sent that nothing read yet, or None.

    A TLS 1.3 server that refuses a missing client certificate sends its
    alert once the client's side of the handshake is done, then closes. If
    the client's first request is still unread there, the close turns into
    a reset; Trio marks the stream broken when writing the request fails,
    and no later read reaches the alert. The kernel still holds the bytes
    that came before the reset: this reads what is ready, without waiting
    (not a checkpoint), hands it to OpenSSL and returns the error OpenSSL
    raises for it. What it reads is gone for the stream: call it only on a
    connection that is being closed anyway.
    """
    if not isinstance(stream, trio.SSLStream):
        return None
    ssl_object = getattr(stream, "_ssl_object", None)
    incoming = getattr(stream, "_incoming", None)
    sock = socket_of(stream)
    if not (
        isinstance(ssl_object, ssl.SSLObject)
        and isinstance(incoming, ssl.MemoryBIO)
        and sock is not None
    ):
        return None
    fd = sock.fileno()
    if fd < 0:
        return None
    try:
        ciphertext = os.read(fd, TLS_FEED_SIZE)
    except OSError:  # nothing ready, or reset with nothing left
        return None
    incoming.write(ciphertext)
    while True:
        try:
            if not ssl_object.read(_TLS_RECORD_PLAINTEXT):
                return None  # close_notify: a clean close, no alert
        except (ssl.SSLWantReadError, ssl.SSLZeroReturnError, ssl.SSLEOFError):
            return None
        except ssl.SSLError as exc:
            return exc


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
    """Receives from a stream, taking every TLS record already at hand at once.

    ``trio.SSLStream.receive_some`` decrypts one TLS record (16 KiB at most)
    per call, and a call that did not wait for the socket still ends with a
    trip through the scheduler: a 256 MiB download makes 16,384 of them. So
    :attr:`receive` makes one awaited ``receive_some``, then goes on without
    awaiting: it decrypts the records already in the TLS buffer, and moves
    what the socket holds into that buffer with non-blocking reads, until it
    has ``max_bytes`` of plaintext or nothing more is ready. On a plain
    stream it is one ``receive_some``, which reads everything ready already;
    its size adapts (:func:`next_read_size`): 16 KiB first, doubling while
    reads come back full, up to ``max_bytes``.

    Memory, per connection (OpenSSL 3.0, measured with ``mallinfo2``):

    * OpenSSL's record buffers (about 17 KiB each way) exist only while a
      record is in flight: CPython sets ``SSL_MODE_RELEASE_BUFFERS`` on
      every context. The rest of an idle connection's OpenSSL state is
      about 28 KiB.
    * The incoming ``ssl.MemoryBIO`` keeps its buffer for the connection's
      whole life, at 4/3 of the most ciphertext it ever held at once: it
      grows and never shrinks. So ciphertext goes in at most
      :data:`TLS_FEED_SIZE` (64 KiB) at a time, and only once OpenSSL has
      taken everything before it; Trio's own reads feed 64 KiB too. **That
      buffer stays at or below 87,384 bytes (85.3 KiB)**; one 256 KiB feed
      per read, as before, grew it to 341 KiB.
    * Between calls a Receiver holds no data, except while the peer sends
      faster than the caller asks: ciphertext it read from the socket but
      had no room to decrypt under ``max_bytes`` waits for the next call,
      32 KiB at most (each socket read asks for what fills ``max_bytes``
      plus one record). A connection whose response was read to its end
      holds none (:attr:`buffered`).

    Within one call (synchronous, so one connection at a time per thread)
    the plaintext (``max_bytes``) and one socket read (as much and a
    record) are held. The socket read lands in one scratch buffer per
    thread, reused by every connection (272 KiB with the default
    ``max_bytes``), not in a new allocation per read.

    This reads two private attributes of ``trio.SSLStream``: its
    ``ssl.SSLObject`` and the ``ssl.MemoryBIO`` feeding it. Both are checked
    by type, and a stream without them is read one record per call as
    before (``tests/test_net.py`` fails when the installed Trio lacks them,
    so the fast path cannot be lost silently).

    Only one task may receive at a time, as with any Trio stream.

    Args:
        stream: the connection's stream.
        max_bytes: the most plaintext one :attr:`receive` returns.
    """

    __slots__ = (
        "_error",
        "_incoming",
        "_max_bytes",
        "_read_size",
        "_socket",
        "_ssl_object",
        "_stream",
        "_unfed",
        "receive",
    )

    #: ``await receive()``: up to ``max_bytes`` of what the peer sent, ``b""``
    #: at the end. A checkpoint; raises what the stream's ``receive_some``
    #: raises.
    receive: Callable[[], Awaitable[bytes | bytearray]]

    def __init__(self, stream: trio.abc.Stream, max_bytes: int) -> None:
        self._stream = stream
        self._max_bytes = max_bytes
        self._read_size = min(MIN_READ_SIZE, max_bytes)
        # What broke while decrypting ahead; raised by the next receive(),
        # after the plaintext that came before it was handed out.
        self._error: BaseException | None = None
        # Ciphertext read from the socket and not yet fed to OpenSSL.
        self._unfed: memoryview | None = None
        self._ssl_object: ssl.SSLObject | None = None
        self._incoming: ssl.MemoryBIO | None = None
        self._socket: Any = None
        if isinstance(stream, trio.SSLStream):
            ssl_object = getattr(stream, "_ssl_object", None)
            incoming = getattr(stream, "_incoming", None)
            if isinstance(ssl_object, ssl.SSLObject) and isinstance(incoming, ssl.MemoryBIO):
                self._ssl_object = ssl_object
                self._incoming = incoming
                transport = stream.transport_stream
                if isinstance(transport, trio.SocketStream):
                    # TLS over a proxy's TLS tunnel only drains its buffer.
                    self._socket = transport.socket
        if self._ssl_object is None:
            self.receive = self._receive_plain
        else:
            self.receive = self._receive_tls

    @property
    def drains_tls(self) -> bool:
        """True when :attr:`receive` takes several TLS records per call."""
        return self._ssl_object is not None

    @property
    def read_size(self) -> int:
        """Bytes the next read of a plain socket asks for (see :func:`next_read_size`)."""
        return self._read_size

    @property
    def buffered(self) -> int:
        """Bytes this Receiver holds between calls: ciphertext it read ahead."""
        unfed = self._unfed
        return 0 if unfed is None else len(unfed)

    def note_read(self, received: int) -> None:
        """Adapt to a read of :attr:`read_size` bytes made elsewhere on the socket."""
        self._read_size = next_read_size(self._read_size, received, self._max_bytes)

    async def _receive_plain(self) -> bytes | bytearray:
        current = self._read_size
        data = await self._stream.receive_some(current)
        self._read_size = next_read_size(current, len(data), self._max_bytes)
        return data

    async def _receive_tls(self) -> bytes | bytearray:
        if self._unfed is not None:
            # Ciphertext read ahead must reach OpenSSL before anything Trio
            # reads from the socket. Trio's own pattern: a checkpoint
            # before taking data, and one that cannot be cancelled after.
            await trio.lowlevel.checkpoint_if_cancelled()
            data = self._decrypt_ready(b"")
            if data:
                await trio.lowlevel.cancel_shielded_checkpoint()
                return data
            # It ended inside a record: wait for the rest through Trio.
        error = self._error
        if error is not None:
            self._error = None
            await trio.lowlevel.checkpoint()
            raise error
        # One record at most comes back whatever the ask; a larger ask only
        # makes CPython allocate (and shrink) a larger buffer.
        data = await self._stream.receive_some(min(self._max_bytes, _TLS_RECORD_PLAINTEXT))
        if not data:
            return data
        return self._decrypt_ready(data)

    def _decrypt_ready(self, first: bytes | bytearray) -> bytes | bytearray:
        assert self._ssl_object is not None and self._incoming is not None
        read, feed = self._ssl_object.read, self._incoming.write
        limit = self._max_bytes
        size = len(first)
        parts: list[bytes | bytearray] | None = None
        unfed, self._unfed = self._unfed, None
        while size < limit:
            try:
                more = read(min(limit - size, _TLS_RECORD_PLAINTEXT))
            except ssl.SSLWantReadError:
                # OpenSSL took everything its buffer held: the one moment
                # more goes in, a slice at a time (see the class docstring).
                # The socket is read in one large piece all the same: each
                # read costs a syscall and wakes the sending side.
                if not unfed:
                    # Enough to reach the limit, and the rest of a record.
                    unfed = self._read_socket_nowait(limit - size + _TLS_RECORD_PLAINTEXT)
                    if not unfed:
                        break
                feed(unfed[:TLS_FEED_SIZE])
                unfed = unfed[TLS_FEED_SIZE:]
                continue
            except ssl.SSLError as exc:
                # Trio's rule (https_compatible=True): EOF without
                # close_notify is an EOF; anything else breaks the stream.
                if not isinstance(exc, ssl.SSLEOFError):
                    self._error = trio.BrokenResourceError(f"TLS error: {exc}")
                    self._error.__cause__ = exc
                return self._joined(first, parts)  # nothing after it counts
            if not more:
                # close_notify: the next receive_some returns b"".
                return self._joined(first, parts)
            if parts is None:
                parts = [first]
            parts.append(more)
            size += len(more)
        if unfed:
            # The limit came first: the rest is the next call's. A copy, so
            # that the whole socket read is not kept for a small tail.
            self._unfed = memoryview(bytes(unfed))
        return self._joined(first, parts)

    @staticmethod
    def _joined(
        first: bytes | bytearray, parts: list[bytes | bytearray] | None
    ) -> bytes | bytearray:
        return first if parts is None else b"".join(parts)

    def _read_socket_nowait(self, max_bytes: int = TLS_FEED_SIZE) -> memoryview | None:
        """What the socket holds now, up to ``max_bytes``; None when nothing is ready.

        The bytes are in this thread's scratch buffer: feed them to OpenSSL
        (or copy them) before the next read. An EOF reads as nothing: the
        socket reports it again to the next awaited read, which handles it
        the way Trio does.
        """
        sock = self._socket
        if sock is None:
            return None
        fd = sock.fileno()  # afresh: a closed socket answers -1
        if fd < 0:
            return None
        view = _scratch_buffer(max_bytes)[:max_bytes]
        try:
            count = os.readv(fd, [view])
        except BlockingIOError:
            return None
        except OSError as exc:
            self._error = trio.BrokenResourceError(f"socket error: {exc}")
            self._error.__cause__ = exc
            return None
        return view[:count] if count else None

    def has_ready(self) -> bool:
        """Whether the next :attr:`receive` will return at once (no waiting).

        A hint, never a promise: plaintext decrypted ahead, ciphertext read
        ahead, or a readable socket, count; ciphertext already in OpenSSL's
        buffer does not (it may be short of a whole record).
        """
        ssl_object = self._ssl_object
        if ssl_object is not None and (ssl_object.pending() or self._unfed is not None):
            return True
        return socket_readable(self._stream, if_broken=False)


# Plain TCP sockets are written and read through their descriptor on POSIX.
_DIRECT_IO = os.name == "posix"


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
