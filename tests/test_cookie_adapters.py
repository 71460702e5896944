"""The urllib-shaped adapters, through the jar: what host and URL it sees."""

from __future__ import annotations

from test_cookies import cookie_header, set_cookie_response

from trio_http._cookies import Cookies


def test_ipv6_literal_host_gets_its_cookie_back() -> None:
    jar = Cookies()
    jar.extract_cookies(set_cookie_response("http://[::1]:8080/", "sid=abc"))
    assert cookie_header(jar, "http://[::1]:8080/x") == "sid=abc"


def test_userinfo_in_url_does_not_confuse_host_matching() -> None:
    jar = Cookies()
    jar.extract_cookies(set_cookie_response("https://user:pw@example.com/", "sid=abc"))
    assert cookie_header(jar, "https://example.com/") == "sid=abc"
    assert cookie_header(jar, "https://u:p@example.com/") == "sid=abc"
