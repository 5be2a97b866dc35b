#!/usr/bin/env bash
# Data set preparation, training and OCR end to end on inputs the test draws
# itself (ocr_fixture: letters by 8 writers as PNG folders, digits as IDX, a
# synthetic page with a transcript): prep -> a short MLP training -> ocr
# reads the page back. Then the errors a user meets (bad prep config, bad
# images, a page without text) with their exit statuses. The real photos:
# test_ocr_photos.sh.
source "$(dirname "$0")/lib.sh"
: "${OCR_FIXTURE:?run through ctest}"
# Training and OCR on one thread (small networks: a second BLIS thread only
# adds contention on a shared machine); prep draws glyphs on two.
export OMP_NUM_THREADS=1
prep() { OMP_NUM_THREADS=2 timeout 600 "$NNTRAIN" prep "$@"; }

"$OCR_FIXTURE" "$WORK" || fail "ocr_fixture"

cat >"$WORK/prep.ini" <<INI
[output]
file = $WORK/out/fixture.h5
per_class = 60
eval_per_class = 10
valid_fraction = 0.15
test_fraction = 0.15
[letters]
type = folder
path = $WORK/letters
writer = w([0-9]+)-
[digits]
type = idx
images = $WORK/digits-images
labels = $WORK/digits-labels
INI
prep "$WORK/prep.ini" >"$WORK/prep.log" 2>&1 || { cat "$WORK/prep.log"; fail "prep"; }
grep -q "classes (36): A B C D E F G H I J K L M N O P Q R S T U V W X Y Z 0 1 2 3 4 5 6 7 8 9" "$WORK/prep.log" \
    || fail "class order: $(grep classes "$WORK/prep.log")"
grep -Eq "train +2160 samples" "$WORK/prep.log" || fail "balance: $(grep train "$WORK/prep.log")"
[[ $(h5dump -H "$WORK/out/fixture.h5" | grep -c 'DATASET "images"') == 3 ]] || fail "three splits expected"
pass "prep: 36 classes in NIST36 order, 60 training samples each, train/valid/test"

cat >"$WORK/train.ini" <<INI
[data]
train = $WORK/out/fixture.h5
valid = $WORK/out/fixture.h5
test = $WORK/out/fixture.h5
[train]
epochs = 20
batch_size = 32
optimizer = adam
lr = 0.002
out = $WORK/run
[hidden]
type = dense
units = 128
activation = relu
init = he
[out]
type = dense
units = 36
activation = softmax
INI
run_ranks 1 "$WORK/train.ini" >"$WORK/train.log" 2>&1 || { tail "$WORK/train.log"; fail "training on the prep file"; }
grep -q "2160 train" "$WORK/train.log" || fail "the trainer did not read the prep file's splits"
pass "the trainer reads the prep file ($(grep -o 'test: loss .*' "$WORK/train.log" | head -1))"

ocr=( "$NNTRAIN" ocr "$WORK/run/checkpoint.h5" )
"${ocr[@]}" "$WORK/page.png" --truth "$WORK/truth.txt" --boxes "$WORK/boxes.png" >"$WORK/ocr.log" 2>&1 \
    || { cat "$WORK/ocr.log"; fail "ocr on the synthetic page"; }
cat "$WORK/ocr.log"
acc=$(sed -n 's/.*character accuracy \([0-9.]*\).*/\1/p' "$WORK/ocr.log")
awk -v a="$acc" 'BEGIN { exit !(a >= 0.95) }' || fail "character accuracy $acc on the synthetic page"
grep -q "lines 3/3, words 10/10" "$WORK/ocr.log" || fail "lines or words wrong"
[[ $(head -c 8 "$WORK/boxes.png" | od -An -tx1 | tr -d ' \n') == 89504e470d0a1a0a ]] || fail "boxes.png is not a PNG"
pass "ocr: the synthetic page read back (accuracy $acc), boxes figure written"

# The text alone for one image (no transcript): exactly three lines.
"${ocr[@]}" "$WORK/page.png" >"$WORK/plain.txt" 2>&1 || fail "ocr without --truth"
[[ $(wc -l <"$WORK/plain.txt") == 3 ]] || { cat "$WORK/plain.txt"; fail "expected 3 lines of text"; }

# ---- errors -------------------------------------------------------------------------
expect 1 "missing.jpg: No such file" -- timeout 120 "${ocr[@]}" "$WORK/missing.jpg"
printf 'not a picture' >"$WORK/notes.jpg"
expect 1 "notes.jpg: not an image file" -- timeout 120 "${ocr[@]}" "$WORK/notes.jpg"
expect 1 "blank.png: no ink found" -- timeout 120 "${ocr[@]}" "$WORK/blank.png"
expect 1 "noise.png: no (ink|text) found" -- timeout 120 "${ocr[@]}" "$WORK/noise.png"
expect 1 "digits-images: not an HDF5 file" -- timeout 120 "${ocr[@]}" "$WORK/page.png" --data "$WORK/digits-images"
expect 2 "no image given" -- timeout 120 "${ocr[@]}"
expect 2 "unknown option '--box'" -- timeout 120 "${ocr[@]}" "$WORK/page.png" --box x.png
sed 's/^per_class = 60/per_klass = 60/' "$WORK/prep.ini" >"$WORK/bad.ini"
expect 2 "bad.ini:3: unknown key 'per_klass' in \[output\]" -- timeout 120 "$NNTRAIN" prep "$WORK/bad.ini"
expect 2 "no config given" -- timeout 120 "$NNTRAIN" prep
pass "errors: missing, not an image, blank page, noise page, wrong data set, usage, bad prep config"
