#!/usr/bin/env bash
# End to end on the homework's own .mat format: the real NIST26 validation
# file from the course (1300 glyphs, 26 classes) trains the homework network
# (1024-64 sigmoid-26 softmax, SGD, lr 0.01, batch 32) to well above chance,
# on 1 rank and on 2 ranks with the same result. Either nist26_valid.mat
# will do: the shared folder's 2016 file (1300 glyphs) or the later one
# data/fetch.sh brings.
source "$(dirname "$0")/lib.sh"
need_data nist36/nist26_valid.mat
mat=$NNTRAIN_DATA/nist36/nist26_valid.mat

cat >"$WORK/nist26.ini" <<INI
[data]
train = \${NNTRAIN_DATA}/nist36/nist26_valid.mat
valid_fraction = 0.2
[train]
epochs = 50
batch_size = 32
lr = 0.01
out = $WORK/run
[hidden]
type = dense
units = 64
activation = sigmoid
init = xavier
[output]
type = dense
units = 26
activation = softmax
INI
run_ranks 1 "$WORK/nist26.ini" >"$WORK/log1" 2>&1 || { cat "$WORK/log1"; fail "training on $mat"; }
# An 80/20 split of every glyph (exactly 1040/260 for the 2016 file).
read -r ntrain nvalid < <(sed -n 's/^data: \([0-9]*\) train, \([0-9]*\) valid.*/\1 \2/p' "$WORK/log1")
[[ -n $ntrain ]] || fail "no data: line in the log"
awk -v t="$ntrain" -v v="$nvalid" 'BEGIN { d = v - 0.2 * (t + v); exit !(t > 0 && v > 0 && d >= -0.5 && d <= 0.5) }' ||
    fail "unexpected split: $(grep data: "$WORK/log1")"
if [[ $(stat -c %s "$mat") == 4103871 ]]; then
    [[ "$ntrain $nvalid" == "1040 260" ]] || fail "the 2016 file: $ntrain train, $nvalid valid, not 1040/260"
fi
acc=$(grep -o 'valid loss [0-9.]* acc [0-9.]*' "$WORK/log1" | tail -1 | awk '{print $5}')
awk -v a="$acc" 'BEGIN { exit !(a > 0.2) }' || fail "validation accuracy $acc is not above 0.2 (chance: 0.038)"
pass "NIST26 .mat: validation accuracy $acc after 50 epochs (chance 0.038)"

run_ranks 2 "$WORK/nist26.ini" --set train.out="$WORK/run2" >"$WORK/log2" 2>&1 || fail "2 ranks"
same_model "$WORK/run/checkpoint.h5" "$WORK/run2/checkpoint.h5" 1e-5 || fail "1 vs 2 ranks differ on .mat data"
pass "1 and 2 ranks agree on .mat data"
