"""A real nginx on 127.0.0.1 for interoperability tests.

How this works: :func:`start_nginx` writes a throwaway prefix directory (a
generated ``nginx.conf``, static files, a trustme certificate and key), picks
free ports by binding to port 0, runs ``nginx -p PREFIX -c nginx.conf`` in the
foreground (``daemon off``) and waits until both ports accept connections.
:meth:`Nginx.stop` terminates exactly the process it started. Two
session-scoped fixtures wrap both:

:func:`nginx`           keeps connections open for 100,000 requests and 60 s
                        idle, so tests that count connections see exactly
                        the ones the client opened;
:func:`nginx_defaults`  leaves nginx's own keep-alive defaults in place (1.22:
                        ``keepalive_requests 1000``, ``keepalive_timeout 75s``),
                        so long runs see the server end connections
                        gracefully, as production servers do (HTTP/1.1:
                        ``Connection: close``; HTTP/2: GOAWAY).

Served on both ports (HTTP on ``http_port``, HTTPS on ``https_port``, with
HTTP/2 offered over ALPN on the HTTPS port):

``/small.txt``  :data:`SMALL_TXT`
``/1m.bin``     :data:`ONE_MIB` (1 MiB of a fixed byte pattern)
``/12k.bin``    :data:`TWELVE_KIB` (the first 12 KiB of it: two HTTP/2 DATA
                frames at nginx's default ``http2_chunk_size`` of 8k)
``/gzip.txt``   :data:`GZIP_TXT`, gzip-encoded when the client accepts gzip
``/ok``         ``200 ok``
``/redirect``   ``302`` to ``/ok``
``/ws/<path>``  only with ``ws_upstream``: WebSockets (and plain requests)
                proxied to ``http://<ws_upstream>/<path>``
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import trustme

__all__ = [
    "GZIP_TXT",
    "ONE_MIB",
    "SMALL_TXT",
    "TWELVE_KIB",
    "Nginx",
    "established_connections",
    "find_nginx",
    "nginx",
    "nginx_defaults",
    "start_nginx",
]

SMALL_TXT = b"hello from nginx\n"
ONE_MIB = (bytes(range(256)) * 4096)[: 1024 * 1024]
TWELVE_KIB = ONE_MIB[: 12 * 1024]
GZIP_TXT = b"".join(
    b"line %d: the quick brown fox jumps over the lazy dog\n" % i for i in range(400)
)

STARTUP_TIMEOUT = 15.0  # seconds for nginx to accept on both ports
STOP_TIMEOUT = 10.0  # seconds for a graceful exit before SIGKILL
_ESTABLISHED = "01"  # TCP state code in /proc/net/tcp


def find_nginx() -> str | None:
    """The nginx binary's path, or None. Looks in PATH, then /usr/sbin."""
    found = shutil.which("nginx")
    if found is None and os.access("/usr/sbin/nginx", os.X_OK):
        found = "/usr/sbin/nginx"
    return found


def nginx_version(binary: str) -> tuple[int, ...]:
    """The version of ``binary`` as a tuple, e.g. ``(1, 22, 1)``."""
    result = subprocess.run([binary, "-v"], capture_output=True, text=True, check=True)
    match = re.search(r"nginx/(\d+(?:\.\d+)*)", result.stderr + result.stdout)
    if match is None:
        raise RuntimeError(f"cannot read nginx version from {result.stderr!r}")
    return tuple(int(part) for part in match.group(1).split("."))


def _free_ports(count: int) -> list[int]:
    # Bind them all at once so the kernel hands out distinct ports; another
    # process may still grab one before nginx binds it (start retries then).
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def established_connections(port: int) -> int:
    """Count ESTABLISHED TCP connections whose local port is ``port``.

    Reads ``/proc/net/tcp`` and ``/proc/net/tcp6``; the server's side of each
    connection has the listening port as its local port, so this counts the
    connections a server on ``port`` holds, whoever opened them.
    """
    wanted = f"{port:04X}"
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as lines:
                next(lines)  # column titles
                for line in lines:
                    fields = line.split()
                    local_port = fields[1].rpartition(":")[2]
                    if local_port == wanted and fields[3] == _ESTABLISHED:
                        count += 1
        except FileNotFoundError:
            continue
    return count


