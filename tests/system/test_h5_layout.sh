#!/usr/bin/env bash
# The checkpoint and metrics files have the documented layout (h5dump).
source "$(dirname "$0")/lib.sh"
need_fmnist
command -v h5dump >/dev/null || fail "h5dump missing (apt-get install hdf5-tools)"

write_small_config "$WORK/c.ini" "$WORK/run" "optimizer = adam" "lr = 0.001"
sed -i '0,/optimizer = momentum/{/optimizer = momentum/d}; 0,/lr = 0.05/{/lr = 0.05/d}' "$WORK/c.ini"
run_ranks 2 "$WORK/c.ini" >"$WORK/log" 2>&1 || { cat "$WORK/log"; fail "training failed"; }
h5dump -H "$WORK/run/checkpoint.h5" >"$WORK/ckpt.txt"
for want in 'GROUP "model"' 'GROUP "fc1"' 'DATASET "W"' 'DATASET "b"' 'H5T_IEEE_F32LE' \
            '( 784, 32 )' '( 16, 10 )' 'GROUP "optim"' 'GROUP "m"' 'GROUP "v"' \
            'ATTRIBUTE "format"' 'ATTRIBUTE "format_version"' 'ATTRIBUTE "epoch"' \
            'ATTRIBUTE "step"' 'ATTRIBUTE "global_step"' 'ATTRIBUTE "seed"' \
            'ATTRIBUTE "world_size"' 'ATTRIBUTE "config"' 'ATTRIBUTE "hdf5_version"'; do
    grep -qF "$want" "$WORK/ckpt.txt" || fail "checkpoint lacks $want"
done
[[ $(root_attr "$WORK/run/checkpoint.h5" world_size) == 2 ]] || fail "world_size attribute"
h5dump -a /config "$WORK/run/checkpoint.h5" | grep -q 'units = 32' || fail "config text not stored"
pass "checkpoint layout"

h5dump -H "$WORK/run/metrics.h5" >"$WORK/metrics.txt"
for d in epoch train_loss train_acc valid_loss valid_acc lr seconds samples_per_sec; do
    grep -qF "DATASET \"$d\"" "$WORK/metrics.txt" || fail "metrics lacks $d"
done
grep -qF '( 2 ) / ( H5S_UNLIMITED )' "$WORK/metrics.txt" || fail "metrics datasets are not extendible with 2 rows"
pass "metrics layout"
