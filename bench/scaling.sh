#!/usr/bin/env bash
# Data-parallel scaling of nntrain on this machine: the homework MLP
# (784-64 sigmoid-10 softmax, SGD, global batch 32) and the bench CNN
# (conv32-pool-conv64-pool-fc128-fc10, momentum, global batch 64) on
# Fashion-MNIST, with
#   - 1, 2 and 4 ranks on one host (shared memory);
#   - 2 and 3 simulated hosts x 1 rank (network namespaces, TCP; each host's
#     link shaped with tc netem to RATE and DELAY one way, default 10gbit
#     25us; on kernels without netem tbf limits the rate only, and the
#     output says so), with [train] overlap on and off.
# For each run: samples/s (best epoch after the first), efficiency against 1
# rank (samples/s / (ranks x 1-rank samples/s)), and per step the compute
# time and the time waited for the gradient sums (nntrain's "gradient sums"
# line). Then an alpha-beta fit (T = 2(P-1) alpha + 2 (P-1)/P n beta, the
# ring allreduce model) to bench/allreduce.c's times over the shaped link,
# and the efficiency it predicts at 8-512 ranks (see docs/scaling.md).
# The simulated hosts share this machine's cores: with 2 cores, 3 hosts x 1
# rank is oversubscribed, and other jobs on the machine move every figure;
# compare rows of one run. Needs root and iproute2 for the host runs.
#   bench/scaling.sh [RATE] [DELAY]        (build first: scripts/build.sh)
# Files go to $SCALING_OUT (default runs/scaling): predictions.tsv,
# measured.tsv and the plot scaling.png (bench/plot_scaling.py; needs
# python3-matplotlib, else it says the plot was skipped).
# The last line is "cnn 2 hosts x 1 rank efficiency: 0.NN" (overlap on).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
rate=${1:-10gbit}
delay=${2:-25us}
fm=/usr/share/datasets/fashion-mnist
[[ -f $fm/train-images-idx3-ubyte.gz ]] || { echo "needs dataset-fashion-mnist" >&2; exit 1; }
[[ -x build/nntrain && -x build/nn_allreduce ]] || { echo "build first: scripts/build.sh" >&2; exit 1; }
export OMP_NUM_THREADS=1 NNTRAIN_MPI_QUIET=1 NNTRAIN_PROGRESS=lines
work=$(mktemp -d)
out=${SCALING_OUT:-runs/scaling}
mkdir -p "$out"
printf 'model\tlink\tbatch\tcomm\tranks\tefficiency\n' >"$out/predictions.tsv"
printf 'model\tranks\toverlap\tbatch\tefficiency\n' >"$out/measured.tsv"
source tests/multinode/hosts.sh
source bench/networks.sh
trap 'mh_down; rm -rf "$work"' EXIT

data="[data]
train        = $fm/train-images-idx3-ubyte.gz
train_labels = $fm/train-labels-idx1-ubyte.gz
valid_fraction = 0.02"
cat >"$work/mlp.ini" <<INI
$data
limit = 12800
[train]
epochs = 3
batch_size = 32
optimizer = sgd
lr = 0.01
$(homework_mlp_layers 10)
INI
cat >"$work/cnn.ini" <<INI
$data
limit = 2560
[train]
epochs = 3
batch_size = 64
optimizer = momentum
lr = 0.01
$(bench_cnn_layers)
INI

echo "CPU: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(env -u OMP_NUM_THREADS nproc) cores"
hosts_ok=1
why=$(mh_can_run) || { hosts_ok=0; echo "simulated hosts skipped: $why"; }
if ((hosts_ok)); then
    mh_up 3 "$work/hosts"
    for h in h1 h2 h3; do shaped=$(mh_shape "$h" "$rate" "$delay"); done
    echo "links: $shaped"
fi

