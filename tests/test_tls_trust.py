"""Whom a client trusts: certifi, the environment's CA files, the system store, a given context.

Real handshakes against the in-process servers, with trustme certificates.
"""

from __future__ import annotations

import os
import pathlib
import shutil
import ssl
import subprocess
import sys
from contextlib import AbstractAsyncContextManager

import certifi
import pytest
import trustme
from conftest import make_server_ssl_context
from h2server import H2Server, open_h2_server
from server import TestServer, open_test_server

from trio_http import AsyncClient, SSLError
from trio_http._transports._tls_alpn import alpn_in_client_hello, offered_alpn
from trio_http._transports._tls_context import (
    _build_context,
    create_ssl_context,
    verify_from_environment,
)

try:
    import truststore
except ImportError:  # the optional extra
    truststore = None

needs_truststore = pytest.mark.skipif(truststore is None, reason="the truststore extra")
# truststore reads the OpenSSL default paths on Linux, and those follow
# SSL_CERT_FILE: the one platform where a test can add to "the system store".
linux_only = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="system store set through SSL_CERT_FILE"
)


@pytest.fixture
def no_ca_environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    return monkeypatch


@pytest.fixture
def fresh_contexts() -> None:
    """Forget cached contexts: truststore's store only grows with what it read before."""
    _build_context.cache_clear()


def h2_only_server(cert: trustme.LeafCert) -> AbstractAsyncContextManager[H2Server]:
    """An HTTP/2 server on TLS whose ALPN takes ``h2`` only."""
    return open_h2_server(make_server_ssl_context(cert, alpn=("h2",)))


async def get(url: str, **client_options: object) -> str:
    """The HTTP version of one GET's response."""
    async with AsyncClient(**client_options) as client:  # type: ignore[arg-type]
        response = await client.get(url)
    return response.http_version


# -- the environment's CA files ----------------------------------------------


async def test_ssl_cert_file_is_trusted_when_verify_is_true(
    tls_server: TestServer, ca_bundle: str, no_ca_environment: pytest.MonkeyPatch
) -> None:
    no_ca_environment.setenv("SSL_CERT_FILE", ca_bundle)
    assert await get(tls_server.url_for("/get")) == "HTTP/1.1"


@pytest.mark.parametrize(
    "options",
    [{"trust_env": False}, {"verify": certifi.where()}],
    ids=["trust_env=False", "explicit-verify"],
)
async def test_ssl_cert_file_is_not_used(
    tls_server: TestServer,
    ca_bundle: str,
    no_ca_environment: pytest.MonkeyPatch,
    options: dict[str, object],
) -> None:
    no_ca_environment.setenv("SSL_CERT_FILE", ca_bundle)
    with pytest.raises(SSLError, match="unable to get local issuer certificate"):
        await get(tls_server.url_for("/get"), **options)


