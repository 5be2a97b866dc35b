#!/usr/bin/env bash
# mpirun with the options this kind of machine needs: allow root (containers,
# CI) and more ranks than cores. Ranks with one thread keep Open MPI's
# one-core binding (fastest); ranks with OMP_NUM_THREADS > 1 are not bound,
# or all their threads would share one core.
#   OMP_NUM_THREADS=1 scripts/mpirun.sh -np 2 build/nntrain jobs/quickstart.ini
set -euo pipefail
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
bind=()
if [[ ${OMP_NUM_THREADS:-1} -gt 1 ]]; then
    bind=(--bind-to none)
fi
exec mpirun --oversubscribe "${bind[@]}" "$@"
