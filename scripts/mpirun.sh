#!/usr/bin/env bash
# mpirun with settings that work on shared, oversubscribed and multi-host
# runs. Every setting is an OMPI_MCA_* default in the environment, so an
# explicit `--mca NAME VALUE` on the command line (or a variable the caller
# already exported) wins.
#   OMP_NUM_THREADS=1 scripts/mpirun.sh -np 2 build/nntrain jobs/quickstart.ini
#   NNTRAIN_MPI_NET=10.1.0.0/16 scripts/mpirun.sh --host n1:4,n2:4 -np 8 build/nntrain jobs/x.ini
#
# What it chooses, and why (figures measured with bench/allreduce.c):
# - root allowed (containers, CI) and more ranks than cores allowed.
# - Yielding (mpi_yield_when_idle) when the ranks do not have their cores to
#   themselves: more ranks than cores on this host, or ranks on several hosts
#   (TCP needs the kernel's packet processing, which ranks busy-polling
#   every core starve: a 4 KB allreduce between 2 hosts took 8 ms without
#   yielding, 45 us with it), or a SLURM allocation smaller than the node.
#   Ranks alone on their cores, talking through shared memory, poll (a few
#   microseconds less per allreduce).
# - Binding single-thread ranks to cores only when this host runs the whole
#   job and has a core per rank; otherwise (several hosts, other jobs,
#   oversubscription, OpenMP threads) no binding: every host's rank 0 would
#   be bound to core 0, as would another job's.
# - Network: NNTRAIN_MPI_NET (a CIDR or interface names) restricts MPI's TCP
#   traffic and its launcher to that network; needed where hosts have
#   interfaces the others cannot reach (Open MPI would try them and stall).
#   Transports: shared memory within a host, TCP between hosts.
# - Lost hosts: TCP keepalive on the launcher's connections (10 s idle, then
#   5 probes 2 s apart), so a host that disappears (link down, power off)
#   ends the job within ~30 s with Open MPI's message naming the host,
#   instead of after ~8 minutes.
# NNTRAIN_MPI_YIELD=0|1 and NNTRAIN_MPI_BIND=core|none override the choices;
# NNTRAIN_MPI_QUIET=1 drops the one line saying what was chosen (stderr).
set -euo pipefail
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

# Rank count and whether hosts are named, from the command line.
ranks=0 hosts=0
args=("$@")
for ((i = 0; i < ${#args[@]}; ++i)); do
    case ${args[i]} in
        -np | -n | --np | -c) ranks=${args[i + 1]:-0} ;;
        --host | -host | -H | --hostfile | -hostfile | --machinefile | -machinefile | --default-hostfile) hosts=1 ;;
    esac
done
[[ $ranks =~ ^[0-9]+$ ]] || ranks=0
cores=$(env -u OMP_NUM_THREADS -u OMP_THREAD_LIMIT nproc) # nproc obeys OMP_NUM_THREADS
multi=0
if ((hosts)) || [[ -n ${NNTRAIN_MPI_NET:-} ]] || [[ ${SLURM_JOB_NUM_NODES:-1} -gt 1 ]]; then
    multi=1
fi
shared=0 # a SLURM allocation that leaves cores of this node to other jobs
if [[ -n ${SLURM_CPUS_ON_NODE:-} ]] && ((SLURM_CPUS_ON_NODE < cores)); then
    shared=1
fi

why=""
yield=${NNTRAIN_MPI_YIELD:-}
if [[ -z $yield ]]; then
    yield=0
    if ((ranks > cores)); then
        yield=1 why="$ranks ranks > $cores cores"
    elif ((multi)); then
        yield=1 why="ranks on several hosts"
    elif ((shared)); then
        yield=1 why="the node is shared"
    fi
fi
((yield)) && export OMPI_MCA_mpi_yield_when_idle=${OMPI_MCA_mpi_yield_when_idle:-1}

bind=${NNTRAIN_MPI_BIND:-}
if [[ -z $bind ]]; then
    bind=none
    if [[ ${OMP_NUM_THREADS:-1} -le 1 ]] && ((!multi && !shared)) && ((ranks <= cores)); then
        bind=core
    fi
fi

if [[ -n ${NNTRAIN_MPI_NET:-} ]]; then
    export OMPI_MCA_btl_tcp_if_include=${OMPI_MCA_btl_tcp_if_include:-$NNTRAIN_MPI_NET}
    export OMPI_MCA_oob_tcp_if_include=${OMPI_MCA_oob_tcp_if_include:-$NNTRAIN_MPI_NET}
fi
if ((multi)); then
    export OMPI_MCA_pml=${OMPI_MCA_pml:-ob1}
    export OMPI_MCA_btl=${OMPI_MCA_btl:-self,vader,tcp}
fi
export OMPI_MCA_oob_tcp_keepalive_time=${OMPI_MCA_oob_tcp_keepalive_time:-10}
export OMPI_MCA_oob_tcp_keepalive_intvl=${OMPI_MCA_oob_tcp_keepalive_intvl:-2}
export OMPI_MCA_oob_tcp_keepalive_probes=${OMPI_MCA_oob_tcp_keepalive_probes:-5}

if [[ ${NNTRAIN_MPI_QUIET:-0} != 1 ]]; then
    echo "mpirun.sh: yield $([[ $yield == 1 ]] && echo "on${why:+ ($why)}" || echo off), bind-to $bind${NNTRAIN_MPI_NET:+, network $NNTRAIN_MPI_NET}" >&2
fi
exec mpirun --oversubscribe --bind-to "$bind" "$@"
