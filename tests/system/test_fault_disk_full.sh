#!/usr/bin/env bash
# The run folder on a full file system: a clear error naming the file and
# the cause, a non-zero exit, and the previous checkpoint intact. Uses a
# small tmpfs when this machine lets us mount one, else /dev/full in place
# of the checkpoint's temporary file (the same ENOSPC from write(2)).
source "$(dirname "$0")/lib.sh"
need_fmnist

mnt="$WORK/small"
mkdir -p "$mnt"
cleanup() { mountpoint -q "$mnt" && umount "$mnt" || true; }
trap cleanup EXIT
# Checkpoints of this network are ~330 KB (weights, momentum, initial
# weights) and metrics ~25 KB: 500 KB holds the first checkpoint but not a
# second one being written beside it.
write_small_config "$WORK/d.ini" "$mnt/run" "epochs = 3"
sed -i '0,/epochs = 2/{/epochs = 2/d}' "$WORK/d.ini"
how=""
if mount -t tmpfs -o size=500k tmpfs "$mnt" 2>/dev/null; then
    how="a 500 KB tmpfs"
    set +e
    run_ranks 2 "$WORK/d.ini" >"$WORK/d.log" 2>&1
    status=$?
    set -e
    pattern="No space left on device"
else
    # No permission to mount (an unprivileged container): the checkpoint's
    # temporary file is made a link to /dev/full, whose writes fail with
    # ENOSPC exactly as on a full file system.
    how="/dev/full as the temporary file (no permission to mount a tmpfs here)"
    run_ranks 2 "$WORK/d.ini" --set train.epochs=1 >/dev/null 2>&1 || fail "first epoch"
    ln -s /dev/full "$mnt/run/checkpoint.h5.tmp"
    set +e
    run_ranks 2 "$WORK/d.ini" --resume auto >"$WORK/d.log" 2>&1
    status=$?
    set -e
    pattern="No space left on device"
fi
[[ $status == 1 ]] || { cat "$WORK/d.log"; fail "exit status $status on $how, expected 1"; }
grep -q "checkpoint.h5.*$pattern\|$pattern" "$WORK/d.log" || { cat "$WORK/d.log"; fail "the message does not say '$pattern'"; }
grep -q "checkpoint.h5" "$WORK/d.log" || fail "the message does not name the checkpoint"
[[ $(root_attr "$mnt/run/checkpoint.h5" epoch) == 1 ]] || fail "the previous checkpoint (epoch 1) is not intact"
"$NNTRAIN" eval "$mnt/run/checkpoint.h5" --data valid >/dev/null 2>&1 || fail "the previous checkpoint does not load"
[[ ! -e $mnt/run/checkpoint.h5.tmp ]] || fail "a partial checkpoint.h5.tmp was left behind"
pass "full file system ($how): exit 1, '$pattern', epoch-1 checkpoint intact"
