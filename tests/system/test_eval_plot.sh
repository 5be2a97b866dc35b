#!/usr/bin/env bash
# nntrain eval and plot: the confusion matrix is the same on 1 and 2 ranks
# and sums to the sample count; eval of another file; figures are redrawn
# from the run's files alone; --compare draws several runs.
source "$(dirname "$0")/lib.sh"
need_fmnist

write_small_config "$WORK/a.ini" "$WORK/a"
run_ranks 2 "$WORK/a.ini" >"$WORK/train.log" 2>&1 || { cat "$WORK/train.log"; fail "training"; }
for f in checkpoint.h5 metrics.h5 eval_test.h5 curves.png weights_init.png weights_final.png confusion_test.png; do
    [[ -s $WORK/a/$f ]] || fail "training did not leave $f"
done
grep -q "most confused" "$WORK/train.log" || fail "no confused pairs after training"
pass "training leaves eval_test.h5 and the four figures"

# Sum of a dataset's values as printed by h5dump.
h5sum() { h5dump -y -d "$2" "$1" | sed -n '/DATA {/,/}/p' | grep -o '[0-9]\+' | awk 'NR>0 {s+=$1} END {print s}'; }

run_ranks 1 eval "$WORK/a/checkpoint.h5" --data valid >"$WORK/eval1.log" 2>&1 || { cat "$WORK/eval1.log"; fail "eval on 1 rank"; }
cp "$WORK/a/eval_valid.h5" "$WORK/eval_valid_1.h5"
run_ranks 2 eval "$WORK/a/checkpoint.h5" --data valid >"$WORK/eval2.log" 2>&1 || { cat "$WORK/eval2.log"; fail "eval on 2 ranks"; }
h5diff "$WORK/eval_valid_1.h5" "$WORK/a/eval_valid.h5" /confusion /confusion || fail "confusion differs between 1 and 2 ranks"
total=$(h5dump -a /count "$WORK/a/eval_valid.h5" | sed -n 's/^ *(0): *//p')
[[ $total == 3000 ]] || fail "eval counted $total validation samples, expected 3000"
[[ $(h5sum "$WORK/a/eval_valid.h5" /confusion) == "$total" ]] || fail "confusion matrix does not sum to $total"
grep -q "valid: loss" "$WORK/eval2.log" || fail "no summary line"
[[ -s $WORK/a/confusion_valid.png ]] || fail "no confusion_valid.png"
pass "eval: same confusion on 1 and 2 ranks, sums to the sample count"

run_ranks 1 eval "$WORK/a/checkpoint.h5" \
    --data "$FMNIST/t10k-images-idx3-ubyte.gz,$FMNIST/t10k-labels-idx1-ubyte.gz" >"$WORK/eval3.log" 2>&1 ||
    { cat "$WORK/eval3.log"; fail "eval of an IDX file pair"; }
[[ -f $WORK/a/eval_t10k-images-idx3-ubyte.h5 ]] || fail "no eval file for the IDX pair"
a=$(grep -o 'accuracy [0-9.]*' "$WORK/eval3.log" | head -1)
b=$(grep -o 'test: loss [0-9.]*  accuracy [0-9.]*' "$WORK/train.log" | grep -o 'accuracy [0-9.]*')
[[ "$a" == "$b" ]] || fail "eval of the test files ($a) differs from the test result after training ($b)"
pass "eval of files named on the command line: $a"

set +e
"$NNTRAIN" eval "$WORK/nothing.h5" >"$WORK/bad.log" 2>&1; s1=$?
"$NNTRAIN" eval "$WORK/a/checkpoint.h5" --data nope >"$WORK/bad2.log" 2>&1; s2=$?
set -e
[[ $s1 == 1 ]] && grep -q "nothing.h5" "$WORK/bad.log" || { cat "$WORK/bad.log"; fail "eval of a missing checkpoint"; }
[[ $s2 != 0 ]] && grep -q "nope" "$WORK/bad2.log" || { cat "$WORK/bad2.log"; fail "eval of a missing data file"; }
pass "eval errors name the file"

rm "$WORK"/a/*.png
"$NNTRAIN" plot "$WORK/a" >"$WORK/plot.log" 2>&1 || { cat "$WORK/plot.log"; fail "plot"; }
for f in curves.png weights_init.png weights_final.png confusion_test.png confusion_valid.png; do
    [[ -s $WORK/a/$f ]] || fail "plot did not redraw $f"
done
cmp -s "$WORK/a/weights_init.png" "$WORK/a/weights_final.png" && fail "initial and final weight images are identical"
pass "plot redraws every figure from the files"

write_small_config "$WORK/b.ini" "$WORK/b" "lr = 0.5"
sed -i '0,/lr = 0.05/{/lr = 0.05/d}' "$WORK/b.ini"
run_ranks 1 "$WORK/b.ini" >/dev/null 2>&1 || fail "second run"
"$NNTRAIN" plot --compare "$WORK/a" "$WORK/b" --out "$WORK/cmp.png" >/dev/null 2>&1 || fail "plot --compare"
[[ -s $WORK/cmp.png && -s $WORK/cmp_loss.png ]] || fail "no comparison figures"
set +e
"$NNTRAIN" plot "$WORK/empty-dir" >/dev/null 2>&1; s=$?
set -e
[[ $s != 0 ]] || fail "plot of a folder without run files succeeded"
pass "plot --compare of two runs; plot of an empty folder fails"
