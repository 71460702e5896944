"""Call a WSGI application (PEP 3333) in worker threads.

How this works. A WSGI app blocks, so every call into it runs in a worker
thread (``trio.to_thread.run_sync``, bounded by a capacity limiter). The
first hop calls the app and pulls its iterable up to the first non-empty
chunk, which is when PEP 3333 says the headers are sent; the caller gets the
:class:`Response` then. Each later read of the body is one more hop that
pulls one chunk, so a streaming app streams and a slow reader holds the app
back. A list or tuple result is handed over whole in the first hop.

Every hop of one request runs in the same :class:`contextvars.Context`, so
apps that keep request state in context variables (Flask) see it across
hops; thread-local state does not carry over, as hops may use different
threads.

``wsgi.input`` reads the request body on demand from the Trio side
(``trio.from_thread.run``), so an upload streams into the app too; a body
already in memory is served from a ``BytesIO`` with no hops at all.

A worker thread cannot be interrupted: cancelling a request waits for the
chunk being produced, then closes the iterable (``close()``, also in a
thread). Timeouts do not apply inside the app for the same reason.
"""

from __future__ import annotations

import contextvars
import io
import sys
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from typing import IO, TYPE_CHECKING, Any, final
from urllib.parse import unquote_to_bytes

import trio

from .._exceptions import ReadError
from .._headers import Headers
from .._response import Response
from .._streams import AsyncByteStream, BytesContent
from ._base import AsyncBaseTransport

if TYPE_CHECKING:
    from types import TracebackType

    from .._request import Request

__all__ = ["WSGIApp", "WSGITransport"]

ExcInfo = tuple[type[BaseException], BaseException, "TracebackType | None"]
StartResponse = Callable[..., Callable[[bytes], object]]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

# Headers that PEP 3333 puts in the environ without the HTTP_ prefix.
_UNPREFIXED = {"CONTENT_TYPE", "CONTENT_LENGTH"}


@final
class _WSGIInput(io.RawIOBase):
    """``wsgi.input`` for a streamed request body, read across threads."""

    def __init__(self, stream: AsyncIterator[bytes]) -> None:
        super().__init__()
        self._stream = stream
        self._buffer = bytearray()
        self._eof = False

    def readable(self) -> bool:
        return True

    def _fill(self) -> bool:
        """Fetch one more chunk from the Trio side; False at the end."""
        if self._eof:
            return False
        chunk = trio.from_thread.run(_next_chunk, self._stream)
        if chunk is None:
            self._eof = True
            return False
        self._buffer += chunk
        return True

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            while self._fill():
                pass
            data = bytes(self._buffer)
            self._buffer.clear()
            return data
        while len(self._buffer) < size and self._fill():
            pass
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        return data

    def readinto(self, buffer: Any) -> int:
        # Like a socket: whatever is buffered, else one chunk; 0 at the end.
        if not self._buffer:
            self._fill()
        count = min(len(buffer), len(self._buffer))
        buffer[:count] = self._buffer[:count]
        del self._buffer[:count]
        return count

    def readline(self, size: int | None = -1) -> bytes:
        while True:
            end = self._buffer.find(b"\n")
            if end >= 0 or not self._fill():
                break
        end = self._buffer.find(b"\n")
        cut = len(self._buffer) if end < 0 else end + 1
        if size is not None and size >= 0:
            cut = min(cut, size)
        data = bytes(self._buffer[:cut])
        del self._buffer[:cut]
        return data


async def _next_chunk(stream: AsyncIterator[bytes]) -> bytes | None:
    try:
        return await anext(stream)
    except StopAsyncIteration:
        return None


