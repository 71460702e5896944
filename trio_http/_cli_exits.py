"""Exit codes of the ``trio-http`` command line, and what earns each.

A script tells failures apart by the exit status alone, so every code has
one meaning, listed in :data:`EXIT_CODE_HELP` (the ``--help`` epilog) and in
``docs/cli.rst``. Codes 3 to 5 follow the status class, like httpie's
``--check-status``; 2 is argparse's own code for bad usage; 130 is the
shell's convention for a program stopped by SIGINT (128 + 2).
"""

from __future__ import annotations

import enum

import trio_http

__all__ = ["EXIT_CODE_HELP", "ExitCode", "exit_code_for_error", "exit_code_for_status"]


class ExitCode(enum.IntEnum):
    """What a ``trio-http`` process returns to its shell."""

    OK = 0
    ERROR = 1
    USAGE = 2
    HTTP_3XX = 3
    HTTP_4XX = 4
    HTTP_5XX = 5
    TOO_MANY_REDIRECTS = 6
    TIMEOUT = 7
    CONNECTION = 8
    TLS = 9
    INTERRUPTED = 130


EXIT_CODE_HELP = """\
exit codes:
  0    success
  1    any other error (a broken response, a local file error);
       fetch: at least one URL failed
  2    bad usage: invalid arguments, or a URL or header that cannot be sent
  3    --check-status and the final response is a 3xx (redirect not followed)
  4    --check-status and the response is a client error (4xx)
  5    --check-status and the response is a server error (5xx)
  6    too many redirects
  7    timeout (connect, read, write, pool or --total-timeout)
  8    connection error (refused, reset, DNS, proxy, broken HTTP framing)
  9    TLS error (handshake failed, certificate not trusted)
  130  interrupted (Ctrl-C)
"""


def exit_code_for_status(status_code: int) -> ExitCode:
    """The ``--check-status`` exit code of a final response status."""
    if 300 <= status_code < 400:
        return ExitCode.HTTP_3XX
    if 400 <= status_code < 500:
        return ExitCode.HTTP_4XX
    if status_code >= 500:
        return ExitCode.HTTP_5XX
    return ExitCode.OK


def exit_code_for_error(exc: BaseException) -> ExitCode:
    """The exit code of a request that failed with ``exc``.

    The order matters: ``ConnectTimeout`` is both a timeout and a
    connection error and counts as a timeout; ``SSLError`` is a connection
    error but gets its own code.
    """
    if isinstance(exc, trio_http.Timeout):
        return ExitCode.TIMEOUT
    if isinstance(exc, trio_http.SSLError):
        return ExitCode.TLS
    if isinstance(exc, trio_http.ConnectionError):
        return ExitCode.CONNECTION
    if isinstance(exc, trio_http.TooManyRedirects):
        return ExitCode.TOO_MANY_REDIRECTS
    return ExitCode.ERROR
