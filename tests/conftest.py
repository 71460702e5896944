"""Shared fixtures: in-process test servers, a trustme CA, real nginx and hypercorn.

``server``, ``tls_server`` and ``raw_server`` are :class:`server.TestServer`
objects running inside the test's Trio run; they stop when the test ends and
fail the test at teardown if a handler raised (``server.errors``; clear it in
a test that provokes handler errors on purpose).

Soak tests append one line per scenario to ``soak_report``; the lines are
printed in their own section at the end of the run, so they show in CI output
even though pytest captures the tests' output.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
import trustme
from hypothesis import HealthCheck, settings
from nginx import nginx, nginx_defaults  # noqa: F401 - re-exported as fixtures
from server import TestServer, open_test_server

settings.register_profile(
    "dev",
    deadline=None,
    max_examples=50,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "ci",
    deadline=None,
    max_examples=100,
    derandomize=True,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("ci" if os.environ.get("CI") else os.environ.get("HYPOTHESIS_PROFILE", "dev"))


_SOAK_LINES = pytest.StashKey[list[str]]()


@pytest.fixture(scope="session")
def soak_report(pytestconfig: pytest.Config) -> list[str]:
    """Summary lines of soak scenarios, printed at the end of the run."""
    return pytestconfig.stash.setdefault(_SOAK_LINES, [])


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    lines = config.stash.get(_SOAK_LINES, [])
    if lines:
        terminalreporter.section("soak summary")
        for line in lines:
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def ca() -> trustme.CA:
    """A throwaway certificate authority for the whole test session."""
    return trustme.CA()


@pytest.fixture(scope="session")
def server_cert(ca: trustme.CA) -> trustme.LeafCert:
    """A certificate for 127.0.0.1 and localhost, signed by ``ca``."""
    return ca.issue_cert("127.0.0.1", "localhost")


@pytest.fixture(scope="session")
def ca_bundle(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> str:
    """Path of a PEM file holding ``ca``'s certificate (for ``verify=path``)."""
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


@pytest.fixture
def client_ssl_context(ca: trustme.CA) -> ssl.SSLContext:
    """A client context that trusts ``ca`` (and nothing else)."""
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    ca.configure_trust(context)
    return context


def make_server_ssl_context(
    cert: trustme.LeafCert, alpn: tuple[str, ...] = ("http/1.1",)
) -> ssl.SSLContext:
    """A server context presenting ``cert`` and offering ``alpn``."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    context.set_alpn_protocols(list(alpn))
    return context


@asynccontextmanager
async def _checked_server(ssl_context: ssl.SSLContext | None = None) -> AsyncIterator[TestServer]:
    async with open_test_server(ssl_context) as running:
        yield running
    if running.errors:
        raise AssertionError(f"test server handler errors: {running.errors!r}")


@pytest.fixture
async def server() -> AsyncIterator[TestServer]:
    """A plain-HTTP test server with the built-in endpoints."""
    async with _checked_server() as running:
        yield running


@pytest.fixture
async def tls_server(server_cert: trustme.LeafCert) -> AsyncIterator[TestServer]:
    """An HTTPS test server (certificate from ``ca``; ALPN offers only http/1.1)."""
    async with _checked_server(make_server_ssl_context(server_cert)) as running:
        yield running


@pytest.fixture
async def raw_server() -> AsyncIterator[TestServer]:
    """A test server for scripted bytes: set ``raw_server.raw_handler = fn``.

    ``fn(stream)`` gets each accepted connection's stream; see
    :class:`server.RawReader` for reading the request.
    """
    async with _checked_server() as running:
        yield running
