"""``trio-http fetch``: many downloads, run as a real process against the test server."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest
import trio
from server import TestServer, pattern_bytes
from test_cli import ENV, WITH_CTRL_C, plain, run_cli, run_in_terminal, wait_for

from trio_http._cli_fetch import UrlLines


def listing(directory: Path) -> list[str]:
    return sorted(path.name for path in directory.iterdir())


async def test_fetch_saves_each_url_and_reports_the_one_that_failed(
    server: TestServer, tmp_path: Path
) -> None:
    sizes = range(1000, 1047)
    urls = [server.url_for(f"/bytes/{size}") for size in sizes]
    urls += [
        server.url_for("/bytes/7?copy=1"),  # same name as the next one
        server.url_for("/bytes/7?copy=2"),
        server.url_for("/bytes/..%2F..%2Fescaped"),  # decodes to a path: made safe
        server.url_for("/status/404"),
    ]
    listed = tmp_path / "urls.txt"
    listed.write_text("# fifty URLs, one failing\n\n" + "\n".join(urls) + "\n")
    out = tmp_path / "out"
    ran = await run_cli(
        "fetch", str(listed), "--max-in-flight", "8", "--max-per-host", "4", "-o", str(out)
    )
    assert ran.code == 1
    summary = ran.out
    assert summary.startswith("51 URLs in ")
    assert "50 saved" in summary and "1 failed" in summary
    assert f"{sum(sizes) + 14:,} bytes" in summary
    assert f"  {server.url_for('/status/404')}: HTTPError: 404" in summary
    expected = sorted([*(str(size) for size in sizes), "7", "7-1", "_.._escaped"])
    assert listing(out) == expected  # no partial file, nothing for the 404
    assert (out / "1046").read_bytes() == pattern_bytes(1046)
    assert listing(tmp_path) == ["out", "urls.txt"]  # nothing escaped the directory
    assert server.max_concurrent_requests <= 4


async def test_fetch_reads_urls_from_stdin(server: TestServer, tmp_path: Path) -> None:
    urls = "".join(server.url_for(f"/bytes/{size}") + "\n" for size in (10, 20, 30))
    ran = await run_cli("fetch", "-", "-o", str(tmp_path), "-v", stdin=urls.encode())
    assert ran.code == 0
    assert listing(tmp_path) == ["10", "20", "30"]
    assert "3 URLs in " in ran.out and "3 saved" in ran.out and "0 failed" in ran.out
    assert ran.err.count("trio-http: saved ") == 3  # -v: one line per URL


async def test_fetch_draws_one_progress_bar_on_a_terminal(
    server: TestServer, tmp_path: Path
) -> None:
    listed = tmp_path / "urls.txt"
    listed.write_text(
        server.url_for("/drip?numbytes=4&duration=0.4")
        + "\n"
        + "\n".join(server.url_for(f"/bytes/{size}") for size in range(100, 110))
    )
    ran = await run_in_terminal("fetch", str(listed), "-o", str(tmp_path / "out"))
    assert ran.code == 0
    shown = plain(ran.stdout)
    assert b"\x1b[" in ran.stdout
    assert "done 11/11" in shown and "in flight" in shown and "failed 0" in shown
    assert "11 saved" in shown


async def test_ctrl_c_during_fetch_leaves_only_complete_files(
    server: TestServer, tmp_path: Path
) -> None:
    listed = tmp_path / "urls.txt"
    fast = [server.url_for(f"/bytes/{size}") for size in (5000, 6000)]
    slow = [server.url_for("/slow-body/100")] * 4
    listed.write_text("\n".join(fast + slow))
    out = tmp_path / "out"
    async with trio.open_nursery() as nursery:
        process = await nursery.start(
            lambda task_status: trio.run_process(
                [*WITH_CTRL_C, "fetch", str(listed), "-o", str(out)],
                check=False,
                capture_stdout=True,
                env=ENV,
                task_status=task_status,
            )
        )
        await wait_for(
            lambda: (
                out.exists()
                and {"5000", "6000"} <= set(listing(out))
                and len([p for p in out.iterdir() if p.suffix == ".part"]) == 4
            ),
            "the fast downloads done, the slow ones under way",
        )
        process.send_signal(signal.SIGINT)
        with trio.fail_after(5):
            code = await process.wait()
    assert code == 130
    assert listing(out) == ["5000", "6000"]
    assert (out / "6000").read_bytes() == pattern_bytes(6000)


@pytest.mark.parametrize("chunk", [1, 7, 65536])
async def test_url_lines_skip_blanks_and_comments_and_keep_order(
    tmp_path: Path, chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    import trio_http._cli_fetch as cli_fetch

    monkeypatch.setattr(cli_fetch, "READ_SIZE", chunk)
    source = tmp_path / "urls.txt"
    source.write_bytes(b"  http://a/1  \r\n\n# skip me\nhttp://b/2\n   \nhttp://c/3")
    lines = UrlLines(os.open(source, os.O_RDONLY))
    try:
        assert [url async for url in lines] == ["http://a/1", "http://b/2", "http://c/3"]
        assert lines.exhausted and lines.count == 3
        assert lines.pending == {0: "http://a/1", 1: "http://b/2", 2: "http://c/3"}
    finally:
        lines.close()


async def test_ctrl_c_while_waiting_for_more_urls_on_stdin(
    server: TestServer, tmp_path: Path
) -> None:
    process = await trio.lowlevel.open_process(
        [*WITH_CTRL_C, "fetch", "-", "-o", str(tmp_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        env=ENV,
    )
    assert process.stdin is not None
    async with process.stdin:  # stays open: the list never ends
        await process.stdin.send_all(server.url_for("/bytes/10").encode() + b"\n")
        await wait_for(lambda: listing(tmp_path) == ["10"], "the first URL saved")
        process.send_signal(signal.SIGINT)
        with trio.fail_after(5):
            assert await process.wait() == 130
