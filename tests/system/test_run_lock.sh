#!/usr/bin/env bash
# The run folder's lock: a second training run into a folder another run is
# using stops at once (exit 1, on 1 and 2 ranks, no hang) with a message
# naming the folder and the holder's PID, and leaves every file of the first
# run as it was. Once the holder is killed (SIGKILL: no chance to clean up),
# a new run into the folder starts normally.
source "$(dirname "$0")/lib.sh"
need_fmnist

first=
cleanup() { [[ -z $first ]] || kill -9 "$first" 2>/dev/null || true; }
trap cleanup EXIT

write_small_config "$WORK/c.ini" "$WORK/run" "checkpoint_every = 1"
sed -i '0,/^epochs = 2/s//epochs = 100000/' "$WORK/c.ini"
grep -q "^epochs = 100000" "$WORK/c.ini" || fail "the config edit did not apply"

# The first run: long, in the background, a plain process so $! is its PID.
"$NNTRAIN" "$WORK/c.ini" >"$WORK/first.log" 2>&1 &
first=$!
for _ in $(seq 1200); do
    [[ -e $WORK/run/checkpoint.h5 ]] && break
    kill -0 "$first" 2>/dev/null || { cat "$WORK/first.log"; fail "the first run ended early"; }
    sleep 0.1
done
[[ -e $WORK/run/checkpoint.h5 ]] || fail "the first run wrote no checkpoint within 120 s"
# Freeze it (it keeps its lock), so that any change to its files comes from
# the second run.
kill -STOP "$first"
for _ in $(seq 100); do
    [[ $(awk '{print $3}' "/proc/$first/stat") == T ]] && break
    sleep 0.05
done
[[ $(awk '{print $3}' "/proc/$first/stat") == T ]] || fail "the first run did not stop on SIGSTOP"
snapshot() { (cd "$WORK/run" && find . -type f -printf '%p %s %T@\n' | sort && find . -type f -print0 | sort -z | xargs -0 md5sum); }
snapshot >"$WORK/before.txt"

for ranks in 1 2; do
    start=$SECONDS
    set +e
    run_ranks $ranks "$WORK/c.ini" --set train.epochs=1 >"$WORK/second.log" 2>&1
    status=$?
    set -e
    elapsed=$((SECONDS - start))
    [[ $status == 1 ]] || { cat "$WORK/second.log"; fail "$ranks rank(s): the second run exited $status, expected 1"; }
    grep -qF "$WORK/run: the run folder is in use by process $first on " "$WORK/second.log" ||
        { cat "$WORK/second.log"; fail "$ranks rank(s): the message does not name the folder and PID $first"; }
    [[ $(grep -c "in use by" "$WORK/second.log") == 1 ]] || { cat "$WORK/second.log"; fail "$ranks rank(s): the message is not printed exactly once"; }
    ((elapsed < 30)) || fail "$ranks rank(s): the second run took $elapsed s to give up"
    snapshot >"$WORK/after.txt"
    diff "$WORK/before.txt" "$WORK/after.txt" || fail "$ranks rank(s): the second run changed the first run's files"
    pass "second run on $ranks rank(s): exit 1 in ${elapsed} s: $(grep -o 'the run folder is in use by process [0-9]* on [^ ]*' "$WORK/second.log"); files untouched"
done

# The holder dies without releasing anything: the lock goes with it.
kill -9 "$first"
wait "$first" 2>/dev/null || true
first=
run_ranks 2 "$WORK/c.ini" --set train.epochs=1 >"$WORK/third.log" 2>&1 || { cat "$WORK/third.log"; fail "a run after the holder was killed did not start"; }
grep -q "checkpoint: $WORK/run/checkpoint.h5" "$WORK/third.log" || { cat "$WORK/third.log"; fail "the new run did not finish"; }
pass "after kill -9 of the holder, a new run into the folder trains normally"
