"""``python -m trio_http COMMAND``: dispatches to the command's module."""

from __future__ import annotations

import sys

USAGE = """\
usage: python -m trio_http COMMAND [options]

commands:
  demo [--https]   start an embedded local server, fetch from it with
                   trio_http.AsyncClient and print status, headers and body
"""


def main(argv: list[str] | None = None) -> int:
    """Run the command named in ``argv`` (default: ``sys.argv[1:]``); return the exit code."""
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] in ("-h", "--help", "help"):
        print(USAGE, end="")
        return 0
    command, rest = args[0], args[1:]
    if command == "demo":
        from ._demo import main as demo_main

        return demo_main(rest)
    print(f"python -m trio_http: unknown command {command!r}\n\n{USAGE}", end="", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