def _hashed_directory(ca_bundle: str, directory: pathlib.Path) -> str:
    """A directory in OpenSSL's hashed layout holding ``ca_bundle`` (needs openssl)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl rehash lays out the directory")
    shutil.copy(ca_bundle, directory / "ca.pem")
    subprocess.run([openssl, "rehash", str(directory)], check=True)
    return str(directory)


async def test_ssl_cert_dir_is_trusted_when_verify_is_true(
    tls_server: TestServer,
    ca_bundle: str,
    tmp_path: pathlib.Path,
    no_ca_environment: pytest.MonkeyPatch,
) -> None:
    no_ca_environment.setenv("SSL_CERT_DIR", _hashed_directory(ca_bundle, tmp_path))
    assert await get(tls_server.url_for("/get")) == "HTTP/1.1"


async def test_missing_ssl_cert_file_names_the_variable(
    tls_server: TestServer, tmp_path: pathlib.Path, no_ca_environment: pytest.MonkeyPatch
) -> None:
    missing = str(tmp_path / "missing.pem")
    no_ca_environment.setenv("SSL_CERT_FILE", missing)
    with pytest.raises(SSLError) as info:
        await get(tls_server.url_for("/get"))
    assert str(info.value) == (
        "Could not find a suitable TLS CA certificate bundle, invalid path: "
        f"{missing} (named by SSL_CERT_FILE)"
    )


@pytest.mark.parametrize(
    ("verify", "environ", "expected"),
    [
        (True, {}, True),
        (True, {"SSL_CERT_FILE": "/a.pem", "SSL_CERT_DIR": "/certs"}, "/a.pem"),
        (True, {"SSL_CERT_FILE": "", "SSL_CERT_DIR": "/certs"}, "/certs"),
        (False, {"SSL_CERT_FILE": "/a.pem"}, False),
        ("/mine.pem", {"SSL_CERT_FILE": "/a.pem"}, "/mine.pem"),
        ("system", {"SSL_CERT_FILE": "/a.pem"}, "system"),
    ],
)
def test_only_verify_true_takes_the_environment(
    verify: bool | str, environ: dict[str, str], expected: bool | str
) -> None:
    assert verify_from_environment(verify, environ) == expected


# -- the system trust store (truststore) ---------------------------------------


@needs_truststore
def test_verify_system_builds_a_truststore_context() -> None:
    context = create_ssl_context("system", alpn=("h2", "http/1.1"))
    assert isinstance(context, truststore.SSLContext)
    assert context.minimum_version >= ssl.TLSVersion.TLSv1_2
    assert offered_alpn(context) == ("h2", "http/1.1")
    assert create_ssl_context("system", alpn=("h2", "http/1.1")) is context


@needs_truststore
@linux_only
async def test_verify_system_trusts_what_the_system_store_holds(
    tls_server: TestServer,
    ca_bundle: str,
    no_ca_environment: pytest.MonkeyPatch,
    fresh_contexts: None,
) -> None:
    no_ca_environment.setenv("SSL_CERT_FILE", ca_bundle)
    assert await get(tls_server.url_for("/get"), verify="system") == "HTTP/1.1"


@needs_truststore
async def test_verify_system_does_not_trust_a_private_ca(
    tls_server: TestServer, no_ca_environment: pytest.MonkeyPatch, fresh_contexts: None
) -> None:
    with pytest.raises(SSLError, match="certificate verify failed"):
        await get(tls_server.url_for("/get"), verify="system")


def test_verify_system_without_truststore_names_the_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "truststore", None)  # as if not installed
    with pytest.raises(ImportError) as info:
        AsyncClient(verify="system")
    assert str(info.value) == (
        "verify='system' uses the operating system's trust store through the "
        "truststore package, which is not installed: pip install 'trio_http[truststore]'"
    )
    assert info.value.name == "truststore"


# -- a caller's SSLContext ---------------------------------------------------


async def test_caller_context_without_alpn_gets_h2_once(
    server_cert: trustme.LeafCert, ca: trustme.CA
) -> None:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    assert offered_alpn(context) == ()
    async with h2_only_server(server_cert) as running:
        assert await get(running.url + "/ok", verify=context, http2=True) == "HTTP/2"
    assert offered_alpn(context) == ("h2", "http/1.1")
    # Once per context: a later, different offer does not replace it.
    create_ssl_context(context, alpn=("h2",))
    assert offered_alpn(context) == ("h2", "http/1.1")


async def test_caller_context_is_untouched_without_http2(
    tls_server: TestServer, ca: trustme.CA
) -> None:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    assert await get(tls_server.url_for("/get"), verify=context) == "HTTP/1.1"
    assert offered_alpn(context) == ()


async def test_caller_context_with_its_own_alpn_is_left_alone(
    server_cert: trustme.LeafCert, ca: trustme.CA
) -> None:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    context.set_alpn_protocols(["http/1.1"])
    # An HTTP/1.1 server whose ALPN would take h2 too, if it were offered first.
    server_context = make_server_ssl_context(server_cert, alpn=("h2", "http/1.1"))
    async with open_test_server(server_context) as running:
        assert await get(running.url_for("/get"), verify=context, http2=True) == "HTTP/1.1"
    assert offered_alpn(context) == ("http/1.1",)


@needs_truststore
@linux_only
async def test_truststore_context_of_the_caller_gets_h2(
    server_cert: trustme.LeafCert, ca_bundle: str, no_ca_environment: pytest.MonkeyPatch
) -> None:
    no_ca_environment.setenv("SSL_CERT_FILE", ca_bundle)
    context = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    async with h2_only_server(server_cert) as running:
        assert await get(running.url + "/ok", verify=context, http2=True) == "HTTP/2"


def test_client_hello_without_extensions_offers_nothing() -> None:
    body = b"\x03\x03" + bytes(32) + b"\x00" + b"\x00\x02\x13\x01" + b"\x01\x00"
    message = b"\x01" + len(body).to_bytes(3, "big") + body
    record = b"\x16\x03\x01" + len(message).to_bytes(2, "big") + message
    assert alpn_in_client_hello(record) == ()


@pytest.mark.parametrize(
    "records", [b"", b"\x17\x03\x03\x00\x01x", b"\x16\x03\x01\x00\x05\x01\x00"]
)
def test_unreadable_client_hello_is_none(records: bytes) -> None:
    assert alpn_in_client_hello(records) is None


# -- files that change on disk -------------------------------------------------


def _bump_mtime(path: pathlib.Path) -> None:
    # Later than any write a coarse clock could hide within the same tick.
    status = path.stat()
    os.utime(path, ns=(status.st_atime_ns, status.st_mtime_ns + 2_000_000_000))


async def test_replaced_ca_bundle_is_trusted_by_the_next_client(tmp_path: pathlib.Path) -> None:
    bundle = tmp_path / "bundle.pem"
    trustme.CA().cert_pem.write_to_path(str(bundle))
    server_ca = trustme.CA()
    async with open_test_server(
        make_server_ssl_context(server_ca.issue_cert("127.0.0.1"))
    ) as running:
        with pytest.raises(SSLError, match="unable to get local issuer certificate"):
            await get(running.url, verify=str(bundle))
        # Replaced the way package managers do it: a new file renamed over it.
        staged = tmp_path / "bundle.pem.new"
        server_ca.cert_pem.write_to_path(str(staged))
        os.replace(staged, bundle)
        assert await get(running.url, verify=str(bundle)) == "HTTP/1.1"


def test_ca_bundle_edited_in_place_gives_a_new_context(
    tmp_path: pathlib.Path, ca: trustme.CA
) -> None:
    bundle = tmp_path / "bundle.pem"
    ca.cert_pem.write_to_path(str(bundle))
    first = create_ssl_context(str(bundle))
    assert create_ssl_context(str(bundle)) is first
    other = trustme.CA()
    other.cert_pem.write_to_path(str(bundle))  # same inode
    _bump_mtime(bundle)
    second = create_ssl_context(str(bundle))
    assert second is not first
    expected = ssl.PEM_cert_to_DER_cert(other.cert_pem.bytes().decode())
    assert second.get_ca_certs(binary_form=True) == [expected]


def test_client_certificate_edited_in_place_gives_a_new_context(
    tmp_path: pathlib.Path, ca: trustme.CA
) -> None:
    pem = tmp_path / "client.pem"
    ca.issue_cert("one.test").private_key_and_cert_chain_pem.write_to_path(str(pem))
    first = create_ssl_context(False, str(pem))
    assert create_ssl_context(False, str(pem)) is first
    ca.issue_cert("two.test").private_key_and_cert_chain_pem.write_to_path(str(pem))
    _bump_mtime(pem)
    assert create_ssl_context(False, str(pem)) is not first
