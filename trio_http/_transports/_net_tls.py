"""TLS on the socket itself: OpenSSL reads and writes the descriptor.

``trio.SSLStream`` runs OpenSSL over memory buffers: every byte read from
the socket is copied into an ``ssl.MemoryBIO`` before OpenSSL decrypts it,
and every record comes back as its own ``bytes``. :class:`TLSSocketStream`
wraps the connection's socket in an ``ssl.SSLSocket`` in non-blocking mode
instead, as blocking clients do, and waits for the descriptor through Trio
when OpenSSL wants to read or write: OpenSSL takes the ciphertext straight
from the kernel, and the plaintext of every record at hand is decrypted
into one buffer per call. It is used for TLS to a server over TCP; TLS
inside a proxy's TLS tunnel has no descriptor of its own and stays on
``trio.SSLStream``.

Behaviour matches ``trio.SSLStream(..., https_compatible=True)``: an EOF
without close_notify reads as an EOF, a TLS or socket error raises
``trio.BrokenResourceError`` with the ``ssl.SSLError`` or ``OSError`` as its
cause, a send cancelled half way breaks the stream, and one task at a time
may send and one may receive. A read that makes OpenSSL send (a TLS 1.3
KeyUpdate's answer) waits for the socket to take it; a send that needs a
read first (a TLS 1.2 renegotiation) breaks the stream instead, so the
receiving and the sending task never wait on the same direction.
"""

from __future__ import annotations

import socket
import ssl
from typing import final

import trio

from ._net_scratch import cut_pieces, scratch_buffer

__all__ = ["TLSSocketStream"]

# Most plaintext one receive_some returns when the caller names no size.
_DEFAULT_RECEIVE = 64 * 1024
# Most plaintext one SSL_write is given: a retry after "want write" must
# repeat the same bytes, so a bounded slice keeps that simple.
_WRITE_SLICE = 256 * 1024

# Linux's tcp_states.h: the state a reset leaves a socket in.
_TCP_CLOSE = 7


def _was_reset(sock: ssl.SSLSocket, eof: ssl.SSLEOFError) -> bool:
    """Whether an EOF without close_notify was the peer resetting the connection.

    OpenSSL 3 names a TCP close it read (``UNEXPECTED_EOF_WHILE_READING``);
    a failed read of the socket it reports without a reason, and CPython
    loses the error number. Then the kernel's TCP state tells (Linux): a
    reset leaves the socket in CLOSE, a close in CLOSE_WAIT. Elsewhere an
    EOF is an EOF.
    """
    option = getattr(socket, "TCP_INFO", None)
    reason: str | None = eof.reason  # None for a failed read (typeshed says str)
    if reason is not None or option is None:
        return False
    try:
        info = sock.getsockopt(socket.IPPROTO_TCP, option, 8)
    except OSError:
        return False  # not TCP (a Unix socket)
    return len(info) > 0 and info[0] == _TCP_CLOSE


def _broken(exc: BaseException) -> trio.BrokenResourceError:
    error = trio.BrokenResourceError(f"TLS connection broke: {exc!r}")
    error.__cause__ = exc
    return error


