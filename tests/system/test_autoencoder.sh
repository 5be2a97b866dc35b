#!/usr/bin/env bash
# Autoencoders and PCA end to end on a small Fashion-MNIST slice: a short
# autoencoder run (target = input) on 1 and 2 ranks gives the same weights
# and validation PSNR, metrics.h5 holds PSNR per epoch and NaN accuracy,
# the report and eval give loss and PSNR; nntrain pca on 1 and 2 ranks gives
# the same projection (up to sign) and PSNRs; the figures; config and
# command-line errors (file:line, exit 2).
source "$(dirname "$0")/lib.sh"
need_fmnist

cat >"$WORK/ae.ini" <<INI
[data]
train        = $FMNIST/train-images-idx3-ubyte.gz
train_labels = $FMNIST/train-labels-idx1-ubyte.gz
test         = $FMNIST/t10k-images-idx3-ubyte.gz
test_labels  = $FMNIST/t10k-labels-idx1-ubyte.gz
valid_fraction = 0.05
limit = 1500

[train]
target = input
loss = mse
epochs = 3
batch_size = 36
optimizer = momentum
lr = 1.0
seed = 5
out = $WORK/ae1

[enc]
type = dense
units = 16
activation = relu

[code]
type = dense
units = 8
activation = relu

[dec]
type = dense
units = 16
activation = relu

[out]
type = dense
units = 784
activation = sigmoid
INI

# Values of a 1-D or 2-D dataset, one per line.
values() {
    h5dump -y -d "$2" "$1" | awk '/DATA \{/ { on = 1; next } on && /}/ { exit } on' |
        tr -s ', ' '\n\n' | grep -E '^-?[0-9.]|nan'
}

run_ranks 1 "$WORK/ae.ini" >"$WORK/ae1.log" 2>&1 || { cat "$WORK/ae1.log"; fail "autoencoder on 1 rank"; }
grep -qE '^test: loss [0-9.]+  PSNR [0-9.]+ dB' "$WORK/ae1.log" || { cat "$WORK/ae1.log"; fail "no loss/PSNR report"; }
grep -q 'autoencoder: 26168 parameters (25344 weights + 824 biases), code width 8' "$WORK/ae1.log" ||
    fail "parameter count: $(grep autoencoder: "$WORK/ae1.log")"
grep -q 'most confused' "$WORK/ae1.log" && fail "an autoencoder printed a confusion report"
for f in checkpoint.h5 metrics.h5 recon_test.h5 recon_test.png curves.png psnr.png; do
    [[ -s $WORK/ae1/$f ]] || fail "training did not leave $f"
