"""The ``trio-http`` command, run as a real process against the local test servers.

Each test starts the command with ``trio.run_process`` while the test's
Trio loop serves the requests, so the command's own stdout and stderr are
what is checked: pipes for the plain output, a pseudo-terminal for colours
and progress bars.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import termios
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import trio
from server import TestServer, pattern_bytes

MODULE = [sys.executable, "-m", "trio_http"]
SCRIPT = [str(Path(sys.executable).parent / "trio-http")]
# Python leaves SIGINT ignored when its parent ignored it (a shell's
# background job): restore Ctrl-C handling before the command starts.
WITH_CTRL_C = [
    sys.executable,
    "-c",
    "import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "from trio_http._cli import main; sys.exit(main())",
]
RUN_TIMEOUT = 20  # seconds any one command may take
ANSI = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]")
SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"


def _environment() -> dict[str, str]:
    drop = {"NO_COLOR", "FORCE_COLOR", "COLUMNS", "LINES", "TTY_COMPATIBLE", "TTY_INTERACTIVE"}
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in drop and not name.lower().endswith("_proxy")
    }
    env["TERM"] = "xterm-256color"
    return env


ENV = _environment()


@dataclass
class Ran:
    code: int
    stdout: bytes
    stderr: bytes

    @property
    def out(self) -> str:
        return self.stdout.decode("utf-8", "replace")

    @property
    def err(self) -> str:
        return self.stderr.decode("utf-8", "replace")


async def run_cli(
    *args: str, stdin: bytes = b"", command: list[str] = MODULE, cwd: Path | None = None
) -> Ran:
    with trio.fail_after(RUN_TIMEOUT):
        result = await trio.run_process(
            [*command, *args],
            stdin=stdin,
            capture_stdout=True,
            capture_stderr=True,
            check=False,
            env=ENV,
            cwd=cwd,
        )
    return Ran(result.returncode, result.stdout, result.stderr)


async def run_in_terminal(*args: str) -> Ran:
    """Run the command with stdin, stdout and stderr on one pseudo-terminal."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    try:
        process = await trio.lowlevel.open_process(
            [*MODULE, *args], stdin=slave, stdout=slave, stderr=slave, env=ENV
        )
    finally:
        os.close(slave)
    output = bytearray()
    try:
        with trio.fail_after(RUN_TIMEOUT):
            async with trio.lowlevel.FdStream(master) as terminal:
                while True:
                    try:
                        chunk = await terminal.receive_some(65536)
                    except trio.BrokenResourceError:  # EIO: the last writer closed it
                        break
                    if not chunk:
                        break
                    output += chunk
            code = await process.wait()
    finally:
        if process.returncode is None:
            process.kill()
    return Ran(code, bytes(output), b"")


def plain(data: bytes) -> str:
    """Terminal output without its escape sequences."""
    return ANSI.sub(b"", data).decode("utf-8", "replace")


def unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def wait_for(condition: Callable[[], bool], what: str) -> None:
    """Poll ``condition`` until it holds; fail the test after 10 s."""
    with trio.fail_after(10):
        while not condition():
            await trio.sleep(0.05)


# -- the library and the extra -------------------------------------------------


def test_importing_the_library_does_not_import_rich() -> None:
    code = "import sys, trio_http; print(sorted(name for name in sys.modules if 'rich' in name))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout == "[]\n"