# run NAME WHERE RANKS NET OVERLAP: one training run; prints its row.
declare -A sps1 params
run() {
    local name=$1 where=$2 n=$3 net=$4 ov=$5 log=$work/$1.log
    local args=("$work/$net.ini" --set "train.out=$work/$name" --set "train.overlap=$ov")
    case $where in
        local) if ((n == 1)); then timeout 600 build/nntrain "${args[@]}"; else
                   timeout 600 scripts/mpirun.sh -np "$n" build/nntrain "${args[@]}"; fi ;;
        hosts) timeout 600 bash -c 'source "$0"; MH_PREFIX=$1 MH_DIR=$2; shift 2; mh_mpirun "$@"' \
                   tests/multinode/hosts.sh "$MH_PREFIX" "$MH_DIR" --host "$(seq -s, -f 'h%g:1' 1 "$n")" -np "$n" \
                   "$ROOT/build/nntrain" "${args[@]}" ;;
    esac >"$log" 2>&1 || { tail -5 "$log" >&2; echo "bench/scaling.sh: $name failed" >&2; exit 1; }
    local s wait step
    s=$(grep '^epoch ' "$log" | tail -n +2 | grep -o '[0-9]* samples/s' | awk '$1 > m { m = $1 } END { print m + 0 }')
    read -r wait step < <(sed -n 's/^gradient sums: .* waited \([0-9.]*\) ms per step of \([0-9.]*\) ms.*/\1 \2/p' "$log"; echo "0 0")
    params[$net]=$(awk '$1 == "total" { print $2 }' "$log")
    [[ $n == 1 ]] && sps1[$net]=$s
    [[ $n == 1 ]] && step=$(awk -v s="$s" -v b="$(sed -n 's/^batch_size = //p' "$work/$net.ini")" 'BEGIN { printf "%.3f", 1000 * b / s }')
    local eff
    eff=$(awk -v s="$s" -v one="${sps1[$net]}" -v n="$n" 'BEGIN { printf "%.2f", s / (n * one) }')
    printf '%-4s %-22s %5d %-4s %10d %6s %10.3f %10.3f\n' "$net" "$where$( [[ $where == hosts ]] && echo " ($n x 1)")" "$n" "$ov" "$s" "$eff" \
        "$(awk -v a="$step" -v b="$wait" 'BEGIN { print a - b }')" "$wait"
    eval "eff_${net}_${where}_${n}_${ov}=$eff"
    [[ $where == hosts ]] && printf '%s\t%d\t%s\t%s\t%s\n' "$net" "$n" "$ov" \
        "$(sed -n 's/^batch_size = //p' "$work/$net.ini")" "$eff" >>"$out/measured.tsv"
    return 0
}

printf '%-4s %-22s %5s %-4s %10s %6s %10s %10s\n' net where ranks ovl samples/s eff compute_ms wait_ms
for net in mlp cnn; do
    run "${net}_1" local 1 "$net" true
    run "${net}_l2" local 2 "$net" true
    run "${net}_l4" local 4 "$net" true
    if ((hosts_ok)); then
        for n in 2 3; do
            for ov in false true; do run "${net}_h${n}_$ov" hosts "$n" "$net" "$ov"; done
        done
    fi
done

