"""Status code names (``trio_http.codes``) and reason phrases."""

from __future__ import annotations

from http import HTTPStatus

import pytest

from trio_http import codes
from trio_http._status_codes import reason_phrase


def test_lower_and_upper_case_attributes() -> None:
    assert codes.ok == 200
    assert codes.OK == 200
    assert codes.not_found == 404
    assert codes.NOT_FOUND == 404
    assert codes.teapot == 418
    assert codes.IM_A_TEAPOT == 418


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ok", 200),
        ("OK", 200),
        ("Created", 201),
        ("moved", 301),
        ("temporary_redirect", 307),
        ("resume", 308),
        ("too_many_requests", 429),
        ("server_error", 500),
        ("\\o/", 200),
        ("/o\\", 500),
        ("✓", 200),
    ],
)
def test_item_lookup_is_case_insensitive(name: str, value: int) -> None:
    assert codes[name] == value


def test_every_http_status_member_name_is_known() -> None:
    # requests gives REQUEST_URI_TOO_LONG another number; its value wins.
    reassigned = {"REQUEST_URI_TOO_LONG": 122}
    for status in HTTPStatus:
        expected = reassigned.get(status.name, status.value)
        assert codes[status.name] == expected
        assert getattr(codes, status.name.lower()) == expected


def test_unknown_item_raises_key_error() -> None:
    with pytest.raises(KeyError):
        codes["no_such_status"]


def test_get_with_default() -> None:
    assert codes.get("not_found") == 404
    assert codes.get("NOT_FOUND") == 404
    assert codes.get("no_such_status") is None
    assert codes.get("no_such_status", 0) == 0


def test_membership() -> None:
    assert "teapot" in codes
    assert "TEAPOT" in codes
    assert "no_such_status" not in codes
    assert 200 not in codes


def test_unknown_attribute_raises_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_status"):
        _ = codes.no_such_status
    assert not hasattr(codes, "definitely_not_a_status")


def test_mixed_case_attribute_falls_back_to_the_name_table() -> None:
    assert codes.Not_Found == 404


def test_codes_compare_as_ints() -> None:
    assert isinstance(codes.ok, int)
    assert codes.ok == HTTPStatus.OK


@pytest.mark.parametrize("status", list(HTTPStatus))
def test_reason_phrase_matches_the_standard(status: HTTPStatus) -> None:
    assert reason_phrase(status.value) == status.phrase


@pytest.mark.parametrize("status", [0, 99, 299, 599, 999])
def test_reason_phrase_of_an_unknown_status_is_empty(status: int) -> None:
    assert reason_phrase(status) == ""


def test_common_reason_phrases() -> None:
    assert reason_phrase(200) == "OK"
    assert reason_phrase(404) == "Not Found"
    assert reason_phrase(503) == "Service Unavailable"


def _requests_names() -> dict[str, int]:
    import requests

    return {name: value for name, value in vars(requests.codes).items() if name != "name"}


def test_every_requests_name_exists_with_the_same_number() -> None:
    names = _requests_names()
    assert len(names) > 200
    mismatched = {
        name: (value, codes.get(name), getattr(codes, name, None))
        for name, value in names.items()
        if codes.get(name) != value or getattr(codes, name, None) != value
    }
    assert mismatched == {}


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("unordered", 425),
        ("unordered_collection", 425),
        ("too_early", 425),
        ("TOO_EARLY", 425),
        ("early-hints", 102),
        ("checkpoint", 103),
        ("uri_too_long", 414),
        ("precondition", 428),
        ("none", 444),
        ("parental_controls", 450),
    ],
)
def test_requests_aliases_and_their_last_value_wins(name: str, value: int) -> None:
    assert codes[name] == value
    assert getattr(codes, name) == value


def test_request_uri_too_long_is_122_as_in_requests() -> None:
    # requests files this name under the pre-standard 122, where HTTPStatus has 414.
    assert codes.request_uri_too_long == _requests_names()["request_uri_too_long"] == 122
    assert HTTPStatus.REQUEST_URI_TOO_LONG.value == 414
    assert codes.request_uri_too_large == 414


def test_unknown_name_differs_from_requests_by_raising() -> None:
    import requests

    assert requests.codes["no_such_status"] is None
    with pytest.raises(KeyError):
        codes["no_such_status"]
