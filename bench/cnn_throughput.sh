#!/usr/bin/env bash
# Training throughput of a small CNN on Fashion-MNIST, nntrain against
# PyTorch in one run (the machine is shared and noisy: compare the ratios):
#   conv(1->32, 3x3, pad 1)-ReLU-maxpool-conv(32->64, 3x3, pad 1)-ReLU-maxpool
#   -fc128-ReLU-fc10, batch 64, momentum SGD (lr 0.01, momentum 0.9), EPOCHS
#   epochs (default 2) over the 60,000 training images.
# nntrain runs on 1 rank x 1 thread, 1 rank x 2 threads and 2 ranks x 1
# thread; PyTorch (Debian's python3-torch, /usr/bin/python3) on 1 and 2
# threads. Each reports the mean training samples/s of the epochs after the
# first (the first warms up; nntrain: metrics.h5's samples_per_sec) and the
# test accuracy after the first epoch (nntrain validates on the test files
# every epoch; validation time is not in samples/s). Then nn_profile times
# the layers and the convolutions' matrix products against BLIS's sgemm on a
# 2000^3 product measured in the same run (fraction of peak), on 1 and 2
# threads, and once with every product in BLIS (what the small-dimension
# loops of nn_gemm_1t gain).
# With REPEATS > 1 the whole round (PyTorch and nntrain alternating) runs
# REPEATS times and each configuration keeps its best samples/s: on a shared
# machine the best run is the one least disturbed by other jobs.
# The header names the CPU and the BLIS kernel family; PyTorch runs with
# nntrain's kernel choice (bench/blis_kernels.sh; its fully connected layers
# call BLIS, its convolutions oneDNN).
# With NNTRAIN_BASE set to another build folder (of an earlier revision),
# that build's nntrain trains each configuration too, right before this
# one's, and its nn_profile runs after this one's: a change measured side by
# side in one run rather than against figures taken at another load.
#   bench/cnn_throughput.sh [EPOCHS] [REPEATS]     (build first: scripts/build.sh)
#   NNTRAIN_BASE=../main/build bench/cnn_throughput.sh 2 1
set -euo pipefail
cd "$(dirname "$0")/.."
epochs=${1:-2}
repeats=${2:-1}
py=${PYTHON:-/usr/bin/python3}
fmnist=/usr/share/datasets/fashion-mnist
[[ -f $fmnist/train-images-idx3-ubyte.gz ]] || { echo "needs dataset-fashion-mnist (apt-get install dataset-fashion-mnist)"; exit 1; }
[[ -x build/nntrain && -x build/nn_profile ]] || { echo "build first: scripts/build.sh"; exit 1; }
base=${NNTRAIN_BASE:-}
[[ -z $base || (-x $base/nntrain && -x $base/nn_profile) ]] || { echo "NNTRAIN_BASE=$base holds no nntrain and nn_profile"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
source bench/blis_kernels.sh
source bench/networks.sh

cat >"$work/cnn.ini" <<INI
[data]
train        = $fmnist/train-images-idx3-ubyte.gz
train_labels = $fmnist/train-labels-idx1-ubyte.gz
valid        = $fmnist/t10k-images-idx3-ubyte.gz
valid_labels = $fmnist/t10k-labels-idx1-ubyte.gz
[train]
epochs = $epochs
batch_size = 64
optimizer = momentum
momentum = 0.9
lr = 0.01
threads = 1
out = $work/run
$(bench_cnn_layers)
INI

bench_blis_setup "$work/cnn.ini" "$py"

# metrics.h5 column $2 of run $1, one value a line
column() { h5dump -A 0 -d "/$2" "$1/metrics.h5" | sed -n 's/^ *([0-9]*): *//p' | tr ',' '\n' | awk 'NF'; }
# Mean training samples/s of the epochs after the first (all when only one).
rate() { column "$1" samples_per_sec | awk '{ v[NR] = $1 } END { s = 0; for (i = (NR > 1 ? 2 : 1); i <= NR; ++i) { s += v[i]; n++ } printf "%.0f", s / n }'; }
accuracy() { column "$1" valid_acc | head -1 | awk '{ printf "%.4f", $1 }'; }

# record NAME SPEED ACC: keep the best speed of the repeats
declare -A speed acc
record() {
    if [[ -z ${speed[$1]:-} ]] || (( $2 > ${speed[$1]} )); then speed[$1]=$2; fi
    acc[$1]=$3
}
# run NAME LAUNCHER... : train with nntrain
run() {
    local name=$1; shift
    "$@" "$work/cnn.ini" --set train.out="$work/$name" >"$work/$name.log" 2>&1 || { cat "$work/$name.log"; exit 1; }
    record "$name" "$(rate "$work/$name")" "$(accuracy "$work/$name")"
}
torch() {
    local name=$1 threads=$2 out
    out=$(OMP_NUM_THREADS=$threads "$py" bench/torch_cnn.py "$threads" "$epochs" "$fmnist")
    record "$name" "${out% *}" "${out#* }"
}

have_torch=0
"$py" -c 'import torch' 2>/dev/null && have_torch=1
for ((r = 1; r <= repeats; ++r)); do
    [[ $have_torch == 1 ]] && torch torch1 1
    [[ -n $base ]] && run b11 "$base/nntrain"
    run n11 build/nntrain
    [[ $have_torch == 1 ]] && torch torch2 2
    [[ -n $base ]] && run b12 "$base/nntrain" --set train.threads=2
    run n12 build/nntrain --set train.threads=2
    [[ -n $base ]] && run b21 mpirun --bind-to core -np 2 "$base/nntrain"
    run n21 mpirun --bind-to core -np 2 build/nntrain
done

echo
bench_blis_header
printf 'CNN on Fashion-MNIST, batch 64, momentum SGD, %s epoch(s), best of %s\n' "$epochs" "$repeats"
printf '%-34s %12s %10s\n' "" "samples/s" "test acc"
printf '%-34s %12s %10s\n' "" "(epochs 2+)" "(epoch 1)"
printf '%-34s %12s %10s\n' "nntrain, 1 rank x 1 thread" "${speed[n11]}" "${acc[n11]}"
printf '%-34s %12s %10s\n' "nntrain, 1 rank x 2 threads" "${speed[n12]}" "${acc[n12]}"
printf '%-34s %12s %10s\n' "nntrain, 2 ranks x 1 thread" "${speed[n21]}" "${acc[n21]}"
if [[ -n $base ]]; then
    printf '%-34s %12s %10s\n' "NNTRAIN_BASE, 1 rank x 1 thread" "${speed[b11]}" "${acc[b11]}"
    printf '%-34s %12s %10s\n' "NNTRAIN_BASE, 1 rank x 2 threads" "${speed[b12]}" "${acc[b12]}"
    printf '%-34s %12s %10s\n' "NNTRAIN_BASE, 2 ranks x 1 thread" "${speed[b21]}" "${acc[b21]}"
fi
if [[ $have_torch == 1 ]]; then
    v=$("$py" -c 'import torch; print(torch.__version__)')
    printf '%-34s %12s %10s\n' "PyTorch $v, 1 thread" "${speed[torch1]}" "${acc[torch1]}"
    printf '%-34s %12s %10s\n' "PyTorch $v, 2 threads" "${speed[torch2]}" "${acc[torch2]}"
    ratio() { awk -v a="$2" -v b="$3" -v l="$1" 'BEGIN { printf "%-44s %6.2fx  (target: 2x)\n", l, a / b }'; }
    ratio "nntrain 1x1 / PyTorch 1 thread" "${speed[n11]}" "${speed[torch1]}"
    ratio "nntrain 1 rank x 2 threads / PyTorch 2 threads" "${speed[n12]}" "${speed[torch2]}"
    ratio "nntrain 2 ranks x 1 thread / PyTorch 2 threads" "${speed[n21]}" "${speed[torch2]}"
    if [[ -n $base ]]; then
        ratio "NNTRAIN_BASE 1x1 / PyTorch 1 thread" "${speed[b11]}" "${speed[torch1]}"
        ratio "NNTRAIN_BASE 1 rank x 2 threads / PyTorch 2" "${speed[b12]}" "${speed[torch2]}"
        ratio "NNTRAIN_BASE 2 ranks x 1 thread / PyTorch 2" "${speed[b21]}" "${speed[torch2]}"
    fi
else
    echo "PyTorch not installed for $py (apt-get install python3-torch): no reference figures"
fi
echo
build/nn_profile "$work/cnn.ini" --input 1x28x28 --batch 64 --threads 1 --steps 40
echo
build/nn_profile "$work/cnn.ini" --input 1x28x28 --batch 64 --threads 2 --steps 40
echo
build/nn_profile "$work/cnn.ini" --input 1x28x28 --batch 64 --threads 1 --steps 40 --blis-only
if [[ -n $base ]]; then
    echo
    "$base/nn_profile" "$work/cnn.ini" --input 1x28x28 --batch 64 --threads 1 --steps 40
    echo
    "$base/nn_profile" "$work/cnn.ini" --input 1x28x28 --batch 64 --threads 2 --steps 40
fi
