#!/usr/bin/env bash
# Divergence: a learning rate far too large makes the network's numbers
# overflow within a few steps. Whatever goes non-finite first (loss, output,
# gradient, weight), every rank stops with exit 4 and one message giving the
# epoch, step and learning rate, and the last good checkpoint stays byte for
# byte. Cross-entropy (whose cap on hopeless samples must not hide a NaN) and
# MSE, SGD and Adam, 1 and 2 ranks.
source "$(dirname "$0")/lib.sh"
need_fmnist


# ReLU hidden layers, so nothing saturates and a huge step overflows. The
# 10000 test images serve as the training set and there is no test set:
# reading fewer images keeps the 13 runs short.
write_small_config "$WORK/base.ini" "$WORK/unused" "checkpoint_every = 1"
sed -i '/^test/d; s/train-\(images\|labels\)/t10k-\1/; s/activation = sigmoid/activation = relu/; s/activation = tanh/activation = relu/' \
    "$WORK/base.ini"
grep -q "^train *= .*t10k-images" "$WORK/base.ini" || fail "the config edit did not apply"

for loss in cross_entropy mse; do
    out_act=softmax
    [[ $loss == mse ]] && out_act=linear
    for opt in sgd adam; do
        name=$loss-$opt
        keys=(--set train.loss=$loss --set train.optimizer=$opt --set out.activation=$out_act)
        # One good epoch: its checkpoint is the last good one.
        run_ranks 1 "$WORK/base.ini" "${keys[@]}" --set train.out="$WORK/$name" \
            --set train.epochs=1 >"$WORK/good.log" 2>&1 || { cat "$WORK/good.log"; fail "$name: good epoch"; }
        cp "$WORK/$name/checkpoint.h5" "$WORK/$name.good.h5"
        for ranks in 1 2; do
            dir=$WORK/$name-$ranks
            cp -r "$WORK/$name" "$dir"
            # Epoch 2 at a learning rate of 1e30.
            expect 4 "training diverged: the [a-z ]+ not finite at epoch 2, step [0-9]+ \(learning rate 1e\+30\); stopped without saving\. The last good checkpoint, unchanged, is $dir/checkpoint.h5" -- \
                run_ranks $ranks "$WORK/base.ini" "${keys[@]}" --set train.out="$dir" \
                --resume auto --set train.lr=1e30
            [[ $(grep -c "diverged" "$WORK/out.log") == 1 ]] || { cat "$WORK/out.log"; fail "$name, $ranks rank(s): the message is not printed exactly once"; }
            cmp "$dir/checkpoint.h5" "$WORK/$name.good.h5" || fail "$name, $ranks rank(s): the last good checkpoint changed"
            [[ ! -e $dir/checkpoint.h5.tmp ]] || fail "$name, $ranks rank(s): a checkpoint.h5.tmp was left"
            pass "$loss, $opt, $ranks rank(s): $(grep -o 'the [a-z ]* not finite at epoch 2, step [0-9]*' "$WORK/out.log"); exit 4, checkpoint unchanged"
        done
    done
done

# Divergence before the first checkpoint: exit 4 and nothing written.
expect 4 "training diverged: .* not finite at epoch 1, step [0-9]+ \(learning rate 1e\+30\); stopped without saving\. No checkpoint had been written yet to $WORK/fresh" -- \
    run_ranks 2 "$WORK/base.ini" --set train.out="$WORK/fresh" --set train.lr=1e30
[[ ! -e $WORK/fresh/checkpoint.h5 && ! -e $WORK/fresh/checkpoint.h5.tmp ]] || fail "a checkpoint was written by a run that diverged in its first epoch"
pass "divergence in the first epoch: exit 4, no checkpoint written"
