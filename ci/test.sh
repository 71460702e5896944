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
step sphinx-build -W -q -b html docs docs/_build/html
echo
echo "ci/test.sh: all checks passed"
