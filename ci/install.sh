#!/usr/bin/env bash
# Prepare this checkout for development and CI. Safe to run again.
#
#   * nginx (interoperability and soak tests), installed with apt only when
#     missing;
#   * a virtual environment in .venv with trio_http installed in editable mode
#     together with its "dev" extra (which brings hypercorn, the other real
#     server of the soak tests).
#
# Works as root on a fresh Debian 12 machine; without root it needs nginx and
# python3-venv to be installed already.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

export DEBIAN_FRONTEND=noninteractive
PYTHON="${PYTHON:-python3}"
VENV=.venv

apt_updated=0
apt_install() {
    if [ "$(id -u)" != 0 ]; then
        echo "ci/install.sh: need root to apt-get install $*" >&2
        return 1
    fi
    if [ "$apt_updated" = 0 ]; then
        apt-get update -qq >/dev/null
        apt_updated=1
    fi
    apt-get install -y -qq --no-install-recommends "$@" >/dev/null
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

# Re-install only when the packaging metadata changed since the last run.
stamp="$VENV/.trio_http-dev-installed"
wanted="$(cat pyproject.toml setup.cfg | sha256sum | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$wanted" ] \
    || ! "$VENV/bin/python" -c 'import trio_http' >/dev/null 2>&1; then
    echo "ci/install.sh: installing trio_http[dev] into $VENV"
    # pip's notes about configured local indexes that do not exist are noise here.
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check -e '.[dev]' \
        2> >(grep -v "^WARNING: Location 'file:" >&2)
    echo "$wanted" >"$stamp"
fi

echo "ci/install.sh: ready ($("$VENV/bin/python" --version), $(nginx -v 2>&1 || /usr/sbin/nginx -v 2>&1))"
