"""Real HTTP/2 servers on loopback for interop tests: hypercorn and nghttpd.

Each fixture starts exactly one server process on a free port, waits until
it accepts connections, and stops that process at the end of the session.
A missing server skips its tests with a reason, or fails them when
``TRIO_HTTP_REQUIRE_NGINX=1`` (CI installs every server, see ci/servers.txt).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import trustme

__all__ = [
    "RunningServer",
    "free_port",
    "hypercorn_h2",
    "hypercorn_h2c",
    "missing",
    "nghttpd",
    "start_process",
    "stop_process",
    "write_tls_files",
]

STARTUP_TIMEOUT = 15.0  # seconds for a server to accept connections
TESTS = Path(__file__).resolve().parent


@dataclass
class RunningServer:
    """A server process this fixture started."""

    url: str
    port: int
    ca_bundle: str | None
    process: subprocess.Popen[bytes]
    docroot: Path | None = None


def missing(what: str) -> None:
    """Skip the test (fail it under ``TRIO_HTTP_REQUIRE_NGINX=1``): ``what`` is not installed."""
    message = f"{what} not installed: run ci/install.sh"
    if os.environ.get("TRIO_HTTP_REQUIRE_NGINX") == "1":
        pytest.fail(message)
    pytest.skip(message)


def free_port() -> int:
    """A TCP port free on loopback now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_listening(process: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{log.read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > deadline:
                stop_process(process)
                raise RuntimeError(f"server did not listen on {port}:\n{log.read_text()}") from None
            time.sleep(0.05)


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """Stop a server process this module started: SIGTERM, then SIGKILL after 10 s."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def start_process(
    command: list[str], port: int, log: Path, cwd: Path | None = None
) -> subprocess.Popen[bytes]:
    """Start ``command`` (output to ``log``) and wait until it listens on ``port``.

    Raises:
        RuntimeError: it exited or did not listen within ``STARTUP_TIMEOUT``.
    """
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, cwd=cwd
        )
    _wait_listening(process, port, log)
    return process


def write_tls_files(tmp: Path, ca: trustme.CA) -> tuple[Path, Path, str]:
    """A loopback certificate signed by ``ca``, written to ``tmp``.

    Returns:
        (certificate chain file, private key file, the CA bundle's path).
    """
    leaf = ca.issue_cert("127.0.0.1", "localhost")
    leaf.cert_chain_pems[0].write_to_path(str(tmp / "cert.pem"))
    leaf.private_key_pem.write_to_path(str(tmp / "key.pem"))
    ca.cert_pem.write_to_path(str(tmp / "ca.pem"))
    return tmp / "cert.pem", tmp / "key.pem", str(tmp / "ca.pem")


def _hypercorn(tmp: Path, ca: trustme.CA, tls: bool) -> Iterator[RunningServer]:
    try:
        import hypercorn  # noqa: F401
    except ImportError:
        missing("hypercorn")
    port = free_port()
    command = [sys.executable, "-m", "hypercorn", "--bind", f"127.0.0.1:{port}", "asgi_app:app"]
    bundle = None
    if tls:
        cert, key, bundle = write_tls_files(tmp, ca)
        command += ["--certfile", str(cert), "--keyfile", str(key)]
    process = start_process(command, port, tmp / "hypercorn.log", cwd=TESTS)
    scheme = "https" if tls else "http"
    try:
        yield RunningServer(f"{scheme}://127.0.0.1:{port}", port, bundle, process)
    finally:
        stop_process(process)


@pytest.fixture(scope="session")
def hypercorn_h2(
    tmp_path_factory: pytest.TempPathFactory, ca: trustme.CA
) -> Iterator[RunningServer]:
    """hypercorn serving tests/asgi_app.py over TLS (ALPN h2, http/1.1)."""
    yield from _hypercorn(tmp_path_factory.mktemp("hypercorn-tls"), ca, tls=True)


@pytest.fixture(scope="session")
def hypercorn_h2c(
    tmp_path_factory: pytest.TempPathFactory, ca: trustme.CA
) -> Iterator[RunningServer]:
    """hypercorn serving tests/asgi_app.py over plain TCP (h2c prior knowledge or 1.1)."""
    yield from _hypercorn(tmp_path_factory.mktemp("hypercorn-plain"), ca, tls=False)


@pytest.fixture(scope="session")
def nghttpd(tmp_path_factory: pytest.TempPathFactory, ca: trustme.CA) -> Iterator[RunningServer]:
    """nghttpd (nghttp2's server) over TLS, serving a docroot with ok.txt and 1m.bin."""
    binary = shutil.which("nghttpd") or (
        "/usr/sbin/nghttpd" if os.access("/usr/sbin/nghttpd", os.X_OK) else None
    )
    if binary is None:
        missing("nghttpd")
    assert binary is not None
    tmp = tmp_path_factory.mktemp("nghttpd")
    docroot = tmp / "htdocs"
    docroot.mkdir()
    (docroot / "ok.txt").write_bytes(b"ok from nghttpd\n")
    (docroot / "1m.bin").write_bytes(bytes(range(256)) * 4096)
    cert, key, bundle = write_tls_files(tmp, ca)
    port = free_port()
    command = [binary, "--address=127.0.0.1", f"--htdocs={docroot}", str(port), str(key), str(cert)]
    process = start_process(command, port, tmp / "nghttpd.log")
    try:
        yield RunningServer(f"https://127.0.0.1:{port}", port, bundle, process, docroot)
    finally:
        stop_process(process)
