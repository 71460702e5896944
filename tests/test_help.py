"""trio_http.help: a bug report's facts, shaped as requests.help gives them."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import metadata

import pytest
import requests.help

import trio_http
from trio_http import help as trio_http_help


def test_platform_implementation_and_ssl_match_requests() -> None:
    ours = trio_http_help.info()
    theirs = requests.help.info()
    for key in ("platform", "implementation"):
        assert ours[key] == theirs[key]
    assert ours["system_ssl"]["version"] == theirs["system_ssl"]["version"] != ""
    assert ours["idna"] == theirs["idna"]


def test_versions_of_trio_http_and_what_it_needs() -> None:
    report = trio_http_help.info()
    assert report["trio_http"] == {"version": trio_http.__version__}
    for package in ("trio", "h11", "h2", "certifi", "idna"):
        assert report[package] == {"version": metadata.version(package)}


def test_an_optional_package_that_is_missing_has_no_version(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = metadata.version

    def without_zstandard(name: str) -> str:
        if name == "zstandard":
            raise metadata.PackageNotFoundError(name)
        return real(name)

    monkeypatch.setattr(metadata, "version", without_zstandard)
    report = trio_http_help.info()
    assert report["zstandard"] == {"version": None}
    assert report["urllib3"] == {"version": real("urllib3")}


def test_every_value_is_a_dict_of_text_or_none() -> None:
    for key, entry in trio_http_help.info().items():
        assert isinstance(entry, dict), key
        assert all(isinstance(value, (str, type(None))) for value in entry.values()), key


def test_main_prints_the_report_as_sorted_json(capsys: pytest.CaptureFixture[str]) -> None:
    trio_http_help.main()
    printed = capsys.readouterr().out
    assert json.loads(printed) == trio_http_help.info()
    assert printed == json.dumps(trio_http_help.info(), sort_keys=True, indent=2) + "\n"


def test_runs_as_a_module_and_imports_no_optional_package() -> None:
    code = (
        "import sys, runpy\n"
        "runpy.run_module('trio_http.help', run_name='__main__')\n"
        "loaded = {'brotli', 'brotlicffi', 'zstandard', 'socksio', 'truststore', 'rich'}\n"
        "assert not loaded & set(sys.modules), loaded & set(sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    )
    assert json.loads(result.stdout)["trio_http"]["version"] == trio_http.__version__
