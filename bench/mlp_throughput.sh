#!/usr/bin/env bash
# Training throughput of the homework MLP (1024-64 sigmoid-36 softmax, batch
# 32, plain SGD, 10,800 samples = the NIST36 training set size) with nntrain
# on 1 thread, on 2 ranks x 1 thread, and with PyTorch on 1 thread, all in one
# run so the ratios compare like with like. Random pixels (speed does not
# depend on them). The header names the CPU and the BLIS kernel family;
# PyTorch runs with nntrain's kernel choice (bench/blis_kernels.sh), and once
# more with the kernels its BLIS picks by itself when those differ.
# With REPEATS > 1 the round (nntrain and PyTorch alternating) runs REPEATS
# times and each configuration keeps its best samples/s: on a shared machine
# the best run is the one least disturbed by other jobs.
# With NNTRAIN_BASE set to another build folder (of an earlier revision),
# that build's nntrain trains on 1 thread too, right before this one's in
# every round: a change measured side by side in one run.
#   bench/mlp_throughput.sh [EPOCHS] [REPEATS]     (build first: scripts/build.sh)
#   NNTRAIN_BASE=../main/build bench/mlp_throughput.sh 6 3
set -euo pipefail
cd "$(dirname "$0")/.."
epochs=${1:-6}
repeats=${2:-1}
base=${NNTRAIN_BASE:-}
[[ -z $base || -x $base/nntrain ]] || { echo "NNTRAIN_BASE=$base holds no nntrain"; exit 1; }
# Debian's interpreter: python3-torch and python3-numpy are installed for it.
py=${PYTHON:-/usr/bin/python3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
source bench/blis_kernels.sh
source bench/networks.sh

"$py" bench/make_idx.py "$work/nist" 10800 32 36
cat >"$work/mlp.ini" <<INI
[data]
train = $work/nist-images.idx
train_labels = $work/nist-labels.idx
valid_fraction = 0
[train]
epochs = $epochs
batch_size = 32
optimizer = sgd
lr = 0.01
threads = 1
out = $work/run
$(homework_mlp_layers 36)
INI

# Mean training samples/s of all epochs after the first (from metrics.h5).
rate() {
    h5dump -A 0 -d /samples_per_sec "$1/metrics.h5" | sed -n 's/^ *([0-9]*): *//p' | tr ',' '\n' |
        awk 'NF { v[++n] = $1 } END { s = 0; for (i = 2; i <= n; ++i) s += v[i]; printf "%.0f", (n > 1 ? s / (n - 1) : v[1]) }'
}

# PyTorch's BLIS on its own (before BLIS_ARCH_TYPE is exported)
have_torch=0
own_kernels=""
if "$py" -c 'import torch' 2>/dev/null; then
    have_torch=1
    own_kernels=$(env -u BLIS_ARCH_TYPE BLIS_ARCH_DEBUG=1 "$py" -c 'import torch; a = torch.ones(64, 64); a @ a' 2>&1 |
        sed -n "s/^libblis: selecting sub-configuration '\(.*\)'\./\1/p" | head -1)
fi
bench_blis_setup "$work/mlp.ini" "$py"

# record NAME SPEED: keep the best of the repeats
declare -A speed
record() {
    if [[ -z ${speed[$1]:-} ]] || (( $2 > ${speed[$1]} )); then speed[$1]=$2; fi
}
torch_mlp() { "$@" bench/torch_mlp.py 1 "$epochs" 10800 1024 64 36 32; }
for ((r = 1; r <= repeats; ++r)); do
    if [[ -n $base ]]; then
        "$base/nntrain" "$work/mlp.ini" --set train.out="$work/base1-$r" >/dev/null
        record base "$(rate "$work/base1-$r")"
    fi
    build/nntrain "$work/mlp.ini" --set train.out="$work/run1-$r" >/dev/null
    record one "$(rate "$work/run1-$r")"
    if [[ $have_torch == 1 ]]; then
        record torch "$(torch_mlp "$py")"
    fi
    mpirun --bind-to core -np 2 build/nntrain "$work/mlp.ini" --set train.out="$work/run2-$r" >/dev/null
    record two "$(rate "$work/run2-$r")"
    if [[ $have_torch == 1 && -n $own_kernels && $own_kernels != "$bench_kernels" ]]; then
        record torch_own "$(torch_mlp env -u BLIS_ARCH_TYPE "$py")"
    fi
done

ratio() { awk -v a="$2" -v b="$3" -v l="$1" -v n="$4" 'BEGIN { printf "%-44s %8.2fx  %s\n", l, a / b, n }'; }
bench_blis_header
printf 'MLP 1024-64 sigmoid-36, batch 32, SGD, %s epochs, best of %s\n' "$epochs" "$repeats"
printf '%-44s %9s\n' "" "samples/s"
printf '%-44s %9s\n' "nntrain, 1 rank x 1 thread" "${speed[one]}"
printf '%-44s %9s\n' "nntrain, 2 ranks x 1 thread" "${speed[two]}"
if [[ -n $base ]]; then
    printf '%-44s %9s\n' "NNTRAIN_BASE, 1 rank x 1 thread" "${speed[base]}"
fi
if [[ $have_torch == 1 ]]; then
    v=$("$py" -c 'import torch; print(torch.__version__)')
    printf '%-44s %9s\n' "PyTorch $v, 1 thread, BLIS '$bench_kernels'" "${speed[torch]}"
    if [[ -n ${speed[torch_own]:-} ]]; then
        printf '%-44s %9s\n' "PyTorch $v, 1 thread, BLIS '$own_kernels'" "${speed[torch_own]}"
    fi
    ratio "nntrain 1 thread / PyTorch 1 thread" "${speed[one]}" "${speed[torch]}" "(target: 3.5x; same kernels)"
    if [[ -n $base ]]; then
        ratio "NNTRAIN_BASE 1 thread / PyTorch 1 thread" "${speed[base]}" "${speed[torch]}" ""
    fi
    if [[ -n ${speed[torch_own]:-} ]]; then
        ratio "  with PyTorch's BLIS on '$own_kernels'" "${speed[one]}" "${speed[torch_own]}" \
            "(the kernels BLIS picks by itself)"
    fi
else
    echo "PyTorch not installed (scripts/install-deps.sh --bench): no reference figure"
fi
