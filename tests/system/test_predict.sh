#!/usr/bin/env bash
# nntrain predict: a small SqueezeNet-style network (conv, ceil-mode max
# pooling, a fire module, a 1x1 conv classifier, global average pooling
# with softmax) trained briefly on synthetic colour images, then scored:
# /logits [N, K] float32 (the softmax's input), /pred [N] int32 and /labels;
# the accuracy agrees with `nntrain eval`, 2 ranks write the same scores as
# 1, and bad input (no --data, a missing file, samples of another shape,
# labels beyond the outputs) stops with a message naming what is wrong.
source "$(dirname "$0")/lib.sh"
: "${DATASET_FIXTURE:?run through ctest}"

"$DATASET_FIXTURE" "$WORK/colour.h5" 96 24 3 32 32 5 2
"$DATASET_FIXTURE" "$WORK/grey.h5" 8 8 1 32 32 5 3
"$DATASET_FIXTURE" "$WORK/seven.h5" 14 14 3 32 32 7 4
cat >"$WORK/net.ini" <<INI
[data]
train = $WORK/colour.h5
valid = $WORK/colour.h5
test = $WORK/colour.h5
[train]
epochs = 2
batch_size = 16
optimizer = momentum
lr = 0.05
out = $WORK/run
[conv1]
type = conv
filters = 8
stride = 2
activation = relu
[pool1]
type = maxpool
size = 3
stride = 2
ceil_mode = true
[fire2]
type = fire
squeeze = 4
expand1x1 = 8
expand3x3 = 8
[drop]
type = dropout
[conv10]
type = conv
filters = 5
size = 1
activation = relu
[pool10]
type = global_avgpool
activation = softmax
INI
run_ranks 1 "$WORK/net.ini" >"$WORK/train.log" 2>&1 || { cat "$WORK/train.log"; fail "training"; }
ckpt=$WORK/run/checkpoint.h5

run_ranks 1 predict "$ckpt" --data "$WORK/colour.h5" --out "$WORK/p1.h5" >"$WORK/p1.log" 2>&1 ||
    { cat "$WORK/p1.log"; fail "predict on 1 rank"; }
grep -q "^saved: $WORK/p1.h5" "$WORK/p1.log" || fail "predict did not say where it saved"
h5dump -H "$WORK/p1.h5" >"$WORK/p1.txt"
for spec in 'logits.*H5T_IEEE_F32LE.*( 24, 5 )' 'pred.*H5T_STD_I32LE.*( 24 )' 'labels.*H5T_STD_I32LE.*( 24 )'; do
    tr -d '\n' <"$WORK/p1.txt" | sed 's/DATASET/\n&/g' | grep -qE "DATASET \"$spec" || { cat "$WORK/p1.txt"; fail "no dataset matching $spec"; }
done
[[ $(h5dump -a /outputs "$WORK/p1.h5" | grep -c '"logits"') == 1 ]] || fail "outputs attribute is not 'logits'"
[[ $(h5dump -a /format "$WORK/p1.h5" | grep -c '"nntrain-predictions"') == 1 ]] || fail "format attribute"
pass "predict writes /logits [24, 5] float32, /pred and /labels [24] int32"

# The logits are the softmax's input: a row does not sum to 1, and its
# argmax is /pred.
# values_of FILE DATASET: one value a line, in row-major order
values_of() { h5dump -y -w 1 -m %.9g -d "$2" "$1" | sed -n '/DATA {/,/}/p' | tr -d ' ,' | grep -E '^-?[0-9]'; }
values_of "$WORK/p1.h5" /logits | paste -d' ' - - - - - >"$WORK/logits.txt"
values_of "$WORK/p1.h5" /pred >"$WORK/pred.txt"
awk '{ s = 0; b = 1; for (k = 1; k <= NF; k++) { s += $k; if ($k > $b) b = k } print b - 1, s }' "$WORK/logits.txt" >"$WORK/argmax.txt"
[[ $(wc -l <"$WORK/argmax.txt") == 24 ]] || fail "expected 24 rows of logits"
paste -d' ' "$WORK/argmax.txt" "$WORK/pred.txt" | awk '$1 != $3 { bad = 1 } END { exit bad }' || fail "/pred is not the argmax of /logits"
awk '{ if ($2 < 0.999 || $2 > 1.001) other = 1 } END { exit !other }' "$WORK/argmax.txt" || fail "the logits look like probabilities (rows sum to 1)"
pass "/pred is the argmax of /logits, which are not softmax outputs"

acc_eval=$(run_ranks 1 eval "$ckpt" | sed -n 's/^test: loss [0-9.]*  accuracy \([0-9.]*\).*/\1/p')
acc_pred=$(sed -n 's/.*; accuracy \([0-9.]*\) against.*/\1/p' "$WORK/p1.log")
[[ -n $acc_eval && $acc_eval == "$acc_pred" ]] || fail "eval says accuracy $acc_eval, predict $acc_pred"
pass "predict's accuracy equals eval's ($acc_pred)"

run_ranks 2 predict "$ckpt" --data "$WORK/colour.h5" --split valid --out "$WORK/p2.h5" >"$WORK/p2.log" 2>&1 ||
    { cat "$WORK/p2.log"; fail "predict on 2 ranks"; }
h5diff -d 1e-6 "$WORK/p1.h5" "$WORK/p2.h5" /logits /logits >/dev/null || fail "2 ranks give other logits"
h5diff "$WORK/p1.h5" "$WORK/p2.h5" /pred /pred >/dev/null || fail "2 ranks give other predictions"
[[ $(grep -c "^saved:" "$WORK/p2.log") == 1 ]] || fail "2 ranks: not one 'saved' line"
run_ranks 1 predict "$ckpt" --data "$WORK/colour.h5" >/dev/null 2>&1 || fail "predict with the default --out"
[[ -f $WORK/run/pred_test.h5 ]] || fail "the default output is not pred_test.h5 next to the checkpoint"
pass "2 ranks write the same scores as 1; the default output is <checkpoint dir>/pred_test.h5"

expect() { # STATUS PATTERN ARGS...
    local want=$1 pattern=$2; shift 2
    set +e
    run_ranks 1 predict "$@" >"$WORK/err.log" 2>&1
    local status=$?
    set -e
    [[ $status == "$want" ]] || { cat "$WORK/err.log"; fail "predict $*: exit $status, expected $want"; }
    grep -qE -- "$pattern" "$WORK/err.log" || { cat "$WORK/err.log"; fail "predict $*: did not say /$pattern/"; }
}
expect 2 "no --data FILE given" "$ckpt"
expect 1 "nothere.h5: No such file" "$ckpt" --data "$WORK/nothere.h5"
expect 1 "dataset /model/conv1/W has shape 8x3x3x3, expected 8x1x3x3" "$ckpt" --data "$WORK/grey.h5"
expect 1 "seven.h5: its labels go up to 6, but .* network has 5 outputs" "$ckpt" --data "$WORK/seven.h5"
expect 2 "split must be train, valid or test" "$ckpt" --data "$WORK/colour.h5" --split nosuch
expect 1 "not an HDF5 file" "$WORK/net.ini" --data "$WORK/colour.h5"
pass "no --data, a missing file, other channels, too many classes, a bad split, not a checkpoint: clear errors"
