#!/usr/bin/env bash
# Training throughput of SqueezeNet 1.1 (jobs/flowers17_squeezenet.ini: 17
# classes, 0.73 M parameters), nntrain against PyTorch's torchvision model in
# one run, as ratios (the machine is shared and noisy: compare the ratios):
# batch BATCH (32), momentum SGD, SIDE x SIDE colour images (128, or 224 as
# ImageNet), EPOCHS epochs (default 3) of STEPS steps (default 12) over a
# synthetic data set file of that shape (tests' dataset_fixture; the speed
# does not depend on the pixels). nntrain runs on 1 rank x 1 thread, 1 rank x
# 2 threads and 2 ranks x 1 thread; PyTorch (Debian's python3-torch and
# python3-torchvision, /usr/bin/python3) on 1 and 2 threads. Each reports
# the mean training samples/s of the epochs after the first (nntrain:
# metrics.h5's samples_per_sec, without validation) and its peak resident
# memory (nntrain: /usr/bin/time's maximum resident set size of the run on
# 1 rank x 1 thread; PyTorch: getrusage's ru_maxrss).
# The header names the CPU and the BLIS kernel family; PyTorch runs with
# nntrain's kernel choice (bench/blis_kernels.sh; its convolutions are
# oneDNN's, not BLIS's).
#   bench/squeezenet_throughput.sh [SIDE] [EPOCHS] [STEPS] [BATCH]   (build first: scripts/build.sh)
set -Eeuo pipefail
trap 'echo "bench: line $LINENO failed" >&2' ERR
cd "$(dirname "$0")/.."
side=${1:-128}
epochs=${2:-3}
steps=${3:-12}
batch=${4:-32}
py=${PYTHON:-/usr/bin/python3}
fixture=build/tests/dataset_fixture
[[ -x build/nntrain && -x $fixture ]] || { echo "build first: scripts/build.sh (makes build/nntrain and $fixture)"; exit 1; }
[[ -x /usr/bin/time ]] || { echo "needs /usr/bin/time (apt-get install time) for the peak memory"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
source bench/blis_kernels.sh

"$fixture" "$work/data.h5" $((steps * batch)) 17 3 "$side" "$side" 17 1
sets=(--set data.train="$work/data.h5" --set data.valid="$work/data.h5" --set data.test="$work/data.h5"
      --set train.epochs="$epochs" --set train.batch_size="$batch" --set train.threads=1
      --set train.checkpoint_every=1000
      --set data.crop=0 --set data.flip=false --set data.normalize=none) # SIDE x SIDE inputs as PyTorch gets them
# the job with its data paths pointing at the synthetic file (--summary in
# bench_blis_setup reads them)
sed "s|runs/flowers17_prep/flowers17_144.h5|$work/data.h5|" jobs/flowers17_squeezenet.ini >"$work/job.ini"
bench_blis_setup "$work/job.ini" "$py"

# metrics.h5 column $2 of run $1, one value a line
column() { h5dump -A 0 -d "/$2" "$1/metrics.h5" | sed -n 's/^ *([0-9]*): *//p' | tr ',' '\n' | awk 'NF'; }
# Mean training samples/s of the epochs after the first (all when only one).
rate() { column "$1" samples_per_sec | awk '{ v[NR] = $1 } END { s = 0; for (i = (NR > 1 ? 2 : 1); i <= NR; ++i) { s += v[i]; n++ } printf "%.1f", s / n }'; }

declare -A speed rss
run() { # NAME LAUNCHER...
    local name=$1; shift
    /usr/bin/time -v -o "$work/$name.time" "$@" "$work/job.ini" "${sets[@]}" --set train.out="$work/$name" \
        >"$work/$name.log" 2>&1 || { cat "$work/$name.log"; exit 1; }
    speed[$name]=$(rate "$work/$name")
    rss[$name]=$(awk -F': ' '/Maximum resident set size/ { printf "%.0f", $2 / 1024 }' "$work/$name.time")
}
torch() { # NAME THREADS
    local out
    out=$(OMP_NUM_THREADS=$2 "$py" bench/torch_squeezenet.py "$2" "$epochs" "$work/data.h5" "$batch")
    speed[$1]=${out% *}
    rss[$1]=${out#* }
}

have_torch=0
"$py" -c 'import torch, torchvision, h5py' 2>/dev/null && have_torch=1
[[ $have_torch == 1 ]] && torch torch1 1
run n11 build/nntrain
[[ $have_torch == 1 ]] && torch torch2 2
run n12 build/nntrain --set train.threads=2
run n21 mpirun --bind-to core -np 2 build/nntrain

echo
bench_blis_header
printf 'SqueezeNet 1.1, 17 classes, 3 x %s x %s, batch %s, momentum SGD, %s epochs of %s steps\n' \
    "$side" "$side" "$batch" "$epochs" "$steps"
printf '%-34s %14s %14s\n' "" "samples/s" "peak RSS"
printf '%-34s %14s %14s\n' "" "(epochs 2+)" "(MiB)"
printf '%-34s %14s %14s\n' "nntrain, 1 rank x 1 thread" "${speed[n11]}" "${rss[n11]}"
printf '%-34s %14s %14s\n' "nntrain, 1 rank x 2 threads" "${speed[n12]}" "${rss[n12]}"
printf '%-34s %14s %14s\n' "nntrain, 2 ranks x 1 thread" "${speed[n21]}" "(mpirun)"
if [[ $have_torch == 1 ]]; then
    v=$("$py" -c 'import torch; print(torch.__version__)')
    printf '%-34s %14s %14s\n' "PyTorch $v, 1 thread" "${speed[torch1]}" "${rss[torch1]}"
    printf '%-34s %14s %14s\n' "PyTorch $v, 2 threads" "${speed[torch2]}" "${rss[torch2]}"
    ratio() { awk -v a="$2" -v b="$3" -v l="$1" 'BEGIN { printf "%-48s %6.2fx\n", l, a / b }'; }
    ratio "nntrain 1x1 / PyTorch 1 thread" "${speed[n11]}" "${speed[torch1]}"
    ratio "nntrain 1 rank x 2 threads / PyTorch 2 threads" "${speed[n12]}" "${speed[torch2]}"
    ratio "nntrain 2 ranks x 1 thread / PyTorch 2 threads" "${speed[n21]}" "${speed[torch2]}"
    ratio "peak RSS, nntrain 1x1 / PyTorch 1 thread" "${rss[n11]}" "${rss[torch1]}"
else
    echo "PyTorch or torchvision not installed for $py (apt-get install python3-torch python3-torchvision python3-h5py): no reference figures"
fi
