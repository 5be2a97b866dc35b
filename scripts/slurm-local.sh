#!/usr/bin/env bash
# A one-node SLURM cluster on this machine, started by hand (no systemd):
# munged, slurmctld and slurmd, with a slurm.conf describing this machine as
# the node "localhost" in the default partition "debug". With
# NNTRAIN_SLURM_NODES=N (2 or more) it is an N-node cluster instead: nodes
# n1..nN, each a slurmd of its own (Debian's slurmd runs several per machine)
# with its own port, spool, TmpFS and hostname (a UTS namespace: Open MPI
# names shared-memory segments after the host), each the whole machine.
#
#   scripts/slurm-local.sh start     start what is not running; wait until the node accepts jobs
#   scripts/slurm-local.sh stop      stop the daemons this script started (and nothing else)
#   scripts/slurm-local.sh status    what runs, and sinfo; exit 0 when the node accepts jobs
#
# Both start and stop are idempotent. Needs root and the Debian packages
# slurm-wlm and munge (tests/slurm/run.sh installs them).
#
# Environment:
#   SLURM_CONF              where slurm.conf is written (default /etc/slurm/slurm.conf, where
#                           Debian's daemons and commands look). A file there that this
#                           script did not write is never overwritten: point SLURM_CONF
#                           elsewhere (and export it for sbatch/squeue) instead.
#   NNTRAIN_SLURM_STATE     folder for spool, state, logs and pid files
#                           (default /var/tmp/nntrain-slurm)
#   NNTRAIN_SLURM_TIMEOUT   seconds to wait for the node to come up (default 60)
#   NNTRAIN_SLURM_NODES     1 (default): the node localhost; N > 1: nodes n1..nN
set -euo pipefail

CONF=${SLURM_CONF:-/etc/slurm/slurm.conf}
STATE=${NNTRAIN_SLURM_STATE:-/var/tmp/nntrain-slurm}
TIMEOUT=${NNTRAIN_SLURM_TIMEOUT:-60}
MARKER="# Written by nntrain scripts/slurm-local.sh"
CONF_CHANGED=0
NODES=${NNTRAIN_SLURM_NODES:-1}
[[ $NODES =~ ^[1-9][0-9]?$ ]] || { echo "slurm-local: error: NNTRAIN_SLURM_NODES=$NODES is not a node count" >&2; exit 2; }
if ((NODES == 1)); then
    NODE_NAMES=(localhost)
else
    NODE_NAMES=($(seq -f 'n%g' 1 "$NODES"))
fi
export SLURM_CONF=$CONF

die() { echo "slurm-local: error: $*" >&2; exit 1; }
say() { echo "slurm-local: $*"; }

# The pid of a daemon this script started, if it still runs; empty otherwise.
# $STATE/<name>.started holds the pid we saw right after starting it.
# our_pid KEY [COMMAND]: KEY names the file (slurmd-n1), COMMAND the process
# (default KEY).
our_pid() {
    local name=${2:-$1} file="$STATE/$1.started" pid
    [[ -f $file ]] || return 0
    pid=$(<"$file")
    if [[ $pid =~ ^[0-9]+$ ]] && [[ $(cat "/proc/$pid/comm" 2>/dev/null) == "$name" ]]; then
        echo "$pid"
    fi
}

munge_works() { munge -n 2>/dev/null | unmunge >/dev/null 2>&1; }
ctld_works() { scontrol ping 2>/dev/null | grep -q "is UP"; }
node_state() { sinfo -h -n "$1" -o %T 2>/dev/null | head -1; }

# Wait for a pid file (written by a daemon after it forks) and echo its pid.
wait_pidfile() {
    local file=$1
    for _ in $(seq 100); do
        [[ -s $file ]] && { cat "$file"; return 0; }
        sleep 0.1
    done
    return 1
}

