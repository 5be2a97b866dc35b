#!/usr/bin/env bash
# mpirun with the options this kind of machine needs: allow root (containers,
# CI), allow more ranks than cores, and do not pin each rank to one core
# (that would leave OpenMP/BLIS threads one core).
#   scripts/mpirun.sh -np 2 build/nntrain jobs/quickstart.ini
set -euo pipefail
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
exec mpirun --oversubscribe --bind-to none "$@"