@dataclass
class Nginx:
    """A running nginx; see the module docstring for what it serves.

    Attributes:
        binary: path of the nginx executable.
        version: e.g. ``(1, 22, 1)``.
        prefix: the temporary prefix directory (config, logs, files).
        http_port: plain HTTP port.
        https_port: TLS port; offers ``h2`` and ``http/1.1`` over ALPN.
        ca: the trustme CA that signed the server certificate.
        keepalive_defaults: True when the configuration leaves
            ``keepalive_requests`` and ``keepalive_timeout`` at nginx's defaults.
        ws_upstream: ``host:port`` that ``/ws/`` proxies WebSockets to, or None.
        process: the nginx master process this object started.
    """

    binary: str
    version: tuple[int, ...]
    prefix: Path
    http_port: int
    https_port: int
    ca: trustme.CA
    keepalive_defaults: bool = False
    ws_upstream: str | None = None
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def http_url(self) -> str:
        """``"http://127.0.0.1:PORT"``."""
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def https_url(self) -> str:
        """``"https://127.0.0.1:PORT"``; the certificate covers 127.0.0.1 and localhost."""
        return f"https://127.0.0.1:{self.https_port}"

    @property
    def ca_bundle(self) -> Path:
        """A PEM file holding the CA certificate, for ``verify=path``."""
        return self.prefix / "ca.pem"

    @property
    def error_log(self) -> Path:
        return self.prefix / "logs" / "error.log"

    def error_log_text(self) -> str:
        """The error log so far ("" if nginx has not written one)."""
        try:
            return self.error_log.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def established_connections(self, port: int | None = None) -> int:
        """ESTABLISHED connections to ``port`` (default: both nginx ports)."""
        ports = (self.http_port, self.https_port) if port is None else (port,)
        return sum(established_connections(one) for one in ports)

    def start(self) -> None:
        """Start nginx and wait until both ports accept connections.

        Raises:
            RuntimeError: nginx exited or did not listen in time; the message
                includes its error log.
        """
        conf = self.prefix / "conf" / "nginx.conf"
        self.process = subprocess.Popen(
            [self.binary, "-p", f"{self.prefix}/", "-c", str(conf), "-e", str(self.error_log)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + STARTUP_TIMEOUT
        pending = [self.http_port, self.https_port]
        while pending:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"nginx exited with {self.process.returncode}:\n{self.error_log_text()}"
                )
            try:
                with socket.create_connection(("127.0.0.1", pending[0]), timeout=0.5):
                    pending.pop(0)
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(
                        f"nginx did not listen on {pending[0]} within {STARTUP_TIMEOUT} s:\n"
                        f"{self.error_log_text()}"
                    ) from None
                time.sleep(0.02)

    def stop(self) -> None:
        """Stop the nginx this object started (SIGTERM, then SIGKILL)."""
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _write_config(server: Nginx) -> None:
    prefix = server.prefix
    for directory in ("conf", "logs", "html", "temp"):
        (prefix / directory).mkdir(parents=True, exist_ok=True)
    (prefix / "html" / "small.txt").write_bytes(SMALL_TXT)
    (prefix / "html" / "1m.bin").write_bytes(ONE_MIB)
    (prefix / "html" / "12k.bin").write_bytes(TWELVE_KIB)
    (prefix / "html" / "gzip.txt").write_bytes(GZIP_TXT)
    leaf = server.ca.issue_cert("127.0.0.1", "localhost")
    leaf.private_key_and_cert_chain_pem.write_to_path(str(prefix / "conf" / "server.pem"))
    server.ca.cert_pem.write_to_path(str(prefix / "ca.pem"))

    # nginx 1.25.1 replaced "listen ... http2" with the "http2 on" directive.
    if server.version >= (1, 25, 1):
        tls_listen = f"listen 127.0.0.1:{server.https_port} ssl;\n        http2 on;"
    else:
        tls_listen = f"listen 127.0.0.1:{server.https_port} ssl http2;"
    # As root, nginx would switch workers to "nobody", who cannot read a
    # private temporary directory; stay root then (ignored otherwise).
    user = "user root root;" if os.geteuid() == 0 else ""
    temp = prefix / "temp"
    if server.keepalive_defaults:
        keepalive = "# keepalive_requests and keepalive_timeout: nginx's defaults"
    else:
        keepalive = "keepalive_requests 100000;\n    keepalive_timeout 60s;"
    locations = """
        root html;
        location = /ok { default_type text/plain; return 200 "ok"; }
        location = /redirect { return 302 /ok; }
        # An upload sink: nginx reads the whole body (request buffering)
        # before it answers, so a client never sees an early response.
        location = /upload {
            client_max_body_size 0;
            client_body_buffer_size 1m;
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
            proxy_set_header Transfer-Encoding "";
            proxy_pass http://127.0.0.1:HTTP_PORT/ok;
        }
        location = /gzip.txt {
            gzip on;
            gzip_types text/plain;
            gzip_min_length 0;
        }
    """.replace("HTTP_PORT", str(server.http_port))
    if server.ws_upstream is not None:
        # RFC 6455 §4.1 through a proxy: the hop-by-hop Upgrade and Connection
        # headers must be passed on by hand, over HTTP/1.1 to the upstream.
        locations += f"""
        location /ws/ {{
            proxy_pass http://{server.ws_upstream}/;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection "upgrade";
            proxy_read_timeout 60s;
        }}
        """
    conf = f"""
{user}
daemon off;
master_process on;
worker_processes 1;
pid {prefix}/logs/nginx.pid;
error_log {prefix}/logs/error.log warn;

events {{
    worker_connections 4096;
}}

http {{
    access_log off;
    client_body_temp_path {temp}/client_body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    types {{
        text/plain txt;
        application/octet-stream bin;
    }}
    default_type application/octet-stream;
    {keepalive}

    server {{
        listen 127.0.0.1:{server.http_port};
        server_name localhost;
        {locations}
    }}

    server {{
        {tls_listen}
        server_name localhost;
        ssl_certificate {prefix}/conf/server.pem;
        ssl_certificate_key {prefix}/conf/server.pem;
        {locations}
    }}
}}
"""
    (prefix / "conf" / "nginx.conf").write_text(conf)


def start_nginx(
    prefix: Path,
    ca: trustme.CA,
    *,
    keepalive_defaults: bool = False,
    ws_upstream: str | None = None,
    attempts: int = 3,
) -> Nginx:
    """Configure and start nginx in ``prefix``; see :class:`Nginx`.

    Args:
        prefix: an empty directory for the configuration, files and logs.
        ca: signs the server certificate.
        keepalive_defaults: leave ``keepalive_requests`` and
            ``keepalive_timeout`` out of the configuration, so nginx's
            defaults end connections after 1000 requests or 75 s idle.
        ws_upstream: ``host:port`` of a WebSocket server that ``/ws/``
            proxies to (the ``/ws`` prefix stripped).
        attempts: starts to try when another process takes a chosen port.

    Raises:
        FileNotFoundError: nginx is not installed.
        RuntimeError: it failed to start ``attempts`` times (port races).
    """
    binary = find_nginx()
    if binary is None:
        raise FileNotFoundError("nginx")
    version = nginx_version(binary)
    error: RuntimeError | None = None
    for _ in range(attempts):
        http_port, https_port = _free_ports(2)
        server = Nginx(
            binary, version, prefix, http_port, https_port, ca, keepalive_defaults, ws_upstream
        )
        _write_config(server)
        try:
            server.start()
        except RuntimeError as exc:
            error = exc
            server.error_log.unlink(missing_ok=True)
            continue
        return server
    assert error is not None
    raise error


def _require_nginx() -> None:
    if find_nginx() is None:
        message = "nginx not installed: run ci/install.sh"
        if os.environ.get("TRIO_HTTP_REQUIRE_NGINX") == "1":
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="session")
def nginx(tmp_path_factory: pytest.TempPathFactory, ca: trustme.CA) -> Iterator[Nginx]:
    """A session-wide nginx; skips (or fails with TRIO_HTTP_REQUIRE_NGINX=1) without one."""
    _require_nginx()
    server = start_nginx(tmp_path_factory.mktemp("nginx"), ca)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def nginx_defaults(tmp_path_factory: pytest.TempPathFactory, ca: trustme.CA) -> Iterator[Nginx]:
    """A session-wide nginx with nginx's own keep-alive defaults; skips like :func:`nginx`."""
    _require_nginx()
    server = start_nginx(tmp_path_factory.mktemp("nginx-defaults"), ca, keepalive_defaults=True)
    try:
        yield server
    finally:
        server.stop()
