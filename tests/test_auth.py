from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest
from auth_flows import ok_respond, run_flow

from trio_http._auth import Auth, BasicAuth, FunctionAuth, NetRCAuth, auth_from_value
from trio_http._auth_digest import DigestAuth
from trio_http._request import Request

# -- Basic -----------------------------------------------------------------


def _basic_decoded(header: str) -> bytes:
    scheme, _, token = header.partition(" ")
    assert scheme == "Basic"
    return base64.b64decode(token)


def test_basic_auth_sets_the_header() -> None:
    sent, _ = run_flow(BasicAuth("user", "pass"), Request("GET", "https://a.example/"), ok_respond)
    assert sent == ["Basic dXNlcjpwYXNz"]


@pytest.mark.parametrize(
    ("username", "password", "expected"),
    [
        ("j\u00fcrgen", "p\u00e4ss", b"j\xfcrgen:p\xe4ss"),  # Latin-1 when possible
        ("\u20acuro", "\u4e2d", "\u20acuro:\u4e2d".encode()),  # else UTF-8
        (b"raw\xff", b"bytes", b"raw\xff:bytes"),
        ("", "", b":"),
    ],
)
def test_basic_auth_encodes_non_ascii(username: str, password: str, expected: bytes) -> None:
    request = Request("GET", "https://a.example/")
    next(BasicAuth(username, password).auth_flow(request))
    assert _basic_decoded(request.headers["Authorization"]) == expected


def test_basic_auth_repr_hides_the_password() -> None:
    assert "secret" not in repr(BasicAuth("user", "secret"))
    assert BasicAuth("a", "b") == BasicAuth("a", "b")
    assert BasicAuth("a", "b") != BasicAuth("a", "c")


# -- callables and auth= values ---------------------------------------------------


def test_function_auth_uses_what_the_callable_returns() -> None:
    def sign(request: Request) -> Request:
        request.headers["X-Signature"] = "s"
        return request

    request = Request("GET", "https://a.example/")
    sent = next(FunctionAuth(sign).auth_flow(request))
    assert sent.headers["X-Signature"] == "s"


def test_function_auth_returning_none_is_a_clear_error() -> None:
    def forgot_to_return(request: Request) -> None:
        request.headers["X"] = "y"

    with pytest.raises(TypeError, match="must return the request"):
        next(FunctionAuth(forgot_to_return).auth_flow(Request("GET", "https://a.example/")))  # type: ignore[arg-type]


def test_auth_from_value() -> None:
    assert auth_from_value(None) is None
    digest = DigestAuth("u", "p")
    assert auth_from_value(digest) is digest
    assert auth_from_value(("u", "p")) == BasicAuth("u", "p")
    assert isinstance(auth_from_value(lambda request: request), FunctionAuth)
    with pytest.raises(TypeError, match="username, password"):
        auth_from_value(("u", "p", "x"))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="auth must be"):
        auth_from_value("user:pass")  # type: ignore[arg-type]


def test_base_auth_sends_the_request_unchanged() -> None:
    request = Request("GET", "https://a.example/")
    sent, _ = run_flow(Auth(), request, ok_respond)
    assert sent == [None]


# -- netrc -------------------------------------------------------------------------------


@pytest.fixture
def netrc_file(tmp_path: Path) -> Path:
    path = tmp_path / "netrc"
    path.write_text(
        "machine api.example login alice password s3cret\n"
        "machine OTHER.example login bob password pw\n"
        "default login anyone password anything\n"
    )
    path.chmod(0o600)
    return path


def _netrc_header(auth: NetRCAuth, url: str, headers: dict[str, str] | None = None) -> str | None:
    request = Request("GET", url, headers=headers)
    return next(auth.auth_flow(request)).headers.get("Authorization")


def test_netrc_adds_basic_auth_for_the_matching_host(netrc_file: Path) -> None:
    auth = NetRCAuth(str(netrc_file))
    header = _netrc_header(auth, "https://api.example/x")
    assert header is not None
    assert _basic_decoded(header) == b"alice:s3cret"
    other = _netrc_header(auth, "http://other.example:8080/")
    assert other is not None
    assert _basic_decoded(other) == b"bob:pw"


def test_netrc_ignores_other_hosts_and_the_default_entry(netrc_file: Path) -> None:
    auth = NetRCAuth(netrc_file)
    assert _netrc_header(auth, "https://evil.example/") is None
    assert _netrc_header(auth, "https://sub.api.example/") is None


def test_netrc_keeps_an_explicit_authorization_header(netrc_file: Path) -> None:
    auth = NetRCAuth(str(netrc_file))
    header = _netrc_header(auth, "https://api.example/", {"Authorization": "Bearer t"})
    assert header == "Bearer t"


def test_netrc_is_read_lazily(tmp_path: Path) -> None:
    path = tmp_path / "later"
    auth = NetRCAuth(str(path))  # missing for now: no error yet
    path.write_text("machine api.example login a password b\n")
    assert _netrc_header(auth, "https://api.example/") is not None


def test_netrc_missing_explicit_file_raises_on_use(tmp_path: Path) -> None:
    auth = NetRCAuth(str(tmp_path / "missing"))
    with pytest.raises(FileNotFoundError):
        _netrc_header(auth, "https://api.example/")


def test_netrc_from_environment_variable(netrc_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NETRC", str(netrc_file))
    assert _netrc_header(NetRCAuth(), "https://api.example/") is not None


def test_netrc_default_file_missing_means_no_credentials(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NETRC", str(tmp_path / "missing"))
    assert _netrc_header(NetRCAuth(), "https://api.example/") is None


def test_netrc_default_file_invalid_means_no_credentials(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = tmp_path / "bad"
    bad.write_text("machine\n")
    monkeypatch.setenv("NETRC", os.fspath(bad))
    assert _netrc_header(NetRCAuth(), "https://api.example/") is None
