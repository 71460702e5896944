"""Argument parsing of ``trio-http``: the options, their help and their syntax.

Two command shapes share one set of client options: ``trio-http [METHOD]
URL`` sends one request, ``trio-http fetch FILE`` downloads many. argparse
checks the syntax of each value here; :mod:`._cli_commands` turns the
result into a frozen command. Every problem is one line on stderr and exit
status 2, never argparse's usage block.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from typing import NoReturn

import trio_http

from ._cli_commands import (
    PROG,
    TOKEN,
    FetchCommand,
    RequestCommand,
    fetch_command,
    request_command,
)
from ._cli_exits import EXIT_CODE_HELP, ExitCode

__all__ = ["DEFAULT_MAX_IN_FLIGHT", "parse_command"]

DEFAULT_MAX_IN_FLIGHT = 10  # fetch: requests in flight at once


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One line, not argparse's usage block: the usage is one --help away.
        self.exit(ExitCode.USAGE, f"{PROG}: error: {message} (see '{self.prog} --help')\n")


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}")
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"seconds must be more than 0, got {text!r}")
    return value


def _count(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"not a whole number >= 1: {text!r}")
    return int(text)


def _pair(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"expected key=value, got {text!r}")
    return name, value


def _header(text: str) -> tuple[str, str]:
    name, sep, value = text.partition(":")
    name = name.strip()
    if not sep or not TOKEN.fullmatch(name):
        raise argparse.ArgumentTypeError(f"expected 'Name: value', got {text!r}")
    return name, value.strip()


def _repeatable(
    group: argparse._ActionsContainer,
    short: str,
    long: str,
    dest: str,
    parse: Callable[[str], tuple[str, str]],
    metavar: str,
    help: str,
) -> None:
    """An option that may be given many times; its values collect in a list."""
    group.add_argument(
        short,
        long,
        dest=dest,
        action="append",
        type=parse,
        metavar=metavar,
        help=f"{help} (repeatable)",
    )


def _add_client_options(parser: argparse.ArgumentParser) -> None:
    # Added to each parser rather than through parents=[...]: argparse does
    # not copy a mutually exclusive group nested in an argument group.
    group = parser.add_argument_group("client options")
    _repeatable(group, "-H", "--header", "headers", _header, "'NAME: VALUE'", "send this header")
    group.add_argument(
        "--auth", metavar="USER[:PASS]", help="HTTP basic auth (prompts when PASS is left out)"
    )
    group.add_argument(
        "--timeout",
        type=_seconds,
        metavar="SECONDS",
        help="limit for each phase: connect, each read and write, waiting for a "
        "pooled connection (default: connect 10, others 60)",
    )
    group.add_argument(
        "--total-timeout",
        type=_seconds,
        metavar="SECONDS",
        help="limit for the whole request, redirects and body included",
    )
    group.add_argument("--http2", action="store_true", help="offer HTTP/2 (over TLS, with ALPN)")
    verify = group.add_mutually_exclusive_group()
    verify.add_argument(
        "--no-verify", dest="verify", action="store_false", help="do not verify TLS certificates"
    )
    verify.add_argument("--cacert", metavar="FILE", help="trust the CA certificates in FILE")
    group.add_argument("--proxy", metavar="URL", help="send every request through this proxy")
    group.add_argument(
        "--follow",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="follow redirects (default: follow)",
    )
    group.add_argument("--version", action="version", version=f"{PROG} {trio_http.__version__}")


_REQUEST_EPILOG = f"""\
The status line and headers go to stderr and the body to stdout, so that
'trio-http URL > file' or '| jq' get the body alone. On a terminal JSON is
pretty-printed and coloured and binary bodies are not shown; piped, the body
is written as received (content encodings decoded).

examples:
  trio-http https://example.org/api/items -p page=2
  trio-http POST https://example.org/api/items --json '{{"name": "trio"}}'
  trio-http PUT https://example.org/upload --data @photo.jpg -H 'Content-Type: image/jpeg'
  trio-http https://example.org/big.iso -o big.iso
  trio-http fetch urls.txt --max-in-flight 50 --max-per-host 4 -o pages/

{EXIT_CODE_HELP}"""

_FETCH_EPILOG = f"""\
FILE holds one URL per line; blank lines and lines starting with '#' are
skipped; '-' reads standard input. Lines are read as downloads need them.
Each body is saved under a name taken from its URL's path, made safe and
unique for the run (an existing file of that name is replaced); a
response with an error status counts as a failure and is not saved. A
summary goes to stdout, a progress bar to stderr on a terminal.

{EXIT_CODE_HELP}"""


def _request_parser() -> _Parser:
    parser = _Parser(
        prog=PROG,
        usage=f"{PROG} [options] [METHOD] URL\n       {PROG} fetch [options] FILE",
        description="Send one HTTP request with trio_http and show the response.",
        epilog=_REQUEST_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "method_or_url",
        metavar="[METHOD] URL",
        help="the URL, with its scheme, after an optional request method "
        "(default: GET, or POST when a body is given)",
    )
    parser.add_argument("url", nargs="?", help=argparse.SUPPRESS)
    _add_client_options(parser)
    body = parser.add_argument_group("request body (one of)").add_mutually_exclusive_group()
    body.add_argument("--json", metavar="TEXT|@FILE", help="a JSON body (checked, sent as it is)")
    _repeatable(body, "-d", "--form", "form", _pair, "KEY=VALUE", "a form field, URL-encoded")
    body.add_argument("--data", metavar="TEXT|@FILE|@-", help="a raw body: text, a file, stdin")
    request = parser.add_argument_group("request and output")
    _repeatable(request, "-p", "--param", "params", _pair, "KEY=VALUE", "add a query parameter")
    request.add_argument(
        "-v", "--verbose", action="store_true", help="also show each request head (and body)"
    )
    request.add_argument("-q", "--quiet", action="store_true", help="do not show the response head")
    request.add_argument(
        "-o",
        "--download",
        metavar="FILE",
        help="save the body to FILE (progress bar on a terminal)",
    )
    request.add_argument(
        "--check-status", action="store_true", help="exit with 3, 4 or 5 on a 3xx, 4xx or 5xx"
    )
    return parser


def _fetch_parser() -> _Parser:
    parser = _Parser(
        prog=f"{PROG} fetch",
        usage=f"{PROG} fetch [options] FILE",
        description="Download many URLs at once, bounded in total and per host.",
        epilog=_FETCH_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("source", metavar="FILE", help="file of URLs, one per line; '-': stdin")
    _add_client_options(parser)
    parser.add_argument(
        "-o", "--output-dir", default=".", metavar="DIR", help="save into DIR (created if missing)"
    )
    parser.add_argument(
        "--max-in-flight",
        type=_count,
        default=DEFAULT_MAX_IN_FLIGHT,
        metavar="N",
        help=f"downloads in flight at once (default {DEFAULT_MAX_IN_FLIGHT})",
    )
    parser.add_argument(
        "--max-per-host", type=_count, metavar="N", help="downloads in flight per host"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="print a line per URL")
    return parser


def parse_command(argv: list[str]) -> RequestCommand | FetchCommand:
    """Turn the command-line words into a command.

    Raises:
        SystemExit: ``--help``, ``--version`` (status 0) or an argument
            argparse rejects (status 2, one line on stderr).
        UsageError: an argument that parses but cannot be used.
    """
    if argv[:1] == ["fetch"]:
        return fetch_command(_fetch_parser().parse_args(argv[1:]))
    return request_command(_request_parser().parse_intermixed_args(argv))
