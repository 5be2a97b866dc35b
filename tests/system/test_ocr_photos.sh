#!/usr/bin/env bash
# OCR on the homework's real photos with a quickly trained model: a smaller
# hand36 (300 per class, from MNIST and the letters/ folders) and the MLP
# baseline for 8 epochs. A regression check that takes about a minute, not
# the documented result (the full job is in docs/ocr.md). The synthetic
# page and the user errors: test_ocr.sh.
source "$(dirname "$0")/lib.sh"
need_data hw5_images/01_list.jpg hw5_images/02_letters.jpg hw5_images/GROUND_TRUTH.txt \
    mnist/train-images-idx3-ubyte.gz mnist/train-labels-idx1-ubyte.gz \
    mnist/t10k-images-idx3-ubyte.gz mnist/t10k-labels-idx1-ubyte.gz \
    letters/chars74k_hnd letters/handwritten_crops_bishwaprotapi
photos=$NNTRAIN_DATA/hw5_images
# Training and OCR on one thread (small networks: a second BLIS thread only
# adds contention on a shared machine); prep draws glyphs on two.
export OMP_NUM_THREADS=1
prep() { OMP_NUM_THREADS=2 timeout 600 "$NNTRAIN" prep "$@"; }

cd "$WORK"
prep "$NN_SOURCE_DIR/jobs/hand36_prep.ini" --set output.per_class=300 \
    --set output.eval_per_class=50 --set output.file="$WORK/runs/hand36/hand36.h5" >"$WORK/hand36.log" 2>&1 \
    || { cat "$WORK/hand36.log"; fail "prep of hand36"; }
run_ranks 1 "$NN_SOURCE_DIR/jobs/hand36_mlp.ini" --set train.epochs=8 --set train.out="$WORK/run36" \
    >"$WORK/train36.log" 2>&1 || { tail "$WORK/train36.log"; fail "training the hand36 MLP"; }
"$NNTRAIN" ocr "$WORK/run36/checkpoint.h5" "$photos/01_list.jpg" "$photos/02_letters.jpg" \
    --truth "$photos/GROUND_TRUTH.txt" >"$WORK/photos.log" 2>&1 || { cat "$WORK/photos.log"; fail "ocr on the photos"; }
cat "$WORK/photos.log"
grep -q "01_list.jpg: .* lines 8/8" "$WORK/photos.log" || fail "01_list.jpg: not 8 lines"
grep -q "02_letters.jpg: .* lines 5/5" "$WORK/photos.log" || fail "02_letters.jpg: not 5 lines"
for img in 01_list 02_letters; do
    a=$(sed -n "s/.*$img.jpg: character accuracy \([0-9.]*\).*/\1/p" "$WORK/photos.log")
    awk -v a="$a" 'BEGIN { exit !(a >= 0.75) }' || fail "$img.jpg: character accuracy $a under 0.75"
done
pass "real photos with a quick MLP: every line found, accuracy above the regression floor"