@final
class _Call:
    """One call of the app: its environ, start_response state and iterable.

    Its methods run in worker threads, one at a time.
    """

    def __init__(
        self,
        app: WSGIApp,
        environ: dict[str, Any],
        body_iterator: AsyncIterator[bytes] | None,
        limiter: trio.CapacityLimiter | None,
    ) -> None:
        self.app = app
        self.environ = environ
        self.body_iterator = body_iterator
        self.limiter = limiter
        self.status: str | None = None
        self.headers: list[tuple[str, str]] = []
        self.headers_sent = False
        self.written: list[bytes] = []
        self.result: Iterable[bytes] | None = None
        self.iterator: Iterator[bytes] | None = None
        self.context = contextvars.copy_context()

    def start_response(
        self,
        status: str,
        headers: list[tuple[str, str]],
        exc_info: ExcInfo | None = None,
    ) -> Callable[[bytes], object]:
        if exc_info is not None:
            if self.headers_sent:
                # PEP 3333: too late to change the response; re-raise.
                raise exc_info[1].with_traceback(exc_info[2])
        elif self.status is not None:
            raise RuntimeError("WSGI app called start_response twice without exc_info")
        if not isinstance(status, str) or len(status) < 3 or not status[:3].isdigit():
            raise RuntimeError(f"WSGI app passed an invalid status {status!r}")
        self.status = status
        self.headers = list(headers)
        return self.write

    def write(self, data: bytes) -> None:
        # The legacy write() callable: data goes out before the iterable's.
        if self.status is None:
            raise RuntimeError("WSGI app called write() before start_response")
        if data:
            self.written.append(bytes(data))

    def start(self) -> list[bytes]:
        """Call the app; pull up to the first non-empty chunk.

        Returns:
            the chunks so far (a list result is returned whole).
        """
        result = self.result = self.app(self.environ, self.start_response)
        if isinstance(result, (list, tuple)):
            chunks = [*self.written, *(bytes(chunk) for chunk in result if chunk)]
            self.written = []
            self._check_started()
            self.headers_sent = True
            self.iterator = None
            return chunks
        self.iterator = iter(result)
        return self.pull()

    def pull(self) -> list[bytes]:
        """The next non-empty chunk (with any written data); [] at the end."""
        chunks = self.written
        self.written = []
        iterator = self.iterator
        while not chunks and iterator is not None:
            chunk = next(iterator, None)
            if chunk is None:
                self.iterator = iterator = None
            elif chunk:
                chunks.append(bytes(chunk))
            if self.written:
                chunks[:0] = self.written
                self.written = []
        self._check_started()
        self.headers_sent = True
        return chunks

    def _check_started(self) -> None:
        if self.status is None:
            raise RuntimeError("WSGI app did not call start_response")

    def close_iterable(self) -> None:
        result, self.result, self.iterator = self.result, None, None
        close = getattr(result, "close", None)
        if close is not None:
            close()

    async def aclose(self) -> None:
        """Close the iterable (in a thread) and the request body. Shielded."""
        with trio.CancelScope(shield=True):
            try:
                if self.result is not None:
                    await trio.to_thread.run_sync(
                        self.context.run, self.close_iterable, limiter=self.limiter
                    )
            finally:
                body, self.body_iterator = self.body_iterator, None
                aclose = getattr(body, "aclose", None)
                if aclose is not None:
                    await aclose()


@final
class _WSGIResponseStream(AsyncByteStream):
    """The response body, pulled from the app's iterable chunk by chunk.

    Its own iterator, not an async generator: a reader that stops early
    leaves no suspended generator behind for the garbage collector.
    """

    __slots__ = ("_call", "_closed", "_pending", "_raise_app_exceptions")

    def __init__(self, call: _Call, first: list[bytes], raise_app_exceptions: bool) -> None:
        self._call = call
        # Chunks pulled from the app but not yet handed to the reader.
        self._pending = deque(first)
        self._raise_app_exceptions = raise_app_exceptions
        self._closed = False

    def __aiter__(self) -> _WSGIResponseStream:
        return self

    async def __anext__(self) -> bytes:
        call = self._call
        pending = self._pending
        while not pending:
            if self._closed or (call.iterator is None and not call.written):
                await self.aclose()
                raise StopAsyncIteration
            try:
                pending.extend(
                    await trio.to_thread.run_sync(call.context.run, call.pull, limiter=call.limiter)
                )
            except Exception as exc:
                await self.aclose()
                if self._raise_app_exceptions:
                    raise
                raise ReadError("the WSGI app failed while sending the response body") from exc
        return pending.popleft()

    async def aclose(self) -> None:
        if self._closed:
            await trio.lowlevel.checkpoint()
            return
        self._closed = True
        await self._call.aclose()


