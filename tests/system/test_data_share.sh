#!/usr/bin/env bash
# [data] share: the ranks of a host train from one copy of the data sets in
# shared memory, which the host's first rank loaded (transposed, split,
# limited), to exactly the weights and optimizer state of a copy per rank:
# on 1, 2 (share = auto) and 3 ranks with synthetic IDX files (bytes), on
# 2 ranks with an .h5 data set normalised by the statistics it stores (which
# the other ranks get from the first) and with a .mat file (float32 pixels). The run says "one copy per host,
# shared by N ranks"; without sharing it does not. A damaged or missing
# training file under sharing ends every rank non-zero, with one message
# naming the file, and nothing hangs.
source "$(dirname "$0")/lib.sh"
: "${DATASET_FIXTURE:?run through ctest}"

write_random_idx "$WORK/train" 1500 1
write_random_idx "$WORK/test" 300 2
cat >"$WORK/idx.ini" <<INI
[data]
train        = $WORK/train-images.idx
train_labels = $WORK/train-labels.idx
test         = $WORK/test-images.idx
test_labels  = $WORK/test-labels.idx
valid_fraction = 0.1
limit = 1000
transpose = true
augment_shift = 1

[train]
epochs = 1
batch_size = 64
optimizer = momentum
lr = 0.05
seed = 3

[fc1]
type = dense
units = 24
activation = relu

[out]
type = dense
units = 10
activation = softmax
INI
"$DATASET_FIXTURE" "$WORK/colour.h5" 96 24 3 16 16 5 2
cat >"$WORK/h5.ini" <<INI
[data]
train = $WORK/colour.h5
valid = $WORK/colour.h5
test  = $WORK/colour.h5
normalize = dataset

[train]
epochs = 2
batch_size = 16
optimizer = momentum
lr = 0.05
seed = 3

[flat]
type = flatten

[out]
type = dense
units = 5
activation = softmax
INI

"$DATASET_FIXTURE" "$WORK/glyphs.mat" 300 0 1 32 32 6 4
cat >"$WORK/mat.ini" <<INI
[data]
train = $WORK/glyphs.mat

[train]
epochs = 1
batch_size = 32
optimizer = momentum
lr = 0.05
seed = 3

[fc1]
type = dense
units = 16
activation = tanh

[out]
type = dense
units = 6
activation = softmax
INI

# train NAME RANKS CONFIG SHARE: a run into $WORK/NAME, its output in $WORK/NAME.log.
train() {
    local name=$1 n=$2 ini=$3 share=$4
    local got=0
    run_ranks "$n" "$ini" --set data.share="$share" --set train.out="$WORK/$name" >"$WORK/$name.log" 2>&1 || got=$?
    ((got == 0)) || { tail -20 "$WORK/$name.log"; fail "$name: exited $got"; }
}
# same NAME_A NAME_B: the two runs trained the same weights and optimizer
# state, bit for bit, and evaluated the same.
same() {
    local a=$WORK/$1/checkpoint.h5 b=$WORK/$2/checkpoint.h5
    h5diff "$a" "$b" /model /model >/dev/null || { h5diff "$a" "$b" /model /model | tail -3; fail "$1 and $2: weights differ"; }
    h5diff "$a" "$b" /optim /optim >/dev/null || fail "$1 and $2: optimizer state differs"
    diff <(grep -E "^(test|valid)" "$WORK/$1.log" | grep -v samples/s) <(grep -E "^(test|valid)" "$WORK/$2.log" | grep -v samples/s) ||
        fail "$1 and $2: evaluations differ"
}

