"""What ``trio-http`` prints: heads on stderr, bodies on stdout.

The status line and headers (and with ``-v`` each request head) go to
stderr, the body to stdout, so a pipe or a redirect gets the body alone.
Where stdout is a terminal the body is shown for a person: JSON
pretty-printed and coloured, text decoded with terminal control characters
defused, binary replaced by a one-line note. Piped, the body is written
as it arrived (content encodings undone), chunk by chunk.

rich is imported here and in the other ``_cli_*`` modules only; the
library never needs it.
"""

from __future__ import annotations

import codecs
import enum
import json
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import BinaryIO

from rich.console import Console
from rich.highlighter import JSONHighlighter
from rich.text import Text

import trio_http

from ._cli_commands import PROG

__all__ = ["BodyKind", "Output", "body_kind", "describe", "looks_binary", "printable"]

SNIFF_BYTES = 1024  # bytes of a body without a Content-Type looked at to call it binary
TEXT_TYPES = frozenset(
    {
        "application/javascript",
        "application/x-ndjson",
        "application/x-www-form-urlencoded",
        "application/xml",
        "application/yaml",
        "image/svg+xml",
    }
)

# C0 controls but tab and newline, DEL and the C1 controls would let a body
# drive the terminal (move the cursor, retitle the window, ...): each shows
# as U+FFFD. A carriage return is dropped, so CRLF text reads as LF text.
_DEFUSE: dict[int, str | None] = {
    code: "\ufffd" for code in [*range(0x20), *range(0x7F, 0xA0)] if code not in (9, 10)
}
_DEFUSE[13] = None


def printable(text: str) -> str:
    """``text`` with the characters that would control a terminal defused."""
    return text.translate(_DEFUSE)


def describe(exc: BaseException) -> str:
    """``"<type>: <message>"`` on one line, as errors are reported."""
    message = " ".join(printable(str(exc)).split())
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


class BodyKind(enum.Enum):
    """How a body is shown on a terminal, by its Content-Type."""

    JSON = "json"
    TEXT = "text"
    BINARY = "binary"
    UNKNOWN = "unknown"  # no Content-Type: decided by looking at the bytes


def body_kind(content_type: str | None) -> BodyKind:
    """The kind of body a ``Content-Type`` value announces."""
    if not content_type:
        return BodyKind.UNKNOWN
    media_type, _, parameters = content_type.partition(";")
    media_type = media_type.strip().lower()
    if media_type == "application/json" or media_type.endswith("+json"):
        return BodyKind.JSON
    if (
        media_type.startswith("text/")
        or media_type in TEXT_TYPES
        or media_type.endswith("+xml")
        or "charset=" in parameters.lower()
    ):
        return BodyKind.TEXT
    return BodyKind.BINARY


def looks_binary(sample: bytes) -> bool:
    """Whether the first bytes of a body are not UTF-8 text."""
    sample = sample[:SNIFF_BYTES]
    if b"\0" in sample:
        return True
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A character cut off by the end of the sample is still text.
        return exc.reason != "unexpected end of data"
    return False


def _status_style(status_code: int) -> str:
    if status_code >= 400:
        return "bold red"
    if status_code >= 300:
        return "bold yellow"
    return "bold green"


def _text_encoding(response: trio_http.Response) -> str:
    encoding = response.charset_encoding or "utf-8"
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        return "utf-8"


