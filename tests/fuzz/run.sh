#!/usr/bin/env bash
# Build the libFuzzer targets with clang (ASan + UBSan) and run each for
# SECONDS (default 60). New inputs go to a scratch corpus; the seeds in
# tests/fuzz/corpus/<target>/ are read only. A crash stops with the input
# saved under build-fuzz/artifacts/ (turn it into a regression test).
#   tests/fuzz/run.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-60}
shift || true
command -v clang >/dev/null || { echo "tests/fuzz/run.sh: clang is missing (apt-get install clang libclang-rt-14-dev)" >&2; exit 1; }

CC=clang cmake -S . -B build-fuzz -DNN_FUZZ=ON -DNN_WERROR=OFF -DBUILD_TESTING=OFF \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNN_ARCH=x86-64-v2 >/dev/null
targets=("$@")
if ((${#targets[@]} == 0)); then
    for f in tests/fuzz/fuzz_*.c; do targets+=("$(basename "$f" .c)"); done
fi
cmake --build build-fuzz -j "$(nproc)" --target "${targets[@]}" >/dev/null

mkdir -p build-fuzz/artifacts
# Leaks inside HDF5/matio/MPI's one-time initialisation are not ours.
# HDF5 and matio allocate what a damaged header claims (seen: up to 12 GiB) before
# they fail cleanly; the malloc limit is set above that, so only real
# crashes, hangs and runaway memory count.
export ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1
status=0
for t in "${targets[@]}"; do
    seeds=tests/fuzz/corpus/${t#fuzz_}
    work=build-fuzz/corpus/${t#fuzz_}
    mkdir -p "$work"
    echo "== $t: ${seconds}s"
    if ! build-fuzz/tests/fuzz/"$t" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=6144 -malloc_limit_mb=16384 \
            -max_len=65536 -artifact_prefix=build-fuzz/artifacts/"$t"- -print_final_stats=1 \
            "$work" "$seeds" >build-fuzz/"$t".log 2>&1; then
        status=1
        echo "FAIL: $t found a crash; see build-fuzz/$t.log and build-fuzz/artifacts/"
        grep -E "ERROR|SUMMARY|Test unit written" build-fuzz/"$t".log | head -5
    else
        grep -E "stat::number_of_executed_units|cov:" build-fuzz/"$t".log | tail -2 | tr '\n' ' '
        echo
    fi
done
rm -f /dev/shm/nntrain-fuzz-*
exit $status
