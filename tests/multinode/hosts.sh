# Simulated hosts on one machine (sourced by tests/multinode/run.sh and
# bench/scaling.sh): each host is a network namespace with its own hostname,
# joined to the others by a bridge that lives in a namespace of its own, so
# nothing is added to the machine's own network. Addresses are 198.18.0.i/24
# (the benchmark range) and exist only inside these namespaces.
#
#   mh_up N DIR        hosts h1..hN; DIR holds the agent and per-host folders
#   mh_down            kill every process in the namespaces, delete them (idempotent)
#   mh_exec HOST CMD   run CMD in HOST's namespace with its hostname
#   mh_mpirun ARGS     scripts/mpirun.sh started on h1, reaching the others through the agent
#   mh_pids HOST       pids of the processes inside HOST
#   mh_procs HOST NAME pids of HOST's processes named NAME
#   mh_link HOST up|down   HOST's only link (its eth0)
#   mh_shape HOST RATE DELAY   tc netem on HOST's eth0 (e.g. 10gbit 25us; tbf, rate only, without netem)
#
# Needs root and iproute2. The caller must `trap mh_down EXIT` before mh_up.
# Open MPI needs no ssh here: its launcher agent (plm_rsh_agent) is a script
# that enters the host's namespace. Each host needs its own hostname (Open MPI
# names its session folders and shared-memory segments after it; two "hosts"
# with one name crash in the shared-memory transport) and its own TMPDIR.

MH_PREFIX=${MH_PREFIX:-nnmh$$}
MH_N=0
MH_DIR=""
MH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# 0 when this machine can make simulated hosts; else prints why and returns 1.
mh_can_run() {
    [[ $(id -u) == 0 ]] || { echo "needs root (network namespaces)"; return 1; }
    command -v ip >/dev/null || { echo "needs ip (apt-get install iproute2)"; return 1; }
    command -v unshare >/dev/null || { echo "needs unshare (util-linux)"; return 1; }
    ip netns add "${MH_PREFIX}-probe" 2>/dev/null || { echo "ip netns add is not allowed here"; return 1; }
    ip netns del "${MH_PREFIX}-probe"
    return 0
}

mh_up() {
    local n=$1 i j h
    MH_DIR=$2
    mkdir -p "$MH_DIR"
    ip netns add "$MH_PREFIX-hub"
    MH_N=$n # from here on mh_down has something to remove
    ip -n "$MH_PREFIX-hub" link add br0 type bridge
    ip -n "$MH_PREFIX-hub" link set br0 up
    for i in $(seq 1 "$n"); do
        h=$MH_PREFIX-h$i
        ip netns add "$h"
        ip -n "$MH_PREFIX-hub" link add "v$i" type veth peer name eth0 netns "$h"
        ip -n "$MH_PREFIX-hub" link set "v$i" master br0 up
        ip -n "$h" link set lo up
        ip -n "$h" addr add "198.18.0.$i/24" dev eth0
        ip -n "$h" link set eth0 up
        # `ip netns exec` bind-mounts /etc/netns/NAME/hosts over /etc/hosts.
        mkdir -p "/etc/netns/$h"
        { echo "127.0.0.1 localhost"; for j in $(seq 1 "$n"); do echo "198.18.0.$j h$j"; done; } >"/etc/netns/$h/hosts"
        mkdir -p "$MH_DIR/tmp-h$i"
    done
    # The launcher agent: drops ssh-style options, enters the host's
    # namespace with its hostname and TMPDIR, and runs the command line.
    cat >"$MH_DIR/agent" <<AGENT
#!/bin/sh
while [ \$# -gt 0 ] && [ "\${1#-}" != "\$1" ]; do shift; done
h=\$1; shift
exec ip netns exec "$MH_PREFIX-\$h" unshare --uts sh -c 'hostname "\$0" && TMPDIR="$MH_DIR/tmp-\$0" && export TMPDIR && exec /bin/sh -c "\$1"' "\$h" "\$*"
AGENT
    chmod 755 "$MH_DIR/agent"
}

mh_pids() { ip netns pids "$MH_PREFIX-$1" 2>/dev/null || true; }

# mh_procs HOST NAME: pids of HOST's processes whose command is NAME.
mh_procs() {
    local p
    for p in $(mh_pids "$1"); do
        if [[ $(cat "/proc/$p/comm" 2>/dev/null) == "$2" ]]; then echo "$p"; fi
    done
}

mh_down() {
    local i ns pids
    ((MH_N > 0)) || return 0
    for i in $(seq 1 "$MH_N") hub; do
        [[ $i == hub ]] && ns=$MH_PREFIX-hub || ns=$MH_PREFIX-h$i
        pids=$(ip netns pids "$ns" 2>/dev/null || true)
        [[ -n $pids ]] && kill -KILL $pids 2>/dev/null || true
    done
    for i in $(seq 1 "$MH_N") hub; do
        [[ $i == hub ]] && ns=$MH_PREFIX-hub || ns=$MH_PREFIX-h$i
        ip netns del "$ns" 2>/dev/null || true
        rm -rf "/etc/netns/$ns"
    done
    MH_N=0
}

mh_exec() {
    local h=$1 i=${1#h}
    shift
    ip netns exec "$MH_PREFIX-h$i" unshare --uts env TMPDIR="$MH_DIR/tmp-$h" \
        sh -c 'hostname "$0" && exec "$@"' "$h" "$@"
}

# The MCA settings for these hosts: TCP between hosts only on the test
# network, shared memory within a host. mpirun.sh adds the rest (yielding,
# binding, keepalive) from what it sees.
mh_mpirun() {
    mh_exec h1 env OMPI_MCA_plm_rsh_agent="$MH_DIR/agent" \
        NNTRAIN_MPI_NET=198.18.0.0/24 "$MH_ROOT/scripts/mpirun.sh" "$@"
}

mh_link() { ip -n "$MH_PREFIX-h${1#h}" link set eth0 "$2"; }

# Prints what it applied: netem (rate and delay), or where the kernel has no
# netem (some container kernels) tbf, which limits the rate but adds no delay.
mh_shape() {
    local ns=$MH_PREFIX-h${1#h}
    if ip netns exec "$ns" tc qdisc replace dev eth0 root netem delay "$3" rate "$2" 2>/dev/null; then
        echo "netem rate $2 delay $3"
    else
        ip netns exec "$ns" tc qdisc replace dev eth0 root tbf rate "$2" burst 256kb latency 10ms
        echo "tbf rate $2, no delay (this kernel has no netem)"
    fi
}