@final
class WSGITransport(AsyncBaseTransport):
    """Send requests to a WSGI application, run in worker threads.

    Needs no ``async with`` of its own: each call into the app is one
    ``trio.to_thread.run_sync`` made by the task reading the response::

        transport = trio_http.WSGITransport(flask_app)
        async with trio_http.AsyncClient(transport=transport) as client:
            r = await client.get("http://testserver/items")

    The response is returned once the app has produced its first body chunk
    (or finished); later chunks are pulled one per read. Closing the response
    calls the iterable's ``close()``, also when it was not read to the end.

    Args:
        app: the WSGI application.
        raise_app_exceptions: re-raise an exception the app raises (default).
            When false, an error before the first chunk becomes a 500
            response, and one later ends the body with
            :class:`~trio_http.ReadError`.
        script_name: ``SCRIPT_NAME``, where the app is mounted; stripped from
            the start of ``PATH_INFO``.
        remote_addr: ``REMOTE_ADDR``, the address the app sees as the client.
        wsgi_errors: the ``wsgi.errors`` stream (default ``sys.stderr``).
        limiter: bounds the worker threads this transport uses at once
            (default: Trio's default thread limiter).
    """

    def __init__(
        self,
        app: WSGIApp,
        *,
        raise_app_exceptions: bool = True,
        script_name: str = "",
        remote_addr: str = "127.0.0.1",
        wsgi_errors: IO[str] | None = None,
        limiter: trio.CapacityLimiter | None = None,
    ) -> None:
        self.app = app
        self.raise_app_exceptions = raise_app_exceptions
        self.script_name = script_name.rstrip("/")
        self.remote_addr = remote_addr
        self.wsgi_errors = wsgi_errors
        self.limiter = limiter

    def _build_environ(
        self, request: Request
    ) -> tuple[dict[str, Any], AsyncIterator[bytes] | None]:
        url = request.url
        # PEP 3333: PATH_INFO is the decoded path's bytes as latin-1.
        path = unquote_to_bytes(url.path or "/").decode("latin-1")
        script_name = self.script_name
        if script_name and (path == script_name or path.startswith(script_name + "/")):
            path = path[len(script_name) :]
        stream = request.stream
        body_iterator: AsyncIterator[bytes] | None = None
        wsgi_input: Any
        if type(stream) is BytesContent:
            wsgi_input = io.BytesIO(stream.body)
        else:
            body_iterator = aiter(stream)
            wsgi_input = _WSGIInput(body_iterator)
        environ: dict[str, Any] = {
            "REQUEST_METHOD": request.method,
            "SCRIPT_NAME": script_name,
            "PATH_INFO": path,
            "QUERY_STRING": url.query,
            "SERVER_NAME": url.host,
            "SERVER_PORT": str(url.effective_port),
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": self.remote_addr,
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": url.scheme,
            "wsgi.input": wsgi_input,
            "wsgi.errors": self.wsgi_errors if self.wsgi_errors is not None else sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            # Without Content-Length, the app reads wsgi.input to its end.
            "wsgi.input_terminated": True,
        }
        for name, value in request.headers.multi_items():
            key = name.upper().replace("-", "_")
            if key not in _UNPREFIXED:
                key = "HTTP_" + key
            previous = environ.get(key)
            environ[key] = value if previous is None else f"{previous},{value}"
        return environ, body_iterator

    async def handle_async_request(self, request: Request) -> Response:
        """Call the app in a worker thread; return at its first body chunk.

        A checkpoint. Cancellation waits for the app's current step, then
        closes its iterable.

        Raises:
            Exception: whatever the app raised, if ``raise_app_exceptions``
                (a ``RuntimeError`` when it never called ``start_response``).
        """
        environ, body_iterator = self._build_environ(request)
        call = _Call(self.app, environ, body_iterator, self.limiter)
        try:
            first = await trio.to_thread.run_sync(
                call.context.run, call.start, limiter=self.limiter
            )
        except Exception:
            await call.aclose()
            if self.raise_app_exceptions:
                raise
            return Response(500, request=request, headers=[("Content-Length", "0")])
        except BaseException:
            await call.aclose()
            raise
        assert call.status is not None
        code, _, reason = call.status.partition(" ")
        return Response(
            int(code),
            headers=Headers(call.headers),
            reason_phrase=reason or None,
            stream=_WSGIResponseStream(call, first, self.raise_app_exceptions),
            request=request,
        )