@dataclass(slots=True)
class Output:
    """The command's two output streams, as rich consoles, plus stdout's bytes."""

    stdout: Console
    stderr: Console
    stdout_bytes: BinaryIO

    @classmethod
    def from_process(cls) -> Output:
        """Consoles on this process's stdout and stderr (colour where a terminal)."""
        return cls(
            stdout=Console(highlight=False, soft_wrap=True),
            stderr=Console(stderr=True, highlight=False, soft_wrap=True),
            stdout_bytes=sys.stdout.buffer,
        )

    def note(self, message: str) -> None:
        """One line about what the command did, on stderr."""
        self.stderr.print(Text(f"{PROG}: {printable(message)}", style="dim"))

    def error(self, message: str) -> None:
        """The one line of a failure: ``trio-http: error: <message>``."""
        line = " ".join(printable(message).split())
        self.stderr.print(Text(f"{PROG}: error: {line}", style="red"))

    # -- heads ---------------------------------------------------------------

    def print_request(self, request: trio_http.Request, http_version: str) -> None:
        """The request line, headers (Host first) and an in-memory body."""
        head = Text()
        target = request.url.target.decode("ascii")
        head.append(f"{request.method} {printable(target)} {http_version}", style="bold")
        pairs = request.headers.multi_items()
        for name, value in sorted(pairs, key=lambda pair: pair[0].lower() != "host"):
            head.append("\n")
            head.append(name, style="cyan")
            head.append(f": {printable(value)}")
        self.stderr.print(head)
        try:
            # The bytes sent, whatever type requests' ``body`` shows them as.
            body = request.content
        except trio_http.ResponseNotRead:
            body = b""  # a streamed body is not shown
        if body:
            shown = f"[{len(body):,} bytes of binary data]"
            if not looks_binary(body):
                shown = printable(body.decode("utf-8", "replace"))
            self.stderr.print()
            self.stderr.print(Text(shown))
        self.stderr.print()

    def print_response(self, response: trio_http.Response) -> None:
        """The status line and headers, then a blank line."""
        head = Text()
        status = f"{response.http_version} {response.status_code} {response.reason_phrase}"
        head.append(printable(status.rstrip()), style=_status_style(response.status_code))
        for name, value in response.headers.multi_items():
            head.append("\n")
            head.append(name, style="cyan")
            head.append(f": {printable(value)}")
        self.stderr.print(head)
        self.stderr.print()

    # -- bodies --------------------------------------------------------------

    async def write_body(self, response: trio_http.Response) -> None:
        """Stream the body to stdout: as it is when piped, for reading on a terminal.

        A checkpoint. Cancellation leaves part of the body written.
        """
        chunks = response.aiter_bytes()
        if not self.stdout.is_terminal:
            async for chunk in chunks:
                self.stdout_bytes.write(chunk)
                self.stdout_bytes.flush()  # a reader of a stream sees each chunk
            return
        first = b""
        async for first in chunks:
            if first:
                break
        if not first:
            return
        kind = body_kind(response.headers.get("content-type"))
        if kind is BodyKind.UNKNOWN:
            kind = BodyKind.BINARY if looks_binary(first) else BodyKind.TEXT
        elif kind is not BodyKind.BINARY and b"\0" in first[:SNIFF_BYTES]:
            kind = BodyKind.BINARY
        if kind is BodyKind.BINARY:
            await self._binary_note(response, first, chunks)
        elif kind is BodyKind.JSON:
            rest = [chunk async for chunk in chunks]
            self._show_json(b"".join([first, *rest]), _text_encoding(response))
        else:
            await self._show_text(first, chunks, _text_encoding(response))

    def _show_json(self, body: bytes, encoding: str) -> None:
        try:
            document = json.loads(body)
        except ValueError:
            self._end_line(self._print_text(body.decode(encoding, "replace"), True))
            return
        pretty = printable(json.dumps(document, indent=2, ensure_ascii=False))
        text = JSONHighlighter()(Text(pretty))
        text.no_wrap = True
        self.stdout.print(text)

    async def _show_text(self, first: bytes, rest: AsyncIterator[bytes], encoding: str) -> None:
        decoder = codecs.getincrementaldecoder(encoding)("replace")
        ends_line = self._print_text(decoder.decode(first), True)
        async for chunk in rest:
            ends_line = self._print_text(decoder.decode(chunk), ends_line)
        self._end_line(self._print_text(decoder.decode(b"", final=True), ends_line))

    def _print_text(self, text: str, ends_line: bool) -> bool:
        """Print ``text`` as it is; return whether the output now ends a line."""
        if not text:
            return ends_line
        self.stdout.print(Text(printable(text)), end="")
        return text.endswith("\n")

    def _end_line(self, ends_line: bool) -> None:
        if not ends_line:
            self.stdout.print()  # the shell's prompt starts on a line of its own

    async def _binary_note(
        self, response: trio_http.Response, first: bytes, rest: AsyncIterator[bytes]
    ) -> None:
        length = response.headers.get("content-length")
        if length is not None and length.isdigit() and "content-encoding" not in response.headers:
            size = int(length)  # no need to download it all to say how big it is
        else:
            size = len(first) + sum([len(chunk) async for chunk in rest])
        content_type = response.headers.get("content-type") or "no Content-Type"
        self.note(
            f"binary body not shown on a terminal: {size:,} bytes, {content_type} "
            "(save it with -o FILE or a redirect)"
        )
