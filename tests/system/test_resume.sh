#!/usr/bin/env bash
# Resuming continues exactly: 2 epochs + 2 more == 4 straight (1 and 2
# ranks); a stop requested mid-epoch (SIGUSR1 via the test hook, and a real
# signal) writes a checkpoint, exits 75, and resumes to the same weights.
source "$(dirname "$0")/lib.sh"
need_fmnist

for n in 1 2; do
    write_small_config "$WORK/straight$n.ini" "$WORK/straight$n" "epochs = 4"
    sed -i '0,/epochs = 2/{/epochs = 2/d}' "$WORK/straight$n.ini"
    run_ranks "$n" "$WORK/straight$n.ini" >/dev/null 2>&1 || fail "straight run, $n ranks"

    write_small_config "$WORK/split$n.ini" "$WORK/split$n"
    run_ranks "$n" "$WORK/split$n.ini" >/dev/null 2>&1 || fail "first half, $n ranks"
    [[ $(root_attr "$WORK/split$n/checkpoint.h5" epoch) == 2 ]] || fail "checkpoint epoch is not 2"
    run_ranks "$n" "$WORK/split$n.ini" --set train.epochs=4 \
        --resume "$WORK/split$n/checkpoint.h5" >"$WORK/resume$n.log" 2>&1 || { cat "$WORK/resume$n.log"; fail "resume, $n ranks"; }
    grep -q "resuming from" "$WORK/resume$n.log" || fail "no resume message"
    same_model "$WORK/straight$n/checkpoint.h5" "$WORK/split$n/checkpoint.h5" 0 || fail "2+2 epochs != 4 epochs with $n ranks"
    h5diff "$WORK/straight$n/checkpoint.h5" "$WORK/split$n/checkpoint.h5" /optim /optim >/dev/null || fail "optimizer state differs"
    rows=$(h5dump -H -d /epoch "$WORK/split$n/metrics.h5" | grep -o 'SIMPLE { ( [0-9]*' | grep -o '[0-9]*$')
    [[ $rows == 4 ]] || fail "metrics.h5 has $rows rows after resume, expected 4"
    pass "$n rank(s): 2 + 2 epochs equal 4 epochs exactly"
done

# Mid-epoch stop at global step 40 (epoch 2, step 9 of 31+1), on 2 ranks.
write_small_config "$WORK/stop.ini" "$WORK/stop" "epochs = 4"
sed -i '0,/epochs = 2/{/epochs = 2/d}' "$WORK/stop.ini"
set +e
NNTRAIN_TEST_SIGNAL_AT_STEP=40 run_ranks 2 "$WORK/stop.ini" >"$WORK/stop.log" 2>&1
status=$?
set -e
[[ $status == 75 ]] || { cat "$WORK/stop.log"; fail "stop exited with $status, expected 75"; }
grep -q "stop requested" "$WORK/stop.log" || fail "no stop message"
[[ $(root_attr "$WORK/stop/checkpoint.h5" step) == 9 ]] || fail "stop checkpoint is not at step 9: $(root_attr "$WORK/stop/checkpoint.h5" step)"
run_ranks 2 "$WORK/stop.ini" --resume auto >/dev/null 2>&1 || fail "resume after stop"
same_model "$WORK/straight2/checkpoint.h5" "$WORK/stop/checkpoint.h5" 0 || fail "stop + resume != straight"
pass "stop at a step, resume: same weights as uninterrupted"

# A real SIGUSR1 to a running single process.
write_small_config "$WORK/sig.ini" "$WORK/sig" "epochs = 200"
sed -i '0,/epochs = 2/{/epochs = 2/d}' "$WORK/sig.ini"
"$NNTRAIN" "$WORK/sig.ini" >"$WORK/sig.log" 2>&1 &
pid=$!
for _ in $(seq 100); do [[ -f $WORK/sig/checkpoint.h5 ]] && break; sleep 0.1; done
kill -USR1 $pid
set +e
wait $pid
status=$?
set -e
[[ $status == 75 ]] || { cat "$WORK/sig.log"; fail "SIGUSR1 exit status $status, expected 75"; }
timeout 300 "$NNTRAIN" "$WORK/sig.ini" --resume auto --set train.epochs=1 >"$WORK/sig2.log" 2>&1 || { cat "$WORK/sig2.log"; fail "resume after SIGUSR1"; }
pass "SIGUSR1: checkpoint, exit 75, resumable"
