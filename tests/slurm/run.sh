#!/usr/bin/env bash
# End-to-end tests of slurm/train.sbatch and slurm/sweep_lr.sbatch on a real
# one-node SLURM (scripts/slurm-local.sh), then on two nodes, about 5 minutes on 2 quiet cores:
#   1. train.sbatch, 2 tasks, a short Fashion-MNIST run: COMPLETED, exit 0,
#      checkpoint.h5 and metrics.h5 with one row per epoch;
#   2. sweep_lr.sbatch, a 3-task array: each task stops once (test hook),
#      is requeued alone, resumes, and ends COMPLETED with its own lr
#      (BASE_LR x 10, 1, 0.1) in its own run folder;
#   3. the time limit: a 2-task job with --time=1 --signal=USR1@5 whose run
#      (~60 s) is longer than the signal allows. SLURM signals the ranks,
#      they checkpoint and exit 75, the script requeues the job, the requeued
#      run resumes (possibly more than once), and the final weights and
#      optimizer state equal those of an uninterrupted run bit for bit.
#   4. two nodes (when this script started SLURM: it restarts it as nodes
#      n1 and n2, two slurmd on this machine): `sbatch -N 2 -n 2
#      train.sbatch` places one rank on each node (nntrain's "hosts:" line)
#      and trains test 1's weights bit for bit; the time-limit requeue of
#      test 3 across both nodes ends with test 3's reference weights.
# Installs slurm-wlm, munge, hdf5-tools and dataset-fashion-mnist when missing,
# builds build/nntrain when missing, starts SLURM when it is not running
# (and stops what it started on exit). Prints PASS lines; exits non-zero on
# the first failure after printing the job output files.
#
# NNTRAIN_HOME: the tree whose build/nntrain and slurm/ the jobs use (default:
# this repository). NNTRAIN_SLURM_KEEP=1 keeps the scratch folder;
# NNTRAIN_SLURM_QUICK=1 skips test 3 (the two minutes of the time-limit test);
# NNTRAIN_SLURM_TRAIN_SECONDS (default 60) sets the length of its training.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
NNHOME=${NNTRAIN_HOME:-$ROOT}
T0=$SECONDS

WORK=""
JOBS=()
train_job="" sweep_job="" req_job="" two_job="" req2_job=""
STARTED_SLURM=0
FAILED=0

pass() { echo "PASS: $* ($((SECONDS - T0)) s)"; }
note() { echo "slurm test: $*"; }