write_conf() {
    local node tmp
    # This machine's CPUs, sockets, cores and memory as slurmd sees them.
    node=$(slurmd -C | head -1 | sed 's/^NodeName=[^ ]*/NodeName=localhost/')
    [[ $node == NodeName=localhost* ]] || die "slurmd -C did not describe this machine: $node"
    local daemon_files="SlurmdSpoolDir=$STATE/slurmd
SlurmdPidFile=$STATE/slurmd.pid
SlurmdLogFile=$STATE/log/slurmd.log" partition="PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP"
    if ((NODES > 1)); then
        # Several slurmd on one machine: each its port, and %n (the node
        # name) in every path it writes; TmpFS too, or PMIx fails with
        # "pmixp_mkdir ... File exists".
        local hw=${node#NodeName=localhost } i
        node=""
        for i in $(seq 1 "$NODES"); do
            node+="NodeName=n$i NodeHostname=localhost NodeAddr=127.0.0.1 Port=$((17000 + i)) $hw"$'\n'
        done
        node=${node%$'\n'}
        daemon_files="SlurmdSpoolDir=$STATE/slurmd-%n
SlurmdPidFile=$STATE/slurmd-%n.pid
SlurmdLogFile=$STATE/log/slurmd-%n.log
TmpFS=$STATE/tmp-%n"
        partition="PartitionName=debug Nodes=n[1-$NODES] Default=YES MaxTime=INFINITE State=UP"
    fi
    tmp=$(mktemp)
    cat >"$tmp" <<CONF
$MARKER for a one-node cluster.
# State, spool and logs: $STATE
ClusterName=nntrain
SlurmctldHost=localhost
SlurmUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=pmix
ProctrackType=proctrack/linuxproc
TaskPlugin=task/affinity
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
# One line per finished job (and per requeued run): no accounting database here.
JobCompType=jobcomp/filetxt
JobCompLoc=$STATE/log/jobcomp.log
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
# A requeued job waits cred_expire + 1 s before it may start again (default
# 120 s); 10 s is plenty on one machine and keeps requeue tests short.
AuthInfo=cred_expire=10
# Look for startable jobs every 5 s (default 60 s): a requeued job becomes
# eligible by time passing, which triggers no scheduling event of its own.
SchedulerParameters=sched_interval=5
# Finished jobs stay visible to squeue/scontrol for 10 minutes.
MinJobAge=600
StateSaveLocation=$STATE/ctld
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmctldLogFile=$STATE/log/slurmctld.log
$daemon_files
$node
$partition
CONF
    if [[ -f $CONF ]] && ! grep -qF "$MARKER" "$CONF"; then
        rm -f "$tmp"
        die "$CONF exists and was not written by this script; set SLURM_CONF to another path"
    fi
    mkdir -p "$(dirname "$CONF")"
    if ! cmp -s "$tmp" "$CONF"; then
        install -m 644 "$tmp" "$CONF"
        say "wrote $CONF"
        CONF_CHANGED=1
    fi
    rm -f "$tmp"
}

start_munge() {
    if munge_works; then
        return 0
    fi
    if [[ ! -f /etc/munge/munge.key ]]; then
        mungekey --create --keyfile=/etc/munge/munge.key
        say "created /etc/munge/munge.key"
    fi
    chown munge:munge /etc/munge/munge.key
    chmod 600 /etc/munge/munge.key
    install -d -o munge -g munge -m 755 /run/munge
    install -d -o munge -g munge -m 700 /var/log/munge
    install -d -o munge -g munge -m 711 /var/lib/munge
    rm -f /run/munge/munged.pid
    runuser -u munge -- /usr/sbin/munged || die "munged did not start (see /var/log/munge/munged.log)"
    wait_pidfile /run/munge/munged.pid >"$STATE/munged.started" || die "munged wrote no pid file"
    for _ in $(seq 50); do munge_works && break; sleep 0.1; done
    munge_works || die "munged runs but munge -n | unmunge fails (see /var/log/munge/munged.log)"
    say "started munged (pid $(<"$STATE/munged.started"))"
}

start_slurmctld() {
    ctld_works && return 0
    [[ -z $(our_pid slurmctld) ]] || die "slurmctld (pid $(our_pid slurmctld)) runs but does not answer; see $STATE/log/slurmctld.log"
    rm -f "$STATE/slurmctld.pid"
    slurmctld -i || die "slurmctld did not start; see $STATE/log/slurmctld.log"
    wait_pidfile "$STATE/slurmctld.pid" >"$STATE/slurmctld.started" || die "slurmctld wrote no pid file; see $STATE/log/slurmctld.log"
    say "started slurmctld (pid $(<"$STATE/slurmctld.started"))"
}

# One slurmd per node n1..nN, each in a UTS namespace with its node's name.
start_slurmds() {
    local n
    if ((NODES == 1)); then
        start_slurmd
        return
    fi
    for n in "${NODE_NAMES[@]}"; do
        [[ -z $(our_pid "slurmd-$n" slurmd) ]] || continue
        mkdir -p "$STATE/slurmd-$n" "$STATE/tmp-$n"
        rm -f "$STATE/slurmd-$n.pid"
        unshare --uts sh -c 'hostname "$1" && exec slurmd -N "$1"' sh "$n" ||
            die "slurmd -N $n did not start; see $STATE/log/slurmd-$n.log"
        wait_pidfile "$STATE/slurmd-$n.pid" >"$STATE/slurmd-$n.started" ||
            die "slurmd -N $n wrote no pid file; see $STATE/log/slurmd-$n.log"
        say "started slurmd for node $n (pid $(<"$STATE/slurmd-$n.started"))"
    done
}

start_slurmd() {
    [[ -z $(our_pid slurmd) ]] || return 0
    if pgrep -x slurmd >/dev/null; then
        say "a slurmd this script did not start is running (pid $(pgrep -x slurmd | head -1)); using it"
        return 0
    fi
    rm -f "$STATE/slurmd.pid"
    slurmd -N localhost || die "slurmd did not start; see $STATE/log/slurmd.log"
    wait_pidfile "$STATE/slurmd.pid" >"$STATE/slurmd.started" || die "slurmd wrote no pid file; see $STATE/log/slurmd.log"
    say "started slurmd (pid $(<"$STATE/slurmd.started"))"
}

# Wait until the node accepts jobs (idle, or busy with jobs from before).
wait_node() {
    local state="" deadline=$((SECONDS + TIMEOUT)) n up
    while ((SECONDS < deadline)); do
        up=0
        for n in "${NODE_NAMES[@]}"; do
            state=$(node_state "$n")
            case $state in
                idle | mixed | allocated | completing) up=$((up + 1)) ;;
                down* | drain*) scontrol update NodeName="$n" State=RESUME 2>/dev/null || true ;;
            esac
        done
        if ((up == NODES)); then
            say "node(s) ${NODE_NAMES[*]} up ($state)"
            return 0
        fi
        sleep 0.5
    done
    echo "slurm-local: error: node(s) ${NODE_NAMES[*]} not all idle after ${TIMEOUT}s (last state: '${state:-no answer}')" >&2
    sinfo -N -l >&2 || true
    for log in "$STATE"/log/slurm*.log; do
        echo "--- last lines of $log" >&2
        tail -n 15 "$log" >&2 2>/dev/null || true
    done
    exit 1
}

