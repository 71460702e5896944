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
    for status in HTTPStatus:
        assert codes[status.name] == status.value
        assert getattr(codes, status.name.lower()) == status.value


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