@final
class TLSSocketStream(trio.abc.Stream):
    """A TLS connection whose OpenSSL reads and writes the socket directly.

    Made by :meth:`wrap`, which takes over a connected ``trio.SocketStream``;
    :meth:`do_handshake` completes the handshake.
    """

    __slots__ = (
        "_broken",
        "_closed",
        "_eof",
        "_error",
        "_read_wants_write",
        "_receiving",
        "_sending",
        "_tls",
    )

    def __init__(self, tls: ssl.SSLSocket) -> None:
        self._tls = tls
        self._closed = False
        self._eof = False
        # What broke while reading ahead, raised by the next receive_some
        # once the plaintext before it was handed out.
        self._error: BaseException | None = None
        # The connection broke: a read or write failed, or a send stopped
        # half way (part of a record may be out). Every later call raises
        # BrokenResourceError, as with trio.SSLStream.
        self._broken = False
        self._sending = False
        self._receiving = False
        self._read_wants_write = False

    @classmethod
    def wrap(
        cls, stream: trio.SocketStream, context: ssl.SSLContext, server_hostname: str
    ) -> TLSSocketStream:
        """Take over ``stream``'s socket for TLS; call :meth:`do_handshake` next.

        ``stream`` is left without a socket. Not a checkpoint.
        """
        trio_socket = stream.socket
        family, kind, proto = trio_socket.family, trio_socket.type, trio_socket.proto
        raw = socket.socket(family, kind, proto, fileno=trio_socket.detach())
        try:
            raw.setblocking(False)
            tls = context.wrap_socket(
                raw,
                server_hostname=server_hostname,
                do_handshake_on_connect=False,
                suppress_ragged_eofs=False,  # told apart from a reset below
            )
        except BaseException:
            raw.close()
            raise
        return cls(tls)

    async def do_handshake(self) -> None:
        """Complete the TLS handshake. A checkpoint.

        Raises:
            ssl.SSLError: the handshake failed (verification, protocol).
            OSError: the connection broke during the handshake.
        """
        tls = self._tls
        await trio.lowlevel.checkpoint_if_cancelled()
        while True:
            try:
                tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                await trio.lowlevel.wait_readable(tls)
            except ssl.SSLWantWriteError:
                await trio.lowlevel.wait_writable(tls)
        await trio.lowlevel.cancel_shielded_checkpoint()

    # -- what callers ask of a TLS connection ------------------------------

    @property
    def socket(self) -> ssl.SSLSocket:
        """The ``ssl.SSLSocket`` (non-blocking; do not read or write it)."""
        return self._tls

    @property
    def ssl_object(self) -> ssl.SSLSocket:
        """The object holding the connection's TLS state (certificates, cipher)."""
        return self._tls

    def selected_alpn_protocol(self) -> str | None:
        """The protocol the server chose by ALPN, or None."""
        return self._tls.selected_alpn_protocol()

    def has_pending(self) -> bool:
        """Whether plaintext is decrypted and waiting in OpenSSL (not a checkpoint)."""
        return not self._closed and self._tls.pending() > 0

    def pending_alert(self) -> ssl.SSLError | None:
        """The TLS alert the server sent that nothing read yet, or None. Not a checkpoint.

        What it reads is gone for the stream: for a connection being closed
        (see ``_net.pending_tls_alert``).
        """
        if self._closed:
            return None
        for _ in range(64):  # what a reset socket still holds: a few records
            try:
                if not self._tls.recv(16 * 1024):
                    return None  # close_notify: a clean close, no alert
            except (ssl.SSLWantReadError, ssl.SSLWantWriteError, ssl.SSLZeroReturnError):
                return None
            except ssl.SSLError as exc:
                return None if isinstance(exc, ssl.SSLEOFError) else exc
            except OSError:
                return None
        return None

    # -- receiving ----------------------------------------------------------

    async def receive_some(self, max_bytes: int | None = None) -> bytes:
        """Up to ``max_bytes`` of plaintext; ``b""`` at the end. A checkpoint.

        Every record already at hand (decrypted or in the socket) is taken
        in this one call, up to ``max_bytes``.
        """
        if max_bytes is None:
            max_bytes = _DEFAULT_RECEIVE
        if max_bytes < 1:
            raise ValueError("max_bytes must be >= 1")
        pieces = await self.receive_pieces(max_bytes, max_bytes, None)
        return pieces[0] if pieces else b""

    async def receive_pieces(self, max_bytes: int, first: int, piece: int | None) -> list[bytes]:
        """As :meth:`receive_some`, cut as :func:`~._net_scratch.cut_pieces` cuts.

        One copy of each byte: the records are decrypted into this thread's
        scratch buffer and copied out in pieces. ``[]`` at the end.
        """
        if self._receiving:
            raise trio.BusyResourceError("another task is already receiving on this stream")
        self._receiving = True
        try:
            await trio.lowlevel.checkpoint_if_cancelled()
            pieces = self._read_ready(max_bytes, first, piece)
            if pieces is not None:
                await trio.lowlevel.cancel_shielded_checkpoint()
                return pieces
            while True:
                if self._read_wants_write:
                    # OpenSSL must send (a TLS 1.3 KeyUpdate's answer, say)
                    # before it reads on, and the socket buffer is full.
                    await trio.lowlevel.wait_writable(self._tls)
                else:
                    await trio.lowlevel.wait_readable(self._tls)
                pieces = self._read_ready(max_bytes, first, piece)
                if pieces is not None:
                    return pieces
        finally:
            self._receiving = False

    def _read_ready(self, max_bytes: int, first: int, piece: int | None) -> list[bytes] | None:
        """Plaintext ready now, in pieces; ``[]`` at the end, None when nothing is ready."""
        if self._closed:
            raise trio.ClosedResourceError("the TLS connection was closed")
        error = self._error
        if error is not None:
            self._error = None
            raise error
        self._check_open()
        if self._eof:
            return []
        tls = self._tls
        self._read_wants_write = False
        view = scratch_buffer(max_bytes)
        got = 0
        while got < max_bytes:
            try:
                count = tls.recv_into(view[got:], max_bytes - got)
            except ssl.SSLWantReadError:
                break
            except ssl.SSLWantWriteError:
                self._read_wants_write = True
                break
            except ssl.SSLEOFError as exc:
                # The TCP connection ended without close_notify: an EOF,
                # as with https_compatible, unless the peer reset it.
                if not _was_reset(tls, exc):
                    self._eof = True
                    break
                reset = _broken(ConnectionResetError("connection reset by peer"))
                reset.__context__ = exc
                self._broken = True
                if not got:
                    raise reset
                self._error = reset
                break
            except (ssl.SSLError, OSError) as exc:
                self._broken = True
                if not got:
                    raise _broken(exc) from exc
                self._error = _broken(exc)
                break
            if not count:
                self._eof = True  # close_notify
                break
            got += count
        if got:
            return cut_pieces(view[:got], first, piece)
        return [] if self._eof else None

    # -- sending ------------------------------------------------------------

    async def send_all(self, data: bytes | bytearray | memoryview) -> None:
        """Send all of ``data``. A checkpoint; cancelled half way, the stream is broken."""
        if self._sending:
            raise trio.BusyResourceError("another task is already sending on this stream")
        self._sending = True
        try:
            await trio.lowlevel.checkpoint_if_cancelled()
            self._check_open()
            view = memoryview(data).cast("B")
            waited = False
            try:
                while view:
                    try:
                        sent = self._tls.send(view[:_WRITE_SLICE])
                    except ssl.SSLWantWriteError:
                        waited = True
                        await trio.lowlevel.wait_writable(self._tls)
                        continue
                    except ssl.SSLWantReadError as exc:
                        raise _broken(exc) from exc  # a TLS 1.2 renegotiation
                    except (ssl.SSLError, OSError) as exc:
                        raise _broken(exc) from exc
                    view = view[sent:]
            except BaseException:
                # Failed, or part of a record may be out: nothing can follow.
                self._broken = True
                raise
            if not waited:
                await trio.lowlevel.cancel_shielded_checkpoint()
        finally:
            self._sending = False

    def _check_open(self) -> None:
        if self._closed:
            raise trio.ClosedResourceError("the TLS connection was closed")
        if self._broken:
            raise trio.BrokenResourceError("the TLS connection is broken")

    async def wait_send_all_might_not_block(self) -> None:
        """Wait until the socket takes more. A checkpoint."""
        if self._closed:
            raise trio.ClosedResourceError("the TLS connection was closed")
        await trio.lowlevel.wait_writable(self._tls)

    # -- closing ------------------------------------------------------------

    def close(self) -> None:
        """Close the socket now, without close_notify. Not a checkpoint; idempotent.

        A task waiting on the socket gets ``trio.ClosedResourceError``.
        """
        if self._closed:
            return
        self._closed = True
        tls = self._tls
        if tls.fileno() >= 0:
            trio.lowlevel.notify_closing(tls)
        tls.close()

    async def aclose(self) -> None:
        """Send close_notify if the socket takes it at once, then close. A checkpoint."""
        if not (self._closed or self._broken) and self._tls.fileno() >= 0:
            try:
                self._tls.unwrap()
            except (ssl.SSLError, OSError, ValueError):
                pass  # the peer's close_notify is not waited for
        self.close()
        await trio.lowlevel.checkpoint()
