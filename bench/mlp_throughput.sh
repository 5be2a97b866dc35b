#!/usr/bin/env bash
# Training throughput of the homework MLP (1024-64 sigmoid-36 softmax, batch
# 32, plain SGD, 10,800 samples = the NIST36 training set size) with nntrain
# on 1 thread, on 2 ranks x 1 thread, and with PyTorch on 1 thread, all in one
# run so the ratios compare like with like. Random pixels (speed does not
# depend on them). The header names the CPU and the BLIS kernel family;
# PyTorch runs with nntrain's kernel choice (bench/blis_kernels.sh), and once
# more with the kernels its BLIS picks by itself when those differ.
#   bench/mlp_throughput.sh [EPOCHS]       (build first: scripts/build.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
epochs=${1:-6}
# Debian's interpreter: python3-torch and python3-numpy are installed for it.
py=${PYTHON:-/usr/bin/python3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
source bench/blis_kernels.sh

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
[hidden]
type = dense
units = 64
activation = sigmoid
[output]
type = dense
units = 36
activation = softmax
INI

# Mean training samples/s of all epochs after the first (from metrics.h5).
rate() {
    h5dump -A 0 -d /samples_per_sec "$1/metrics.h5" | sed -n 's/^ *([0-9]*): *//p' | tr ',' '\n' |
        awk 'NF { v[++n] = $1 } END { s = 0; for (i = 2; i <= n; ++i) s += v[i]; printf "%.0f", (n > 1 ? s / (n - 1) : v[1]) }'
}

# PyTorch's BLIS on its own (before BLIS_ARCH_TYPE is exported)
own_kernels=""
if "$py" -c 'import torch' 2>/dev/null; then
    own_kernels=$(env -u BLIS_ARCH_TYPE BLIS_ARCH_DEBUG=1 "$py" -c 'import torch; a = torch.ones(64, 64); a @ a' 2>&1 |
        sed -n "s/^libblis: selecting sub-configuration '\(.*\)'\./\1/p" | head -1)
fi
bench_blis_setup "$work/mlp.ini" "$py"

build/nntrain "$work/mlp.ini" >/dev/null
one=$(rate "$work/run")
mpirun --bind-to core -np 2 build/nntrain "$work/mlp.ini" --set train.out="$work/run2" >/dev/null
two=$(rate "$work/run2")

bench_blis_header
printf '%-34s %12s\n' "MLP 1024-64-36, batch 32" "samples/s"
printf '%-34s %12s\n' "nntrain, 1 rank x 1 thread" "$one"
printf '%-34s %12s\n' "nntrain, 2 ranks x 1 thread" "$two"
if "$py" -c 'import torch' 2>/dev/null; then
    torch1=$("$py" bench/torch_mlp.py 1 "$epochs" 10800 1024 64 36 32)
    printf '%-34s %12s\n' "PyTorch $("$py" -c 'import torch; print(torch.__version__)'), 1 thread" "$torch1"
    awk -v a="$one" -v b="$torch1" 'BEGIN { printf "%-34s %11.2fx  (target: 3x)\n", "nntrain 1 thread / PyTorch 1 thread", a / b }'
    if [[ -n $own_kernels && $own_kernels != "$bench_kernels" ]]; then
        torch_own=$(env -u BLIS_ARCH_TYPE "$py" bench/torch_mlp.py 1 "$epochs" 10800 1024 64 36 32)
        printf '%-34s %12s\n' "PyTorch, 1 thread, BLIS '$own_kernels'" "$torch_own"
        printf '%-34s %11.2fx  (BLIS picking its own kernels for PyTorch)\n' \
            "nntrain 1 thread / that" "$(awk -v a="$one" -v b="$torch_own" 'BEGIN { print a / b }')"
    fi
else
    echo "PyTorch not installed (scripts/install-deps.sh --bench): no reference figure"
fi