def test_without_rich_the_command_names_the_extra_to_install() -> None:
    code = (
        "import sys; sys.modules['rich'] = None\n"
        "from trio_http._cli import main\n"
        "sys.exit(main(['http://127.0.0.1:1/']))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "pip install 'trio_http[cli]'" in result.stderr


# -- one request -----------------------------------------------------------------


async def test_json_get_prints_the_head_on_stderr_and_the_body_on_stdout(
    server: TestServer,
) -> None:
    ran = await run_cli(server.url_for("/get"), "-p", "q=trio", command=SCRIPT)
    assert ran.code == 0
    assert json.loads(ran.stdout)["args"] == {"q": "trio"}
    assert ran.err.startswith("HTTP/1.1 200")
    assert "Content-Type: application/json" in ran.err
    assert b"\x1b" not in ran.stdout + ran.stderr


async def test_post_json_is_sent_as_written_with_a_json_content_type(server: TestServer) -> None:
    ran = await run_cli("POST", server.url_for("/anything"), "--json", '{"a": [1, 2]}')
    assert ran.code == 0
    echoed = json.loads(ran.stdout)
    assert echoed["method"] == "POST"
    assert echoed["data"] == '{"a": [1, 2]}'
    assert echoed["headers"]["content-type"] == "application/json"


async def test_form_fields_make_an_urlencoded_post(server: TestServer) -> None:
    ran = await run_cli(server.url_for("/anything"), "-d", "a=1", "--form", "b=two words")
    assert ran.code == 0
    echoed = json.loads(ran.stdout)
    assert echoed["method"] == "POST"
    assert echoed["form"] == {"a": "1", "b": "two words"}


async def test_raw_data_comes_from_a_file_or_stdin(server: TestServer, tmp_path: Path) -> None:
    body = tmp_path / "body.bin"
    body.write_bytes(b"\x00from a file")
    from_file = await run_cli("PUT", server.url_for("/upload"), "--data", f"@{body}")
    from_stdin = await run_cli(server.url_for("/anything"), "--data", "@-", stdin=b"piped in")
    assert json.loads(from_file.stdout)["length"] == len(b"\x00from a file")
    assert json.loads(from_stdin.stdout)["data"] == "piped in"


async def test_headers_params_and_basic_auth_are_sent(server: TestServer) -> None:
    ran = await run_cli(
        server.url_for("/anything"),
        *("-H", "X-One: 1", "-H", "X-Two:  two "),
        *("-p", "q=x", "-p", "q=y"),
        *("--auth", "ada:se:cret"),
    )
    echoed = json.loads(ran.stdout)
    assert echoed["args"] == {"q": ["x", "y"]}
    assert echoed["headers"]["x-one"] == "1"
    assert echoed["headers"]["x-two"] == "two"
    assert echoed["headers"]["authorization"] == "Basic YWRhOnNlOmNyZXQ="


async def test_verbose_shows_each_request_and_response_head(server: TestServer) -> None:
    ran = await run_cli("-v", server.url_for("/redirect/2"))
    assert ran.code == 0
    heads = ran.err
    for line in ("GET /redirect/2 HTTP/1.1", "GET /redirect/1 HTTP/1.1", "GET /get HTTP/1.1"):
        assert line in heads
    assert heads.count("HTTP/1.1 302") == 2
    assert f"Host: 127.0.0.1:{server.port}" in heads
    posted = await run_cli("-v", server.url_for("/anything"), "--json", "[1]")
    assert "\n[1]\n" in posted.err


async def test_quiet_prints_no_head(server: TestServer) -> None:
    ran = await run_cli("-q", server.url_for("/get"))
    assert ran.code == 0 and ran.stderr == b""


# -- terminal or pipe ----------------------------------------------------------


async def test_json_is_coloured_on_a_terminal_and_plain_when_piped(server: TestServer) -> None:
    url = server.url_for("/get")
    terminal = await run_in_terminal(url)
    piped = await run_cli(url)
    assert terminal.code == 0
    assert b"\x1b[" in terminal.stdout
    assert '\n  "method": "GET",' in plain(terminal.stdout).replace("\r\n", "\n")
    assert b"\x1b" not in piped.stdout + piped.stderr
    assert b"\n" not in piped.stdout  # the body as the server sent it


async def test_binary_body_is_a_note_on_a_terminal_and_bytes_in_a_pipe(
    server: TestServer,
) -> None:
    url = server.url_for("/bytes/5000")
    terminal = await run_in_terminal(url)
    piped = await run_cli(url)
    assert terminal.code == 0
    note = plain(terminal.stdout)
    assert "binary body not shown" in note and "5,000 bytes" in note
    assert "application/octet-stream" in note
    assert pattern_bytes(5000)[100:200] not in terminal.stdout
    assert piped.stdout == pattern_bytes(5000)


# -- downloads -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "expected"),
    [("/bytes/300000", pattern_bytes(300000)), ("/stream/3", b'{"id": 0}\n{"id": 1}\n{"id": 2}\n')],
    ids=["content-length", "chunked"],
)
async def test_download_saves_the_whole_body_without_progress_when_piped(
    server: TestServer, tmp_path: Path, path: str, expected: bytes
) -> None:
    target = tmp_path / "saved.bin"
    ran = await run_cli(server.url_for(path), "-o", str(target))
    assert ran.code == 0
    assert target.read_bytes() == expected
    assert os.listdir(tmp_path) == ["saved.bin"]
    assert b"\x1b" not in ran.stderr
    assert f"saved {len(expected):,} bytes to {target}" in ran.err
    assert server.requests[-1].header("accept-encoding") == "identity"


async def test_download_shows_a_progress_bar_on_a_terminal(
    server: TestServer, tmp_path: Path
) -> None:
    known = await run_in_terminal(server.url_for("/bytes/300000"), "-o", str(tmp_path / "a"))
    unknown = await run_in_terminal(server.url_for("/stream/50"), "-o", str(tmp_path / "b"))
    assert known.code == unknown.code == 0
    shown = plain(known.stdout)
    assert b"\x1b[" in known.stdout and "━" in shown
    assert "300.0/300.0 kB" in shown
    assert not set(SPINNER) & set(shown)
    assert set(SPINNER) & set(plain(unknown.stdout))  # no Content-Length: a spinner
    assert (tmp_path / "a").read_bytes() == pattern_bytes(300000)


