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
# nginx interop tests fail instead of skipping when nginx is missing.
export TRIO_HTTP_REQUIRE_NGINX=1

step() {
    echo
    echo "==> $*"
    "$@"
}

step ruff check .
step ruff format --check .
step mypy
step python -m pytest --cov=trio_http --cov-report=term
step sphinx-build -W -q -b html docs docs/_build/html
echo
echo "ci/test.sh: all checks passed"
