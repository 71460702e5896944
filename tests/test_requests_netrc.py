"""~/.netrc in a Session, as requests applies it (differential, against the local server)."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from server import TestServer
from threaded_server import serve_in_thread

import trio_http
import trio_http.sessions


@pytest.fixture(scope="module")
def sync_server() -> Iterator[TestServer]:
    with serve_in_thread() as running:
        yield running


@pytest.fixture
def netrc_for_loopback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = tmp_path / "netrc"
    path.write_text("machine 127.0.0.1 login netrc-user password netrc-pass\n")
    path.chmod(0o600)
    monkeypatch.setenv("NETRC", str(path))
    yield path


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def _sent_authorization(session: object, url: str) -> str | None:
    response = session.get(url)  # type: ignore[attr-defined]
    headers = {k.lower(): v for k, v in response.json()["headers"].items()}
    return headers.get("authorization")


@pytest.mark.parametrize("userinfo", ["", "url-user:url-pass@"])
def test_netrc_credentials_win_over_the_urls_as_in_requests(
    sync_server: TestServer, netrc_for_loopback: Path, userinfo: str
) -> None:
    url = sync_server.url_for("/get").replace("http://", f"http://{userinfo}")
    with requests.Session() as theirs, trio_http.Session() as ours:
        expected = _sent_authorization(theirs, url)
        assert expected == _basic("netrc-user", "netrc-pass")
        assert _sent_authorization(ours, url) == expected


def test_the_urls_credentials_apply_when_netrc_has_no_entry(
    sync_server: TestServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = tmp_path / "netrc"
    other.write_text("machine elsewhere.example login a password b\n")
    monkeypatch.setenv("NETRC", str(other))
    url = sync_server.url_for("/get").replace("http://", "http://url-user:url-pass@")
    with requests.Session() as theirs, trio_http.Session() as ours:
        expected = _sent_authorization(theirs, url)
        assert expected == _basic("url-user", "url-pass")
        assert _sent_authorization(ours, url) == expected


def test_a_replaced_sessions_get_netrc_auth_is_asked(
    sync_server: TestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []

    def fake(url: str, raise_errors: bool = False) -> tuple[str, str]:
        asked.append(url)
        return ("patched", "secret")

    monkeypatch.setattr(trio_http.sessions, "get_netrc_auth", fake)
    with trio_http.Session() as ours:
        assert _sent_authorization(ours, sync_server.url_for("/get")) == _basic("patched", "secret")
    assert asked == [sync_server.url_for("/get")]
