#!/usr/bin/env bash
# Every check CI runs, in order; stops at the first failure.
# Run `bash ci/install.sh` first.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [ ! -x .venv/bin/python ]; then
    echo "ci/test.sh: .venv is missing: run 'bash ci/install.sh' first" >&2
    exit 1
fi
export PATH="$PWD/.venv/bin:$PATH"
export VIRTUAL_ENV="$PWD/.venv"
# Tests against real servers (nginx, hypercorn, ...) fail instead of
# skipping when the server is missing.
export TRIO_HTTP_REQUIRE_NGINX=1

step() {
    echo
    echo "==> $*"
    "$@"
}

step ruff check .
step ruff format --check .
step mypy
# setup.cfg's addopts leave the soak tests out of this run ...
step python -m pytest --cov=trio_http --cov-report=term
# The same suite on every other Python the machine has (3.10, 3.12, 3.13).
step bash ci/test-pythons.sh
# ... and this step runs only them: well over 100,000 requests against nginx
# and hypercorn at their default settings (under a minute on two cores).
step python -m pytest -m soak
# The documentation, nitpicky: every reference must resolve. -E reads every
# page again, since Sphinx does not repeat the warnings of pages it skips.
step sphinx-build -n -W -q -E -b html docs docs/_build/html
# The sdist and the wheel, built and installed into fresh environments.
step bash ci/test-packaging.sh
# requests' own test suite with "import requests" giving trio_http: prints
# "requests suite: N passed, M failed" and fails when a test in scope fails.
step bash ci/requests-suite.sh --strict
echo
echo "ci/test.sh: all checks passed"
