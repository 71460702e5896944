"""``python -m trio_http``: command dispatch."""

from __future__ import annotations

import subprocess
import sys

import pytest

from trio_http.__main__ import USAGE, main


@pytest.mark.parametrize("argv", [[], ["-h"], ["--help"], ["help"]])
def test_no_command_prints_usage(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 0
    assert capsys.readouterr().out == USAGE


def test_unknown_command_exits_2_with_usage(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["frobnicate"]) == 2
    err = capsys.readouterr().err
    assert "unknown command 'frobnicate'" in err
    assert "demo [--https]" in err


def test_demo_help_is_the_demo_parser(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc_info:
        main(["demo", "--help"])
    assert exc_info.value.code == 0
    assert "--https" in capsys.readouterr().out


def test_module_runs_as_a_program() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "trio_http"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0
    assert result.stdout == USAGE
