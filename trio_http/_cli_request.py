"""``trio-http [METHOD] URL``: send one request, show or save the response.

How this works. The request is built first, so that a URL or header that
cannot be sent is a usage error (exit 2) and nothing goes on the wire.
It is then sent with its body unread: the heads are printed (every hop's
with ``-v``), and the body streams to stdout or, with ``-o``, into a file.
``--check-status`` turns the final status into the exit code; a body it
rejects is still shown, but not saved as a download.
"""

from __future__ import annotations

from pathlib import Path

import trio_http

from ._cli_commands import RequestCommand, UsageError
from ._cli_download import DOWNLOAD_HEADERS, download
from ._cli_exits import ExitCode, exit_code_for_status
from ._cli_output import Output

__all__ = ["run_request"]

JSON_HEADERS = (("Content-Type", "application/json"), ("Accept", "application/json, */*;q=0.5"))


def _build(client: trio_http.AsyncClient, command: RequestCommand) -> trio_http.Request:
    defaults: list[tuple[str, str]] = []
    content = command.content
    if command.download is not None:
        defaults += DOWNLOAD_HEADERS
    if command.json_text is not None:
        defaults += JSON_HEADERS
        content = command.json_text.encode()
    # The client's headers (-H) would lose to the request's: drop ours first.
    given = {name.lower() for name, _ in command.client.headers}
    headers = [pair for pair in defaults if pair[0].lower() not in given]
    try:
        return client.build_request(
            command.method,
            command.url,
            params=list(command.params) or None,
            headers=headers,
            content=content,
            data=None if command.form is None else list(command.form),
        )
    except trio_http.RequestException as exc:
        raise UsageError(f"{type(exc).__name__}: {exc}") from exc


async def run_request(command: RequestCommand, output: Output) -> ExitCode:
    """Send the command's request and print or save the response.

    A checkpoint.

    Raises:
        UsageError: the request cannot be built from the arguments.
        trio_http.RequestException: the exchange failed.
        OSError: the download could not be written (nothing is left under
            its name).
    """
    async with command.client.open_client() as client:
        request = _build(client, command)
        response = await client.send(request, stream=True)
        try:
            if command.verbose:
                for hop in [*response.history, response]:
                    if hop.request is not None:
                        output.print_request(hop.request, hop.http_version)
                    output.print_response(hop)
            elif not command.quiet:
                output.print_response(response)
            status = ExitCode.OK
            if command.check_status:
                status = exit_code_for_status(response.status_code)
            if command.download is None:
                await output.write_body(response)
            elif status is ExitCode.OK:
                target = Path(command.download)
                size = await download(response, target, output.stderr)
                output.note(f"saved {size:,} bytes to {target}")
        finally:
            await response.aclose()
    return status
