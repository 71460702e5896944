"""Parsing the ``trio-http`` command line into command values."""

from __future__ import annotations

import pytest

from trio_http._cli_args import parse_command
from trio_http._cli_commands import FetchCommand, RequestCommand


def request(*argv: str) -> RequestCommand:
    command = parse_command(list(argv))
    assert isinstance(command, RequestCommand)
    return command


def test_a_lone_url_is_a_get_and_a_body_makes_it_a_post() -> None:
    assert request("http://h/").method == "GET"
    assert request("http://h/", "-d", "a=1").method == "POST"
    assert request("http://h/", "--json", "[]").method == "POST"
    assert request("delete", "http://h/").method == "DELETE"


def test_options_may_come_between_the_method_and_the_url() -> None:
    command = request("PATCH", "-v", "http://h/", "-p", "a=1=2", "-p", "b=")
    assert (command.method, command.url, command.verbose) == ("PATCH", "http://h/", True)
    assert command.params == (("a", "1=2"), ("b", ""))


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["http://h/", "--timeout", "0"],
        ["http://h/", "--timeout", "nan"],
        ["http://h/", "-d", "novalue"],
        ["http://h/", "-H", "Bad Name: x"],
        ["http://h/", "--json", "{}", "-d", "a=b"],
        ["http://h/", "--no-verify", "--cacert", "x"],
        ["fetch", "urls.txt", "--max-in-flight", "0"],
    ],
)
def test_argparse_errors_are_one_line_and_exit_2(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc_info:
        parse_command(argv)
    assert exc_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("trio-http") and ": error: " in err and err.count("\n") == 1


def test_fetch_command() -> None:
    command = parse_command(
        ["fetch", "-", "-o", "out", "--max-in-flight", "50", "--max-per-host", "4", "--http2"]
    )
    assert command == FetchCommand(
        client=command.client,
        source="-",
        directory="out",
        max_in_flight=50,
        max_per_host=4,
        verbose=False,
    )
    assert isinstance(command, FetchCommand) and command.client.http2
