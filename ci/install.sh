#!/usr/bin/env bash
# Prepare this checkout for development and CI. Safe to run again.
#
#   * nginx (interoperability and soak tests), installed with apt only when
#     missing;
#   * a virtual environment in .venv with trio_http installed in editable mode
#     together with its "dev" extra: what the tests, benchmarks, docs and
#     linters need (hypercorn, the other real server of the soak tests,
#     included). The editable install puts the checkout on sys.path with a
#     plain .pth file (setuptools' "compat" mode) rather than an import hook,
#     so that tools which do not run Python code to find packages, such as
#     mypy run from another directory, see trio_http too.
#
# apt waits for another apt or dpkg (unattended upgrades, a parallel job)
# to release its locks rather than failing.
#
# Works as root on a fresh Debian 12 machine; without root it needs nginx and
# python3-venv to be installed already.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

export DEBIAN_FRONTEND=noninteractive
PYTHON="${PYTHON:-python3}"
VENV=.venv

APT_LOCK_WAIT_S=300  # how long to wait for another apt or dpkg to finish

# apt-get "$@", waiting while another apt or dpkg holds its locks.
# DPkg::Lock::Timeout covers dpkg's lock; the package lists' lock (apt-get
# update) is not covered by it on every apt release, so a failure that names
# a lock is retried until APT_LOCK_WAIT_S have passed.
apt_get() {
    local deadline=$((SECONDS + APT_LOCK_WAIT_S)) errors
    errors="$(mktemp)"
    while true; do
        if apt-get -o DPkg::Lock::Timeout="$APT_LOCK_WAIT_S" "$@" 2>"$errors"; then
            rm -f "$errors"
            return 0
        fi
        if ! grep -qiE "could not get lock|unable to acquire|is another process using it" \
            "$errors" || [ "$SECONDS" -ge "$deadline" ]; then
            cat "$errors" >&2
            rm -f "$errors"
            return 1
        fi
        echo "ci/install.sh: waiting for another apt or dpkg to finish"
        sleep 5
    done
}

apt_updated=0
apt_install() {
    if [ "$(id -u)" != 0 ]; then
        echo "ci/install.sh: need root to apt-get install $*" >&2
        return 1
    fi
    if [ "$apt_updated" = 0 ]; then
        apt_get update -qq >/dev/null
        apt_updated=1
    fi
    apt_get install -y -qq --no-install-recommends "$@" >/dev/null
}

have_nginx() {
    command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]
}

if ! have_nginx; then
    echo "ci/install.sh: installing nginx"
    # Debian 12 has nginx-light; newer releases fold it into nginx.
    apt_install nginx-light || apt_install nginx
fi

# Other real servers the interop tests use: one "command package" pair a
# line in ci/servers.txt; each package is installed when its command is
# missing.
while read -r command package; do
    case "$command" in ""|"#"*) continue ;; esac
    if ! command -v "$command" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$command" ]; then
        echo "ci/install.sh: installing $package (for $command)"
        apt_install "$package"
    fi
done <ci/servers.txt

if ! command -v "$PYTHON" >/dev/null 2>&1; then
    echo "ci/install.sh: installing python3"
    apt_install python3 python3-venv
fi

if [ ! -x "$VENV/bin/python" ]; then
    # Debian's own python3 ships venv without ensurepip until python3-venv is in.
    if ! "$PYTHON" -c 'import ensurepip, venv' >/dev/null 2>&1; then
        echo "ci/install.sh: installing python3-venv"
        apt_install python3-venv
    fi
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV"
fi

# Re-install only when the packaging metadata (or how it is installed)
# changed since the last run.
EDITABLE_MODE=compat
stamp="$VENV/.trio_http-dev-installed"
wanted="$( (cat pyproject.toml setup.cfg; echo "editable_mode=$EDITABLE_MODE") \
    | sha256sum | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$wanted" ] \
    || ! "$VENV/bin/python" -c 'import trio_http' >/dev/null 2>&1; then
    echo "ci/install.sh: installing trio_http[dev] into $VENV"
    # pip's notes about configured local indexes that do not exist are noise here.
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check \
        --config-settings "editable_mode=$EDITABLE_MODE" -e '.[dev]' \
        2> >(grep -v "^WARNING: Location 'file:" >&2)
    echo "$wanted" >"$stamp"
fi

echo "ci/install.sh: ready ($("$VENV/bin/python" --version), $(nginx -v 2>&1 || /usr/sbin/nginx -v 2>&1))"
