"""Hosts in URLs: IDNA, IP literals, DNS length limits."""

from __future__ import annotations

import pytest

from trio_http._exceptions import InvalidURL
from trio_http._urls import URL


def test_idna_host_is_punycode() -> None:
    url = URL("http://bücher.example/")
    assert url.host == "xn--bcher-kva.example"
    assert str(url) == "http://xn--bcher-kva.example/"


def test_idna_host_is_case_folded() -> None:
    assert URL("http://BÜCHER.example/").host == "xn--bcher-kva.example"


def test_underscore_host_is_accepted_although_idna_refuses_it() -> None:
    assert URL("http://My_Service.internal:81/").host == "my_service.internal"


def test_invalid_punycode_label_is_rejected() -> None:
    with pytest.raises(InvalidURL):
        URL("http://xn--zz.example/")


def test_ipv6_host_without_brackets_and_netloc_with_them() -> None:
    url = URL("http://[::1]:8080/")
    assert url.host == "::1"
    assert url.port == 8080
    assert url.netloc == "[::1]:8080"
    assert url.origin == ("http", "::1", 8080)
    assert str(url) == "http://[::1]:8080/"


def test_ipv6_address_is_compressed_and_lower_cased() -> None:
    assert URL("http://[0:0:0:0:0:0:0:1]/").host == "::1"
    assert URL("http://[FE80::AB]/").host == "fe80::ab"


def test_ipv6_zone_identifier() -> None:
    url = URL("http://[fe80::1%25eth0]:81/")
    assert url.host == "fe80::1%eth0"
    assert str(url) == "http://[fe80::1%25eth0]:81/"


@pytest.mark.parametrize(
    "text",
    ["http://[::g]/", "http://[::1/", "http://[::1]x/", "http://[v1.x]/", "http://[fe80::1%25]/"],
)
def test_bad_ipv6_literal_is_rejected(text: str) -> None:
    with pytest.raises(InvalidURL):
        URL(text)


def test_ipv4_host_is_kept() -> None:
    assert URL("http://192.168.0.1:81/").host == "192.168.0.1"


def test_ipv4_out_of_range_is_rejected() -> None:
    with pytest.raises(InvalidURL):
        URL("http://256.1.1.1/")


def test_host_label_longer_than_63_is_rejected() -> None:
    URL(f"http://{'a' * 63}.com/")
    with pytest.raises(InvalidURL):
        URL(f"http://{'a' * 64}.com/")


def test_host_longer_than_253_is_rejected() -> None:
    with pytest.raises(InvalidURL):
        URL("http://" + ".".join(["a" * 50] * 6) + "/")


@pytest.mark.parametrize("host", ["a b", "a<b", "a^b", "a|b", "a..b", "a%00b", "a%zz"])
def test_forbidden_host_characters_are_rejected(host: str) -> None:
    with pytest.raises(InvalidURL):
        URL(f"http://{host}/")


def test_the_forbidden_host_class_is_every_code_point_but_the_allowed_ascii() -> None:
    # WHATWG's forbidden host code points, controls, space, DEL and beyond.
    from trio_http._url_host import _FORBIDDEN_HOST

    forbidden_ascii = set('\x00\t\n\r #/:<>?@[\\]^|%"`{}')
    for code in range(0x110000):
        char = chr(code)
        expected = code <= 0x20 or code >= 0x7F or char in forbidden_ascii
        assert (_FORBIDDEN_HOST.match(char) is not None) == expected, hex(code)
