#!/usr/bin/env bash
# A checkpoint with one flipped byte inside /model/fc1/W: `verify` says what
# is damaged, and eval, --resume, init_from, ocr and plot refuse the file
# with a message naming it and the dataset. The previous checkpoint is kept
# (keep_checkpoints = 2), and --resume auto falls back to it, says so, and
# reaches the same weights as a run that was never damaged.
source "$(dirname "$0")/lib.sh"
[[ -f $FMNIST/train-images-idx3-ubyte.gz ]] ||
    { echo "SKIPPED: $FMNIST not installed (apt-get install dataset-fashion-mnist)"; exit 77; }

write_small_config "$WORK/a.ini" "$WORK/a" "epochs = 3"
sed -i '0,/epochs = 2/{/epochs = 2/d}' "$WORK/a.ini"
run_ranks 1 "$WORK/a.ini" >"$WORK/train.log" 2>&1 || { cat "$WORK/train.log"; fail "training"; }
[[ $(root_attr "$WORK/a/checkpoint.h5" epoch) == 3 ]] || fail "checkpoint.h5 is not at epoch 3"
[[ $(root_attr "$WORK/a/checkpoint.1.h5" epoch) == 2 ]] || fail "checkpoint.1.h5 is not the previous (epoch 2)"
[[ ! -e $WORK/a/checkpoint.2.h5 ]] || fail "keep_checkpoints = 2 left a third checkpoint"
h5dump -p -H -d /model/fc1/W "$WORK/a/checkpoint.h5" | grep -q "CHECKSUM FLETCHER32" ||
    fail "/model/fc1/W is stored without a checksum"
pass "keep_checkpoints = 2: checkpoint.h5 (epoch 3) and checkpoint.1.h5 (epoch 2), tensors checksummed"

"$NNTRAIN" verify "$WORK/a/checkpoint.h5" "$WORK/a/checkpoint.1.h5" >"$WORK/verify_ok.log" 2>&1 ||
    { cat "$WORK/verify_ok.log"; fail "verify of intact checkpoints"; }
grep -qx "$WORK/a/checkpoint.h5: OK (14 tensors, epoch 3, step 0)" "$WORK/verify_ok.log" ||
    { cat "$WORK/verify_ok.log"; fail "verify: unexpected OK line"; }
grep -q "checkpoint.1.h5: OK (14 tensors, epoch 2, step 0)" "$WORK/verify_ok.log" ||
    { cat "$WORK/verify_ok.log"; fail "verify: no OK line for checkpoint.1.h5"; }
set +e
"$NNTRAIN" verify "$WORK/none.h5" >"$WORK/verify_none.log" 2>&1; s1=$?
"$NNTRAIN" verify "$WORK/a/metrics.h5" >"$WORK/verify_metrics.log" 2>&1; s2=$?
"$NNTRAIN" verify >"$WORK/verify_usage.log" 2>&1; s3=$?
set -e
[[ $s1 == 1 ]] && grep -q "none.h5: No such file or directory" "$WORK/verify_none.log" ||
    { cat "$WORK/verify_none.log"; fail "verify of a missing file (status $s1)"; }
[[ $s2 == 1 ]] && grep -q "metrics.h5: format attribute is 'nntrain-metrics'" "$WORK/verify_metrics.log" ||
    { cat "$WORK/verify_metrics.log"; fail "verify of a metrics file (status $s2)"; }
[[ $s3 == 2 ]] || fail "verify without a file exited $s3, expected 2"
pass "verify: both intact checkpoints OK; a missing file, a non-checkpoint and no argument are errors"

