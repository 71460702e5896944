"""Exit codes of ``trio-http``: one meaning each, documented where users look."""

from __future__ import annotations

from pathlib import Path

import pytest

import trio_http
from trio_http._cli_exits import (
    EXIT_CODE_HELP,
    ExitCode,
    exit_code_for_error,
    exit_code_for_status,
)


@pytest.mark.parametrize(
    ("status", "code"),
    [(200, 0), (204, 0), (304, 3), (399, 3), (400, 4), (404, 4), (500, 5), (599, 5)],
)
def test_status_classes(status: int, code: int) -> None:
    assert exit_code_for_status(status) == code


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (trio_http.ConnectTimeout("x"), ExitCode.TIMEOUT),  # also a ConnectionError
        (trio_http.ReadTimeout("x"), ExitCode.TIMEOUT),
        (trio_http.TotalTimeout("x"), ExitCode.TIMEOUT),
        (trio_http.SSLError("x"), ExitCode.TLS),  # also a ConnectionError
        (trio_http.ConnectError("x"), ExitCode.CONNECTION),
        (trio_http.RemoteProtocolError("x"), ExitCode.CONNECTION),
        (trio_http.ProxyError("x"), ExitCode.CONNECTION),
        (trio_http.TooManyRedirects("x"), ExitCode.TOO_MANY_REDIRECTS),
        (trio_http.ContentDecodingError("x"), ExitCode.ERROR),
    ],
)
def test_errors_map_to_one_code_each(exc: Exception, code: ExitCode) -> None:
    assert exit_code_for_error(exc) is code


def test_every_code_is_documented_in_help_and_docs() -> None:
    docs = (Path(__file__).parents[1] / "docs" / "cli.rst").read_text()
    for code in ExitCode:
        assert f"\n  {code.value:<4} " in EXIT_CODE_HELP
        assert f"   * - {code.value}\n" in docs