for n in 1 3; do
    train "idx$n-on" "$n" "$WORK/idx.ini" true
    train "idx$n-off" "$n" "$WORK/idx.ini" false
    grep -q "^data: one copy per host, shared by $n ranks\? ([0-9.]* MB)$" "$WORK/idx$n-on.log" ||
        { cat "$WORK/idx$n-on.log"; fail "$n ranks, share = true: no 'shared by $n rank(s)' line"; }
    ! grep -q "one copy per host" "$WORK/idx$n-off.log" || fail "$n ranks, share = false: says it shares"
    same "idx$n-on" "idx$n-off"
    pass "$n rank(s), IDX: one copy per host trains the weights of a copy per rank, bit for bit"
done
# The training set after the split and the limit, the valid part and the
# test set: (1000 + 150 + 300) x 784 bytes and 4-byte labels, plus padding.
grep -q "shared by 3 ranks (1\.1 MB)" "$WORK/idx3-on.log" || fail "3 ranks: not the size of the three sets"
train idx2-auto 2 "$WORK/idx.ini" auto
grep -q "^data: one copy per host, shared by 2 ranks" "$WORK/idx2-auto.log" || fail "2 ranks, share = auto: not shared"
train idx1-auto 1 "$WORK/idx.ini" auto
! grep -q "one copy per host" "$WORK/idx1-auto.log" || fail "1 rank, share = auto: shared"
pass "share = auto shares on 2 ranks of a host and not for 1 rank"

train h5-on 2 "$WORK/h5.ini" true
train h5-off 2 "$WORK/h5.ini" false
same h5-on h5-off
pass "2 ranks, .h5 data set normalised by its stored statistics: shared = per rank, bit for bit"
train mat-on 2 "$WORK/mat.ini" true
train mat-off 2 "$WORK/mat.ini" false
grep -q "^data: one copy per host, shared by 2 ranks" "$WORK/mat-on.log" || fail ".mat, 2 ranks: not shared"
same mat-on mat-off
pass "2 ranks, .mat (float32 pixels): shared = per rank, bit for bit"

# ---- a training file that cannot be read: every rank ends, one message -----
# 3 sharing ranks, each wrapped so that its own exit status is recorded
# (the wrapper exits 0, so mpirun does not end the others first); then the
# plain run must exit non-zero with one message naming the file.
head -c 40000 "$WORK/train-images.idx" >"$WORK/damaged.idx"
for case in damaged:"truncated" missing:"No such file"; do
    name=${case%%:*} says=${case#*:}
    file=$WORK/$name.idx
    rm -f "$WORK/$name.status"
    timeout 120 mpirun --oversubscribe --bind-to none -np 3 -x NN_STATUS="$WORK/$name.status" bash -c \
        '"$0" "$@"; echo "rank $OMPI_COMM_WORLD_RANK $?" >>"$NN_STATUS"' \
        "$NNTRAIN" "$WORK/idx.ini" --set data.share=true --set data.train="$file" \
        --set train.out="$WORK/$name" >"$WORK/$name.log" 2>&1 ||
        { cat "$WORK/$name.log"; fail "$name file: the ranks did not all end ($?)"; }
    sort "$WORK/$name.status" >"$WORK/$name.sorted"
    [[ $(grep -c "^rank [0-2] [1-9][0-9]*$" "$WORK/$name.sorted") == 3 ]] ||
        { cat "$WORK/$name.sorted"; fail "$name file: not every one of 3 ranks exited non-zero"; }
    got=0
    timeout 120 mpirun --oversubscribe --bind-to none -np 3 "$NNTRAIN" "$WORK/idx.ini" --set data.share=true \
        --set data.train="$file" --set train.out="$WORK/$name" >"$WORK/$name.log" 2>&1 || got=$?
    ((got != 0 && got != 124)) || { cat "$WORK/$name.log"; fail "$name file: mpirun exited $got"; }
    [[ $(grep -c "^nntrain: .*$file.*$says" "$WORK/$name.log") == 1 ]] ||
        { cat "$WORK/$name.log"; fail "$name file: not one message naming $file"; }
    pass "$name training file under sharing: all 3 ranks exit non-zero, one message: $(grep -m1 "^nntrain: " "$WORK/$name.log")"
done
