#!/usr/bin/env bash
# Build everything with AddressSanitizer + UndefinedBehaviorSanitizer into
# build-asan/ and run the CTest suite there (unit and MPI system tests; the
# few labelled nosan are left out, see tests/CMakeLists.txt).
# Suppressions: tests/sanitize/lsan.supp (one-time allocations of Open MPI,
# PLplot's font stack and the OpenMP runtime, each explained there).
#   tests/sanitize/run.sh [ctest args...]
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
cmake -S . -B build-asan -DNN_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-asan -j "$(nproc)" >/dev/null
# Open MPI's shared-memory transport maps memory ASan cannot track
# (detect_odr_violation: BLIS exports duplicate symbols; harmless).
export ASAN_OPTIONS="detect_leaks=1:detect_odr_violation=0:abort_on_error=0:halt_on_error=1"
export LSAN_OPTIONS="suppressions=$root/tests/sanitize/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
# The data folder as in test.sh (NNTRAIN_DATA=none: no data).
if [[ ${NNTRAIN_DATA:-} == none ]]; then
    NNTRAIN_DATA=
elif [[ -z ${NNTRAIN_DATA:-} && -d ../shared/data ]]; then
    NNTRAIN_DATA="$(cd ../shared/data && pwd)"
fi
export NNTRAIN_DATA
cd build-asan
junit=$PWD/Testing/junit.xml
rm -f "$junit"
status=0
# -LE nosan: the tests whose time would go to PyTorch, long training or
# waiting (tests/CMakeLists.txt says which and why).
ctest --output-on-failure --test-output-size-passed 262144 -j 2 --output-junit "$junit" -LE nosan "$@" || status=$?
echo
"$root/scripts/test-summary.sh" "$junit" || status=1
exit "$status"
