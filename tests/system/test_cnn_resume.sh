#!/usr/bin/env bash
# Resuming a CNN with batch norm (running statistics are checkpointed under
# /model/<layer>/running_mean|var), dropout and augmentation (both drawn from
# seed, epoch and sample index) continues exactly: 2 + 2 epochs == 4 epochs
# bit for bit on 1 and 2 ranks, and a stop in the middle of an epoch (SIGUSR1
# through the test hook) resumes to the same weights as well.
source "$(dirname "$0")/lib.sh"
need_fmnist

for n in 1 2; do
    write_cnn_config "$WORK/straight$n.ini" "$WORK/straight$n"
    sed -i 's/^epochs = 2$/epochs = 4/' "$WORK/straight$n.ini"
    run_ranks "$n" "$WORK/straight$n.ini" >"$WORK/straight$n.log" 2>&1 || { cat "$WORK/straight$n.log"; fail "straight run, $n ranks"; }

    write_cnn_config "$WORK/split$n.ini" "$WORK/split$n"
    run_ranks "$n" "$WORK/split$n.ini" >/dev/null 2>&1 || fail "first half, $n ranks"
    [[ $(root_attr "$WORK/split$n/checkpoint.h5" epoch) == 2 ]] || fail "checkpoint epoch is not 2"
    run_ranks "$n" "$WORK/split$n.ini" --set train.epochs=4 \
        --resume "$WORK/split$n/checkpoint.h5" >"$WORK/resume$n.log" 2>&1 || { cat "$WORK/resume$n.log"; fail "resume, $n ranks"; }
    same_model "$WORK/straight$n/checkpoint.h5" "$WORK/split$n/checkpoint.h5" 0 || fail "2+2 epochs != 4 epochs with $n ranks"
    h5diff "$WORK/straight$n/checkpoint.h5" "$WORK/split$n/checkpoint.h5" /optim /optim >/dev/null || fail "optimizer state differs"
    pass "$n rank(s): 2 + 2 epochs equal 4 epochs exactly (batch norm, dropout, augmentation)"
done

# The comparison can fail: a resume that lost the running statistics (here:
# reset to their initial values) gives other evaluation results.
h5dump -d /model/bn2/running_mean "$WORK/straight1/checkpoint.h5" | grep -q "(0): 0, 0, 0, 0" && fail "running_mean never moved"
pass "running statistics were trained (not their initial values)"

# Mid-epoch stop before global step 30 (epoch 3 starts at step 24; 12 steps an
# epoch), on 2 ranks: that step still runs, so 7 steps of epoch 3 are done.
write_cnn_config "$WORK/stop.ini" "$WORK/stop"
sed -i 's/^epochs = 2$/epochs = 4/' "$WORK/stop.ini"
set +e
NNTRAIN_TEST_SIGNAL_AT_STEP=30 run_ranks 2 "$WORK/stop.ini" >"$WORK/stop.log" 2>&1
status=$?
set -e
[[ $status == 75 ]] || { cat "$WORK/stop.log"; fail "stop exited with $status, expected 75"; }
[[ $(root_attr "$WORK/stop/checkpoint.h5" step) == 7 ]] || fail "stop checkpoint is not at step 7: $(root_attr "$WORK/stop/checkpoint.h5" step)"
run_ranks 2 "$WORK/stop.ini" --resume auto >/dev/null 2>&1 || fail "resume after stop"
same_model "$WORK/straight2/checkpoint.h5" "$WORK/stop/checkpoint.h5" 0 || fail "stop + resume != straight"
acc_straight=$(grep -o 'valid loss [0-9.]* acc [0-9.]*' "$WORK/straight2.log" | tail -1)
pass "stop in the middle of an epoch, resume: the same weights and statistics ($acc_straight)"
