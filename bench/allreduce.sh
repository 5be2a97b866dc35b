#!/usr/bin/env bash
# Allreduce times (4 KB and 918 KB, the quickstart MLP's gradient) with and
# without yielding (mpi_yield_when_idle), on one host through shared memory
# and between 2 simulated hosts over TCP (network namespaces, needs root and
# iproute2; see tests/multinode/hosts.sh): the figures behind
# scripts/mpirun.sh's choices. Noisy on a shared machine: compare the rows
# of one run. Prints the CPU first.
#   bench/allreduce.sh [BYTES...]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
bin=$ROOT/build/nn_allreduce
[[ -x $bin ]] || { echo "bench/allreduce.sh: $bin not built (scripts/build.sh)" >&2; exit 1; }
sizes=("$@")
((${#sizes[@]})) || sizes=(4096 918528)
export NNTRAIN_MPI_QUIET=1
echo "CPU: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores"
for y in 0 1; do
    echo "-- one host, 2 ranks, shared memory, yield $y"
    NNTRAIN_MPI_YIELD=$y "$ROOT/scripts/mpirun.sh" -np 2 "$bin" "${sizes[@]}" | grep bytes
done
source "$ROOT/tests/multinode/hosts.sh"
if ! why=$(mh_can_run); then
    echo "-- 2 simulated hosts: skipped ($why)"
    exit 0
fi
dir=$(mktemp -d)
trap 'mh_down; rm -rf "$dir"' EXIT
mh_up 2 "$dir"
for y in 0 1; do
    echo "-- 2 hosts x 1 rank, TCP, yield $y"
    NNTRAIN_MPI_YIELD=$y timeout 120 bash -c 'source "$0"; MH_PREFIX=$1 MH_DIR=$2; shift 2; mh_mpirun "$@"' \
        "$ROOT/tests/multinode/hosts.sh" "$MH_PREFIX" "$MH_DIR" --host h1:1,h2:1 -np 2 "$bin" "${sizes[@]}" | grep bytes
done
