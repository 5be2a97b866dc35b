#!/usr/bin/env bash
# Fine-tuning: [train] init_from copies every layer whose tensors all match
# by name and shape (the copies equal the source), reports what it copied
# and skipped; [train] freeze keeps layers exactly fixed through training
# (no update, no weight decay, batch norm on its running statistics) while
# the others train; resuming and `nntrain eval` no longer need the source.
source "$(dirname "$0")/lib.sh"
need_fmnist

# write_net FILE OUT FC_UNITS [extra train keys...]
write_net() {
    local file=$1 out=$2 fc=$3; shift 3
    cat >"$file" <<INI
[data]
train        = $FMNIST/train-images-idx3-ubyte.gz
train_labels = $FMNIST/train-labels-idx1-ubyte.gz
valid_fraction = 0.01
limit = 256
[train]
epochs = 1
batch_size = 32
optimizer = momentum
lr = 0.05
weight_decay = 0.001
out = $out
$(printf '%s\n' "$@")
[conv1]
type = conv
filters = 4
padding = 1
bias = false
[bn1]
type = batchnorm
activation = relu
[pool1]
type = maxpool
[conv2]
type = conv
filters = 8
padding = 1
activation = relu
[pool2]
type = maxpool
[flat]
type = flatten
[fc]
type = dense
units = $fc
activation = relu
[out]
type = dense
units = 10
activation = softmax
INI
}

write_net "$WORK/base.ini" "$WORK/base" 16
run_ranks 1 "$WORK/base.ini" >/dev/null 2>&1 || fail "base run"
cp "$WORK/base/checkpoint.h5" "$WORK/source.h5"

write_net "$WORK/ft.ini" "$WORK/ft" 24 "init_from = $WORK/source.h5" "freeze = conv1, bn1" "seed = 9"
run_ranks 2 "$WORK/ft.ini" >"$WORK/ft.log" 2>&1 || { cat "$WORK/ft.log"; fail "fine-tuning run"; }
grep -q "init_from $WORK/source.h5: 3 layer(s) copied" "$WORK/ft.log" || { cat "$WORK/ft.log"; fail "no copy report"; }
for l in conv1 bn1 conv2; do grep -qE "^  copied +$l " "$WORK/ft.log" || fail "$l not reported copied"; done
grep -qE "^  skipped +fc +W is 392x24 here, 392x16 in the checkpoint" "$WORK/ft.log" || fail "fc not reported skipped"
grep -qE "^  skipped +out +W is 24x10 here, 16x10 in the checkpoint" "$WORK/ft.log" || fail "out not reported skipped"
grep -q "frozen (no updates; batch norm uses its running statistics): conv1 bn1" "$WORK/ft.log" || fail "no frozen line"
pass "init_from reports copied and skipped layers, freeze lists its layers"

# The copy is exact: the first layer as it started (init/conv1/W) is the source's.
h5diff "$WORK/source.h5" "$WORK/ft/checkpoint.h5" /model/conv1/W /init/conv1/W || fail "copied conv1/W differs from the source"
# Frozen layers did not move at all (weight decay 0.001 would have moved them),
# batch-norm running statistics included.
for t in conv1/W bn1/gamma bn1/beta bn1/running_mean bn1/running_var; do
    h5diff "$WORK/source.h5" "$WORK/ft/checkpoint.h5" /model/$t /model/$t >/dev/null || fail "frozen $t changed"
done
# The copied but not frozen layer trained.
if h5diff -q "$WORK/source.h5" "$WORK/ft/checkpoint.h5" /model/conv2/W /model/conv2/W >/dev/null 2>&1; then
    fail "conv2 (copied, not frozen) did not train"
fi
pass "copies equal the source; frozen layers unchanged after training; the others trained"

# Resuming restores every weight from the run's own checkpoint and does not
# read init_from again; evaluating does not need it either.
mv "$WORK/source.h5" "$WORK/moved.h5"
run_ranks 1 "$WORK/ft.ini" --resume auto --set train.epochs=2 --set train.init_from="$WORK/moved.h5" \
    >"$WORK/resume.log" 2>&1 || { cat "$WORK/resume.log"; fail "resume of a fine-tuning run"; }
grep -q "init_from" "$WORK/resume.log" && fail "resume copied weights again"
h5diff "$WORK/moved.h5" "$WORK/ft/checkpoint.h5" /model/bn1/running_var /model/bn1/running_var >/dev/null || fail "frozen bn1 moved after resume"
"$NNTRAIN" eval "$WORK/ft/checkpoint.h5" --data valid >"$WORK/eval.log" 2>&1 || { cat "$WORK/eval.log"; fail "eval needs the init_from file"; }
pass "resume and eval work without the source checkpoint"

# Not a checkpoint: exit 1 naming the file; a missing one: exit 2 with config:line.
printf 'not hdf5' >"$WORK/junk.h5"
set +e
run_ranks 2 "$WORK/ft.ini" --set train.init_from="$WORK/junk.h5" --set train.out="$WORK/junk" >"$WORK/junk.log" 2>&1
status=$?
run_ranks 1 "$WORK/ft.ini" --set train.init_from="$WORK/none.h5" --set train.out="$WORK/none" >"$WORK/none.log" 2>&1
status2=$?
set -e
[[ $status == 1 ]] && grep -q "junk.h5" "$WORK/junk.log" || { cat "$WORK/junk.log"; fail "bad init_from: exit $status"; }
[[ $status2 == 2 ]] && grep -q "init_from=$WORK/none.h5: .*No such file" "$WORK/none.log" || { cat "$WORK/none.log"; fail "missing init_from: exit $status2"; }
pass "a broken init_from checkpoint: exit 1 naming it; a missing one: exit 2"
