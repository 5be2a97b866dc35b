#!/usr/bin/env bash
# First run on a fresh Debian 12 machine: install what is missing, build,
# train the quick-start MLP on Fashion-MNIST with 2 MPI ranks.
set -euo pipefail
cd "$(dirname "$0")"
scripts/install-deps.sh
scripts/build.sh
OMP_NUM_THREADS=1 scripts/mpirun.sh -np 2 build/nntrain jobs/quickstart.ini "$@"
echo
echo "inspect the checkpoint with:  h5dump -H runs/quickstart/checkpoint.h5"
