#!/usr/bin/env bash
# Gradient sums overlapped with backward ([train] overlap) train exactly the
# weights and optimizer state of one sum after backward, on 2 and 3 ranks,
# for an MLP and a CNN with batch norm (whose own sums over ranks run while
# gradient buckets are in flight): every element is added in rank order,
# however the buffer is cut into buckets. bucket_kb = 1 cuts a bucket at
# (nearly) every layer; the default 1024 KiB makes one bucket of these small
# networks. The run says how many buckets it used.
source "$(dirname "$0")/lib.sh"
need_fmnist

write_small_config "$WORK/mlp.ini" "$WORK/mlp"
sed -i '/^test/d' "$WORK/mlp.ini" # no test-set evaluation: the weights are what counts
write_cnn_config "$WORK/cnn.ini" "$WORK/cnn"
# One short epoch (6 steps) is enough: a difference in the order of a sum
# shows in the last bits after one step.
sed -i 's/^epochs = 2$/epochs = 1/; s/^limit = 706$/limit = 386/' "$WORK/cnn.ini"
for net in mlp cnn; do
    for n in 2 3; do
        for mode in on off; do
            set -- --set train.overlap=true --set train.bucket_kb=1
            [[ $mode == off ]] && set -- --set train.overlap=false
            out=$WORK/$net-$n-$mode
            run_ranks "$n" "$WORK/$net.ini" "$@" --set train.out="$out" >"$out.log" 2>&1 ||
                { tail -20 "$out.log"; fail "$net, $n ranks, overlap $mode exited with $?"; }
        done
        buckets=$(sed -n 's/^gradient sums: \([0-9]*\) bucket(s), overlap on.*/\1/p' "$WORK/$net-$n-on.log")
        ((buckets >= 2)) || fail "$net, $n ranks: overlap on used '${buckets}' bucket(s), expected several"
        grep -q "^gradient sums: 1 bucket(s), overlap off" "$WORK/$net-$n-off.log" || fail "$net, $n ranks: no 'overlap off' line"
        a=$WORK/$net-$n-on/checkpoint.h5 b=$WORK/$net-$n-off/checkpoint.h5
        h5diff "$a" "$b" /model /model >/dev/null || { h5diff "$a" "$b" /model /model | tail -3; fail "$net, $n ranks: overlap on and off differ"; }
        h5diff "$a" "$b" /optim /optim >/dev/null || fail "$net, $n ranks: optimizer state differs"
        pass "$net, $n ranks: $buckets buckets overlapped with backward = one sum after it, bit for bit"
    done
done
