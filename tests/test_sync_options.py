"""requests' arguments translated into AsyncClient options (no I/O)."""

from __future__ import annotations

import ast
import pathlib
from typing import Any

import pytest

import trio_http
from trio_http import Headers, Request
from trio_http._client_defaults import USE_CLIENT_DEFAULT
from trio_http._sync_options import (
    client_settings,
    dispatch_hooks,
    merge_headers,
    merge_setting,
    mount_pattern,
    parallel_item_preparer,
    request_options,
)
from trio_http.structures import CaseInsensitiveDict

PACKAGE = pathlib.Path(trio_http.__file__).parent
# The blocking layer, top to bottom: each module may import only those after it.
BLOCKING_LAYER = ["_api", "_session", "_sync_parallel", "_sync_loop", "_sync_options", "_portal"]


def relative_imports(module: str) -> set[str]:
    tree = ast.parse((PACKAGE / f"{module}.py").read_text())
    return {
        node.module.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module
    }


@pytest.mark.parametrize("position", range(len(BLOCKING_LAYER)))
def test_blocking_layer_imports_point_down(position: int) -> None:
    module = BLOCKING_LAYER[position]
    above = set(BLOCKING_LAYER[: position + 1]) - {module}
    assert not relative_imports(module) & above


def test_merge_setting_follows_requests() -> None:
    assert merge_setting(None, {"a": "1"}) == {"a": "1"}
    assert merge_setting({"a": "2"}, None) == {"a": "2"}
    assert merge_setting({"b": "2", "a": None}, {"a": "1"}) == {"b": "2"}
    assert merge_setting("x=1", {"a": "1"}) == "x=1"


def test_merge_headers_ignores_case_and_none_drops() -> None:
    session = CaseInsensitiveDict({"Accept": "*/*", "X-Gone": None, "User-Agent": "ua"})
    assert merge_headers(session, None) == [("Accept", "*/*"), ("User-Agent", "ua")]
    request_headers: dict[Any, Any] = {"accept": "text/html", b"User-Agent": None}
    merged = merge_headers(session, request_headers)
    assert merged == [("accept", "text/html")]


def test_request_options_merge_over_the_session() -> None:
    session_headers = CaseInsensitiveDict({"Accept": "*/*"})
    build, send = request_options(
        session_headers,
        {"p": "1"},
        ("user", "pass"),
        params={"q": "2"},
        json={"a": 1},
        allow_redirects=False,
    )
    assert build["params"] == {"p": "1", "q": "2"}
    assert build["json"] == {"a": 1}
    assert build["timeout"] is USE_CLIENT_DEFAULT
    assert isinstance(build["headers"], Headers) and build["headers"]["accept"] == "*/*"
    assert send == {"auth": ("user", "pass"), "follow_redirects": False}


def test_request_options_reuse_the_validated_session_headers() -> None:
    first, _ = request_options(CaseInsensitiveDict({"X-A": "1"}), None, None)
    second, _ = request_options(CaseInsensitiveDict({"X-A": "1"}), None, None)
    changed, _ = request_options(CaseInsensitiveDict({"X-A": "2"}), None, None)
    assert first["headers"] is second["headers"]
    assert changed["headers"]["x-a"] == "2"


def test_raw_data_becomes_content_and_client_names_pass_through() -> None:
    build, send = request_options({}, None, None, data=b"raw", extensions={"k": "v"})
    assert (build["content"], build["data"], build["extensions"]) == (b"raw", None, {"k": "v"})
    assert "follow_redirects" not in send
    build, send = request_options({}, None, None, data={"f": "1"}, follow_redirects=False)
    assert build["data"] == {"f": "1"} and "content" not in build
    assert send["follow_redirects"] is False


def test_parallel_items_get_the_session_defaults() -> None:
    prepare = parallel_item_preparer({"X-Session": "1"}, {"p": "1"}, "auth")
    method, url, options = prepare("http://example.test/")
    assert (method, url, options["params"], options["auth"]) == (
        "GET",
        "http://example.test/",
        {"p": "1"},
        "auth",
    )
    _, _, options = prepare(("POST", "http://example.test/", {"allow_redirects": False}))
    assert options["follow_redirects"] is False
    request = Request("GET", "http://example.test/")
    assert prepare(request) is request
    assert prepare(42) == 42


def test_client_settings_take_the_session_values_and_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/ca.pem")
    session: dict[str, Any] = {
        "session_verify": True,
        "session_cert": ["c", "k"],
        "session_proxies": {},
    }
    assert client_settings(None, None, None, trust_env=True, **session) == (
        "/ca.pem",
        ("c", "k"),
        None,
        True,
    )
    assert client_settings(False, None, {"https": "http://p"}, trust_env=False, **session) == (
        False,
        ("c", "k"),
        (("https", "http://p"),),
        False,
    )


def test_mount_prefixes() -> None:
    assert mount_pattern("HTTPS://") == "https://"
    assert mount_pattern("http://localhost:8000") == "http://localhost:8000"
    with pytest.raises(trio_http.InvalidSchema):
        mount_pattern("localhost")
    with pytest.raises(NotImplementedError):
        mount_pattern("http://host/api/")


def test_hooks_see_the_history_and_may_replace_the_response() -> None:
    seen: list[int] = []
    redirect = trio_http.Response(302)
    final = trio_http.Response(200)
    final.history = [redirect]
    replacement = trio_http.Response(201)

    def record(response: trio_http.Response, **kwargs: object) -> None:
        seen.append(response.status_code)

    def replace(response: trio_http.Response, **kwargs: object) -> trio_http.Response:
        return replacement

    assert dispatch_hooks(final, {"response": [record]}, None, stream=False) is final
    assert seen == [302, 200]
    assert dispatch_hooks(final, {"response": [record]}, {"response": replace}) is replacement
    assert dispatch_hooks(final, {"response": []}, None) is final
