#!/usr/bin/env bash
# Run the tests on the other Pythons trio_http supports: 3.10, 3.12 and 3.13
# (ci/test.sh runs everything on .venv's Python, 3.11 on CI's machines).
#
#   bash ci/test-pythons.sh            # 3.10, 3.12 and 3.13
#   bash ci/test-pythons.sh 3.12       # just one
#
# Each version gets a virtual environment in .venv-3.X with trio_http in
# editable mode and its "dev" extra, re-installed only when the packaging
# metadata changed (a stamp, as ci/install.sh does). Should a dev package
# fail to install on a version, the packages the tests import are installed
# instead, and the script says so.
#
# Every version runs the default test selection (setup.cfg leaves the soak
# tests out), which takes about a minute each on two cores.
#
# Finding an interpreter: pyenv's ($PYENV_ROOT/versions/3.X.*), then python3.X
# on PATH. A missing one is installed when that can work:
#   * with apt, when run as root and the system's package lists offer
#     python3.X (Debian 12 offers only 3.11; Debian 13 has 3.13, Ubuntu
#     22.04 3.10, Ubuntu 24.04 3.12);
#   * with `uv python install`, only when TRIO_HTTP_PYTHON_DOWNLOADS=1: uv
#     downloads a prebuilt CPython from GitHub, not from a package registry.
# A version still missing is skipped with a message: the suite runs on every
# Python the machine has (ci/test.sh's own run covers .venv's).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

export DEBIAN_FRONTEND=noninteractive
if [ "$#" -gt 0 ]; then
    VERSIONS=("$@")
else
    VERSIONS=(3.10 3.12 3.13)
fi
PYENV_ROOT="${PYENV_ROOT:-$HOME/.pyenv}"
RUN_TIMEOUT_S=900  # one version's test run, seconds
# What the tests import beyond trio_http's own dependencies.
TEST_PACKAGES=(
    "pytest>=8" "pytest-trio>=0.8" "hypothesis>=6.100" "trustme>=1.1"
    "brotli>=1.1" "zstandard>=0.22" "socksio>=1.0" "requests>=2.31" "urllib3>=2"
    "starlette>=0.37" "flask>=3.0" "hypercorn>=0.16" "rich>=13" "truststore>=0.9" "packaging"
    "wsproto>=1.2" "websockets>=13"
)

say() { echo "ci/test-pythons.sh: $*"; }

# The interpreter for version $1 if it runs and is that version.
is_version() {
    "$1" -c "import sys; sys.exit(sys.version_info[:2] != tuple(map(int, '$2'.split('.'))))" \
        >/dev/null 2>&1
}

find_python() {
    local version="$1" candidate
    # Newest patch release first.
    for candidate in $(ls -d "$PYENV_ROOT/versions/$version".* 2>/dev/null | sort -rV); do
        if is_version "$candidate/bin/python" "$version"; then
            echo "$candidate/bin/python"
            return 0
        fi
    done
    # pyenv's shims are on PATH too, but fail for versions not selected.
    candidate="$(command -v "python$version" 2>/dev/null || true)"
    if [ -n "$candidate" ] && is_version "$candidate" "$version"; then
        echo "$candidate"
        return 0
    fi
    if [ -x .venv-uv/bin/uv ]; then
        candidate="$(.venv-uv/bin/uv python find "$version" 2>/dev/null || true)"
        if [ -n "$candidate" ] && is_version "$candidate" "$version"; then
            echo "$candidate"
            return 0
        fi
    fi
    return 1
}

apt_updated=0
install_python() {
    local version="$1"
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        if [ "$apt_updated" = 0 ]; then
            apt-get update -qq >/dev/null || true
            apt_updated=1
        fi
        if apt-cache policy "python$version" 2>/dev/null | grep -q 'Candidate: [0-9]'; then
            say "installing python$version with apt"
            apt-get install -y -qq --no-install-recommends \
                "python$version" "python$version-venv" "python$version-dev" >/dev/null
            return 0
        fi
        say "apt offers no python$version here"
    fi
    if [ "${TRIO_HTTP_PYTHON_DOWNLOADS:-0}" = 1 ]; then
        if [ ! -x .venv-uv/bin/uv ]; then
            say "installing uv (from PyPI) into .venv-uv to fetch Python $version"
            python3 -m venv .venv-uv && echo '*' >.venv-uv/.gitignore
            .venv-uv/bin/python -m pip install -q --disable-pip-version-check uv || return 1
        fi
        say "downloading Python $version with uv"
        .venv-uv/bin/uv python install "$version" || return 1
        return 0
    fi
    return 1
}

# Creates or refreshes .venv-$1 with the interpreter $2.
prepare_venv() {
    local version="$1" python="$2" venv=".venv-$1"
    if ! is_version "$venv/bin/python" "$version"; then
        rm -rf "$venv"
        "$python" -m venv "$venv"
        # Keeps git, and so ruff, out of it (Python 3.13's venv does the same).
        echo '*' >"$venv/.gitignore"
    fi
    local stamp="$venv/.trio_http-dev-installed"
    local wanted
    wanted="$(cat pyproject.toml setup.cfg | sha256sum | cut -d' ' -f1)"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ] \
        && "$venv/bin/python" -c 'import trio_http' >/dev/null 2>&1; then
        return 0
    fi
    say "installing trio_http[dev] into $venv"
    # pip's notes about configured local indexes that do not exist are noise here.
    if ! "$venv/bin/python" -m pip install -q --disable-pip-version-check \
        --config-settings editable_mode=compat -e '.[dev]' \
        2> >(grep -v "^WARNING: Location 'file:" >&2); then
        say "trio_http[dev] does not install on Python $version;" \
            "installing only what the tests import: ${TEST_PACKAGES[*]}"
        "$venv/bin/python" -m pip install -q --disable-pip-version-check -e . \
            "${TEST_PACKAGES[@]}" 2> >(grep -v "^WARNING: Location 'file:" >&2)
    fi
    echo "$wanted" >"$stamp"
}

failed=()
skipped=()
passed=()
for version in "${VERSIONS[@]}"; do
    echo
    echo "==> Python $version"
    python="$(find_python "$version" || true)"
    if [ -z "$python" ] && install_python "$version"; then
        python="$(find_python "$version" || true)"
    fi
    if [ -z "$python" ]; then
        say "Python $version not found: skipped"
        skipped+=("$version")
        continue
    fi
    start=$SECONDS
    prepare_venv "$version" "$python"
    say "$("$python" --version) from $python: .venv-$version ready in $((SECONDS - start)) s"
    start=$SECONDS
    if (
        export PATH="$PWD/.venv-$version/bin:$PATH" VIRTUAL_ENV="$PWD/.venv-$version"
        # Bounded: a hung test must not hold CI until its own time limit.
        timeout -k 30 "$RUN_TIMEOUT_S" python -m pytest -q -x -p no:cacheprovider
    ); then
        passed+=("$version")
    else
        failed+=("$version")
    fi
    say "Python $version: tests took $((SECONDS - start)) s"
done

echo
say "passed: ${passed[*]:-none}; skipped: ${skipped[*]:-none}; failed: ${failed[*]:-none}"
[ "${#failed[@]}" = 0 ]
