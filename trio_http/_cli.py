"""The ``trio-http`` command: entry point, error reports and exit codes.

How this works. :func:`main` checks that rich (the ``cli`` extra) is
installed, parses the arguments (:mod:`._cli_args`), then runs the command
in one ``trio.run``: one request (:mod:`._cli_request`) or a fan-out
(:mod:`._cli_fetch`). Whatever escapes that run is turned into one line on
stderr and an exit code (:mod:`._cli_exits`): usage problems, any
``trio_http.RequestException``, local file errors and Ctrl-C never show a
traceback. Only a bug in the command itself does.

The modules that need rich are imported after the check, so that a
missing extra is a one-line message, not an ``ImportError``.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

import trio

import trio_http

from ._cli_args import parse_command
from ._cli_commands import PROG, FetchCommand, RequestCommand, UsageError
from ._cli_exits import ExitCode, exit_code_for_error

if sys.version_info >= (3, 11):
    from builtins import BaseExceptionGroup as _BaseExceptionGroup
else:  # pragma: no cover - trio depends on the backport before 3.11
    from exceptiongroup import BaseExceptionGroup as _BaseExceptionGroup  # type: ignore[import-not-found]

if TYPE_CHECKING:
    from ._cli_output import Output

__all__ = ["main"]

RICH_MISSING = f"{PROG}: error: the command line needs rich: pip install 'trio_http[cli]'"


def _rich_installed() -> bool:
    try:
        import rich  # noqa: F401
    except ImportError:
        return False
    return True


async def _run(command: RequestCommand | FetchCommand, output: Output) -> ExitCode:
    if isinstance(command, FetchCommand):
        from ._cli_fetch import run_fetch

        return await run_fetch(command, output)
    from ._cli_request import run_request

    return await run_request(command, output)


def _leaf(exc: BaseException) -> BaseException:
    """The one exception a group stands for: Ctrl-C wins, else its only member.

    Nurseries wrap what crosses them; the command reports the failure itself.
    """
    if not isinstance(exc, _BaseExceptionGroup):
        return exc
    interrupted, _ = exc.split(KeyboardInterrupt)
    if interrupted is not None:
        return KeyboardInterrupt()
    members: tuple[BaseException, ...] = exc.exceptions
    return _leaf(members[0]) if len(members) == 1 else exc


def _silence_stdout() -> None:
    # The reader went away (``| head``): later flushes, including the one at
    # interpreter exit, must not fail again.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def _report(exc: BaseException, output: Output) -> int:
    """Print the one line for ``exc`` and return the exit code; re-raise a bug."""
    from ._cli_output import describe

    failure = _leaf(exc)
    if isinstance(failure, KeyboardInterrupt):
        output.note("interrupted")
        return ExitCode.INTERRUPTED
    if isinstance(failure, UsageError):
        output.error(str(failure))
        return ExitCode.USAGE
    if isinstance(failure, trio_http.RequestException):
        output.error(describe(failure))
        return exit_code_for_error(failure)
    if isinstance(failure, BrokenPipeError):
        _silence_stdout()
        return ExitCode.ERROR
    if isinstance(failure, OSError):
        output.error(describe(failure))
        return ExitCode.ERROR
    raise exc


def main(argv: list[str] | None = None) -> int:
    """Run ``trio-http`` with ``argv`` (default: ``sys.argv[1:]``); return the exit code.

    Blocks until the command is done; Ctrl-C ends it promptly with exit
    code 130, leaving no partial download under a final name.
    """
    words = sys.argv[1:] if argv is None else list(argv)
    if not _rich_installed():
        print(RICH_MISSING, file=sys.stderr)
        return ExitCode.USAGE
    try:
        try:
            command = parse_command(words)
        except SystemExit as exc:  # --help, --version, or argparse's one-line error
            return exc.code if isinstance(exc.code, int) else ExitCode.OK
        except UsageError as exc:
            print(f"{PROG}: error: {exc}", file=sys.stderr)
            return ExitCode.USAGE
        from ._cli_output import Output

        output = Output.from_process()
        try:
            return int(trio.run(_run, command, output))
        except BaseException as exc:
            return _report(exc, output)
    except KeyboardInterrupt:  # while parsing (a password prompt) or reporting
        print(f"{PROG}: interrupted", file=sys.stderr)
        return ExitCode.INTERRUPTED