start() {
    [[ $(id -u) -eq 0 ]] || die "start needs root (the daemons run as root and munge)"
    local cmd
    for cmd in munged mungekey slurmctld slurmd sinfo scontrol; do
        command -v "$cmd" >/dev/null || die "$cmd not found: apt-get install slurm-wlm munge"
    done
    mkdir -p "$STATE/ctld" "$STATE/slurmd" "$STATE/log"
    write_conf
    # Some settings (cred_expire among them) are read at start only: restart
    # the daemons this script runs; ask others to re-read the file.
    if ((CONF_CHANGED)) && ctld_works; then
        if [[ -n $(our_pid slurmctld) ]]; then
            say "restarting slurmctld and slurmd for the new $CONF"
            stop_slurmds
            stop_one slurmctld
        else
            scontrol reconfigure && say "the running daemons re-read $CONF"
        fi
    fi
    start_munge
    start_slurmctld
    start_slurmds
    wait_node
}

# stop_one KEY [COMMAND]
stop_one() {
    local name=$1 pid
    pid=$(our_pid "$name" "${2:-}")
    if [[ -n $pid ]]; then
        kill "$pid"
        for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        if kill -0 "$pid" 2>/dev/null; then
            kill -KILL "$pid" 2>/dev/null || true
            say "killed $name (pid $pid) after 10 s"
        else
            say "stopped $name (pid $pid)"
        fi
    fi
    rm -f "$STATE/$name.started"
}

# Every slurmd this script started, whatever the node count it had then.
stop_slurmds() {
    local f key
    for f in "$STATE"/slurmd*.started; do
        [[ -f $f ]] || continue
        key=$(basename "$f" .started)
        stop_one "$key" slurmd
    done
}

stop() {
    stop_slurmds
    stop_one slurmctld
    stop_one munged
}

status() {
    local name pid ok=0
    for name in munged slurmctld $(cd "$STATE" 2>/dev/null && ls slurmd*.started 2>/dev/null | sed 's/.started$//' || echo slurmd); do
        pid=$(our_pid "$name" "${name%%-*}")
        if [[ -n $pid ]]; then
            echo "$name: running, pid $pid (started by this script)"
        elif pid=$(pgrep -x "${name%%-*}" | head -1) && [[ -n $pid ]]; then
            echo "$name: running, pid $pid (not started by this script)"
        else
            echo "$name: not running"
            ok=3
        fi
    done
    echo "config: $CONF   state: $STATE"
    if ctld_works; then
        sinfo
        for name in "${NODE_NAMES[@]}"; do
            case $(node_state "$name") in idle | mixed | allocated | completing) ;; *) ok=3 ;; esac
        done
    else
        echo "slurmctld does not answer"
        ok=3
    fi
    return $ok
}

case ${1:-} in
    start) start ;;
    stop) stop ;;
    status) status ;;
    *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
