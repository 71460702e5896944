#!/usr/bin/env bash
# Build the sdist and the wheel as a release would, and check what users get.
#
#   * `python -m build` succeeds without setuptools deprecation warnings;
#   * LICENSE is in both archives (the wheel's under .dist-info/licenses/),
#     py.typed is in the wheel, and the sdist carries the tests, docs, ci
#     scripts, benchmarks and news fragments;
#   * each archive, installed into a fresh virtual environment with the
#     runtime dependencies only (no extras), imports from outside the
#     checkout, reports public classes as trio_http's, imports
#     trio_http.testing without pytest, runs `python -m trio_http demo`
#     (the async client against an embedded server) and sends a blocking
#     GET to a local http.server;
#   * the wheel with the "cli" extra, in a fresh environment, gives a
#     working `trio-http` command (a JSON GET of a local http.server);
#   * the sdist's own tests are complete: pytest (from .venv) collects the
#     whole suite from the unpacked sdist and runs a few fast modules there.
#
# Needs .venv with the "dev" extra (bash ci/install.sh), and network access
# to the package registry only (build's isolated environment and the
# runtime dependencies of the fresh environments).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$PWD"

say() { echo "ci/test-packaging.sh: $*"; }
fail() {
    say "FAILED: $*" >&2
    exit 1
}

PYTHON="$ROOT/.venv/bin/python"
[ -x "$PYTHON" ] || fail ".venv is missing: run 'bash ci/install.sh' first"
"$PYTHON" -c 'import build' 2>/dev/null || fail "'build' is not installed in .venv: run 'bash ci/install.sh'"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/trio_http-packaging.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
# pip's notes about configured local indexes that do not exist are noise here.
quiet_pip() { "$@" 2> >(grep -v "^WARNING: Location 'file:" >&2); }

# -- build ----------------------------------------------------------------------

say "building the sdist and the wheel"
if ! "$PYTHON" -m build --outdir "$WORK/dist" . >"$WORK/build.log" 2>&1; then
    cat "$WORK/build.log" >&2
    fail "python -m build"
fi
if grep -nE "DeprecationWarning|deprecated" "$WORK/build.log"; then
    fail "the build printed deprecation warnings (above)"
fi
sdist="$(ls "$WORK"/dist/*.tar.gz)"
wheel="$(ls "$WORK"/dist/*.whl)"
say "built $(basename "$sdist") and $(basename "$wheel")"

# -- contents -------------------------------------------------------------------

sdist_files="$(tar -tzf "$sdist")"
wheel_files="$("$PYTHON" -c 'import sys, zipfile; print("\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))' "$wheel")"
for wanted in LICENSE README.rst pyproject.toml setup.cfg tests/conftest.py tests/server.py \
    docs/conf.py docs/index.rst ci/test.sh benchmarks/_common.py trio_http/py.typed; do
    grep -qx "[^/]*/$wanted" <<<"$sdist_files" || fail "the sdist lacks $wanted"
done
grep -qE '^trio_http-[^/]*\.dist-info/licenses/LICENSE$' <<<"$wheel_files" \
    || fail "the wheel lacks .dist-info/licenses/LICENSE"
grep -qx 'trio_http/py.typed' <<<"$wheel_files" || fail "the wheel lacks trio_http/py.typed"
if grep -E '^(tests|docs|ci|benchmarks)/' <<<"$wheel_files"; then
    fail "the wheel carries more than the package (above)"
fi
if grep -E '\.pyc$|/_build/' <<<"$sdist_files"; then
    fail "the sdist carries build leftovers (above)"
fi
say "LICENSE in both; the sdist has tests, docs, ci and benchmarks; the wheel only the package"

# -- install and use ------------------------------------------------------------

# A standard-library HTTP server answering every GET with its path as JSON,
# for the checks below.
cat >"$WORK/json_server.py" <<'EOF'
"""``with json_server() as base_url:``: GETs answered with ``{"path": ...}``."""

