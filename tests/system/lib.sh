# Shared helpers for the system tests (sourced). CTest sets NNTRAIN (the
# program), NN_TEST_TMP (a scratch folder) and NN_SOURCE_DIR.
set -euo pipefail

: "${NNTRAIN:?run through ctest}" "${NN_TEST_TMP:?run through ctest}"
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
# In the sanitizer build (tests/sanitize/run.sh) leak checking is off for the
# program under mpirun: Open MPI unloads its dlopen'ed components at
# MPI_Finalize, so their one-time allocations surface as leaks in
# "<unknown module>" that no suppression can name. ASan's memory-error checks
# and UBSan stay on; the unit tests keep leak checking.
if [[ -n ${ASAN_OPTIONS:-} ]]; then
    export ASAN_OPTIONS="$ASAN_OPTIONS:detect_leaks=0"
fi
FMNIST=/usr/share/datasets/fashion-mnist
WORK="$NN_TEST_TMP"
rm -rf "${WORK:?}"/*

fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok: $*"; }

# expect STATUS PATTERN -- COMMAND...: COMMAND (a program or a function of
# this file) exits with STATUS and its output, kept in $WORK/out.log, matches
# the extended regular expression PATTERN; otherwise the output is shown and
# the test fails. (CTest's timeout bounds a command that hangs.)
expect() {
    local want=$1 pattern=$2
    shift 2
    [[ ${1:-} == -- ]] && shift
    local got=0
    "$@" >"$WORK/out.log" 2>&1 || got=$?
    [[ $got == "$want" ]] || { cat "$WORK/out.log"; fail "'$*' exited $got, expected $want"; }
    grep -qE -- "$pattern" "$WORK/out.log" || { cat "$WORK/out.log"; fail "'$*' did not say /$pattern/"; }
}

# Skips. A test that cannot check what its name says stops with one line
# naming what is missing and exit 77, which CTest counts as skipped
# (SKIP_RETURN_CODE in tests/CMakeLists.txt), never as passed. Call these
# before any check, or put the part that needs the file in a test of its own:
# a test either checks everything its name says or is skipped.
skip() { echo "SKIPPED: $*"; exit 77; }

# need_data REL...: each file or folder REL must exist under $NNTRAIN_DATA.
need_data() {
    local rel
    for rel; do
        [[ -n ${NNTRAIN_DATA:-} ]] || skip "needs \$NNTRAIN_DATA/$rel (NNTRAIN_DATA is not set)"
        [[ -e $NNTRAIN_DATA/$rel ]] || skip "$NNTRAIN_DATA/$rel not found"
    done
}

# The four Fashion-MNIST files of Debian's dataset-fashion-mnist.
need_fmnist() {
    local f
    for f in train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz; do
        [[ -f $FMNIST/$f ]] || skip "$FMNIST/$f not found (apt-get install dataset-fashion-mnist)"
    done
}

# mpirun for N ranks (1 = a plain process, no mpirun). Bounded by a timeout
# so a hang fails the test instead of stalling CI.
run_ranks() {
    local n=$1; shift
    if [[ $n == 1 ]]; then
        timeout 300 "$NNTRAIN" "$@"
    else
        timeout 300 mpirun --oversubscribe --bind-to none -np "$n" "$NNTRAIN" "$@"
    fi
}

# A small Fashion-MNIST MLP config: write_small_config FILE OUTDIR [extra train keys...]
write_small_config() {
    local file=$1 out=$2; shift 2
    cat >"$file" <<INI
[data]
train        = $FMNIST/train-images-idx3-ubyte.gz
train_labels = $FMNIST/train-labels-idx1-ubyte.gz
test         = $FMNIST/t10k-images-idx3-ubyte.gz
test_labels  = $FMNIST/t10k-labels-idx1-ubyte.gz
valid_fraction = 0.05
limit = 1986

[train]
epochs = 2
batch_size = 64
optimizer = momentum
lr = 0.05
seed = 3
out = $out
$(printf '%s\n' "$@")

[fc1]
type = dense
units = 32
activation = sigmoid

[fc2]
type = dense
units = 16
activation = tanh

[out]
type = dense
units = 10
activation = softmax
INI
}

# write_random_idx PREFIX N SEED: PREFIX-images.idx, N random 28 x 28 images
# (bytes from an LCG seeded with SEED), and PREFIX-labels.idx, labels 0..9.
write_random_idx() {
    LC_ALL=C awk -v n="$2" -v seed="$3" 'BEGIN {
        printf "%c%c%c%c", 0, 0, 8, 3
        printf "%c%c%c%c", int(n / 16777216) % 256, int(n / 65536) % 256, int(n / 256) % 256, n % 256
        printf "%c%c%c%c%c%c%c%c", 0, 0, 0, 28, 0, 0, 0, 28
        s = seed
        for (i = 0; i < n * 784; i++) { s = (s * 1103515245 + 12345) % 2147483648; printf "%c", int(s / 65536) % 256 }
    }' >"$1-images.idx"
    LC_ALL=C awk -v n="$2" 'BEGIN {
        printf "%c%c%c%c", 0, 0, 8, 1
        printf "%c%c%c%c", int(n / 16777216) % 256, int(n / 65536) % 256, int(n / 256) % 256, n % 256
        for (i = 0; i < n; i++) printf "%c", (i * 7) % 10
    }' >"$1-labels.idx"
}
# Same weights (and optimizer state) within an absolute tolerance.
same_model() {
    local a=$1 b=$2 tol=$3
    h5diff -d "$tol" "$a" "$b" /model /model >/dev/null || { h5diff -d "$tol" "$a" "$b" /model /model | head -20; return 1; }
}

# An integer or float attribute of the file's root group.
root_attr() {
    h5dump -a "/$2" "$1" | sed -n 's/^ *(0): *//p' | head -1
}

# A small CNN on Fashion-MNIST with every training-time behaviour: batch
# norm (statistics over the global batch), dropout, augmentation, a
# residual add and a concatenated skip. write_cnn_config FILE OUTDIR [extra train keys...]
write_cnn_config() {
    local file=$1 out=$2; shift 2
    cat >"$file" <<INI
[data]
train        = $FMNIST/train-images-idx3-ubyte.gz
train_labels = $FMNIST/train-labels-idx1-ubyte.gz
valid_fraction = 0.02
limit = 706
augment_shift = 2
augment_rotate = 10
augment_scale = 0.1

[train]
epochs = 2
batch_size = 64
optimizer = momentum
lr = 0.01
weight_decay = 1e-4
seed = 3
out = $out
$(printf '%s\n' "$@")

[conv1]
type = conv
filters = 6
padding = 1
bias = false
[bn1]
type = batchnorm
activation = relu
[pool1]
type = maxpool
[conv2]
type = conv
filters = 6
padding = 1
activation = relu
[res]
type = add
input = conv2, pool1
[skip]
type = concat
input = res, pool1
[pool2]
type = avgpool
[flat]
type = flatten
[drop]
type = dropout
rate = 0.3
[fc]
type = dense
units = 24
activation = relu
init = he
[bn2]
type = batchnorm
[out]
type = dense
units = 10
activation = softmax
INI
}
