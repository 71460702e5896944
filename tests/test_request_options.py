"""The verbs' keyword arguments: TypedDicts that match the request methods, checked by mypy."""

from __future__ import annotations

import inspect
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import trio_http
from trio_http import AsyncClient, Session, _request_options
from trio_http._request_options import (
    BuildRequestOptions,
    ClientRequestOptions,
    SessionRequestOptions,
)

ROOT = Path(__file__).parent.parent
TYPECHECK = Path(__file__).parent / "typecheck"
VERBS = ["get", "head", "options", "post", "put", "patch", "delete"]


def keyword_parameters(function: Callable[..., object], skip: int) -> dict[str, str]:
    """Name -> annotation (as written) of the parameters after the first ``skip``."""
    parameters = list(inspect.signature(function).parameters.values())[skip:]
    return {
        parameter.name: parameter.annotation
        for parameter in parameters
        if parameter.kind is not inspect.Parameter.VAR_KEYWORD
    }


def typed_dict_items(typed_dict: type) -> dict[str, str]:
    """Name -> annotation (as written) of a TypedDict's keys, all optional."""
    annotations = typed_dict.__annotations__
    assert typed_dict.__optional_keys__ == set(annotations)  # type: ignore[attr-defined]
    # Kept as strings or wrapped in ForwardRef, depending on the Python version.
    return {name: getattr(value, "__forward_arg__", value) for name, value in annotations.items()}


def unpacked_kwargs(function: Callable[..., object]) -> type:
    """The TypedDict of ``**kwargs: Unpack[...]``."""
    parameters = list(inspect.signature(function).parameters.values())
    assert parameters[-1].kind is inspect.Parameter.VAR_KEYWORD
    match = re.fullmatch(r"Unpack\[(\w+)\]", parameters[-1].annotation)
    assert match is not None, parameters[-1].annotation
    typed_dict: type = getattr(_request_options, match[1])
    return typed_dict


@pytest.mark.parametrize(
    ("typed_dict", "method"),
    [
        (BuildRequestOptions, AsyncClient.build_request),
        (ClientRequestOptions, AsyncClient.request),
        (ClientRequestOptions, AsyncClient.stream),
        (SessionRequestOptions, Session.request),
    ],
)
def test_options_list_exactly_the_keyword_parameters_of_the_method(
    typed_dict: type, method: Callable[..., object]
) -> None:
    # After self, method and url; the annotations are the same text.
    assert typed_dict_items(typed_dict) == keyword_parameters(method, 3)


@pytest.mark.parametrize("verb", VERBS)
def test_async_verbs_take_the_keywords_of_request(verb: str) -> None:
    function = getattr(AsyncClient, verb)
    assert list(inspect.signature(function).parameters)[:2] == ["self", "url"]
    assert keyword_parameters(function, 2) == {}
    assert unpacked_kwargs(function) is ClientRequestOptions


BLOCKING_VERBS = [
    *[pytest.param(getattr(Session, verb), 2, id=f"Session.{verb}") for verb in VERBS],
    *[pytest.param(getattr(trio_http, verb), 1, id=f"trio_http.{verb}") for verb in VERBS],
    pytest.param(trio_http.request, 2, id="trio_http.request"),
]


@pytest.mark.parametrize(("function", "skip"), BLOCKING_VERBS)
def test_blocking_verbs_take_the_keywords_of_session_request(
    function: Callable[..., object], skip: int
) -> None:
    # requests takes some arguments positionally (get(url, params)); the
    # TypedDict holds the others, with no name in both.
    positional = keyword_parameters(function, skip)
    keywords = typed_dict_items(unpacked_kwargs(function))
    assert positional.keys().isdisjoint(keywords)
    assert positional | keywords == typed_dict_items(SessionRequestOptions)


def _expected_errors(path: Path) -> dict[int, str]:
    """Line number -> the ``# E: ...`` text at the end of that line."""
    expected = {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        _, marker, message = line.partition("  # E: ")
        if marker:
            expected[number] = message
    return expected


@pytest.mark.slow
def test_mypy_rejects_wrong_keywords_and_accepts_valid_calls(tmp_path: Path) -> None:
    pytest.importorskip("mypy", reason="mypy is not installed")
    good, bad = TYPECHECK / "good_calls.py", TYPECHECK / "bad_calls.py"
    command = [
        sys.executable,
        "-m",
        "mypy",
        "--config-file",
        str(ROOT / "setup.cfg"),
        "--strict",
        # Report the two files only; the package's own run covers trio_http.
        "--follow-imports=silent",
        "--no-error-summary",
        "--cache-dir",
        str(tmp_path / "mypy_cache"),
        str(good),
        str(bad),
    ]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode in (0, 1), result.stderr + result.stdout
    errors: dict[tuple[str, int], list[str]] = {}
    for line in result.stdout.splitlines():
        match = re.match(r"(.+?):(\d+): error: (.*)", line)
        if match:
            key = (Path(match[1]).name, int(match[2]))
            errors.setdefault(key, []).append(match[3])
    expected = _expected_errors(bad)
    assert len(expected) >= 15
    assert {key for key in errors if key[0] == good.name} == set(), result.stdout
    assert set(errors) == {(bad.name, number) for number in expected}, result.stdout
    for number, message in expected.items():
        # An unmatched overload is reported with its variants: any line may hold it.
        found = errors[(bad.name, number)]
        assert any(message in error for error in found), (number, found)