import contextlib
import http.server
import json
import threading
from collections.abc import Iterator


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps({"path": self.path}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@contextlib.contextmanager
def json_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
EOF

# What each fresh environment runs, from a directory outside the checkout.
cat >"$WORK/check_install.py" <<'EOF'
"""Import the installed trio_http and send real requests with it."""

import subprocess
import sys

from json_server import json_server

root = sys.argv[1]
import trio_http  # noqa: E402

assert not trio_http.__file__.startswith(root + "/"), f"imported the checkout: {trio_http.__file__}"
assert trio_http.Response.__module__ == "trio_http", trio_http.Response.__module__
assert trio_http.ConnectTimeout.__module__ == "trio_http"
for name in ("pytest", "hypothesis", "sphinx", "httpx", "requests", "rich"):
    found = subprocess.run([sys.executable, "-c", f"import {name}"], capture_output=True)
    assert found.returncode != 0, f"{name} is installed: only runtime dependencies were asked for"

# trio_http.testing imports without pytest.
code = "import sys; sys.modules['pytest'] = None; import trio_http.testing as t; t.MockRouter()"
subprocess.run([sys.executable, "-c", code], check=True)

# The async client against the embedded demo server.
demo = subprocess.run(
    [sys.executable, "-m", "trio_http", "demo"], capture_output=True, text=True, timeout=60
)
assert demo.returncode == 0, demo.stderr
assert "HTTP/1.1 200 OK" in demo.stdout and "hello from the trio_http demo server" in demo.stdout


# The blocking API against the standard library's HTTP server.
with json_server() as base:
    response = trio_http.get(f"{base}/packaged?x=1", timeout=10)
    response.raise_for_status()
    assert response.json() == {"path": "/packaged?x=1"}, response.text
print(f"trio_http {trio_http.__version__} from {trio_http.__file__}: demo and blocking GET ok")
EOF

check_install() {
    local kind="$1" archive="$2" venv="$WORK/venv-$1"
    say "$kind: installing into a fresh virtual environment (runtime dependencies only)"
    "$PYTHON" -m venv "$venv"
    quiet_pip "$venv/bin/python" -m pip install -q --disable-pip-version-check "$archive"
    [ -x "$venv/bin/trio-http" ] || fail "$kind: the trio-http command was not installed"
    (cd "$WORK" && "$venv/bin/python" -m trio_http --help >/dev/null) \
        || fail "$kind: python -m trio_http --help"
    (cd "$WORK" && "$venv/bin/python" "$WORK/check_install.py" "$ROOT") \
        || fail "$kind: the installed package does not work"
    say "$kind: ok ($("$venv/bin/python" -m pip list --format=freeze --disable-pip-version-check \
        2>/dev/null | grep -vE '^(pip|setuptools)==' | tr '\n' ' '))"
}

check_install wheel "$wheel"
check_install sdist "$sdist"

# -- the command line, as `pip install 'trio_http[cli]'` gives it --------------------

cat >"$WORK/check_cli.py" <<'EOF'
"""`trio-http URL` from a fresh environment against the standard library's HTTP server."""

import json
import subprocess
import sys

from json_server import json_server

command = sys.argv[1]
with json_server() as base:
    done = subprocess.run([command, f"{base}/cli?x=1"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, (done.returncode, done.stderr)
    assert json.loads(done.stdout) == {"path": "/cli?x=1"}, done.stdout
    assert "200" in done.stderr, done.stderr
version = subprocess.run([command, "--version"], capture_output=True, text=True, timeout=60)
assert version.returncode == 0, version
print(f"{command}: JSON GET ok")
EOF

venv="$WORK/venv-cli"
say "wheel[cli]: installing into a fresh virtual environment"
"$PYTHON" -m venv "$venv"
quiet_pip "$venv/bin/python" -m pip install -q --disable-pip-version-check "trio_http[cli] @ file://$wheel"
(cd "$WORK" && "$venv/bin/python" "$WORK/check_cli.py" "$venv/bin/trio-http") \
    || fail "wheel[cli]: the trio-http command does not work"

# -- the sdist's tests ------------------------------------------------------------

say "sdist: collecting its test suite and running a few fast modules from it"
mkdir "$WORK/unpacked"
tar -xzf "$sdist" -C "$WORK/unpacked"
unpacked="$(ls -d "$WORK"/unpacked/*/)"
(
    cd "$unpacked"
    export PYTHONPATH="$unpacked"
    "$PYTHON" -c 'import sys, trio_http; assert trio_http.__file__.startswith(sys.argv[1])' \
        "$unpacked" || fail "sdist: the tests would not import the unpacked package"
    "$PYTHON" -m pytest -q -p no:cacheprovider --collect-only >"$WORK/collect.log" \
        || { cat "$WORK/collect.log" >&2; fail "sdist: pytest cannot collect the tests"; }
    tail -n 1 "$WORK/collect.log"
    "$PYTHON" -m pytest -q -p no:cacheprovider tests/test_public_api.py \
        tests/test_docs_reference.py tests/test_urls.py tests/test_headers.py \
        || fail "sdist: tests failed"
)

say "all packaging checks passed"
