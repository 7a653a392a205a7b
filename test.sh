#!/usr/bin/env bash
# Builds Gort and runs every test of every module.
#   ./test.sh                       # all tests
#   ./test.sh -pl runtime-core -Dtest=RunQueueTest   # extra Maven arguments pass through
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
. scripts/jdk.sh
exec mvn -B verify "$@"
