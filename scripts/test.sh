#!/usr/bin/env bash
# Runs the whole test suite: installs the system packages when missing, builds, runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-system-packages.sh
swift build --build-tests
swift test --skip-build
