#!/usr/bin/env bash
# Run requests' own test suite against trio_http ("import requests" gives
# trio_http) and report how much of it passes.
#
#   bash ci/requests-suite.sh            # report; exits 0 whatever the count
#   bash ci/requests-suite.sh --strict   # exits 1 when a test in scope fails
#   bash ci/requests-suite.sh -k digest  # a selection (pytest's -k)
#
# Run `bash ci/install.sh` first. Steps:
#   1. the sdist of requests $REQUESTS_VERSION from the package registry,
#      cached in build/requests-suite/; its tests/ (with requirements-dev.txt,
#      which some tests open) is extracted afresh into
#      build/requests-suite/requests-$REQUESTS_VERSION/;
#   2. what those tests need, into .venv (requests' requirements-dev.txt,
#      less requests itself, pytest and coverage; pytest-timeout bounds each
#      test);
#   3. a collection with the real requests lists every test of the suite and
#      which are out of scope: tests/requests_suite/out_of_scope.txt (requests'
#      private internals, urllib3's objects) and needs_network.txt;
#   4. the in-scope tests against trio_http, through tests/requests_suite/
#      suite_plugin.py; only loopback is reachable. The full report goes to
#      build/requests-suite/report.txt.
# The last line is "requests suite: N passed, M failed (K out of scope)", where
# M counts every in-scope test that did not pass, including tests that never
# ran because their module could not be imported.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

REQUESTS_VERSION=2.32.5
# requests' requirements-dev.txt for that version, less "-e .[socks]" (requests
# itself), pytest-cov, wheel and pytest (.venv's runs them, although requests
# asks for pytest<9); trustme comes with the dev extra already.
TEST_PACKAGES=("pytest-httpbin==2.1.0" "httpbin~=0.10.0" "trustme" "pytest-timeout>=2.3")
TEST_TIMEOUT_S=15   # one test, seconds (the slowest take about 6 s with requests)
RUN_TIMEOUT_S=140   # the whole run against trio_http, seconds; then SIGINT

strict=0
if [ "${1:-}" = --strict ]; then
    strict=1
    shift
fi
# Anything else goes to pytest in both runs, e.g. -k digest: the counts then
# cover that selection.
extra_args=("$@")

say() { echo "ci/requests-suite.sh: $*"; }

if [ ! -x .venv/bin/python ]; then
    say ".venv is missing: run 'bash ci/install.sh' first" >&2
    exit 1
fi
root="$PWD"
python="$root/.venv/bin/python"
suite_files="$root/tests/requests_suite"
build="$root/build/requests-suite"
sdist="$build/requests-$REQUESTS_VERSION.tar.gz"
work="$build/requests-$REQUESTS_VERSION"
start=$SECONDS

mkdir -p "$build"
if [ ! -f "$sdist" ]; then
    say "downloading the requests $REQUESTS_VERSION sdist"
    # pip's notes about configured local indexes that do not exist are noise here.
    "$python" -m pip download -q --disable-pip-version-check --no-binary :all: --no-deps \
        -d "$build" "requests==$REQUESTS_VERSION" 2> >(grep -v "^WARNING: Location 'file:" >&2)
fi
rm -rf "$work"
mkdir -p "$work"
tar -xzf "$sdist" -C "$work" --strip-components=1 \
    "requests-$REQUESTS_VERSION/tests" "requests-$REQUESTS_VERSION/requirements-dev.txt"
# Its own (empty) pytest configuration: without one, pytest would take this
# project's setup.cfg from a parent directory.
printf '[pytest]\n' >"$work/pytest.ini"

"$python" -m pip install -q --disable-pip-version-check "${TEST_PACKAGES[@]}" \
    2> >(grep -v "^WARNING: Location 'file:" >&2)

# Offline settings: no proxy from the environment, no CA bundle override.
unset http_proxy https_proxy all_proxy no_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY NO_PROXY \
    REQUESTS_CA_BUNDLE CURL_CA_BUNDLE SSL_CERT_FILE SSL_CERT_DIR NETRC
# No bytecode: it would land in tests/requests_suite/ of the source tree.
export PYTHONPATH="$suite_files" PYTHONDONTWRITEBYTECODE=1
# Only the plugins this suite uses, whatever else .venv has.
export PYTEST_DISABLE_PLUGIN_AUTOLOAD=1
pytest_args=(
    -p suite_plugin -p pytest_httpbin.plugin -p pytest_timeout -p no:cacheprovider
    --requests-out-of-scope="$suite_files/out_of_scope.txt"
    --requests-out-of-scope="$suite_files/needs_network.txt"
    "${extra_args[@]}"
)
ids="$build/ids.tsv"
results="$build/results.tsv"
report="$build/report.txt"
rm -f "$ids" "$results" "$report"

say "listing the tests with the real requests"
collect_status=0
(cd "$work" && "$python" -m pytest -q --co "${pytest_args[@]}" --requests-ids="$ids" \
    tests >"$build/collect.txt" 2>&1) || collect_status=$?
if [ "$collect_status" != 0 ] && [ "$collect_status" != 5 ]; then  # 5: selected nothing
    cat "$build/collect.txt" >&2
    say "collecting requests' tests with the real requests failed" >&2
    exit 1
fi

say "running them against trio_http (report: build/requests-suite/report.txt)"
pytest_status=0
(
    cd "$work"
    # A test module that cannot be imported must not stop the others.
    timeout -s INT -k 10 "$RUN_TIMEOUT_S" "$python" -m pytest -q -rfE --tb=short \
        --continue-on-collection-errors --timeout="$TEST_TIMEOUT_S" \
        "${pytest_args[@]}" --requests-alias \
        --requests-private-names="$suite_files/private_names.txt" \
        --requests-results="$results" tests
) >"$report" 2>&1 || pytest_status=$?
if [ "$pytest_status" = 124 ] || [ "$pytest_status" = 137 ]; then
    say "the run was stopped after $RUN_TIMEOUT_S s; tests that did not finish count as failed"
fi
# pytest's own count (or, when it could not start, the report's last line),
# prefixed: the closing line of this script is the summary below.
pytest_line="$(grep -E '(passed|failed|errors?|no tests ran).* in [0-9.]+s' "$report" | tail -n 1 \
    || true)"
say "pytest exited with $pytest_status: ${pytest_line:-$(tail -n 1 "$report")}"
say "took $((SECONDS - start)) s"

summary_args=("$ids" "$results")
if [ "$strict" = 1 ]; then
    summary_args+=(--strict)
fi
exec "$python" "$suite_files/suite_summary.py" "${summary_args[@]}"
