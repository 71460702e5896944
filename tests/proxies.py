"""Real proxies on 127.0.0.1 for proxy tests: tinyproxy and squid (HTTP, CONNECT), dante (SOCKS).

How this works: each starter writes a generated configuration into a
temporary directory, picks a free port by binding to port 0, runs the
server in the foreground and waits until the port accepts connections.
``stop()`` terminates exactly the process it started. Fixtures skip when the
binary is missing, or fail when ``TRIO_HTTP_REQUIRE_NGINX=1`` (CI installs
the servers listed in ``ci/servers.txt``).

Also here: :func:`open_connect_proxy`, a small in-process CONNECT-only proxy
(optionally serving TLS itself) that records every request head it gets,
for the cases a packaged proxy cannot show (TLS to the proxy, exact bytes).
"""

from __future__ import annotations

import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import trio
from server import RawReader

__all__ = [
    "ConnectProxy",
    "RealProxy",
    "dante",
    "open_connect_proxy",
    "squid",
    "start_dante",
    "start_squid",
    "start_tinyproxy",
    "tinyproxy",
    "tinyproxy_auth",
]

STARTUP_TIMEOUT = 15.0  # seconds for a proxy to accept connections
STOP_TIMEOUT = 10.0  # seconds for a graceful exit before SIGKILL
PROXY_USER = "proxyuser"
PROXY_PASSWORD = "proxy-secret"


def _find(binary: str) -> str | None:
    found = shutil.which(binary)
    for directory in ("/usr/sbin", "/usr/bin"):
        if found is None and os.access(f"{directory}/{binary}", os.X_OK):
            found = f"{directory}/{binary}"
    return found


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _skip_or_fail(message: str) -> None:
    if os.environ.get("TRIO_HTTP_REQUIRE_NGINX") == "1":
        pytest.fail(message)
    pytest.skip(message)


@dataclass
class RealProxy:
    """A proxy server process started by this module.

    Attributes:
        name: ``"tinyproxy"``, ``"squid"`` or ``"danted"``.
        port: the port it listens on, on 127.0.0.1.
        directory: its configuration and log directory.
        process: the process this object started.
    """

    name: str
    port: int
    directory: Path
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def log_path(self) -> Path:
        return self.directory / "proxy.log"

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def start(self, command: list[str]) -> None:
        """Run ``command`` and wait until the port accepts connections.

        Raises:
            RuntimeError: the process exited or did not listen in time.
        """
        # The child keeps its own copy of the log's descriptor; ours is
        # closed as soon as it has started.
        with open(self.directory / "stderr.log", "wb") as stderr_log:
            self.process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr_log,
            )
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            if self.process.poll() is not None:
                stderr = (self.directory / "stderr.log").read_text(errors="replace")
                raise RuntimeError(
                    f"{self.name} exited with {self.process.returncode}:\n{stderr}\n"
                    f"{self.log_text()}"
                )
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"{self.name} did not listen within {STARTUP_TIMEOUT} s")
                time.sleep(0.02)

    def stop(self) -> None:
        """Stop the process this object started (SIGTERM, then SIGKILL)."""
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def start_tinyproxy(directory: Path, *, auth: bool = False) -> RealProxy:
    """Start tinyproxy on 127.0.0.1 allowing CONNECT to any port.

    With ``auth``, clients must send Basic credentials
    (:data:`PROXY_USER`, :data:`PROXY_PASSWORD`).
    """
    binary = _find("tinyproxy")
    if binary is None:
        raise FileNotFoundError("tinyproxy")
    proxy = RealProxy("tinyproxy", _free_port(), directory)
    # No ConnectPort line: tinyproxy then allows CONNECT to every port,
    # which the tests need (origins listen on random loopback ports).
    lines = [
        f"Port {proxy.port}",
        "Listen 127.0.0.1",
        "Timeout 60",
        "MaxClients 50",
        "Allow 127.0.0.1",
        f'LogFile "{proxy.log_path}"',
        "LogLevel Info",
        f'PidFile "{directory / "tinyproxy.pid"}"',
        # Via marks requests that really went through the proxy.
        "DisableViaHeader No",
    ]
    if os.geteuid() == 0:
        lines += ["User nobody", "Group nogroup"]
        directory.chmod(0o777)
    if auth:
        lines.append(f"BasicAuth {PROXY_USER} {PROXY_PASSWORD}")
    conf = directory / "tinyproxy.conf"
    conf.write_text("\n".join(lines) + "\n")
    proxy.start([binary, "-d", "-c", str(conf)])
    return proxy


