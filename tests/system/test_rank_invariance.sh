#!/usr/bin/env bash
# 1, 2 and 3 ranks train the same weights up to float summation order. The
# training set (1986 samples, batch 64) ends in a batch of 2 samples, so with
# 3 ranks one rank has no sample in the last step and must still take part.
source "$(dirname "$0")/lib.sh"
need_fmnist

for n in 1 2 3; do
    write_small_config "$WORK/r$n.ini" "$WORK/run$n"
    run_ranks "$n" "$WORK/r$n.ini" >"$WORK/log$n" 2>&1 || { cat "$WORK/log$n"; fail "$n ranks exited with $?"; }
    [[ -f $WORK/run$n/checkpoint.h5 ]] || fail "no checkpoint with $n ranks"
done
grep -q "test: loss" "$WORK/log1" || fail "no test line in the log"

same_model "$WORK/run1/checkpoint.h5" "$WORK/run2/checkpoint.h5" 1e-5 || fail "1 vs 2 ranks differ"
same_model "$WORK/run1/checkpoint.h5" "$WORK/run3/checkpoint.h5" 1e-5 || fail "1 vs 3 ranks differ"
pass "1, 2 and 3 ranks agree within 1e-5"

# One rank with 2 threads (OpenMP loops and threaded BLIS) agrees too.
write_small_config "$WORK/t2.ini" "$WORK/t2" "threads = 2"
OMP_NUM_THREADS=2 run_ranks 1 "$WORK/t2.ini" >"$WORK/logt2" 2>&1 || { cat "$WORK/logt2"; fail "2 threads"; }
grep -q "1 rank(s) x 2 thread(s)" "$WORK/logt2" || fail "the run did not use 2 threads"
same_model "$WORK/run1/checkpoint.h5" "$WORK/t2/checkpoint.h5" 1e-5 || fail "1 thread vs 2 threads differ"
pass "1 rank x 2 threads agrees with 1 thread"

# The comparison can fail: a different seed gives different weights.
write_small_config "$WORK/seed.ini" "$WORK/seed" "seed = 4"
sed -i '0,/seed = 3/{/seed = 3/d}' "$WORK/seed.ini"
run_ranks 1 "$WORK/seed.ini" >/dev/null 2>&1 || fail "seed run failed"
if same_model "$WORK/run1/checkpoint.h5" "$WORK/seed/checkpoint.h5" 1e-5 >/dev/null 2>&1; then
    fail "different seeds gave the same weights"
fi
pass "a different seed gives different weights"

# Accuracy numbers are the same too (validation is reduced over ranks).
acc1=$(grep -o 'valid loss [0-9.]* acc [0-9.]*' "$WORK/log1" | tail -1)
acc3=$(grep -o 'valid loss [0-9.]* acc [0-9.]*' "$WORK/log3" | tail -1)
[[ "$acc1" == "$acc3" ]] || fail "validation differs: '$acc1' vs '$acc3'"
pass "validation metrics agree: $acc1"
