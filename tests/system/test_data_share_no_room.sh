#!/usr/bin/env bash
# [data] share with no room for the shared copy: the window's backing file
# (Open MPI's osc_sm_backing_directory, /dev/shm by default) pointed at a
# 1 MiB tmpfs, and a training set of 1.6 MB. Open MPI 4.1 then fails the
# window on the host's first rank and leaves the others waiting inside the
# call, so nntrain ends the job itself: every rank ends within seconds, the
# exit status is non-zero and one line says what is missing and what to do.
# With share = false the same run trains. Needs root (mounts a tmpfs);
# skipped otherwise.
source "$(dirname "$0")/lib.sh"
[[ $(id -u) == 0 ]] || skip "needs root to mount a small tmpfs"
mkdir -p "$WORK/shm"
mount -t tmpfs -o size=1m tmpfs "$WORK/shm" 2>/dev/null || skip "cannot mount a tmpfs here"
trap 'umount "$WORK/shm" 2>/dev/null || true' EXIT

write_random_idx "$WORK/train" 2000 1
cat >"$WORK/idx.ini" <<INI
[data]
train        = $WORK/train-images.idx
train_labels = $WORK/train-labels.idx
[train]
epochs = 1
batch_size = 64
out = $WORK/run
[out]
type = dense
units = 10
activation = softmax
INI
# ranks N SHARE: N ranks with the window's backing files in the small tmpfs.
ranks() {
    timeout 120 mpirun --oversubscribe --bind-to none -np "$1" -x OMPI_MCA_osc_sm_backing_directory="$WORK/shm" \
        "$NNTRAIN" "$WORK/idx.ini" --set data.share="$2"
}
start=$SECONDS
expect 4 "^nntrain: rank 0: no shared memory for one copy of the data on this host \([0-9]+ bytes; MPI: .*\); make room in /dev/shm or set \[data\] share = false$" -- ranks 3 true
((SECONDS - start < 60)) || fail "the job took $((SECONDS - start)) s to end"
pass "no room for the shared copy: the job ends (status 4) in $((SECONDS - start)) s, saying so"
expect 0 "^test|^valid" -- ranks 3 false
pass "the same run with share = false trains"
