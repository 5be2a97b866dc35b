#!/usr/bin/env bash
# Flowers17 end to end: the real `nntrain prep jobs/flowers17_prep.ini` on
# the 1360 photos (split 1: 680/340/340 RGB 144 x 144 squares, labels from
# the image numbers, the training split's channel statistics stored), then
# one epoch of a tiny CNN on random 128 x 128 crops with flips and
# normalisation, on 1 and 2 ranks (crops and flips come from seed, epoch
# and sample, so the weights agree), and `nntrain eval` on the centre crops
# giving the end-of-training test numbers again.
source "$(dirname "$0")/lib.sh"
need_data flowers17/jpg/image_0001.jpg flowers17/jpg/image_1360.jpg flowers17/datasplits.mat
H5="$WORK/flowers17_144.h5"

OMP_NUM_THREADS=2 timeout 300 "$NNTRAIN" prep "$NN_SOURCE_DIR/jobs/flowers17_prep.ini" \
    --set output.file="$H5" >"$WORK/prep.log" 2>&1 || { cat "$WORK/prep.log"; fail "prep exited with $?"; }
cat "$WORK/prep.log"

# shape of every split
for s in train:680 valid:340 test:340; do
    split=${s%:*} n=${s#*:}
    h5dump -H -d "/$split/images" "$H5" | grep -q "SIMPLE { ( $n, 3, 144, 144 )" ||
        fail "/$split/images is not $n x 3 x 144 x 144"
    h5dump -H -d "/$split/labels" "$H5" | grep -q "SIMPLE { ( $n )" || fail "/$split/labels is not $n long"
done
pass "680/340/340 images of 3 x 144 x 144"

# labels: 17 classes, each 40 times in train and 20 times in valid and test
# (trn1/val1/tst1 take the same number of images from every class)
counts() { h5dump -d "/$1/labels" -y -w 0 "$H5" | sed -n '/DATA {/,/}/p' | tr -c '0-9\n' ' ' |
    tr ' ' '\n' | grep -v '^$' | sort -n | uniq -c | awk '{print $2 ":" $1}' | tr '\n' ' '; }
want_train=$(for k in $(seq 0 16); do printf '%d:40 ' "$k"; done)
want_eval=$(for k in $(seq 0 16); do printf '%d:20 ' "$k"; done)
[[ "$(counts train)" == "$want_train" ]] || fail "train labels: $(counts train)"
[[ "$(counts valid)" == "$want_eval" ]] || fail "valid labels: $(counts valid)"
[[ "$(counts test)" == "$want_eval" ]] || fail "test labels: $(counts test)"
h5dump -d /classes "$H5" | grep -q '"Daffodil"' || fail "no class names"
h5dump -d /classes "$H5" | grep -q '"Pansy"' || fail "class 16 is not Pansy"
pass "labels: 17 classes, 40 training and 20 validation and test images each"

for a in channel_mean channel_std; do
    vals=$(h5dump -a "/train/$a" "$H5" | grep -o '(0): .*' | cut -d' ' -f2- | tr -d ',')
    [[ $(wc -w <<<"$vals") == 3 ]] || fail "/train $a: '$vals'"
    for v in $vals; do
        awk -v v="$v" 'BEGIN { exit !(v > 0.05 && v < 0.95) }' || fail "/train $a: $v is not in (0.05, 0.95)"
    done
done
pass "per-channel mean and std of the training split stored"

cat >"$WORK/tiny.ini" <<INI
[data]
train = $H5
valid = $H5
test = $H5
crop = 128
flip = true
normalize = dataset

[train]
epochs = 1
batch_size = 32
optimizer = momentum
lr = 0.02
seed = 5
out = $WORK/run

[conv1]
type = conv
filters = 8
size = 5
stride = 4
padding = 2
activation = relu

[pool1]
type = maxpool
size = 4

[gap]
type = global_avgpool

[out]
type = dense
units = 17
activation = softmax
INI
run_ranks 1 "$WORK/tiny.ini" >"$WORK/train1.log" 2>&1 || { cat "$WORK/train1.log"; fail "training exited with $?"; }
cat "$WORK/train1.log"
grep -q '^(input) *3 x 128 x 128' "$WORK/train1.log" || fail "the network's input is not the 3 x 128 x 128 crop"
test_line=$(grep -o '^test: loss [0-9.]*  accuracy [0-9.]*' "$WORK/train1.log") || fail "no test line"
pass "trained one epoch on 128 x 128 crops: $test_line"

run_ranks 2 "$WORK/tiny.ini" --set train.out="$WORK/run2" >"$WORK/train2.log" 2>&1 ||
    { cat "$WORK/train2.log"; fail "2 ranks exited with $?"; }
same_model "$WORK/run/checkpoint.h5" "$WORK/run2/checkpoint.h5" 1e-4 || fail "1 vs 2 ranks differ"
pass "1 and 2 ranks train the same weights (crops and flips do not depend on the rank)"

# another seed draws other crops and flips (and weights)
run_ranks 1 "$WORK/tiny.ini" --set train.seed=6 --set train.out="$WORK/run6" >/dev/null 2>&1 || fail "seed 6 run failed"
if same_model "$WORK/run/checkpoint.h5" "$WORK/run6/checkpoint.h5" 1e-4 >/dev/null 2>&1; then
    fail "another seed gave the same weights"
fi

timeout 300 "$NNTRAIN" eval "$WORK/run/checkpoint.h5" --data test >"$WORK/eval.log" 2>&1 ||
    { cat "$WORK/eval.log"; fail "eval exited with $?"; }
eval_line=$(grep -o '^test: loss [0-9.]*  accuracy [0-9.]*' "$WORK/eval.log") || fail "no eval line"
[[ "$eval_line" == "$test_line" ]] || fail "eval '$eval_line' differs from training's '$test_line'"
pass "nntrain eval (centre crops, same normalisation) repeats the test numbers: $eval_line"

# a crop larger than the stored squares is a config error naming the file
expect 2 "flowers17_144.h5: crop = 200 is larger than the images \(144 x 144\)" -- \
    "$NNTRAIN" "$WORK/tiny.ini" --set data.crop=200 --set train.out="$WORK/big"
pass "crop = 200 refused: $(cat "$WORK/out.log")"

# the OCR feeds whole glyphs as bytes / 255: it refuses a network trained on crops
expect 2 "checkpoint.h5: trained with \[data\] crop or normalize" -- \
    "$NNTRAIN" ocr "$WORK/run/checkpoint.h5" "$NNTRAIN_DATA/flowers17/jpg/image_0001.jpg"
pass "the OCR refuses it: $(cat "$WORK/out.log")"

# crops and normalisation are for classifiers: an autoencoder and PCA work on
# whole stored images and say so
expect 2 "tiny.ini: \[data\] crop, flip and normalize are for classifiers" -- \
    "$NNTRAIN" "$WORK/tiny.ini" --set train.target=input --set train.loss=mse --set train.out="$WORK/ae"
expect 2 "tiny.ini: pca works on whole stored images" -- \
    "$NNTRAIN" pca "$WORK/tiny.ini" --k 4 --out "$WORK/pca.h5"
pass "an autoencoder and pca refuse crops: $(cat "$WORK/out.log")"
