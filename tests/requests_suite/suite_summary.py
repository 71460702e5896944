"""Counts of a run of requests' test suite against trio_http.

Usage: ``python suite_summary.py IDS RESULTS [--strict]``, where IDS was
written by the collection with the real requests (``--requests-ids``) and
RESULTS by the run against trio_http (``--requests-results``; it may be
missing when that run could not start).

Every in-scope test of the suite that did not pass counts as failed,
including the ones that never ran: a test module that cannot be imported, or
a run cut short, must not make the numbers look better. Skipped tests (and
expected failures) count on neither side. The last line printed is::

    requests suite: N passed, M failed (K out of scope)

The exit status is 0, or with ``--strict`` 1 when M > 0.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path


def _read_rows(path: Path) -> list[list[str]]:
    if not path.exists():
        return []
    return [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines() if line]


def summarize(ids_path: Path, results_path: Path) -> tuple[list[str], int]:
    """The lines to print and the number of failed tests."""
    in_scope: set[str] = set()
    out_of_scope: dict[str, str] = {}  # node id -> the file that lists it
    lines = []
    for row in _read_rows(ids_path):
        if row[0] == "in-scope":
            in_scope.add(row[1])
        elif row[0] == "out-of-scope":
            out_of_scope[row[1]] = row[2]
        elif row[0] == "unmatched":
            lines.append(f"requests suite: warning: {row[2]}.txt lists {row[1]!r}, no such test")
    outcomes: dict[str, str] = {}
    collect_errors = 0
    for row in _read_rows(results_path):
        if row[0] == "collect-error":
            collect_errors += 1
        elif row[1] not in out_of_scope:
            outcomes[row[1]] = row[0]
    counts = Counter(outcomes.values())
    never_ran = len(in_scope - outcomes.keys())
    failed = counts["failed"] + never_ran
    sources = Counter(out_of_scope.values())
    by_source = ", ".join(f"{count} in {source}.txt" for source, count in sorted(sources.items()))
    lines += [
        f"requests suite: {len(in_scope) + len(out_of_scope)} tests; "
        + f"{len(out_of_scope)} out of scope{f' ({by_source})' if by_source else ''}; "
        + f"{counts['skipped']} skipped or expected to fail; "
        + f"{never_ran} never ran "
        + (
            f"({collect_errors} test modules failed to import)"
            if results_path.exists()
            else "(pytest stopped before running any test)"
        ),
        f"requests suite: {counts['passed']} passed, {failed} failed "
        + f"({len(out_of_scope)} out of scope)",
    ]
    return lines, failed


def main(argv: list[str]) -> int:
    strict = "--strict" in argv
    paths = [arg for arg in argv if arg != "--strict"]
    if len(paths) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    ids_path, results_path = (Path(arg) for arg in paths)
    if not ids_path.exists():
        print(f"suite_summary: {ids_path} is missing", file=sys.stderr)
        return 2
    lines, failed = summarize(ids_path, results_path)
    print("\n".join(lines))
    return 1 if strict and failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
