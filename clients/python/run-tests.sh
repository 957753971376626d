#!/usr/bin/env bash
# Tests the Python client: creates a virtualenv, installs gridclient and pytest into it, and runs
# the unit tests (a fake node) and the integration tests (real gridnode processes).
#
#   clients/python/run-tests.sh [pytest arguments...]
#
# GRIDNODE_BIN  the gridnode binary (default .build/debug/gridnode; a relative path is taken
#               from the repository root). It must exist: build it first with
#               'swift build --product gridnode'.
# VENV          where the virtualenv goes (default clients/python/.venv; reused when present).
#
# Exits non-zero when a test fails or nothing could be tested.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"

bin="${GRIDNODE_BIN:-.build/debug/gridnode}"
case "$bin" in /*) ;; *) bin="$root/$bin" ;; esac
if [ ! -x "$bin" ]; then
    echo "run-tests.sh: no gridnode binary at $bin; build it with 'swift build --product gridnode' or set GRIDNODE_BIN" >&2
    exit 2
fi
export GRIDNODE_BIN="$bin"

python="${PYTHON:-python3}"
venv="${VENV:-$here/.venv}"
if [ -x "$venv/bin/python" ] || "$python" -m venv "$venv"; then
    python="$venv/bin/python"
    "$python" -m pip install --quiet --disable-pip-version-check "$here" pytest
else
    echo "run-tests.sh: cannot create a virtualenv; installing with pip --user instead" >&2
    rm -rf "$venv"
    "$python" -m pip install --quiet --disable-pip-version-check --user "$here" pytest
fi

# Test the installed package, not the source tree: run from a directory without src/ on the path.
cd "$here/tests"
exec "$python" -m pytest -p no:cacheprovider -rs "$@" .
