#!/usr/bin/env bash
# Install what is missing, build, run the whole test suite through CTest.
# Tests that need the real data sets read them from $NNTRAIN_DATA (default:
# ../shared/data when it exists) and say SKIPPED otherwise.
set -euo pipefail
cd "$(dirname "$0")"
scripts/install-deps.sh
scripts/build.sh
if [[ -z "${NNTRAIN_DATA:-}" && -d ../shared/data ]]; then
    NNTRAIN_DATA="$(cd ../shared/data && pwd)"
fi
export NNTRAIN_DATA="${NNTRAIN_DATA:-}"
cd build
ctest --output-on-failure -j 2 "$@"
