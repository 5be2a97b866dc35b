#!/usr/bin/env bash
# What users see when something is wrong: config and command-line errors
# (exit 2, file:line, on every rank, no hang), a diverging run (exit 4 with
# epoch/step/lr, last good checkpoint kept), a broken checkpoint to --resume.
source "$(dirname "$0")/lib.sh"
need_fmnist


write_small_config "$WORK/good.ini" "$WORK/good"
sed 's/^lr = 0.05/lrr = 0.05/' "$WORK/good.ini" >"$WORK/typo.ini"
line=$(grep -n '^lrr' "$WORK/typo.ini" | cut -d: -f1)
expect 2 "typo.ini:$line: .*lrr" -- run_ranks 1 "$WORK/typo.ini"
expect 2 "typo.ini:$line: .*lrr" -- run_ranks 2 "$WORK/typo.ini"
[[ $(grep -c "lrr" "$WORK/out.log") == 1 ]] || fail "the config error is printed more than once with 2 ranks"
pass "unknown key: exit 2 with file:line, once, on 1 and 2 ranks"

expect 2 "units" -- run_ranks 2 "$WORK/good.ini" --set fc1.units=zero
expect 2 "unknown option" -- "$NNTRAIN" "$WORK/good.ini" --frobnicate
expect 2 "no config" -- "$NNTRAIN"
expect 2 "nope.ini" -- "$NNTRAIN" "$WORK/nope.ini"
sed "s|^train *=.*|train = $WORK/missing.gz|" "$WORK/good.ini" >"$WORK/missing.ini"
expect 2 "missing.ini:[0-9]+: .*missing.gz" -- run_ranks 2 "$WORK/missing.ini"
sed 's/units = 10/units = 12/' "$WORK/good.ini" >"$WORK/classes.ini"
expect 2 "12 outputs but the data have 10 classes" -- run_ranks 2 "$WORK/classes.ini"
pass "bad values, options, files and shapes: exit 2 with a message"

# A data file that is not what it claims: exit 1 naming the file.
printf 'not an idx file at all' >"$WORK/bad.idx"
sed "s|^train *=.*|train = $WORK/bad.idx|" "$WORK/good.ini" >"$WORK/baddata.ini"
expect 1 "bad.idx" -- run_ranks 2 "$WORK/baddata.ini"
pass "malformed data file: exit 1 naming it"

# Divergence: one good epoch, then a learning rate far too large for a
# ReLU network with a linear output and MSE (the loss overflows within steps).
write_small_config "$WORK/nan.ini" "$WORK/nan" "epochs = 1" "loss = mse"
sed -i '0,/epochs = 2/{/epochs = 2/d}; s/activation = sigmoid/activation = relu/; s/activation = tanh/activation = relu/; s/activation = softmax/activation = linear/' "$WORK/nan.ini"
run_ranks 2 "$WORK/nan.ini" >/dev/null 2>&1 || fail "first epoch"
cp "$WORK/nan/checkpoint.h5" "$WORK/good-epoch1.h5"
expect 4 "not finite at epoch 2, step [0-9]+ \(learning rate 1000\)" -- \
    run_ranks 2 "$WORK/nan.ini" --resume auto --set train.epochs=3 --set train.lr=1000
[[ $(grep -c "not finite" "$WORK/out.log") == 1 ]] || fail "the divergence message is printed more than once"
cmp -s "$WORK/nan/checkpoint.h5" "$WORK/good-epoch1.h5" || fail "the last good checkpoint changed"
pass "divergence: exit 4 on all ranks, last good checkpoint kept"

# Broken checkpoints given to --resume.
head -c 3000 "$WORK/good-epoch1.h5" >"$WORK/truncated.h5"
expect 1 "truncated.h5" -- run_ranks 2 "$WORK/nan.ini" --resume "$WORK/truncated.h5"
expect 1 "nothing.h5" -- run_ranks 1 "$WORK/nan.ini" --resume "$WORK/nothing.h5"
sed 's/units = 32/units = 33/' "$WORK/nan.ini" >"$WORK/shape.ini"
expect 1 "fc1/W" -- run_ranks 2 "$WORK/shape.ini" --resume "$WORK/good-epoch1.h5"
pass "broken or mismatched checkpoint: exit 1 naming the file"
