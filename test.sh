#!/usr/bin/env bash
# Install what is missing, build, run the whole test suite through CTest,
# then print one line of counts (scripts/test-summary.sh):
#   N tests, P passed, S skipped, F failed
# Tests that need the real data sets read them from $NNTRAIN_DATA (default:
# ../shared/data when it exists); NNTRAIN_DATA=none runs the suite as on a
# machine with no data. A test that lacks a file it needs prints
# "SKIPPED: <the file>" and exits 77, which CTest reports as "Not Run" and
# the summary counts as skipped, never as passed.
#   ./test.sh [ctest args...]      e.g. ./test.sh -R test_data
set -euo pipefail
cd "$(dirname "$0")"
scripts/install-deps.sh
scripts/build.sh
if [[ ${NNTRAIN_DATA:-} == none ]]; then
    NNTRAIN_DATA=
elif [[ -z ${NNTRAIN_DATA:-} && -d ../shared/data ]]; then
    NNTRAIN_DATA="$(cd ../shared/data && pwd)"
fi
export NNTRAIN_DATA
echo "test data: ${NNTRAIN_DATA:-none (NNTRAIN_DATA is not set: tests that need data files skip)}"
cd build
junit=$PWD/Testing/junit.xml
rm -f "$junit"
status=0
# (the whole output of passed tests, for their SKIPPED lines)
ctest --output-on-failure --test-output-size-passed 262144 -j 2 --output-junit "$junit" "$@" || status=$?
echo
../scripts/test-summary.sh "$junit" || status=1
exit "$status"
