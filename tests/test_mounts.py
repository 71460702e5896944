"""AsyncClient mounts: routing by scheme, host, subdomain and port."""

from __future__ import annotations

import pytest

from trio_http import AsyncClient, InvalidURL, Request, Response
from trio_http._transports._mock import MockTransport


def labelled(label: str) -> MockTransport:
    def handler(request: Request) -> Response:
        return Response(200, content=label)

    return MockTransport(handler)


async def route_of(client: AsyncClient, url: str) -> str:
    return (await client.get(url)).text


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://plain.example/", "http"),
        ("https://plain.example/", "https"),
        ("https://api.example.com/", "exact-host"),
        ("http://api.example.com/", "exact-host"),
        ("https://a.b.svc.example/", "subdomains"),
        ("https://svc.example/", "https"),
        ("https://deep.corp.example/", "host-and-subdomains"),
        ("https://corp.example/", "host-and-subdomains"),
        ("http://any.example:8080/", "port-8080"),
        ("http://api.example.com:8080/", "api-port-8080"),
    ],
)
async def test_most_specific_mount_wins(url: str, expected: str) -> None:
    mounts = {
        "http://": labelled("http"),
        "https://": labelled("https"),
        "all://api.example.com": labelled("exact-host"),
        "all://*.svc.example": labelled("subdomains"),
        "all://*corp.example": labelled("host-and-subdomains"),
        "http://*:8080": labelled("port-8080"),
        "http://api.example.com:8080": labelled("api-port-8080"),
    }
    async with AsyncClient(transport=labelled("default"), mounts=mounts) as client:
        assert await route_of(client, url) == expected


async def test_unmatched_urls_use_the_default_transport() -> None:
    mounts = {"https://secure.example": labelled("mounted")}
    async with AsyncClient(transport=labelled("default"), mounts=mounts) as client:
        assert await route_of(client, "http://secure.example/") == "default"
        assert await route_of(client, "https://other.example/") == "default"
        assert await route_of(client, "https://secure.example/") == "mounted"


async def test_mounting_again_replaces_and_all_scheme_catches_everything() -> None:
    client = AsyncClient(transport=labelled("default"), mounts={"all://": labelled("catch-all")})
    client.mount("all://x.example", labelled("first"))
    client.mount("all://x.example", labelled("second"))
    async with client:
        assert await route_of(client, "https://x.example/") == "second"
        assert await route_of(client, "http://y.example/") == "catch-all"


async def test_redirect_hops_are_routed_per_url() -> None:
    def redirector(request: Request) -> Response:
        return Response(302, headers={"Location": "https://b.example/landing"}, content=b"")

    mounts = {"all://a.example": MockTransport(redirector), "all://b.example": labelled("b")}
    async with AsyncClient(transport=labelled("default"), mounts=mounts) as client:
        r = await client.get("https://a.example/start")
    assert r.text == "b"
    assert r.history[0].status_code == 302


def test_bad_mount_pattern_is_rejected() -> None:
    with pytest.raises(InvalidURL):
        AsyncClient(mounts={"example.com": labelled("x")})
    with pytest.raises(InvalidURL):
        AsyncClient(mounts={"http://example.com:port": labelled("x")})
