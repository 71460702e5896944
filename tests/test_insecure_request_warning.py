"""``verify=False`` warns per HTTPS request, as requests (through urllib3) does.

A small threaded HTTPS server (trustme's certificate, which neither client
trusts) answers both ``requests.Session`` and ``trio_http.Session``; each
library's ``InsecureRequestWarning`` is counted.
"""

from __future__ import annotations

import http.server
import ssl
import subprocess
import sys
import threading
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import trustme
import urllib3.exceptions

import trio_http
from trio_http.exceptions import InsecureRequestWarning, RequestsWarning


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def tls_url(server_cert: trustme.LeafCert) -> Iterator[str]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_cert.configure_cert(context)
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


def _warnings_from(session: Any, url: str, times: int, category: type[Warning]) -> int:
    with warnings.catch_warnings(record=True) as caught, session:
        warnings.simplefilter("always")
        for _ in range(times):
            assert session.get(url, verify=False).status_code == 200
    return sum(issubclass(each.category, category) for each in caught)


def test_verify_false_warns_once_per_request_like_requests(tls_url: str) -> None:
    theirs = _warnings_from(
        requests.Session(), tls_url, 3, urllib3.exceptions.InsecureRequestWarning
    )
    ours = _warnings_from(trio_http.Session(), tls_url, 3, InsecureRequestWarning)
    assert ours == theirs == 3


def test_verify_false_on_plain_http_does_not_warn() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", InsecureRequestWarning)
        # Refused before any TLS: only a connection error, no warning.
        with pytest.raises(trio_http.ConnectionError):
            trio_http.get("http://127.0.0.1:9/", verify=False, timeout=2)


def test_an_ignore_filter_silences_it(tls_url: str) -> None:
    with warnings.catch_warnings(record=True) as caught, trio_http.Session() as session:
        warnings.simplefilter("always")
        warnings.simplefilter("ignore", InsecureRequestWarning)
        session.get(tls_url, verify=False)
    assert not [each for each in caught if issubclass(each.category, InsecureRequestWarning)]


def test_it_is_a_requests_warning_shown_every_time_by_default() -> None:
    assert issubclass(InsecureRequestWarning, RequestsWarning)
    # Like urllib3's: with Python's default filters, shown for every request,
    # not once per code location.
    script = (
        "from trio_http._transports._tls_context import warn_unverified\n"
        "for _ in range(3):\n"
        "    warn_unverified(False, 'example.test')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stderr.count("InsecureRequestWarning") == 3


async def test_a_context_that_verifies_nothing_warns(tls_url: str) -> None:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    async with trio_http.AsyncClient(verify=context) as client:
        with pytest.warns(InsecureRequestWarning, match="127.0.0.1"):
            await client.get(tls_url)
