"""What a response's status line and headers say."""

from __future__ import annotations

from http import HTTPStatus

import pytest

from trio_http import HTTPError, Request, Response

URL = "https://example.org/path"

# -- Response: status ----------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "ok", "success", "client_error", "server_error", "error"),
    [
        (101, True, False, False, False, False),
        (200, True, True, False, False, False),
        (204, True, True, False, False, False),
        (304, True, False, False, False, False),
        (404, False, False, True, False, True),
        (418, False, False, True, False, True),
        (500, False, False, False, True, True),
        (503, False, False, False, True, True),
    ],
)
def test_status_helpers(
    status: int, ok: bool, success: bool, client_error: bool, server_error: bool, error: bool
) -> None:
    response = Response(status)
    assert response.ok is ok
    assert bool(response) is ok
    assert response.is_success is success
    assert response.is_client_error is client_error
    assert response.is_server_error is server_error
    assert response.is_error is error
    assert response.is_informational is (status < 200)


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_is_redirect_needs_a_location_header(status: int) -> None:
    assert not Response(status).is_redirect
    assert Response(status, headers={"Location": "/next"}).is_redirect


def test_only_301_and_308_are_permanent_redirects() -> None:
    for status in (301, 308):
        assert Response(status, headers={"Location": "/x"}).is_permanent_redirect
        assert not Response(status).is_permanent_redirect
    for status in (302, 303, 307):
        assert not Response(status, headers={"Location": "/x"}).is_permanent_redirect


def test_300_and_304_are_not_redirects() -> None:
    assert not Response(300, headers={"Location": "/x"}).is_redirect
    assert not Response(304, headers={"Location": "/x"}).is_redirect


def test_reason_phrase_defaults_from_status() -> None:
    assert Response(200).reason_phrase == "OK"
    assert Response(404).reason == "Not Found"
    assert Response(418).reason_phrase == HTTPStatus(418).phrase
    assert Response(599).reason_phrase == ""
    assert Response(200, reason_phrase="Fine").reason_phrase == "Fine"


def test_bool_is_false_for_errors_like_requests() -> None:
    assert not Response(404)
    assert not Response(500)
    assert Response(302)


@pytest.mark.parametrize("status", [200, 201, 301, 304, 399])
def test_raise_for_status_returns_the_response_below_400(status: int) -> None:
    response = Response(status)
    assert response.raise_for_status() is response


@pytest.mark.parametrize(
    ("status", "kind"), [(400, "Client Error"), (404, "Client Error"), (503, "Server Error")]
)
def test_raise_for_status_raises_http_error_for_4xx_and_5xx(status: int, kind: str) -> None:
    request = Request("GET", URL)
    response = Response(status, request=request)
    with pytest.raises(HTTPError) as info:
        response.raise_for_status()
    message = str(info.value)
    assert str(status) in message
    assert kind in message
    assert URL in message
    assert info.value.response is response
    assert info.value.request is request


def test_raise_for_status_without_request_still_raises() -> None:
    with pytest.raises(HTTPError, match="500"):
        Response(500).raise_for_status()


def test_url_without_request_is_an_error() -> None:
    with pytest.raises(RuntimeError):
        _ = Response(200).url
    assert Response(200, request=Request("GET", URL)).url == Request("GET", URL).url


def test_links_are_parsed_from_the_link_header() -> None:
    response = Response(
        200,
        headers={
            "Link": '<https://api.test/items?page=2>; rel="next", '
            "<https://api.test/items?page=9>; rel=last"
        },
    )
    links = response.links
    assert links["next"]["url"] == "https://api.test/items?page=2"
    assert links["last"]["url"] == "https://api.test/items?page=9"
    assert set(links) == {"next", "last"}


def test_links_are_empty_without_a_link_header() -> None:
    assert Response(200).links == {}


def test_link_without_rel_is_keyed_by_url() -> None:
    assert Response(200, headers={"Link": "<https://a.test/x>"}).links == {
        "https://a.test/x": {"url": "https://a.test/x"}
    }


def test_repr_shows_status_and_reason() -> None:
    assert repr(Response(404)) == "<Response [404 Not Found]>"


def test_cookies_are_empty_until_a_client_stores_them() -> None:
    response = Response(200, headers={"Set-Cookie": "a=1"}, request=Request("GET", URL))
    assert response.cookies.get_dict() == {}
    assert len(response.cookies) == 0 and "a" not in response.cookies
    assert response.cookies.get("a") is None