# The byte offset of a dataset's stored bytes: its values as raw bytes
# (h5dump -b), a 32-byte window from the middle of them (trained weights;
# rows of the border pixels may equal their initial values, which
# /init/fc1/W also holds), found in the file as hex. The window must occur
# exactly once.
data_offset() {
    local file=$1 dset=$2 raw="$WORK/raw.bin"
    h5dump -d "$dset" -b LE -o "$raw" "$file" >/dev/null || fail "h5dump -b $dset"
    local size mid hexwin
    size=$(stat -c %s "$raw")
    mid=$(( size / 2 / 4 * 4 ))
    hexwin=$(tail -c +$((mid + 1)) "$raw" | head -c 32 | od -An -v -tx1 | tr -d ' \n')
    od -An -v -tx1 "$file" | tr -d ' \n' | awk -v w="$hexwin" -v mid="$mid" '{
        n = 0; s = $0; base = 0
        while ((i = index(s, w)) > 0) {
            if ((base + i - 1) % 2 == 0) { n++; at = (base + i - 1) / 2 }
            base += i; s = substr(s, i + 1)
        }
        if (n == 1) print at - mid; else print "none"
    }'
}
flip_byte() { # FILE OFFSET: invert every bit of one byte, in place
    local b
    b=$(od -An -tu1 -j "$2" -N 1 "$1" | tr -d ' ')
    printf "$(printf '\\%03o' $((b ^ 255)))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

mkdir -p "$WORK/bad"
cp "$WORK/a/checkpoint.h5" "$WORK/a/metrics.h5" "$WORK/bad/"
off=$(data_offset "$WORK/bad/checkpoint.h5" /model/fc1/W)
[[ $off =~ ^[0-9]+$ ]] || fail "cannot locate /model/fc1/W in the file ($off)"
flip_byte "$WORK/bad/checkpoint.h5" $((off + 4000))
cmp -s "$WORK/a/checkpoint.h5" "$WORK/bad/checkpoint.h5" && fail "the byte was not flipped"
[[ $(cmp -l "$WORK/a/checkpoint.h5" "$WORK/bad/checkpoint.h5" | wc -l) == 1 ]] || fail "more than one byte differs"
h5dump -d /model/fc1/W "$WORK/bad/checkpoint.h5" >/dev/null 2>&1 && fail "h5dump read the damaged tensor without complaint"
pass "one byte flipped inside /model/fc1/W (file offset $((off + 4000)))"

want="$WORK/bad/checkpoint.h5: dataset /model/fc1/W: checksum mismatch (the file is damaged)"
# expect_refused NAME LOG STATUS: the exit status is 1, the message names
# the file and the dataset, and HDF5 printed none of its own error stack.
expect_refused() {
    local name=$1 log=$2 status=$3
    [[ $status == 1 ]] || { cat "$log"; fail "$name: exit status $status, expected 1"; }
    grep -qF "$want" "$log" || { cat "$log"; fail "$name: no message naming the file and /model/fc1/W"; }
    ! grep -q "HDF5-DIAG" "$log" || { cat "$log"; fail "$name: HDF5 printed its error stack"; }
    pass "$name refuses the damaged file: $(grep -F "$want" "$log" | head -1)"
}

set +e
"$NNTRAIN" verify "$WORK/a/checkpoint.h5" "$WORK/bad/checkpoint.h5" >"$WORK/verify_bad.log" 2>&1; s=$?
set -e
expect_refused verify "$WORK/verify_bad.log" $s
grep -q "a/checkpoint.h5: OK" "$WORK/verify_bad.log" || fail "verify: no OK line for the intact file"

set +e
"$NNTRAIN" eval "$WORK/bad/checkpoint.h5" --data valid >"$WORK/eval.log" 2>&1; s=$?
set -e
expect_refused eval "$WORK/eval.log" $s
[[ ! -e $WORK/bad/eval_valid.h5 ]] || fail "eval wrote results from a damaged checkpoint"

set +e
run_ranks 2 "$WORK/a.ini" --set train.out="$WORK/bad" --set train.epochs=4 \
    --resume "$WORK/bad/checkpoint.h5" >"$WORK/resume.log" 2>&1; s=$?
set -e
expect_refused "--resume (2 ranks)" "$WORK/resume.log" $s

write_small_config "$WORK/ft.ini" "$WORK/ft" "init_from = $WORK/bad/checkpoint.h5"
set +e
run_ranks 1 "$WORK/ft.ini" >"$WORK/init_from.log" 2>&1; s=$?
set -e
expect_refused init_from "$WORK/init_from.log" $s

set +e
"$NNTRAIN" ocr "$WORK/bad/checkpoint.h5" "$WORK/a/curves.png" >"$WORK/ocr.log" 2>&1; s=$?
set -e
expect_refused ocr "$WORK/ocr.log" $s

set +e
"$NNTRAIN" plot "$WORK/bad" >"$WORK/plot.log" 2>&1; s=$?
set -e
expect_refused plot "$WORK/plot.log" $s

# --resume auto: the damaged latest is skipped (and set aside), the
# previous one taken; the run then reaches the weights of an undamaged one.
cp "$WORK/a/checkpoint.1.h5" "$WORK/bad/"
run_ranks 1 "$WORK/a.ini" --set train.out="$WORK/bad" --set train.epochs=4 \
    --resume auto >"$WORK/auto.log" 2>&1 || { cat "$WORK/auto.log"; fail "--resume auto with a damaged latest checkpoint"; }
grep -qF "skipping $want" "$WORK/auto.log" || { cat "$WORK/auto.log"; fail "--resume auto: no word about the skipped file"; }
grep -qF -- "--resume auto: took $WORK/bad/checkpoint.1.h5 (epoch 2, step 0)" "$WORK/auto.log" ||
    { cat "$WORK/auto.log"; fail "--resume auto: does not say which checkpoint it took"; }
grep -q "resuming from $WORK/bad/checkpoint.1.h5 at epoch 3" "$WORK/auto.log" || { cat "$WORK/auto.log"; fail "did not resume at epoch 3"; }
[[ -f $WORK/bad/checkpoint.h5.damaged ]] || fail "the damaged checkpoint was not set aside"
"$NNTRAIN" verify "$WORK/bad/checkpoint.h5" "$WORK/bad/checkpoint.1.h5" >/dev/null 2>&1 ||
    fail "after the resumed run the kept checkpoints do not verify"
[[ $(root_attr "$WORK/bad/checkpoint.h5" epoch) == 4 && $(root_attr "$WORK/bad/checkpoint.1.h5" epoch) == 3 ]] ||
    fail "after the resumed run: checkpoint.h5 / .1.h5 are not epochs 4 / 3"
run_ranks 1 "$WORK/a.ini" --set train.epochs=4 --resume auto >"$WORK/good4.log" 2>&1 || { cat "$WORK/good4.log"; fail "undamaged run to epoch 4"; }
same_model "$WORK/a/checkpoint.h5" "$WORK/bad/checkpoint.h5" 0 || fail "the fallback run differs from the undamaged one"
pass "--resume auto skipped the damaged checkpoint, took checkpoint.1.h5, and matches the undamaged run"

# Nothing verifies: an error, not a fresh start over the damaged files.
mkdir -p "$WORK/allbad"
cp "$WORK/bad/checkpoint.h5.damaged" "$WORK/allbad/checkpoint.h5"
set +e
run_ranks 1 "$WORK/a.ini" --set train.out="$WORK/allbad" --resume auto >"$WORK/allbad.log" 2>&1; s=$?
set -e
[[ $s == 1 ]] && grep -q "none of the 1 checkpoint(s) of $WORK/allbad verifies" "$WORK/allbad.log" ||
    { cat "$WORK/allbad.log"; fail "--resume auto with no intact checkpoint (status $s)"; }
cmp -s "$WORK/allbad/checkpoint.h5" "$WORK/bad/checkpoint.h5.damaged" || fail "the damaged file was touched"
pass "--resume auto with no intact checkpoint stops and leaves the file alone"

# keep_checkpoints = 1: only the latest.
write_small_config "$WORK/one.ini" "$WORK/one" "keep_checkpoints = 1"
run_ranks 1 "$WORK/one.ini" >/dev/null 2>&1 || fail "keep_checkpoints = 1 run"
[[ -f $WORK/one/checkpoint.h5 && ! -e $WORK/one/checkpoint.1.h5 ]] || fail "keep_checkpoints = 1 kept more than the latest"
pass "keep_checkpoints = 1 keeps only checkpoint.h5"
