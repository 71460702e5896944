"""pytest plugin that runs requests' own test suite against trio_http.

``ci/requests-suite.sh`` loads it with ``-p suite_plugin`` (this directory on
``PYTHONPATH``) for two runs of the extracted suite; the project's own test
run never loads it.

1. Collection only, with the real requests: ``--requests-ids FILE`` records
   every test of the suite and whether it is in scope.
2. With ``--requests-alias``, ``import requests`` gives trio_http (see
   ``requests_alias``), and ``--requests-results FILE`` gets one line per test
   as it ends, so a run cut short still counts what finished.

In both runs ``--requests-out-of-scope FILE`` (repeatable) deselects the tests
listed there, one node id a line, ``*`` matching any characters, each with a
reason after `` # ``; and connections to anything but loopback fail at once
(``loopback_guard``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import IO, final

import pytest
from loopback_guard import LoopbackGuard
from requests_alias import install, read_private_names


@dataclass(frozen=True, slots=True)
class ScopeEntry:
    """One line of an out-of-scope file."""

    pattern: str
    reason: str
    source: str  # the file's name without its suffix
    regex: re.Pattern[str]


def read_scope_file(path: Path) -> list[ScopeEntry]:
    """Entries of ``path``: ``NODE_ID_OR_PATTERN  # reason`` lines.

    Raises:
        ValueError: a line without a reason.
    """
    entries = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        pattern, sep, reason = line.partition(" # ")
        pattern = pattern.strip()
        if not sep or not pattern or not reason.strip():
            raise ValueError(f"{path}:{number}: expected 'NODE_ID_OR_PATTERN  # reason'")
        # Only "*" is special: node ids are full of "[" and "]".
        regex = re.compile(".*".join(re.escape(part) for part in pattern.split("*")))
        entries.append(ScopeEntry(pattern, reason.strip(), path.stem, regex))
    return entries


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("requests-suite", "requests' test suite against trio_http")
    group.addoption(
        "--requests-alias",
        action="store_true",
        help="import requests and requests.* from trio_http",
    )
    group.addoption(
        "--requests-private-names",
        metavar="FILE",
        help="private names of requests that become placeholders under --requests-alias",
    )
    group.addoption(
        "--requests-out-of-scope",
        action="append",
        default=[],
        metavar="FILE",
        help="deselect the tests listed in FILE (repeatable)",
    )
    group.addoption("--requests-ids", metavar="FILE", help="write every test's node id and scope")
    group.addoption("--requests-results", metavar="FILE", help="append each test's outcome")


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config) -> None:
    # Before requests' conftest.py is imported, which imports requests.compat.
    options = early_config.known_args_namespace
    if not options.requests_alias:
        return
    names_file = options.requests_private_names
    try:
        install(read_private_names(Path(names_file)) if names_file else {})
    except (RuntimeError, ValueError) as exc:
        raise pytest.UsageError(str(exc)) from exc


def pytest_configure(config: pytest.Config) -> None:
    try:
        entries = [
            entry
            for name in config.getoption("requests_out_of_scope")
            for entry in read_scope_file(Path(name))
        ]
    except ValueError as exc:
        raise pytest.UsageError(str(exc)) from exc
    suite = _Suite(config, entries)
    config.add_cleanup(suite.close)
    config.pluginmanager.register(suite, "requests-suite")


@final
class _Suite:
    """Per-run state and the hooks that need it."""

    def __init__(self, config: pytest.Config, entries: list[ScopeEntry]) -> None:
        self._config = config
        self._entries = entries
        self._matches = dict.fromkeys((entry.pattern for entry in entries), 0)
        self._deselected: list[tuple[str, ScopeEntry]] = []
        self._failed: set[str] = set()
        self._passed: set[str] = set()
        self._guard = LoopbackGuard()
        self._guard.install()
        results_name = config.getoption("requests_results")
        self._results: IO[str] | None = None
        if results_name:
            self._results = open(results_name, "a", encoding="utf-8")  # noqa: SIM115

    def close(self) -> None:
        self._guard.uninstall()
        if self._results is not None:
            self._results.close()

    def _record(self, outcome: str, nodeid: str) -> None:
        if self._results is not None:
            self._results.write(f"{outcome}\t{nodeid}\n")
            self._results.flush()

    @pytest.hookimpl(trylast=True)  # after -k and -m: count only what they selected
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        kept, deselected = [], []
        for item in items:
            entry = next((e for e in self._entries if e.regex.fullmatch(item.nodeid)), None)
            if entry is None:
                kept.append(item)
                continue
            deselected.append(item)
            self._deselected.append((item.nodeid, entry))
            self._matches[entry.pattern] += 1
        if deselected:
            self._config.hook.pytest_deselected(items=deselected)
            items[:] = kept

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        ids_name = self._config.getoption("requests_ids")
        if not ids_name:
            return
        with open(ids_name, "w", encoding="utf-8") as ids:
            for item in session.items:
                ids.write(f"in-scope\t{item.nodeid}\n")
            for nodeid, entry in self._deselected:
                ids.write(f"out-of-scope\t{nodeid}\t{entry.source}\t{entry.reason}\n")
            # An entry that matches nothing is stale, unless -k or -m narrowed the run.
            if self._config.option.keyword or self._config.option.markexpr:
                return
            for entry in self._entries:
                if self._matches[entry.pattern] == 0:
                    ids.write(f"unmatched\t{entry.pattern}\t{entry.source}\n")

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self._record("collect-error", report.nodeid)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        nodeid = report.nodeid
        if report.failed:
            self._failed.add(nodeid)
        elif report.when == "call" and report.passed:
            self._passed.add(nodeid)  # an unexpected pass of an xfail test too
        if report.when != "teardown":
            return
        if nodeid in self._failed:
            self._record("failed", nodeid)
        elif nodeid in self._passed:
            self._record("passed", nodeid)
        else:
            self._record("skipped", nodeid)  # skipped, or failed as expected (xfail)

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        if self._guard.refused:
            terminalreporter.section("connections refused (loopback only)")
            for line in self._guard.refused:
                terminalreporter.write_line(line)
