#!/usr/bin/env bash
# [data] share: only the host's first rank reads the data files; the other
# ranks of the host read no byte of them (they only check, like every rank,
# that the config's files exist and open, without reading). Traced with
# strace -y, which names the file behind every read: with share = true rank
# 0 alone reads the IDX files and the .h5 data set (whose stored statistics
# the others get by broadcast); with share = false every rank reads them,
# which shows the check can fail. Needs strace (skipped without it).
source "$(dirname "$0")/lib.sh"
: "${DATASET_FIXTURE:?run through ctest}"
command -v strace >/dev/null || skip "strace not found (apt-get install strace)"
strace -qq -e trace=none true 2>/dev/null || skip "strace cannot trace here (ptrace not permitted)"

write_random_idx "$WORK/train" 600 1
"$DATASET_FIXTURE" "$WORK/colour.h5" 48 16 3 16 16 5 2
cat >"$WORK/idx.ini" <<INI
[data]
train        = $WORK/train-images.idx
train_labels = $WORK/train-labels.idx
[train]
epochs = 1
batch_size = 64
[out]
type = dense
units = 10
activation = softmax
INI
cat >"$WORK/h5.ini" <<INI
[data]
train = $WORK/colour.h5
test  = $WORK/colour.h5
normalize = dataset
[train]
epochs = 1
batch_size = 16
[flat]
type = flatten
[out]
type = dense
units = 5
activation = softmax
INI

# readers NAME CONFIG SHARE FILE: the ranks (of 3) whose trace shows a read
# of FILE, as "0 1 2".
readers() {
    local name=$1 ini=$2 share=$3 file=$4 r who=""
    rm -f "$WORK/$name".trace.*
    timeout 300 mpirun --oversubscribe --bind-to none -np 3 -x TRACE="$WORK/$name.trace" bash -c \
        'exec strace -f -qq -y -e trace=read,pread64,readv,preadv,preadv2,mmap -o "$TRACE.$OMPI_COMM_WORLD_RANK" "$0" "$@"' \
        "$NNTRAIN" "$ini" --set data.share="$share" --set train.out="$WORK/$name" >"$WORK/$name.log" 2>&1 ||
        { tail -20 "$WORK/$name.log"; fail "$name: the traced run failed"; }
    for r in 0 1 2; do
        [[ -s $WORK/$name.trace.$r ]] || fail "$name: no trace of rank $r"
        grep -qF "<$file>" "$WORK/$name.trace.$r" && who+="$r "
    done
    echo "${who% }"
}

for set in idx:train-images.idx h5:colour.h5; do
    kind=${set%%:*} file=$WORK/${set#*:}
    got=$(readers "$kind-on" "$WORK/$kind.ini" true "$file")
    [[ $got == 0 ]] || fail "$kind, share = true: ranks '$got' read $file, expected rank 0 alone"
    grep -q "shared by 3 ranks" "$WORK/$kind-on.log" || fail "$kind, share = true: no 'shared by 3 ranks' line"
    got=$(readers "$kind-off" "$WORK/$kind.ini" false "$file")
    [[ $got == "0 1 2" ]] || fail "$kind, share = false: ranks '$got' read $file, expected all 3"
    pass "$kind: with sharing only rank 0 reads $(basename "$file"); without, all 3 ranks do"
done
