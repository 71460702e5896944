"""``python -m trio_http``: the ``trio-http`` command line, plus ``demo``.

``demo`` runs the embedded-server demo; anything else is handed to the
``trio-http`` command (:mod:`trio_http._cli`), so ``python -m trio_http
URL`` behaves as ``trio-http URL``.
"""

from __future__ import annotations

import sys

USAGE = """\
usage: python -m trio_http [options] [METHOD] URL   send one request, show the response
       python -m trio_http fetch [options] FILE     download every URL listed in FILE
       python -m trio_http demo [--https]           start an embedded local server, fetch
                                                    from it with trio_http.AsyncClient and
                                                    print status, headers and body

'python -m trio_http URL' is the 'trio-http' command (pip install 'trio_http[cli]');
'python -m trio_http GET --help' and 'python -m trio_http fetch --help' list its options.
"""

# Words that are commands, not the request's METHOD or URL.
COMMANDS = ("demo", "fetch")


def _is_unknown_command(args: list[str]) -> bool:
    """A lone word that is neither a command, an option nor a URL."""
    word = args[0]
    return (
        len(args) == 1 and word not in COMMANDS and not word.startswith("-") and "://" not in word
    )


def main(argv: list[str] | None = None) -> int:
    """Run the command named in ``argv`` (default: ``sys.argv[1:]``); return the exit code."""
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] in ("-h", "--help", "help"):
        print(USAGE, end="")
        return 0
    if args[0] == "demo":
        from ._demo import main as demo_main

        return demo_main(args[1:])
    if _is_unknown_command(args):
        print(
            f"python -m trio_http: unknown command {args[0]!r} "
            "(a URL needs its scheme: https://...)\n\n" + USAGE,
            end="",
            file=sys.stderr,
        )
        return 2
    from ._cli import main as cli_main

    return cli_main(args)


if __name__ == "__main__":
    sys.exit(main())
