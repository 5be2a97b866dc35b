#!/usr/bin/env bash
# The trainer killed with SIGKILL at random moments, many times, while it
# writes a checkpoint after every (short) epoch: checkpoint.h5 is always a
# complete checkpoint (the previous or the new one) that loads, and resuming
# after all the kills ends with exactly the weights of an uninterrupted run.
source "$(dirname "$0")/lib.sh"
need_fmnist

# A wide first layer makes each checkpoint ~2.4 MB, so writes take a while.
write_small_config "$WORK/c.ini" "$WORK/c" "epochs = 500"
sed -i '0,/epochs = 2/{/epochs = 2/d}; s/^limit = .*/limit = 256/; 0,/units = 32/{s/units = 32/units = 256/}' "$WORK/c.ini"
write_small_config "$WORK/s.ini" "$WORK/s" "epochs = 500"
sed -i '0,/epochs = 2/{/epochs = 2/d}; s/^limit = .*/limit = 256/; 0,/units = 32/{s/units = 32/units = 256/}' "$WORK/s.ini"
run_ranks 1 "$WORK/s.ini" >/dev/null 2>&1 || fail "uninterrupted run"

kills=0
for i in $(seq 12); do
    "$NNTRAIN" "$WORK/c.ini" --resume auto >"$WORK/c$i.log" 2>&1 &
    pid=$!
    # a random moment between 0.3 and 1.5 s
    sleep "$(awk -v r=$RANDOM 'BEGIN { printf "%.2f", 0.3 + 1.2 * r / 32768 }')"
    kill -9 $pid 2>/dev/null && kills=$((kills + 1))
    wait $pid 2>/dev/null || true
    if [[ -f $WORK/c/checkpoint.h5 ]]; then
        h5dump -a /epoch "$WORK/c/checkpoint.h5" >/dev/null 2>&1 ||
            fail "after kill $i checkpoint.h5 is not a readable HDF5 file"
        "$NNTRAIN" eval "$WORK/c/checkpoint.h5" --data valid >"$WORK/e$i.log" 2>&1 ||
            { cat "$WORK/e$i.log"; fail "after kill $i checkpoint.h5 does not load"; }
    fi
done
(( kills >= 6 )) || fail "only $kills of 12 runs were killed before finishing (machine too fast for this test?)"
pass "$kills kills at random moments: checkpoint.h5 always loaded"

run_ranks 1 "$WORK/c.ini" --resume auto >"$WORK/final.log" 2>&1 || { cat "$WORK/final.log"; fail "final resume"; }
same_model "$WORK/s/checkpoint.h5" "$WORK/c/checkpoint.h5" 0 || fail "killed-and-resumed run differs from the uninterrupted one"
pass "after the kills, resuming reaches exactly the uninterrupted run's weights"
