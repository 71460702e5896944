"""Command values of ``trio-http``: what the parsed arguments turn into."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from test_cli_args import request

import trio_http
from trio_http._cli_args import parse_command
from trio_http._cli_commands import UsageError


def test_client_settings() -> None:
    command = request(
        "http://h/",
        *("-H", "X-A: 1", "--auth", "u:p:q", "--timeout", "2.5", "--total-timeout", "9"),
        *("--http2", "--no-verify", "--proxy", "http://proxy:3128", "--no-follow"),
    )
    client = command.client
    assert client.headers == (("X-A", "1"),)
    assert client.auth == ("u", "p:q")
    assert client.timeout == trio_http.Timeouts(2.5, total=9.0)
    assert (client.http2, client.verify, client.follow_redirects) == (True, False, False)
    assert client.proxy == "http://proxy:3128"
    defaults = request("http://h/").client
    assert defaults.timeout == trio_http.Timeouts(total=None)
    assert (defaults.verify, defaults.follow_redirects, defaults.auth) == (True, True, None)


def test_auth_without_a_password_asks_for_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("getpass.getpass", lambda prompt: "typed")
    assert request("http://h/", "--auth", "ada").client.auth == ("ada", "typed")


def test_bodies_from_files_and_stdin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "doc.json").write_text('{"a": 1}')
    assert request("http://h/", "--json", f"@{tmp_path / 'doc.json'}").json_text == '{"a": 1}'
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"\x00raw")))
    assert request("http://h/", "--data", "@-").content == b"\x00raw"
    with pytest.raises(UsageError, match="cannot read"):
        request("http://h/", "--data", f"@{tmp_path / 'missing'}")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--json", "{", "http://h/"], "not valid JSON"),
        (["G:T", "http://h/"], "not a request method"),
        (["http://h/", "--cacert", "/no/such/ca.pem"], "no such file"),
        (["http://h/", "-o", "."], "is a directory"),
        (["http://h/", "-o", "/no/such/dir/file"], "no directory"),
    ],
)
def test_unusable_arguments_raise_usage_error(argv: list[str], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_command(argv)


def test_user_headers_win_over_the_commands_defaults() -> None:
    settings = request("http://h/", "-H", "accept-encoding: br").client
    client = settings.open_client(headers=(("Accept-Encoding", "identity"), ("X-D", "1")))
    assert client.headers.get_list("accept-encoding") == ["br"]
    assert client.headers["x-d"] == "1"
