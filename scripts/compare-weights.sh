#!/usr/bin/env bash
# Train the same short runs with this checkout and with another commit, and
# check that the weights and optimizer state are bit for bit the same: a
# change meant to leave behaviour alone (a restructuring, a refactor) must
# pass this.
#
#   scripts/compare-weights.sh REV [RANKS]
#
# Builds REV in a temporary worktree (removed afterwards), then runs with both
# builds, on RANKS ranks (default 2), a Fashion-MNIST MLP like the quickstart
# (jobs/quickstart.ini: Adam, cosine schedule) and a CNN with batch norm,
# dropout and augmentation (jobs/fashion_cnn.ini: momentum, weight decay),
# shortened to 340 and 96 steps, and compares /model and /optim of their
# checkpoints with h5diff at zero tolerance. Exit 0 when every run matches.
set -euo pipefail
cd "$(dirname "$0")/.."
rev=${1:?usage: scripts/compare-weights.sh REV [RANKS]}
ranks=${2:-2}
here=$(pwd)
work=$(mktemp -d)
trap 'git -C "$here" worktree remove --force "$work/other" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

git worktree add --detach "$work/other" "$rev" >/dev/null
echo "building $rev in $work/other"
cmake -S "$work/other" -B "$work/other/build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$work/other/build" -j "$(nproc)" --target nntrain >/dev/null
scripts/build.sh >/dev/null

export OMP_NUM_THREADS=1 OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
run() { # run BINARY OUT CONFIG [--set ...]
    local bin=$1 out=$2 cfg=$3; shift 3
    timeout 900 mpirun --oversubscribe --bind-to none -np "$ranks" "$bin" "$cfg" \
        --set train.out="$out" "$@" >"$out.log" 2>&1 || { tail -5 "$out.log"; return 1; }
}

status=0
compare() { # compare NAME CONFIG [--set ...]
    local name=$1; shift
    run "$work/other/build/nntrain" "$work/$name-old" "$@"
    run "$here/build/nntrain" "$work/$name-new" "$@"
    local a=$work/$name-old/checkpoint.h5 b=$work/$name-new/checkpoint.h5
    if h5diff "$a" "$b" /model /model >/dev/null && h5diff "$a" "$b" /optim /optim >/dev/null; then
        echo "ok: $name: /model and /optim identical to $rev"
    else
        echo "DIFFERENT: $name: $(h5diff "$a" "$b" /model /model | tail -1)"
        status=1
    fi
}

compare quickstart_mlp jobs/quickstart.ini --set train.epochs=2 --set data.limit=12000
compare fashion_cnn jobs/fashion_cnn.ini --set train.epochs=2 --set data.limit=6400
exit $status
