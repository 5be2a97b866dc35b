#!/usr/bin/env bash
# End-to-end tests of slurm/train.sbatch and slurm/sweep_lr.sbatch on a real
# one-node SLURM (scripts/slurm-local.sh), about 3 minutes on 2 cores:
#   1. train.sbatch, 2 tasks, a short Fashion-MNIST run: COMPLETED, exit 0,
#      checkpoint.h5 and metrics.h5 with one row per epoch;
#   2. sweep_lr.sbatch, a 3-task array: each task COMPLETED with its own lr
#      (BASE_LR x 10, 1, 0.1) in its own run folder;
#   3. the time limit: a 2-task job with --time=1 --signal=USR1@20 whose run
#      takes ~50 s longer than the signal allows. SLURM signals the ranks,
#      they checkpoint and exit 75, the script requeues the job, the requeued
#      run resumes (possibly more than once), and the final weights and
#      optimizer state equal those of an uninterrupted run bit for bit.
# Installs slurm-wlm, munge, hdf5-tools and dataset-fashion-mnist when missing,
# builds build/nntrain when missing, starts SLURM when it is not running
# (and stops what it started on exit). Prints PASS lines; exits non-zero on
# the first failure after printing the job output files.
#
# NNTRAIN_HOME: the tree whose build/nntrain and slurm/ the jobs use (default:
# this repository). NNTRAIN_SLURM_KEEP=1 keeps the scratch folder.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
NNHOME=${NNTRAIN_HOME:-$ROOT}
T0=$SECONDS

WORK=""
JOBS=()
train_job="" sweep_job="" req_job=""
STARTED_SLURM=0
FAILED=0

pass() { echo "PASS: $* ($((SECONDS - T0)) s)"; }
note() { echo "slurm test: $*"; }

dump() {
    local f id
    echo "---- job records" >&2
    for id in "${JOBS[@]}"; do scontrol -o show job "$id" >&2 2>/dev/null || true; done
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
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
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
# NNTRAIN_HOME). They queue behind each other on the 2 CPUs.
submit train_job -n 2 -t 5 -J nnt-train -o "$WORK/slurm-%x-%j.out" \
    slurm/train.sbatch tests/slurm/train.ini --set "train.out=$WORK/train"
submit sweep_job -n 1 -t 5 -J nnt-sweep -o "$WORK/slurm-%x-%A_%a.out" --chdir "$WORK" \
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
done
pass "sweep_lr.sbatch: array tasks 0-2 trained lr 0.2, 0.02, 0.002 into runs/train/lr_*, COMPLETED 0:0"

# ---- 3: time limit -> SIGUSR1 -> checkpoint -> exit 75 -> requeue -> resume ----
# SLURM checks time limits every 30 s; at a check it sends the --signal when
# the job has at most (sig_time + 30) s left, and ends the job at the first
# check after its end time. With --time=1 and USR1@20 the ranks get SIGUSR1
# 10-40 s after the job starts (never sooner: nntrain has long installed its
# handler) and have at least 30 s to stop before the limit is enforced. A
# run of ~50 s is therefore always stopped at least once; every requeued run
# (same limit) continues for another 10-40 s until the epochs are done.
# Epochs are chosen from a short calibration run so that the job takes ~50 s
# on this machine; its fastest epoch counts, so that a busy moment during
# calibration cannot make the run too short to be interrupted (a busy
# moment during the job only adds a requeue).
cal=$WORK/calibrate
timeout 120 mpirun -np 2 --oversubscribe --bind-to none "$NNHOME/build/nntrain" tests/slurm/requeue.ini \
    --set train.epochs=3 --set "train.out=$cal" >"$cal.log" 2>&1 || { cat "$cal.log"; fail "calibration run"; }
per_epoch=$(h5dump -d /seconds -y -w 0 "$cal/metrics.h5" | awk '/DATA \{/ { getline; print; exit }' |
    awk -F', *' '{ m = $1; for (i = 2; i <= NF; ++i) if ($i < m) m = $i; print m }')
epochs=$(awk -v p="$per_epoch" 'BEGIN { e = int(50 / (p * 1.1)) + 1; if (e < 8) e = 8; if (e > 2000) e = 2000; print e }')
note "calibration: fastest epoch $per_epoch s; the requeue test trains $epochs epochs (~50 s)"
set_args=(--set "train.epochs=$epochs")

# The uninterrupted reference, 2 ranks like the job.
ref_start=$SECONDS
timeout 600 mpirun -np 2 --oversubscribe --bind-to none "$NNHOME/build/nntrain" tests/slurm/requeue.ini \
    "${set_args[@]}" --set "train.out=$WORK/reference" >"$WORK/reference.log" 2>&1 ||
    { tail -n 20 "$WORK/reference.log"; fail "uninterrupted reference run"; }
note "uninterrupted reference run took $((SECONDS - ref_start)) s"

submit req_job -n 2 --time=1 --signal=USR1@20 -J nnt-requeue -o "$WORK/slurm-%x-%j.out" \
    slurm/train.sbatch tests/slurm/requeue.ini "${set_args[@]}" --set "train.out=$WORK/requeue"
note "submitted job $req_job (--time=1 --signal=USR1@20)"
wait_jobs 420 "$req_job"
out=$WORK/slurm-nnt-requeue-$req_job.out

check_completed "$req_job" "requeue job"
restarts=$(job_field "$req_job" Restarts)
stops=$(grep -c "stop requested by signal" "$out" || true)
resumes=$(grep -c "resuming from" "$out" || true)
requeues=$(grep -c "requeueing job $req_job" "$out" || true)
((restarts >= 1)) || fail "requeue job: Restarts=$restarts: it was never stopped and requeued (it ran $((SECONDS - ref_start)) s)"
((stops == restarts && resumes == restarts && requeues == restarts)) ||
    fail "requeue job: Restarts=$restarts but $stops stop, $requeues requeue and $resumes resume message(s) in $out"
grep -q "Exited with exit code 75" "$out" || fail "requeue job: srun did not report exit code 75"
check_run "$WORK/requeue" "$epochs" "requeue job"
h5diff -d 0 "$WORK/reference/checkpoint.h5" "$WORK/requeue/checkpoint.h5" /model /model >"$WORK/h5diff.txt" 2>&1 ||
    { head -n 20 "$WORK/h5diff.txt"; fail "requeue job: final weights differ from the uninterrupted run"; }
h5diff -d 0 "$WORK/reference/checkpoint.h5" "$WORK/requeue/checkpoint.h5" /optim /optim >"$WORK/h5diff.txt" 2>&1 ||
    { head -n 20 "$WORK/h5diff.txt"; fail "requeue job: optimizer state differs from the uninterrupted run"; }
pass "time limit: SIGUSR1, checkpoint, exit 75, requeued $restarts time(s), resumed, COMPLETED 0:0; weights and optimizer state identical to the uninterrupted run"

echo "PASS: all SLURM tests ($((SECONDS - T0)) s)"