def start_squid(directory: Path) -> RealProxy:
    """Start squid on 127.0.0.1 forwarding and tunnelling (CONNECT) to any port.

    The configuration is self-contained: no disk cache, nothing cached in
    memory, logs in ``directory`` (the access log is :attr:`RealProxy.log_path`).
    Started as root, squid runs as user ``proxy``, which must be able to reach
    ``directory`` (pytest's temporary directories are private to their owner).
    """
    binary = _find("squid")
    if binary is None:
        raise FileNotFoundError("squid")
    proxy = RealProxy("squid", _free_port(), directory)
    lines = [
        f"http_port 127.0.0.1:{proxy.port}",
        f"pid_filename {directory / 'squid.pid'}",
        f"cache_log {directory / 'cache.log'}",
        f"access_log stdio:{proxy.log_path}",
        "cache_store_log none",
        "logfile_rotate 0",
        f"coredump_dir {directory}",
        "netdb_filename none",
        "pinger_enable off",
        "cache deny all",
        "cache_mem 8 MB",
        # Log whole URLs, so tests can find their own requests by query too.
        "strip_query_terms off",
        # Our own ACLs instead of the packaged defaults, which refuse CONNECT
        # to ports other than 443 (origins listen on random loopback ports).
        "acl from_loopback src 127.0.0.0/8",
        "http_access allow from_loopback",
        "http_access deny all",
        "visible_hostname trio-http-squid",
        # stop()'s SIGTERM then ends squid in about 2 s, not after 30 s of draining clients.
        "shutdown_lifetime 0 seconds",
    ]
    if os.geteuid() == 0:
        # Started as root, squid drops to this user: it must write the logs.
        lines += ["cache_effective_user proxy", "cache_effective_group proxy"]
        directory.chmod(0o777)
    conf = directory / "squid.conf"
    conf.write_text("\n".join(lines) + "\n")
    # -N: foreground, no worker processes, so stop() ends the whole server.
    proxy.start([binary, "-N", "-f", str(conf)])
    return proxy


def start_dante(directory: Path) -> RealProxy:
    """Start dante (``danted``) as a SOCKS4/SOCKS5 proxy on 127.0.0.1, no auth."""
    binary = _find("danted")
    if binary is None:
        raise FileNotFoundError("danted")
    proxy = RealProxy("danted", _free_port(), directory)
    user = "user.privileged: root\nuser.unprivileged: nobody\n" if os.geteuid() == 0 else ""
    conf = directory / "danted.conf"
    conf.write_text(
        f"""
logoutput: {proxy.log_path}
internal: 127.0.0.1 port = {proxy.port}
external: 127.0.0.1
clientmethod: none
socksmethod: none
{user}
client pass {{
    from: 127.0.0.0/8 to: 0.0.0.0/0
}}
socks pass {{
    from: 127.0.0.0/8 to: 0.0.0.0/0
    command: connect
    protocol: tcp
}}
"""
    )
    proxy.start([binary, "-f", str(conf), "-p", str(directory / "danted.pid"), "-N", "1"])
    return proxy


@pytest.fixture(scope="session")
def tinyproxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealProxy]:
    """A session-wide tinyproxy without authentication."""
    if _find("tinyproxy") is None:
        _skip_or_fail("tinyproxy not installed: run ci/install.sh")
    proxy = start_tinyproxy(tmp_path_factory.mktemp("tinyproxy"))
    try:
        yield proxy
    finally:
        proxy.stop()