async def test_ctrl_c_during_a_download_leaves_no_file(server: TestServer, tmp_path: Path) -> None:
    target = tmp_path / "big.bin"
    async with trio.open_nursery() as nursery:
        process = await nursery.start(
            lambda task_status: trio.run_process(
                [*WITH_CTRL_C, server.url_for("/slow-body/1000"), "-o", str(target)],
                check=False,
                capture_stderr=True,
                env=ENV,
                task_status=task_status,
            )
        )
        await wait_for(lambda: any(p.suffix == ".part" for p in tmp_path.iterdir()), "a .part")
        process.send_signal(signal.SIGINT)
        with trio.fail_after(5):
            code = await process.wait()
    assert code == 130
    assert list(tmp_path.iterdir()) == []


# -- exit codes and errors ------------------------------------------------------


async def test_check_status_exit_codes(server: TestServer, tmp_path: Path) -> None:
    cases = {
        "/status/200": ([], 0),
        "/status/302": (["--no-follow"], 3),
        "/status/404": ([], 4),
        "/status/503": ([], 5),
    }
    codes: dict[str, int] = {}

    async def check(path: str, extra: list[str]) -> None:
        codes[path] = (await run_cli(server.url_for(path), "--check-status", *extra)).code

    async with trio.open_nursery() as nursery:
        for path, (extra, _) in cases.items():
            nursery.start_soon(check, path, extra)
    assert codes == {path: code for path, (_, code) in cases.items()}
    unchecked = await run_cli(server.url_for("/status/404"), "-o", str(tmp_path / "x"))
    rejected = await run_cli(
        server.url_for("/status/404"), "--check-status", "-o", str(tmp_path / "y")
    )
    assert (unchecked.code, rejected.code) == (0, 4)
    assert sorted(os.listdir(tmp_path)) == ["x"]  # a rejected status is not saved


async def test_failures_are_one_line_with_a_distinct_exit_code(
    server: TestServer, tls_server: TestServer, ca_bundle: str
) -> None:
    runs = {
        "timeout": ["--timeout", "0.3", server.url_for("/delay/5")],
        "total": ["--total-timeout", "0.5", server.url_for("/drip?numbytes=10&duration=3")],
        "refused": [f"http://127.0.0.1:{unused_port()}/"],
        "untrusted": [tls_server.url_for("/get")],
        "trusted": ["--cacert", ca_bundle, tls_server.url_for("/get")],
        "unverified": ["--no-verify", tls_server.url_for("/get")],
        "redirects": [server.url_for("/redirect/31")],
    }
    results: dict[str, Ran] = {}

    async def one(name: str, args: list[str]) -> None:
        results[name] = await run_cli(*args)

    async with trio.open_nursery() as nursery:
        for name, args in runs.items():
            nursery.start_soon(one, name, args)
    codes = {name: ran.code for name, ran in results.items()}
    assert codes == {
        "timeout": 7,
        "total": 7,
        "refused": 8,
        "untrusted": 9,
        "trusted": 0,
        "unverified": 0,
        "redirects": 6,
    }
    assert results["timeout"].err.startswith("trio-http: error: ReadTimeout: ")
    assert results["total"].err.splitlines()[-1].startswith("trio-http: error: TotalTimeout: ")
    assert results["refused"].err.startswith("trio-http: error: ConnectError: ")
    assert results["untrusted"].err.startswith("trio-http: error: SSLError: ")
    for name in ("timeout", "refused", "untrusted"):
        assert results[name].err.count("\n") == 1, results[name].err
    tls_server.tls_handshake_failures = 0


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["--bogus", "http://127.0.0.1/"],
        ["-H", "no colon", "http://127.0.0.1/"],
        ["--timeout", "-1", "http://127.0.0.1/"],
        ["--json", "{oops", "http://127.0.0.1/"],
        ["--json", "{}", "--data", "x", "http://127.0.0.1/"],
        ["GE T", "http://127.0.0.1/"],
        ["example.org/no-scheme"],
        ["http://127.0.0.1/", "-H", "X-Bad: a\x01b"],
        ["fetch", str(Path("/no/such/list.txt"))],
    ],
)
def test_bad_usage_is_one_line_and_exit_2(args: list[str]) -> None:
    result = subprocess.run(
        [*SCRIPT, *args], capture_output=True, text=True, timeout=RUN_TIMEOUT, env=ENV
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("trio-http: error: ")
    assert result.stderr.count("\n") == 1
    assert result.stdout == ""


def test_version_and_help() -> None:
    version = subprocess.run([*SCRIPT, "--version"], capture_output=True, text=True, check=True)
    assert version.stdout.startswith("trio-http ")
    helped = subprocess.run([*MODULE, "GET", "--help"], capture_output=True, text=True, check=True)
    assert "exit codes:" in helped.stdout and "130  interrupted" in helped.stdout


def test_demo_is_still_a_command() -> None:
    result = subprocess.run(
        [*MODULE, "demo"], capture_output=True, text=True, timeout=RUN_TIMEOUT, check=True
    )
    assert "demo server stopped" in result.stdout
