#!/usr/bin/env bash
# Memory of one host while RANKS ranks train on an EMNIST-sized data set,
# with a copy of the data per rank ([data] share = false) and one copy per
# host (share = true). The data: a synthetic IDX of N x 28 x 28 bytes and
# 47 classes (bench/make_idx.py; default N = 800,000, EMNIST ByClass's
# 697,932 training images rounded up), all of it the training set (no
# validation split). The network: a small MLP (784-64 relu-47 softmax),
# one epoch at a global batch of 8192 (98 steps), under scripts/mpirun.sh
# (8 ranks on 2 cores: oversubscribed, yielding).
#
# What is measured, every 0.1 s while the job runs:
#   - PSS summed over the job's ranks (/proc/PID/smaps_rollup): each page a
#     process maps counts once, shared pages divided among the processes
#     that map them, so the sum is the host memory the ranks hold. RSS
#     counts a shared page in every process that maps it and would show the
#     shared copy 8 times; its sum is printed too, to show that.
# Each is given at its peak (whole run: loading included) and while training
# (the median of the samples after the run printed its header, when every
# rank has its data). Prints the CPU, one row per setting and the ratios.
# (The host's MemAvailable was tried too: other sessions on a shared
# machine move it by more than the difference measured; a memory cgroup
# around the job would be the host-side figure where one can be made.)
#   bench/shared_data_memory.sh [N] [RANKS]    (build first: scripts/build.sh)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
n=${1:-800000}
ranks=${2:-8}
py=/usr/bin/python3 # Debian's, with numpy (another python3 may come first on PATH)
[[ -x build/nntrain ]] || { echo "build first: scripts/build.sh" >&2; exit 1; }
"$py" -c 'import numpy' 2>/dev/null || { echo "needs python3-numpy for $py" >&2; exit 1; }
export OMP_NUM_THREADS=1 NNTRAIN_MPI_QUIET=1 NNTRAIN_PROGRESS=lines
work=$(mktemp -d "${TMPDIR:-/tmp}/nntrain-share.XXXXXX")
job=""
trap '[[ -n $job ]] && kill "$job" 2>/dev/null; rm -rf "$work"' EXIT

"$py" bench/make_idx.py "$work/emnist" "$n" 28 47 1
cat >"$work/mlp.ini" <<INI
[data]
train        = $work/emnist-images.idx
train_labels = $work/emnist-labels.idx
valid_fraction = 0
[train]
epochs = 1
batch_size = 8192
optimizer = sgd
lr = 0.01
out = $work/run
[hidden]
type = dense
units = 64
activation = relu
[output]
type = dense
units = 47
activation = softmax
INI

# run SHARE: train with [data] share = SHARE, sampling as described above;
# prints "peak_pss train_pss peak_rss train_rss" in MiB.
run() {
    local share=$1 log=$work/$1.log samples=$work/$1.samples
    rm -rf "$work/run"
    scripts/mpirun.sh -np "$ranks" build/nntrain "$work/mlp.ini" --set data.share="$share" >"$log" 2>&1 &
    job=$!
    : >"$samples"
    while kill -0 "$job" 2>/dev/null; do
        # the ranks are mpirun's children (it forks them on this host)
        local pids phase=load
        pids=$(pgrep -P "$job" || true)
        grep -q "^data: " "$log" && phase=train
        if [[ -n $pids ]]; then
            local files=()
            for p in $pids; do files+=("/proc/$p/smaps_rollup"); done
            awk -v phase="$phase" '/^Rss:/ { r += $2 } /^Pss:/ { p += $2 }
                END { printf "%s %d %d\n", phase, p, r }' "${files[@]}" 2>/dev/null >>"$samples" || true
        fi
        sleep 0.1
    done
    wait "$job" || { tail -20 "$log" >&2; echo "share = $share: the run failed" >&2; exit 1; }
    job=""
    grep -q "^data: " "$log" || { echo "share = $share: no header in $log" >&2; exit 1; }
    awk '
        function median(a, k,   i, j, t) {
            for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
            return k ? a[int((k + 1) / 2)] : 0
        }
        { if ($2 > pp) pp = $2; if ($3 > pr) pr = $3
          if ($1 == "train") { k++; tp[k] = $2; tr[k] = $3 } }
        END { printf "%.0f %.0f %.0f %.0f\n", pp / 1024, median(tp, k) / 1024, pr / 1024,
                     median(tr, k) / 1024 }' "$samples"
}

cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
data_mib=$(awk -v n="$n" 'BEGIN { printf "%.0f", n * (784 + 4) / 1048576 }')
off=($(run false))
on=($(run true))
line=$(grep "^data: one copy per host" "$work/true.log" || echo "(no sharing line)")
echo "CPU: $cpu, $(env -u OMP_NUM_THREADS nproc) cores; $ranks ranks (scripts/mpirun.sh), data $n x 28 x 28 bytes + int32 labels = $data_mib MiB"
echo "share = true said: $line"
printf '\n| [data] share | PSS sum, peak | PSS sum, training | RSS sum, peak | RSS sum, training |\n'
printf '|---|---|---|---|---|\n'
printf '| false (a copy per rank) | %s MiB | %s MiB | %s MiB | %s MiB |\n' "${off[@]}"
printf '| true (one copy per host) | %s MiB | %s MiB | %s MiB | %s MiB |\n' "${on[@]}"
printf '| ratio false / true | %s | %s | %s | %s |\n' $(for i in 0 1 2 3; do
    awk -v a="${off[i]}" -v b="${on[i]}" 'BEGIN { printf "%.1f\n", (b > 0 ? a / b : 0) }'; done)
