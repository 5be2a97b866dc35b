#!/usr/bin/env bash
# One rank killed with SIGKILL in the middle of an epoch: the job ends within
# a bounded time with a message saying which rank died; nothing hangs.
source "$(dirname "$0")/lib.sh"
need_fmnist

write_small_config "$WORK/k.ini" "$WORK/k" "epochs = 10000"
sed -i '0,/epochs = 2/{/epochs = 2/d}; /^limit = /d' "$WORK/k.ini"
mpirun --oversubscribe --bind-to none -np 2 "$NNTRAIN" "$WORK/k.ini" >"$WORK/k.log" 2>&1 &
job=$!
for _ in $(seq 300); do [[ -f $WORK/k/checkpoint.h5 ]] && break; sleep 0.1; done
[[ -f $WORK/k/checkpoint.h5 ]] || { kill -9 $job; fail "training did not start"; }
victim=$(pgrep -f "$NNTRAIN $WORK/k.ini" | grep -v "^$job$" | tail -1)
[[ -n $victim ]] || fail "no rank process found"
start=$(date +%s)
kill -9 "$victim"
set +e
timeout 120 tail --pid=$job -f /dev/null
waited=$?
wait $job
status=$?
set -e
elapsed=$(( $(date +%s) - start ))
[[ $waited == 0 ]] || { pkill -9 -f "$WORK/k.ini"; fail "the job still runs 120 s after a rank was killed"; }
[[ $status != 0 ]] || fail "the job exited 0 after a rank was killed"
grep -qiE "signal 9|killed" "$WORK/k.log" || { cat "$WORK/k.log"; fail "no message about the killed rank"; }
pass "a rank killed mid-epoch: the job ended after ${elapsed} s with status $status"
# The last checkpoint is complete and loads.
"$NNTRAIN" eval "$WORK/k/checkpoint.h5" --data valid >"$WORK/eval.log" 2>&1 || { cat "$WORK/eval.log"; fail "the last checkpoint does not load"; }
pass "the last checkpoint is intact"