@pytest.fixture(scope="session")
def tinyproxy_auth(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealProxy]:
    """A session-wide tinyproxy that requires Basic proxy credentials."""
    if _find("tinyproxy") is None:
        _skip_or_fail("tinyproxy not installed: run ci/install.sh")
    proxy = start_tinyproxy(tmp_path_factory.mktemp("tinyproxy-auth"), auth=True)
    try:
        yield proxy
    finally:
        proxy.stop()


@pytest.fixture(scope="session")
def squid(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealProxy]:
    """A session-wide squid without authentication."""
    if _find("squid") is None:
        _skip_or_fail("squid not installed: run ci/install.sh")
    if os.geteuid() == 0:
        # Outside pytest's root-only tree, so the unprivileged squid can write its logs.
        directory = Path(tempfile.mkdtemp(prefix="trio_http-squid-"))
    else:
        directory = tmp_path_factory.mktemp("squid")
    try:
        proxy = start_squid(directory)
        try:
            yield proxy
        finally:
            proxy.stop()
    finally:
        if os.geteuid() == 0:
            shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="session")
def dante(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealProxy]:
    """A session-wide dante SOCKS server without authentication."""
    if _find("danted") is None:
        _skip_or_fail("dante (danted) not installed: run ci/install.sh")
    proxy = start_dante(tmp_path_factory.mktemp("dante"))
    try:
        yield proxy
    finally:
        proxy.stop()


# -- an in-process CONNECT proxy ------------------------------------------------


@dataclass
class ConnectProxy:
    """An in-process CONNECT proxy; see :func:`open_connect_proxy`.

    Attributes:
        port: its port on 127.0.0.1.
        scheme: ``"http"`` or ``"https"`` (TLS to the proxy itself).
        heads: every request head received, raw bytes, in order.
        reply: the status line and headers sent for each CONNECT; a 2xx
            opens the tunnel, anything else closes the connection.
    """

    port: int
    scheme: str
    heads: list[bytes] = field(default_factory=list)
    reply: bytes = b"HTTP/1.1 200 Connection established\r\n\r\n"

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"


async def _pipe(source: trio.abc.Stream, sink: trio.abc.Stream) -> None:
    try:
        while True:
            data = await source.receive_some(65536)
            if not data:
                break
            await sink.send_all(data)
    except (trio.BrokenResourceError, trio.ClosedResourceError):
        pass


async def _serve_connect(proxy: ConnectProxy, stream: trio.abc.Stream) -> None:
    async with stream:
        reader = RawReader(stream)
        try:
            head = await reader.receive_head()
        except (trio.BrokenResourceError, trio.ClosedResourceError, EOFError, ValueError):
            return
        proxy.heads.append(head)
        request_line = head.split(b"\r\n", 1)[0].split()
        await stream.send_all(proxy.reply)
        tunnel_opened = proxy.reply.split(b" ", 2)[1].startswith(b"2")
        if request_line[0] != b"CONNECT" or not tunnel_opened:
            return
        host, _, port = request_line[1].decode().rpartition(":")
        upstream = await trio.open_tcp_stream(host.strip("[]"), int(port))
        async with upstream, trio.open_nursery() as nursery:
            nursery.start_soon(_pipe, upstream, stream)
            await _pipe(stream, upstream)
            nursery.cancel_scope.cancel()


@asynccontextmanager
async def open_connect_proxy(
    ssl_context: ssl.SSLContext | None = None,
) -> AsyncIterator[ConnectProxy]:
    """Run a CONNECT-only proxy on 127.0.0.1 inside the current Trio run.

    With ``ssl_context`` the proxy itself speaks TLS (an ``https://`` proxy).
    """
    listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
    listener = listeners[0]
    proxy = ConnectProxy(
        port=listener.socket.getsockname()[1], scheme="https" if ssl_context else "http"
    )

    async def handle(stream: trio.SocketStream) -> None:
        wrapped: trio.abc.Stream = stream
        if ssl_context is not None:
            wrapped = trio.SSLStream(stream, ssl_context, server_side=True)
        await _serve_connect(proxy, wrapped)

    async with trio.open_nursery() as nursery:
        nursery.start_soon(trio.serve_listeners, handle, [listener])
        try:
            yield proxy
        finally:
            nursery.cancel_scope.cancel()
