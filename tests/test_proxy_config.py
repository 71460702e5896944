"""Proxy URLs, environment variables, NO_PROXY matching and precedence."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from proxies import open_connect_proxy
from server import TestServer

import trio_http
from trio_http._exceptions import InvalidProxyURL
from trio_http._proxy_config import NoProxy, Proxy, ProxySettings, proxies_from_environment
from trio_http._transports._proxy import NoProxyRouter, ProxyTransport
from trio_http._urls import URL


def test_proxy_moves_credentials_out_of_the_url_and_masks_them() -> None:
    proxy = Proxy("http://user:p%40ss@proxy.example:3128")
    assert proxy.auth == ("user", "p@ss")
    assert "user" not in str(proxy.url) and "p@ss" not in repr(proxy)
    assert proxy.address == ("proxy.example", 3128)
    assert proxy.proxy_headers()["Proxy-Authorization"] == "Basic dXNlcjpwQHNz"


def test_explicit_auth_overrides_url_credentials() -> None:
    assert Proxy("http://a:b@p", auth=("c", "d")).auth == ("c", "d")


@pytest.mark.parametrize(
    ("url", "address"),
    [
        ("http://p", ("p", 80)),
        ("https://p", ("p", 443)),
        ("socks5://p", ("p", 1080)),
        ("socks4a://p", ("p", 1080)),
        ("p:3128", ("p", 3128)),
        ("http://[::1]:8888", ("::1", 8888)),
    ],
)
def test_proxy_default_ports_and_scheme_less_urls(url: str, address: tuple[str, int]) -> None:
    assert Proxy(url).address == address


@pytest.mark.parametrize(
    "url", ["ftp://p", "http://", "http://p/some/path", "http://p?x=1", "http://p:99999"]
)
def test_bad_proxy_urls_raise_invalid_proxy_url(url: str) -> None:
    with pytest.raises(InvalidProxyURL):
        Proxy(url)


@pytest.mark.parametrize(
    ("no_proxy", "url", "bypass"),
    [
        ("*", "https://anything.example/", True),
        ("example.com", "http://example.com/", True),
        ("example.com", "http://www.example.com/", True),
        ("example.com", "http://notexample.com/", False),
        (".example.com", "http://example.com/", True),
        (".example.com", "http://a.b.example.com/", True),
        ("*.example.com", "http://a.example.com/", True),
        ("EXAMPLE.com", "http://Example.COM/", True),
        ("127.0.0.1", "http://127.0.0.1:8000/", True),
        ("127.0.0.1", "http://127.0.0.2/", False),
        ("10.0.0.0/8", "http://10.20.30.40/", True),
        ("10.0.0.0/8", "http://11.0.0.1/", False),
        ("10.0.0.0/8", "http://ten.example/", False),
        ("::1", "http://[::1]/", True),
        ("[::1]:8080", "http://[::1]:8080/", True),
        ("[::1]:8080", "http://[::1]:8081/", False),
        ("fd00::/8", "http://[fd12::1]/", True),
        ("localhost:8080", "http://localhost:8080/", True),
        ("localhost:8080", "http://localhost/", False),
        ("example.com:443", "https://example.com/", True),
        ("a.test, b.test  c.test", "http://c.test/", True),
        ("", "http://example.com/", False),
        ("<local>, bad/range, ok.test", "http://ok.test/", True),
    ],
)
def test_no_proxy_matching(no_proxy: str, url: str, bypass: bool) -> None:
    assert NoProxy(no_proxy).matches(URL(url)) is bypass


@given(st.from_regex(r"[a-z]{1,10}(\.[a-z]{1,10}){0,3}", fullmatch=True))
def test_no_proxy_entry_always_matches_itself_and_its_subdomains(host: str) -> None:
    no_proxy = NoProxy(host)
    assert no_proxy.matches(URL(f"http://{host}/"))
    assert no_proxy.matches(URL(f"http://sub.{host}/"))
    assert not no_proxy.matches(URL(f"http://x{host}/"))


def test_environment_selects_proxy_per_scheme_with_all_proxy_fallback() -> None:
    settings = proxies_from_environment(
        {"HTTP_PROXY": "http://h:1", "ALL_PROXY": "socks5h://s:2", "NO_PROXY": "internal"}
    )
    assert settings.proxy_for(URL("http://x/")) == Proxy("http://h:1")
    assert settings.proxy_for(URL("https://x/")) == Proxy("socks5h://s:2")
    assert settings.proxy_for(URL("https://api.internal/")) is None


def test_lower_case_variables_win_and_empty_values_mean_unset() -> None:
    settings = proxies_from_environment(
        {"https_proxy": "http://lower:1", "HTTPS_PROXY": "http://upper:1", "http_proxy": ""}
    )
    assert settings.https == Proxy("http://lower:1")
    assert settings.http is None


def test_upper_case_http_proxy_is_ignored_under_cgi() -> None:
    # httpoxy: a CGI server puts the request's "Proxy:" header in HTTP_PROXY.
    assert (
        proxies_from_environment({"HTTP_PROXY": "http://evil:1", "REQUEST_METHOD": "GET"}).http
        is None
    )
    cgi_lower = proxies_from_environment({"http_proxy": "http://ok:1", "REQUEST_METHOD": "GET"})
    assert cgi_lower.http == Proxy("http://ok:1")


def test_bad_environment_proxy_names_the_variable() -> None:
    with pytest.raises(InvalidProxyURL, match="HTTPS_PROXY"):
        proxies_from_environment({"HTTPS_PROXY": "ftp://nope"})


def test_no_environment_proxy_gives_empty_settings() -> None:
    settings = proxies_from_environment({"NO_PROXY": "*"})
    assert not settings
    assert settings.proxy_for(URL("http://x/")) is None


def test_explicit_proxy_applies_to_every_url_without_exceptions() -> None:
    settings = ProxySettings.from_value("http://p:1")
    assert settings.proxy_for(URL("http://localhost/")) == Proxy("http://p:1")
    assert settings.proxy_for(URL("https://x/")) == Proxy("http://p:1")


def _mounted(client: trio_http.AsyncClient, url: str) -> object:
    return client._transport_for_url(URL(url))


def test_client_mounts_environment_proxies_with_no_proxy_routing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://envproxy:3128")
    monkeypatch.setenv("NO_PROXY", "localhost,10.0.0.0/8")
    monkeypatch.delenv("HTTP_PROXY", raising=False)
    monkeypatch.delenv("http_proxy", raising=False)
    monkeypatch.delenv("https_proxy", raising=False)
    monkeypatch.delenv("ALL_PROXY", raising=False)
    monkeypatch.delenv("all_proxy", raising=False)
    client = trio_http.AsyncClient()
    router = _mounted(client, "https://example.org/")
    assert isinstance(router, NoProxyRouter)
    assert isinstance(router.proxied, ProxyTransport)
    assert router.proxied.proxy == Proxy("http://envproxy:3128")
    assert router.no_proxy.matches(URL("https://localhost/"))
    assert _mounted(client, "http://example.org/") is client._transport


def test_explicit_proxy_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://envproxy:3128")
    monkeypatch.setenv("NO_PROXY", "*")
    client = trio_http.AsyncClient(proxy="http://explicit:8080")
    chosen = _mounted(client, "https://example.org/")
    assert isinstance(chosen, ProxyTransport)
    assert chosen.proxy == Proxy("http://explicit:8080")
    # One transport (one pool) serves both schemes for one proxy.
    assert _mounted(client, "http://example.org/") is chosen


def test_proxy_false_and_trust_env_false_ignore_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://envproxy:3128")
    for client in (trio_http.AsyncClient(proxy=False), trio_http.AsyncClient(trust_env=False)):
        assert _mounted(client, "https://example.org/") is client._transport


def test_user_mounts_win_over_proxy_mounts() -> None:
    direct = trio_http.ConnectionPool()
    client = trio_http.AsyncClient(proxy="http://p:1", mounts={"https://": direct})
    assert _mounted(client, "https://example.org/") is direct


async def test_no_proxy_sends_matching_urls_direct_and_others_through_the_proxy(
    monkeypatch: pytest.MonkeyPatch, tls_server: TestServer, ca_bundle: str
) -> None:
    async with open_connect_proxy() as proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        monkeypatch.setenv("NO_PROXY", "localhost")
        monkeypatch.delenv("https_proxy", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        async with trio_http.AsyncClient(verify=ca_bundle) as client:
            direct = await client.get(f"https://localhost:{tls_server.port}/get")
            proxied = await client.get(tls_server.url_for("/get"))
    assert direct.status_code == proxied.status_code == 200
    assert len(proxy.heads) == 1
    assert proxy.heads[0].startswith(b"CONNECT 127.0.0.1:")