# ---- alpha-beta fit over the shaped link, and predictions -------------------
if ((hosts_ok)); then
    bash -c 'source "$0"; MH_PREFIX=$1 MH_DIR=$2; shift 2; mh_mpirun "$@"' tests/multinode/hosts.sh \
        "$MH_PREFIX" "$MH_DIR" --host h1:1,h2:1 -np 2 "$ROOT/build/nn_allreduce" 4096 65536 262144 1048576 4194304 \
        >"$work/allreduce.txt" 2>&1
    echo "allreduce, 2 hosts x 1 rank over the shaped link (median us):"
    sed -n 's/^\([0-9]*\) bytes: median \([0-9.]*\) us.*/  \1 \2/p' "$work/allreduce.txt"
    # T = a + b n on P = 2 (a = 2 alpha, b = beta): beta from the slope
    # between the two largest sizes (bandwidth), alpha from the smallest
    # (latency). A least-squares line lets the largest sizes decide alone
    # (and gave a negative latency); one on relative errors missed the large
    # sizes by 2x.
    read -r alpha beta < <(sed -n 's/^\([0-9]*\) bytes: median \([0-9.]*\) us.*/\1 \2/p' "$work/allreduce.txt" |
        sort -n | awk '{ n[NR] = $1; t[NR] = $2 }
             END { b = (t[NR] - t[NR - 1]) / (n[NR] - n[NR - 1]); a = t[1] - b * n[1];
                   if (a < 0) a = 0; printf "%g %g\n", a / 2 * 1e-6, b * 1e-6 }')
    echo "  fit against the measurements (us): $(sed -n 's/^\([0-9]*\) bytes: median \([0-9.]*\) us.*/\1 \2/p' "$work/allreduce.txt" |
        awk -v a="$alpha" -v b="$beta" '{ printf "%s %.0f vs %.0f; ", $1, $2, (2 * a + $1 * b) * 1e6 }')"
    echo "fit: alpha $(awk -v a="$alpha" 'BEGIN { printf "%.1f us", a * 1e6 }'), beta $(awk -v b="$beta" 'BEGIN { printf "%.0f MB/s", 1e-6 / b }')"
    echo "predicted efficiency (strong scaling, global batch fixed; none: the sum after backward; ovl: it hides behind backward = 2/3 of compute):"
    printf '  %-10s %-8s %6s %-5s' model network batch comm
    for P in 8 16 32 64 128 256 512; do printf ' %6s' "P=$P"; done
    echo
    # model: bytes of gradients, seconds per sample on one rank, global batch
    predict() {
        local name=$1 bytes=$2 tsample=$3 batch=$4 net=$5 a=$6 b=$7
        local ov
        for ov in 0 1; do
            printf '  %-10s %-8s %6d %-5s' "$name" "$net" "$batch" "$( ((ov)) && echo ovl || echo none)"
            for P in 8 16 32 64 128 256 512; do
                local e
                e=$(awk -v P="$P" -v S="$bytes" -v t="$tsample" -v B="$batch" -v a="$a" -v b="$b" -v ov="$ov" 'BEGIN {
                    tc = B / P * t; T = 2 * (P - 1) * a + 2 * (P - 1) / P * S * b;
                    hidden = ov ? 2 * tc / 3 : 0; e = T > hidden ? T - hidden : 0;
                    printf "%.2f", tc / (tc + e) }')
                printf ' %6s' "$e"
                printf '%s\t%s\t%d\t%s\t%d\t%s\n' "$name" "$net" "$batch" "$( ((ov)) && echo ovl || echo none)" \
                    "$P" "$e" >>"$out/predictions.tsv"
            done
            echo
        done
    }
    for net in mlp cnn; do
        ts=$(awk -v s="${sps1[$net]}" 'BEGIN { print 1 / s }')
        batch=4096
        [[ $net == mlp ]] && batch=1024
        predict "$net" "$((params[$net] * 4))" "$ts" "$batch" 10GbE "$alpha" "$beta"
        predict "$net" "$((params[$net] * 4))" "$ts" "$batch" IB-100G 1.5e-6 8e-11
    done
    # SqueezeNet 1.1 on 224x224: 1.24 M parameters; ~0.02 s per training
    # sample on one rank (an assumption, ~1 GFLOP per sample at ~50 GFLOP/s).
    predict squeezenet 4960000 0.02 2048 10GbE "$alpha" "$beta"
    predict squeezenet 4960000 0.02 2048 IB-100G 1.5e-6 8e-11
    if /usr/bin/python3 -c 'import matplotlib' 2>/dev/null; then
        /usr/bin/python3 bench/plot_scaling.py "$out/predictions.tsv" "$out/measured.tsv" "$out/scaling.png"
        echo "plot: $out/scaling.png (tables: $out/predictions.tsv, $out/measured.tsv)"
    else
        echo "plot skipped: needs python3-matplotlib (tables: $out/predictions.tsv, $out/measured.tsv)"
    fi
    echo "cnn 2 hosts x 1 rank efficiency: ${eff_cnn_hosts_2_true}"
else
    echo "cnn 2 hosts x 1 rank efficiency: (not measured: no simulated hosts)"
fi
