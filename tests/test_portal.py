"""The loop thread behind the blocking API: threads, Ctrl-C, exit and fork."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import trio
from server import TestServer
from threaded_server import serve_in_thread

import trio_http
from trio_http._portal import get_portal

TESTS = os.path.dirname(os.path.abspath(__file__))


@pytest.fixture(scope="module")
def live() -> Iterator[TestServer]:
    with serve_in_thread() as running:
        yield running


def run_script(source: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([TESTS, os.path.dirname(TESTS)]))
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(source)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


def test_many_threads_share_one_session(live: TestServer) -> None:
    with trio_http.Session() as session:

        def fetch(index: int) -> int:
            r = session.get(live.url_for("/get"), params={"i": index})
            assert r.json()["args"] == {"i": str(index)}
            return r.status_code

        with ThreadPoolExecutor(16) as pool:
            statuses = list(pool.map(fetch, range(200)))
    assert statuses == [200] * 200


def test_one_portal_thread_serves_every_session(live: TestServer) -> None:
    with trio_http.Session() as first, trio_http.Session() as second:
        first.get(live.url_for("/get"))
        second.get(live.url_for("/get"))
    names = [t.name for t in threading.enumerate() if t.name == "trio_http portal"]
    assert len(names) == 1


def test_blocking_call_inside_trio_names_async_client(live: TestServer) -> None:
    async def main() -> None:
        trio_http.get(live.url_for("/get"))

    with pytest.raises(RuntimeError, match="AsyncClient"):
        trio.run(main)


def test_portal_survives_an_error_in_a_call() -> None:
    async def boom() -> None:
        raise ValueError("boom")

    portal = get_portal()
    with pytest.raises(ValueError, match="boom"):
        portal.call(boom)

    async def fine() -> int:
        await trio.lowlevel.checkpoint()
        return 7

    assert portal.call(fine) == 7


def test_keyboard_interrupt_cancels_the_request_and_session_stays_usable() -> None:
    result = run_script(
        """
        import os, signal, threading, time
        import trio_http
        from threaded_server import serve_in_thread

        with serve_in_thread() as server:
            with trio_http.Session() as s:
                threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT)).start()
                started = time.monotonic()
                try:
                    s.get(server.url_for("/delay/30"))
                except KeyboardInterrupt:
                    print("interrupted after", round(time.monotonic() - started, 1))
                print("status", s.get(server.url_for("/get")).status_code)
        """
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("interrupted after")
    assert float(lines[0].split()[-1]) < 5
    assert lines[1] == "status 200"


def test_interpreter_exit_with_an_open_session_does_not_hang() -> None:
    result = run_script(
        """
        import trio_http
        from threaded_server import serve_in_thread

        server_cm = serve_in_thread()
        server = server_cm.__enter__()
        s = trio_http.Session()
        print(s.get(server.url_for("/get")).status_code)
        r = s.get(server.url_for("/stream/3"), stream=True)  # left open on purpose
        """,
        timeout=20,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "200"


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_forked_child_gets_a_fresh_portal() -> None:
    result = run_script(
        """
        import os
        import trio_http
        from threaded_server import serve_in_thread

        with serve_in_thread() as server:
            s = trio_http.Session()
            print("parent", s.get(server.url_for("/get")).status_code, flush=True)
            pid = os.fork()
            if pid == 0:
                code = s.get(server.url_for("/get")).status_code
                code2 = trio_http.get(server.url_for("/get")).status_code
                print("child", code, code2, flush=True)
                os._exit(0)
            _, status = os.waitpid(pid, 0)
            print("parent again", s.get(server.url_for("/get")).status_code, status)
        """
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines == ["parent 200", "child 200 200", "parent again 200 0"]