done
[[ -e $WORK/ae1/eval_test.h5 ]] && fail "an autoencoder wrote eval_test.h5 (a confusion-matrix file)"
mapfile -t psnr < <(values "$WORK/ae1/metrics.h5" /valid_psnr)
[[ ${#psnr[@]} == 3 ]] || fail "metrics.h5 has ${#psnr[@]} valid_psnr rows, expected 3"
awk -v a="${psnr[0]}" -v b="${psnr[2]}" 'BEGIN { exit !(a > 5 && b > a) }' ||
    fail "validation PSNR did not rise: ${psnr[*]}"
[[ $(values "$WORK/ae1/metrics.h5" /valid_acc | sort -u) == nan ]] || fail "valid_acc is not NaN"
[[ $(values "$WORK/ae1/metrics.h5" /train_acc | sort -u) == nan ]] || fail "train_acc is not NaN"
pass "autoencoder: PSNR per epoch (${psnr[*]} dB), accuracy NaN, report and files"

run_ranks 2 "$WORK/ae.ini" --set train.out="$WORK/ae2" >"$WORK/ae2.log" 2>&1 || { cat "$WORK/ae2.log"; fail "2 ranks"; }
same_model "$WORK/ae1/checkpoint.h5" "$WORK/ae2/checkpoint.h5" 1e-5 || fail "1 and 2 ranks train different autoencoders"
h5diff -d 1e-3 "$WORK/ae1/metrics.h5" "$WORK/ae2/metrics.h5" /valid_psnr /valid_psnr || fail "validation PSNR differs between 1 and 2 ranks"
pass "autoencoder: 1 and 2 ranks agree"

run_ranks 1 eval "$WORK/ae1/checkpoint.h5" --data valid >"$WORK/ev1.log" 2>&1 || { cat "$WORK/ev1.log"; fail "eval"; }
cp "$WORK/ae1/recon_valid.h5" "$WORK/recon_valid_1.h5"
run_ranks 2 eval "$WORK/ae1/checkpoint.h5" --data valid >"$WORK/ev2.log" 2>&1 || { cat "$WORK/ev2.log"; fail "eval, 2 ranks"; }
grep -qE '^valid: loss [0-9.]+  PSNR [0-9.]+ dB  \(3000 images' "$WORK/ev2.log" || { cat "$WORK/ev2.log"; fail "eval report"; }
a=$(root_attr "$WORK/recon_valid_1.h5" psnr) b=$(root_attr "$WORK/ae1/recon_valid.h5" psnr)
awk -v a="$a" -v b="$b" -v m="${psnr[2]}" 'BEGIN { d = a - b; e = a - m; exit !(d * d < 1e-10 && e * e < 1e-6) }' ||
    fail "eval PSNR on 1 rank ($a), 2 ranks ($b) and the last epoch's ($m) differ"
pass "eval: PSNR $a dB on 1 and 2 ranks, equal to the last epoch's"

run_ranks 1 pca "$WORK/ae.ini" --k 4,8 --out "$WORK/pca1.h5" >"$WORK/pca1.log" 2>&1 || { cat "$WORK/pca1.log"; fail "pca"; }
run_ranks 2 pca "$WORK/ae.ini" --k 4,8 --out "$WORK/pca2.h5" >"$WORK/pca2.log" 2>&1 || { cat "$WORK/pca2.log"; fail "pca, 2 ranks"; }
grep -qE '^ +8 .* 8 x 784 +8 +6272 ' "$WORK/pca1.log" || { cat "$WORK/pca1.log"; fail "pca report: k, shape, rank, parameters"; }
grep -q 'PCA of 1500 training images' "$WORK/pca1.log" || fail "pca did not use the 1500 training images"
paste <(values "$WORK/pca1.h5" /components) <(values "$WORK/pca2.h5" /components) |
    awk '{ d[int((NR - 1) / 784)] += $1 * $2 } END { for (r in d) if (d[r] * d[r] < 1 - 1e-6) { print "row " r ": " d[r]; exit 1 } }' ||
    fail "1 and 2 ranks give different principal directions"
h5diff -d 1e-4 "$WORK/pca1.h5" "$WORK/pca2.h5" /valid_psnr /valid_psnr || fail "PCA PSNR differs between 1 and 2 ranks"
mapfile -t pp < <(values "$WORK/pca1.h5" /valid_psnr)
awk -v a="${pp[0]}" -v b="${pp[1]}" 'BEGIN { exit !(b > a && a > 5) }' || fail "PCA PSNR does not grow with k: ${pp[*]}"
[[ -s $WORK/pca_recon_valid.png ]] || fail "no pca_recon_valid.png"
pass "pca: same directions and PSNR (${pp[*]} dB) on 1 and 2 ranks"

run_ranks 1 eval "$WORK/ae1/checkpoint.h5" --data valid --pca "$WORK/pca1.h5" >"$WORK/ev3.log" 2>&1 || { cat "$WORK/ev3.log"; fail "eval --pca"; }
grep -q "PCA k = 8 ($WORK/pca1.h5): valid PSNR" "$WORK/ev3.log" || { cat "$WORK/ev3.log"; fail "eval --pca did not compare"; }
"$NNTRAIN" plot --psnr-k "$WORK/pca1.h5" "$WORK/ae1" --out "$WORK/psnr_k.png" >"$WORK/plot.log" 2>&1 || { cat "$WORK/plot.log"; fail "plot --psnr-k"; }
grep -qE '^ +8 +[0-9.]+ +26168 +[0-9.]+ +6272$' "$WORK/plot.log" || { cat "$WORK/plot.log"; fail "psnr-k table"; }
[[ -s $WORK/psnr_k.png && -s $WORK/ae1/recon_valid.png ]] || fail "missing figures"
pass "eval --pca and plot --psnr-k"

sed 's/^loss = mse/loss = cross_entropy/' "$WORK/ae.ini" >"$WORK/ce.ini"
line=$(grep -n '^target' "$WORK/ce.ini" | cut -d: -f1)
expect 2 "ce.ini:$line: \[train\] target = input needs loss = mse" -- run_ranks 2 "$WORK/ce.ini"
expect 2 "ae.ini:[0-9]+: \[out\] has 10 outputs but target = input needs one per input pixel \(784\)" -- \
    run_ranks 1 "$WORK/ae.ini" --set out.units=10
expect 2 "--set train.target=pixels: .*must be labels or input" -- run_ranks 1 "$WORK/ae.ini" --set train.target=pixels
expect 2 "pca: --k 0,8: expected positive integers" -- "$NNTRAIN" pca "$WORK/ae.ini" --k 0,8
expect 2 "pca: --k 8,8: 8 is given twice" -- "$NNTRAIN" pca "$WORK/ae.ini" --k 8,8
expect 2 "pca: --k 5000 is more than the 784 pixels" -- run_ranks 2 pca "$WORK/ae.ini" --k 5000
expect 2 "pca: no config given" -- "$NNTRAIN" pca --k 8
expect 1 "nothing.h5" -- "$NNTRAIN" eval "$WORK/ae1/checkpoint.h5" --data valid --pca "$WORK/nothing.h5"
expect 1 "recon_valid.h5" -- "$NNTRAIN" plot --psnr-k "$WORK/pca1.h5" "$WORK/ae2"
sed -e 's/^target = input/target = labels/; s/^loss = mse/loss = cross_entropy/; s/^units = 784/units = 10/' \
    -e 's/^activation = sigmoid/activation = softmax/; s/^epochs = 3/epochs = 1/' \
    -e "s|^out = .*|out = $WORK/clf|" "$WORK/ae.ini" >"$WORK/clf.ini"
run_ranks 1 "$WORK/clf.ini" >"$WORK/clf.log" 2>&1 || { cat "$WORK/clf.log"; fail "classifier"; }
expect 2 "eval --pca: .*clf/checkpoint.h5 is not an autoencoder" -- \
    run_ranks 2 eval "$WORK/clf/checkpoint.h5" --pca "$WORK/pca1.h5"
pass "errors: file:line and exit 2 for config and options, exit 1 naming a missing file"
