"""The documentation's examples run: each block marked ``.. runs-in-tests``.

A page marks an example by putting the comment ``.. runs-in-tests`` right
before its ``.. code-block:: python``. The examples send requests to
``https://httpbin.org``; here they go to the local test server of
``threaded_server.py`` instead, which answers the same paths (``/get``,
``/anything``, ``/basic-auth/...``, ``/stream/{n}``...). Blocking and async
examples alike run as written: an async one calls ``trio.run`` itself.
"""

from __future__ import annotations

import contextlib
import io
import re
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from server import TestServer
from threaded_server import serve_in_thread

DOCS = Path(__file__).resolve().parent.parent / "docs"
MARKER = ".. runs-in-tests"
PUBLIC_HOST = "https://httpbin.org"


@dataclass(frozen=True)
class Example:
    page: str
    line: int  # 1-based line of the code-block directive
    code: str

    def __str__(self) -> str:
        return f"{self.page}:{self.line}"


def examples_in(path: Path) -> list[Example]:
    """The marked examples of one page.

    Raises:
        AssertionError: a marker not followed by a Python code block.
    """
    lines = path.read_text().splitlines()
    found = []
    for index, line in enumerate(lines):
        if line.strip() != MARKER:
            continue
        directive = index + 1
        while directive < len(lines) and not lines[directive].strip():
            directive += 1
        assert directive < len(lines) and lines[directive].strip() == ".. code-block:: python", (
            f"{path.name}:{index + 1}: {MARKER} must come right before a Python code block"
        )
        body: list[str] = []
        for code_line in lines[directive + 1 :]:
            if code_line.strip() and not code_line.startswith((" ", "\t")):
                break  # the first unindented line ends the block
            body.append(code_line)
        found.append(Example(path.name, directive + 1, textwrap.dedent("\n".join(body)).strip()))
    return found


def all_examples() -> list[Example]:
    return [example for page in sorted(DOCS.glob("*.rst")) for example in examples_in(page)]


EXAMPLES = all_examples()


@pytest.fixture(scope="module")
def docs_server() -> Iterator[TestServer]:
    with serve_in_thread() as running:
        yield running


def test_the_quickstart_marks_blocking_and_async_examples() -> None:
    quickstart = [example for example in EXAMPLES if example.page == "quickstart.rst"]
    assert any("trio.run(main)" in example.code for example in quickstart)
    assert any("trio.run" not in example.code for example in quickstart)


def test_a_marker_without_a_code_block_is_reported(tmp_path: Path) -> None:
    page = tmp_path / "page.rst"
    page.write_text(f"Title\n=====\n\n{MARKER}\n\nJust text.\n")
    with pytest.raises(AssertionError, match="must come right before"):
        examples_in(page)


@pytest.mark.parametrize("example", EXAMPLES, ids=str)
def test_example_runs(example: Example, docs_server: TestServer) -> None:
    code = example.code.replace(PUBLIC_HOST, docs_server.url)
    assert PUBLIC_HOST not in code
    assert not re.search(r"https?://(?!127\.0\.0\.1)[\w.-]+\.(org|com|example)\b", code), (
        f"{example} would leave the machine"
    )
    output = io.StringIO()
    namespace: dict[str, object] = {"__name__": f"docs_example_{example.line}"}
    with contextlib.redirect_stdout(output):
        exec(compile(code, str(example), "exec"), namespace)
    docs_server.errors.clear()
