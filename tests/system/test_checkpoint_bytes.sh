#!/usr/bin/env bash
# A run repeated with the same config and rank count writes the same
# checkpoint, byte for byte (cmp), not only the same weights: the training
# is deterministic (fixed summation orders on every path, the Winograd and
# im2col convolutions included) and the files keep no modification times.
# A CNN with batch norm (its 16 -> 16 channel conv takes Winograd under
# conv_algorithm = auto), on 2 ranks x 2 threads, run twice a second apart;
# then the run with the other convolution path gives the same layout but
# other bits (so the comparison can tell runs apart).
source "$(dirname "$0")/lib.sh"

write_random_idx "$WORK/train" 600 7
cat >"$WORK/cnn.ini" <<INI
[data]
train        = $WORK/train-images.idx
train_labels = $WORK/train-labels.idx
valid_fraction = 0.1
[train]
epochs = 2
batch_size = 32
optimizer = momentum
lr = 0.02
threads = 2
out = $WORK/run
[conv1]
type = conv
filters = 16
padding = 1
activation = relu
[bn1]
type = batchnorm
[pool1]
type = maxpool
[conv2]
type = conv
filters = 16
padding = 1
activation = relu
[pool2]
type = maxpool
[out]
type = dense
units = 10
activation = softmax
INI

train() { run_ranks 2 "$WORK/cnn.ini" "$@" >"$WORK/train.log" 2>&1 || { cat "$WORK/train.log"; fail "training failed"; }; }
train
mv "$WORK/run/checkpoint.h5" "$WORK/first.h5"
sleep 1.1 # a second later: a stored time would differ
rm -rf "$WORK/run"
train
cmp "$WORK/first.h5" "$WORK/run/checkpoint.h5" ||
    fail "the same run wrote different checkpoint bytes ($(cmp -l "$WORK/first.h5" "$WORK/run/checkpoint.h5" | wc -l) differ)"
pass "the same run twice: byte-identical checkpoints"

rm -rf "$WORK/run"
train --set train.conv_algorithm=gemm
if cmp -s "$WORK/first.h5" "$WORK/run/checkpoint.h5"; then
    fail "the im2col run wrote the Winograd run's bytes: the comparison cannot tell runs apart"
fi
pass "another convolution path: other bytes"