dump() {
    local f id
    echo "---- job records" >&2
    for id in "${JOBS[@]}"; do
        scontrol -o show job "$id" 2>/dev/null | tr ' ' '\n' |
            grep -E '^(JobId|ArrayTaskId|JobName|JobState|Reason|Restarts|ExitCode|RunTime|TimeLimit|StartTime|EndTime)=' |
            paste -sd ' ' >&2 || true
    done
    for f in "$WORK"/*.out; do
        [[ -f $f ]] || continue
        echo "---- $f" >&2
        grep -v '^epoch ' "$f" >&2 || true    # the per-epoch lines are long and many
    done
    echo "---- last lines of the slurmctld log" >&2
    tail -n 20 "${NNTRAIN_SLURM_STATE:-/var/tmp/nntrain-slurm}/log/slurmctld.log" >&2 2>/dev/null || true
}

fail() {
    FAILED=1
    echo "FAIL: $*" >&2
    dump
    exit 1
}

cleanup() {
    local status=$?
    if ((${#JOBS[@]})); then
        scancel "${JOBS[@]}" 2>/dev/null || true
    fi
    if ((STARTED_SLURM)); then
        "$ROOT/scripts/slurm-local.sh" stop || true
    fi
    if [[ -n $WORK ]]; then
        if ((status != 0 || FAILED)) || [[ ${NNTRAIN_SLURM_KEEP:-0} == 1 ]]; then
            echo "slurm test: scratch folder kept: $WORK" >&2
        else
            rm -rf "$WORK"
        fi
    fi
}
trap cleanup EXIT

install_missing() {
    local p missing=()
    for p in slurm-wlm munge hdf5-tools openmpi-bin dataset-fashion-mnist; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    ((${#missing[@]})) || return 0
    note "installing ${missing[*]}"
    local sudo=""
    if [[ $(id -u) -ne 0 ]]; then
        command -v sudo >/dev/null || { echo "FAIL: need root or sudo to install ${missing[*]}" >&2; exit 1; }
        sudo=sudo
    fi
    export DEBIAN_FRONTEND=noninteractive
    # Without systemd the packages' postinst scripts would start slurmctld
    # and slurmd through their init scripts (and fail the install, there
    # being no slurm.conf yet). policy-rc.d exit 101 tells invoke-rc.d not
    # to start anything (container images usually have one already).
    local policy=/usr/sbin/policy-rc.d made_policy=0 rc=0
    if [[ ! -e $policy ]]; then
        printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
        $sudo chmod 755 "$policy"
        made_policy=1
    fi
    $sudo apt-get update -qq && $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || rc=$?
    if ((made_policy)); then
        $sudo rm -f "$policy"
    fi
    ((rc == 0)) || { echo "FAIL: apt-get install ${missing[*]} failed" >&2; exit 1; }
}

# ---- helpers over SLURM and HDF5 -------------------------------------------

# submit VAR sbatch-options...: sets VAR to the job id and records it so
# that cleanup can scancel it (no command substitution: JOBS must grow here).
submit() {
    local var=$1 id
    shift
    id=$(sbatch --parsable "$@") || fail "sbatch $* failed"
    id=${id%%;*}
    JOBS+=("$id")
    printf -v "$var" '%s' "$id"
}

# Wait until none of the jobs (array ids include their tasks) is pending,
# running or completing. A job held after a requeue is released.
wait_jobs() {
    local limit=$1 ids active
    shift
    ids=$(IFS=,; echo "$*")
    local deadline=$((SECONDS + limit))
    while true; do
        active=$(squeue -h -t all -j "$ids" -o '%i %T %r' 2>&1) || fail "squeue -j $ids failed: $active"
        active=$(grep -vE ' (COMPLETED|FAILED|TIMEOUT|CANCELLED|NODE_FAIL|OUT_OF_MEMORY|PREEMPTED|BOOT_FAIL|DEADLINE) ' <<<"$active" || true)
        [[ -z $active ]] && return 0
        if grep -qE 'REQUEUE_HOLD|JobHeld' <<<"$active"; then
            note "releasing a held job: $active"
            scontrol release "$ids" || true
        fi
        ((SECONDS < deadline)) || fail "jobs $ids not finished after ${limit} s: $active"
        sleep 2
    done
}

# One field (JobState, ExitCode, Restarts, ...) of each record of a job (an
# array job gives one line per task, in task order).
job_field() {
    scontrol -o show job "$1" | grep -o " $2=[^ ]*" | sed "s/^ $2=//"
}

# A job (or every task of an array) ended COMPLETED with exit code 0:0.
check_completed() {
    local id=$1 what=$2 states codes
    states=$(job_field "$id" JobState | sort -u | tr '\n' ' ')
    codes=$(job_field "$id" ExitCode | sort -u | tr '\n' ' ')
    [[ $states == "COMPLETED " && $codes == "0:0 " ]] ||
        fail "$what (job $id): state '$states' exit code '$codes', expected COMPLETED 0:0"
}

root_attr() { h5dump -a "/$2" "$1" | sed -n 's/^ *(0): *//p' | head -1; }
metric_rows() { h5dump -H -d /epoch "$1" | grep -o 'SIMPLE { ( [0-9]*' | grep -o '[0-9]*$'; }

# A run folder holds a finished run of EPOCHS epochs.
check_run() {
    local dir=$1 epochs=$2 what=$3 rows
    [[ -f $dir/checkpoint.h5 ]] || fail "$what: no $dir/checkpoint.h5"
    [[ -f $dir/metrics.h5 ]] || fail "$what: no $dir/metrics.h5"
    rows=$(metric_rows "$dir/metrics.h5")
    [[ $rows == "$epochs" ]] || fail "$what: metrics.h5 has '$rows' rows, expected $epochs"
    [[ $(root_attr "$dir/checkpoint.h5" epoch) == "$epochs" ]] ||
        fail "$what: checkpoint epoch is '$(root_attr "$dir/checkpoint.h5" epoch)', expected $epochs"
}

# ---- set-up -----------------------------------------------------------------

install_missing
if [[ ! -x $NNHOME/build/nntrain ]]; then
    note "building $NNHOME/build/nntrain"
    (cd "$NNHOME" && scripts/install-deps.sh && scripts/build.sh) || fail "build failed"
fi
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=1
WORK=$(mktemp -d "${TMPDIR:-/tmp}/nntrain-slurm-test.XXXXXX")
chmod 755 "$WORK"

if "$ROOT/scripts/slurm-local.sh" status >/dev/null 2>&1; then
    note "using the SLURM that is already running"
else
    STARTED_SLURM=1
    "$ROOT/scripts/slurm-local.sh" start || fail "could not start SLURM"
fi
cpus=$(sinfo -h -n localhost -o %c | head -1)
((cpus >= 2)) || fail "the node has $cpus CPU(s); the tests need 2"
pass "one-node SLURM is up (node localhost, $cpus CPUs)"

# ---- 1 and 2: a training job and a learning-rate sweep ------------------------
# The jobs run in the submit folder (this repository) or, for the sweep,
# --chdir $WORK: both find build/nntrain through SLURM_SUBMIT_DIR (or
# NNTRAIN_HOME). They queue behind each other on the 2 CPUs. Each sweep task
# also stops itself once (nntrain's test hook NNTRAIN_TEST_SIGNAL_AT_STEP
# raises SIGUSR1 before global step 10; a resumed run is past it), so every
# task exercises the requeue of one array task, ARRAYID_TASK (the last
# task's own job id is the array's id: requeueing that id would requeue them all).
submit train_job -n 2 -t 5 -J nnt-train -o "$WORK/slurm-%x-%j.out" \
    slurm/train.sbatch tests/slurm/train.ini --set "train.out=$WORK/train"
submit sweep_job -n 1 -t 5 -J nnt-sweep -o "$WORK/slurm-%x-%A_%a.out" --chdir "$WORK" \
    --export=ALL,NNTRAIN_TEST_SIGNAL_AT_STEP=10 \
    slurm/sweep_lr.sbatch "$ROOT/tests/slurm/train.ini" 0.02 --set train.epochs=2
note "submitted training job $train_job and sweep array $sweep_job"
wait_jobs 240 "$train_job" "$sweep_job"

check_completed "$train_job" "training job"
check_run "$WORK/train" 3 "training job"
out=$WORK/slurm-nnt-train-$train_job.out
grep -q "2 rank(s) x 1 thread(s)" "$out" || fail "training job: did not run 2 ranks x 1 thread"
grep -q "^test: " "$out" || fail "training job: no test accuracy in $out"
grep -q "training finished" "$out" || fail "training job: no 'training finished' in $out"
pass "train.sbatch: 2 ranks, 3 epochs, checkpoint.h5 and metrics.h5, COMPLETED 0:0"

check_completed "$sweep_job" "sweep"
tasks=$(job_field "$sweep_job" ArrayTaskId | sort -n | tr '\n' ' ')
[[ $tasks == "0 1 2 " ]] || fail "sweep: array tasks '$tasks', expected 0 1 2"
sweep_lrs=(0.2 0.02 0.002)
for i in 0 1 2; do
    lr=${sweep_lrs[i]}
    dir=$WORK/runs/train/lr_$lr
    check_run "$dir" 2 "sweep task $i"
    got=$(root_attr "$dir/checkpoint.h5" lr)
    awk -v a="$got" -v b="$lr" 'BEGIN { exit !(a - b < 1e-9 * b && b - a < 1e-9 * b) }' ||
        fail "sweep task $i: checkpoint lr is '$got', expected $lr"
    out=$WORK/slurm-nnt-sweep-${sweep_job}_$i.out
    grep -q "lr = 0.02 x .* = $lr, out = runs/train/lr_$lr" "$out" || fail "sweep task $i: no 'lr = ... = $lr' line in $out"
    grep -q "plot --compare runs/train/lr_0.2 runs/train/lr_0.02 runs/train/lr_0.002" "$out" ||
        fail "sweep task $i: no 'plot --compare' command for the three runs in $out"
    grep -q "requeueing job ${sweep_job}_$i\$" "$out" || fail "sweep task $i: not requeued as ${sweep_job}_$i"
    grep -q "resuming from runs/train/lr_$lr/checkpoint.h5" "$out" || fail "sweep task $i: no resume message"
done
restarts=$(job_field "$sweep_job" Restarts | tr '\n' ' ')
[[ $restarts == "1 1 1 " ]] || fail "sweep: restarts per task '$restarts', expected 1 1 1"
pass "sweep_lr.sbatch: array tasks 0-2 trained lr 0.2, 0.02, 0.002 into runs/train/lr_*, each stopped once, requeued alone, resumed, COMPLETED 0:0"

# ---- 4: two nodes ----------------------------------------------------------------
# Two slurmd on this machine (scripts/slurm-local.sh with NNTRAIN_SLURM_NODES=2),
# each in a UTS namespace named after its node. The ranks of the two nodes
# talk over TCP on the loopback interface (NNTRAIN_MPI_NET=lo: the
# machine's other interfaces are not for this test).
two_nodes_up() {
    if ((!STARTED_SLURM)); then
        note "SLURM was already running: the two-node tests are skipped (they restart it as two nodes)"
        return 1
    fi
    "$ROOT/scripts/slurm-local.sh" stop >/dev/null
    NNTRAIN_SLURM_NODES=2 "$ROOT/scripts/slurm-local.sh" start || fail "could not start a two-node SLURM"
    pass "two-node SLURM is up (n1, n2)"
}

two_nodes_train() {
    submit two_job -N 2 -n 2 -t 5 -J nnt-two -o "$WORK/slurm-%x-%j.out" --export=ALL,NNTRAIN_MPI_NET=lo \
        slurm/train.sbatch tests/slurm/train.ini --set "train.out=$WORK/two"
    wait_jobs 240 "$two_job"
    check_completed "$two_job" "two-node job"
    check_run "$WORK/two" 3 "two-node job"
    local out=$WORK/slurm-nnt-two-$two_job.out
    grep -q "^hosts: 2: n1 (1 rank), n2 (1 rank)$" "$out" || fail "two-node job: not one rank on each of n1 and n2 (no 'hosts:' line saying so in $out)"
    grep -q "MPI: yield on (2 nodes), network lo" "$out" || fail "two-node job: train.sbatch did not choose yielding and the network"
    h5diff -d 0 "$WORK/train/checkpoint.h5" "$WORK/two/checkpoint.h5" /model /model >/dev/null ||
        fail "two-node job: weights differ from the one-node job of test 1"
    pass "train.sbatch -N 2 -n 2: one rank on n1, one on n2, COMPLETED 0:0, the one-node job's weights bit for bit"
}

if [[ ${NNTRAIN_SLURM_QUICK:-0} == 1 ]]; then
    if two_nodes_up; then two_nodes_train; fi
    echo "PASS: SLURM tests 1, 2 and 4 without the time-limit tests (NNTRAIN_SLURM_QUICK=1) ($((SECONDS - T0)) s)"
    exit 0
fi

# ---- 3: time limit -> SIGUSR1 -> checkpoint -> exit 75 -> requeue -> resume ----
# SLURM checks time limits every 30 s (a fixed grid from slurmctld's start).
# At a check it sends the --signal when the job has at most sig_time + 30 s
# left, and it ends the job at the first check after its end time. With
# --time=1 and USR1@5 the ranks get SIGUSR1 25-55 s after the job starts
# (long after nntrain installed its handler) and, signal and limit lying on
# the same 30 s grid, at least 30 s before the limit is enforced. A run of
# ~60 s is therefore always stopped at least once. A requeued run starts
# ~15 s after the check that stopped the previous one (cred_expire=10 and
# sched_interval=5 in scripts/slurm-local.sh), so its signal comes 45 s
# after its start: the second run finishes the remaining 5-35 s. (With a
# larger sig_time, e.g. @20, each requeued run got SIGUSR1 at the very next
# check, 15 s after its start: 10+ requeues.) A busy machine only adds runs.
# Epochs are chosen from a short calibration run so that the job trains
# ~60 s here; its fastest epoch counts, so that a busy moment during
# calibration cannot make the run too short to be interrupted. Should the
# job still finish before any signal (the machine got much faster, e.g. other
# load went away), it runs once more with at least 3x the epochs (enough for
# ~75 s at the pace it just had). The uninterrupted reference runs after
# the job, with the epochs that job had.
cal=$WORK/calibrate
timeout 120 mpirun -np 2 --oversubscribe --bind-to none "$NNHOME/build/nntrain" tests/slurm/requeue.ini \
    --set train.epochs=3 --set "train.out=$cal" >"$cal.log" 2>&1 || { cat "$cal.log"; fail "calibration run"; }
per_epoch=$(h5dump -d /seconds -y -w 0 "$cal/metrics.h5" | awk '/DATA \{/ { getline; print; exit }' |
    awk -F', *' '{ m = $1; for (i = 2; i <= NF; ++i) if ($i < m) m = $i; print m + 0 }')
target=${NNTRAIN_SLURM_TRAIN_SECONDS:-60}
epochs=$(awk -v p="$per_epoch" -v t="$target" 'BEGIN { e = int(t / (p * 1.1)) + 1; if (e < 2) e = 2; if (e > 2000) e = 2000; print e }')
note "calibration: fastest epoch $per_epoch s; the requeue test trains $epochs epochs (~$target s)"

for attempt in 1 2; do
    rm -rf "$WORK/requeue"
    job_start=$SECONDS
    submit req_job -n 2 --time=1 --signal=USR1@5 -J nnt-requeue -o "$WORK/slurm-%x-%j.out" \
        slurm/train.sbatch tests/slurm/requeue.ini --set "train.epochs=$epochs" --set "train.out=$WORK/requeue"
    note "submitted job $req_job (--time=1 --signal=USR1@5, $epochs epochs)"
    wait_jobs 480 "$req_job"
    check_completed "$req_job" "requeue job"
    restarts=$(job_field "$req_job" Restarts)
    note "job $req_job took $((SECONDS - job_start)) s with $restarts requeue(s)"
    ((restarts == 0 && attempt == 1)) || break
    # At least 3x, and enough for ~75 s at the pace the job just had.
    epochs=$(awk -v e="$epochs" -v t=$((SECONDS - job_start)) 'BEGIN { n = int(e * 75 / (t > 1 ? t : 1)) + 1; print (n > 3 * e ? n : 3 * e) }')
    note "job $req_job ended before SLURM's signal: once more with $epochs epochs"
done
out=$WORK/slurm-nnt-requeue-$req_job.out
stops=$(grep -c "stop requested by signal" "$out" || true)
resumes=$(grep -c "resuming from" "$out" || true)
requeues=$(grep -c "requeueing job $req_job" "$out" || true)
((restarts >= 1)) || fail "requeue job: Restarts=$restarts: it was never stopped and requeued"
((stops == restarts && resumes == restarts && requeues == restarts)) ||
    fail "requeue job: Restarts=$restarts but $stops stop, $requeues requeue and $resumes resume message(s) in $out"
grep -q "Exited with exit code 75" "$out" || fail "requeue job: srun did not report exit code 75"
check_run "$WORK/requeue" "$epochs" "requeue job"

# The uninterrupted reference, 2 ranks like the job. Exactly equal, not
# close: with 2 ranks the allreduce adds two numbers per element (the same
# bits whichever rank adds), every random choice is a function of (seed,
# epoch, sample index), and the checkpoint holds all the state (weights,
# momentum, epoch, step), so a resumed run repeats the same float operations
# in the same order. Any difference means lost or altered state.
ref_start=$SECONDS
timeout 900 mpirun -np 2 --oversubscribe --bind-to none "$NNHOME/build/nntrain" tests/slurm/requeue.ini \
    --set "train.epochs=$epochs" --set "train.out=$WORK/reference" >"$WORK/reference.log" 2>&1 ||
    { tail -n 20 "$WORK/reference.log"; fail "uninterrupted reference run"; }
note "uninterrupted reference run took $((SECONDS - ref_start)) s"
h5diff -d 0 "$WORK/reference/checkpoint.h5" "$WORK/requeue/checkpoint.h5" /model /model >"$WORK/h5diff.txt" 2>&1 ||
    { head -n 20 "$WORK/h5diff.txt"; fail "requeue job: final weights differ from the uninterrupted run"; }
h5diff -d 0 "$WORK/reference/checkpoint.h5" "$WORK/requeue/checkpoint.h5" /optim /optim >"$WORK/h5diff.txt" 2>&1 ||
    { head -n 20 "$WORK/h5diff.txt"; fail "requeue job: optimizer state differs from the uninterrupted run"; }
pass "time limit: SIGUSR1, checkpoint, exit 75, requeued $restarts time(s), resumed, COMPLETED 0:0; weights and optimizer state identical to the uninterrupted run"

# The same time-limit job across two nodes: SLURM signals the ranks on both,
# they checkpoint and exit 75, the job is requeued onto both nodes again and
# ends with the reference's weights (2 ranks, so the same bits).
if two_nodes_up; then
    two_nodes_train
    submit req2_job -N 2 -n 2 --time=1 --signal=USR1@5 -J nnt-requeue2 -o "$WORK/slurm-%x-%j.out" \
        --export=ALL,NNTRAIN_MPI_NET=lo slurm/train.sbatch tests/slurm/requeue.ini \
        --set "train.epochs=$epochs" --set "train.out=$WORK/requeue2"
    note "submitted job $req2_job (2 nodes, --time=1 --signal=USR1@5, $epochs epochs)"
    wait_jobs 600 "$req2_job"
    check_completed "$req2_job" "two-node requeue job"
    restarts=$(job_field "$req2_job" Restarts)
    out=$WORK/slurm-nnt-requeue2-$req2_job.out
    ((restarts >= 1)) || fail "two-node requeue job: Restarts=$restarts: it was never stopped and requeued"
    [[ $(grep -c "^hosts: 2: n1 (1 rank), n2 (1 rank)$" "$out") == $((restarts + 1)) ]] ||
        fail "two-node requeue job: not every run had one rank on each node"
    grep -q "Exited with exit code 75" "$out" || fail "two-node requeue job: srun did not report exit code 75"
    check_run "$WORK/requeue2" "$epochs" "two-node requeue job"
    h5diff -d 0 "$WORK/reference/checkpoint.h5" "$WORK/requeue2/checkpoint.h5" /model /model >/dev/null &&
        h5diff -d 0 "$WORK/reference/checkpoint.h5" "$WORK/requeue2/checkpoint.h5" /optim /optim >/dev/null ||
        fail "two-node requeue job: final weights or optimizer state differ from the uninterrupted run"
    pass "time limit on two nodes: requeued $restarts time(s) onto n1 and n2, resumed, COMPLETED 0:0; the uninterrupted run's weights and optimizer state"
fi

echo "PASS: all SLURM tests ($((SECONDS - T0)) s)"
