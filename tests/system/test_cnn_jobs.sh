#!/usr/bin/env bash
# Every job in jobs/ builds its network (--summary): with its real data when
# this machine has the files, else with stand-in IDX files of the right shape
# (NIST36 and EMNIST are not here; random pixels, labels cycling through the
# classes). The graph jobs (skip, residual, ResNet in ResNet) and EMNIST's
# transposed 47 classes then train a few steps on the stand-ins, and wiring
# mistakes stop with exit 2 and config:line.
source "$(dirname "$0")/lib.sh"
need_fmnist
jobs=$NN_SOURCE_DIR/jobs

# be32 N: N as 4 big-endian bytes
be32() { printf "$(printf '\\x%02x\\x%02x\\x%02x\\x%02x' $(($1 >> 24 & 255)) $(($1 >> 16 & 255)) $(($1 >> 8 & 255)) $(($1 & 255)))"; }
# mk_idx PREFIX N SIDE CLASSES: PREFIX-images.idx and PREFIX-labels.idx
mk_idx() {
    local p=$1 n=$2 side=$3 k=$4
    { printf '\x00\x00\x08\x03'; be32 "$n"; be32 "$side"; be32 "$side"
      LC_ALL=C awk -v n=$((n * side * side)) 'BEGIN { srand(1); for (i = 0; i < n; i++) printf "%c", int(rand() * 128) }'
    } >"$p-images.idx"
    { printf '\x00\x00\x08\x01'; be32 "$n"
      LC_ALL=C awk -v n="$n" -v k="$k" 'BEGIN { for (i = 0; i < n; i++) printf "%c", i % k }'
    } >"$p-labels.idx"
}
# standin_args PREFIX SPLIT...: --set options pointing [data] at PREFIX-<split> IDX files
standin_args() {
    local p=$1 s
    shift
    echo "--set data.format=idx"
    for s in "$@"; do
        echo "--set data.$s=$p-$s-images.idx --set data.${s}_labels=$p-$s-labels.idx"
    done
}
for spec in nist36:32:36 emnist:28:47 letters:32:26 mnist:28:10; do
    IFS=: read -r name side k <<<"$spec"
    mk_idx "$WORK/$name-train" 96 "$side" "$k"
    mk_idx "$WORK/$name-valid" 48 "$side" "$k"
    mk_idx "$WORK/$name-test" 48 "$side" "$k"
done

# Flowers 17 (`nntrain prep` of the JPEGs: 3 x 144 x 144 bytes, 17 classes):
# a stand-in of that shape.
"$DATASET_FIXTURE" "$WORK/flowers17.h5" 34 17 3 144 144 17 1
flowers_args=(--set data.train="$WORK/flowers17.h5" --set data.valid="$WORK/flowers17.h5"
              --set data.test="$WORK/flowers17.h5")

# The base of the fine-tuning job: a short run of the Fashion-MNIST CNN,
# whose layers have the names of jobs/mnist_cnn.ini.
run_ranks 1 "$jobs/fashion_cnn.ini" --set data.limit=64 --set train.epochs=1 \
    --set data.test="$WORK/mnist-test-images.idx" --set data.test_labels="$WORK/mnist-test-labels.idx" \
    --set train.out="$WORK/base" >"$WORK/base.log" 2>&1 || { cat "$WORK/base.log"; fail "base run"; }

# first_missing JOB: the first file of the job's [data] section (train,
# valid, test and their labels, ${NNTRAIN_DATA} expanded) that does not exist.
first_missing() {
    local f
    while read -r f; do
        [[ -e $f ]] || { echo "$f"; return; }
    done < <(awk '/^\[/ { s = $1; next } s == "[data]" && $1 ~ /^(train|valid|test)(_labels)?$/ { sub(/^[^=]*= */, ""); print }' "$1" |
             sed "s|\${NNTRAIN_DATA}|$NNTRAIN_DATA|g")
}

export NNTRAIN_DATA=${NNTRAIN_DATA:-$WORK/no-data}
standins=()
for job in "$jobs"/*.ini; do
    name=$(basename "$job" .ini)
    args=()
    case $name in
        *_prep|*_prep_*) continue ;; # `nntrain prep` configs (test_ocr*.sh, test_flowers_prep.sh run them)
        nist36_*|hand36_*) args=($(standin_args "$WORK/nist36" train valid test)) ;;
        emnist_*) args=($(standin_args "$WORK/emnist" train test)) ;;
        flowers17_*) args=("${flowers_args[@]}") ;;
        *)  # real data when it is here, else a stand-in of the same shape
            missing=$(first_missing "$job")
            case $missing in
                "") ;;
                */nist36/nist26_*) args=($(standin_args "$WORK/letters" train)) ;;
                */mnist/*) args=($(standin_args "$WORK/mnist" train test)) ;;
                *) fail "$name: $missing not found, and this test has no stand-in for it" ;;
            esac
            [[ -z $missing ]] || standins+=("$name (${missing#"$NNTRAIN_DATA"/})") ;;
    esac
    [[ $name == finetune_letters || $name == flowers17_squeezenet_finetune ]] &&
        args+=(--set train.init_from="$WORK/base/checkpoint.h5")
    "$NNTRAIN" "$job" --summary "${args[@]}" >"$WORK/$name.summary" 2>&1 || { cat "$WORK/$name.summary"; fail "$name: --summary failed"; }
    grep -q '^total ' "$WORK/$name.summary" || fail "$name: no total line"
done
pass "every job builds its network ($(ls "$jobs"/*.ini | wc -l) jobs)"
if ((${#standins[@]})); then
    echo "built on stand-in data, the real file is not here: ${standins[*]}"
fi

grep -q "frozen.*conv1 bn1 conv2 bn2" "$WORK/finetune_letters.summary" || fail "finetune_letters: no frozen layers listed"
grep -qE "^b2_out +concat +128 x +16 x +16" "$WORK/nist36_rir.summary" || { cat "$WORK/nist36_rir.summary"; fail "nist36_rir: block 2 output is not 128 x 16 x 16"; }
grep -qE "^s2 +add .*<- s2b_bn, s2_proj_bn" "$WORK/nist36_residual.summary" || fail "nist36_residual: s2's inputs not shown"
grep -qE "^total +731217$" "$WORK/flowers17_squeezenet.summary" || fail "flowers17_squeezenet: not SqueezeNet 1.1's 731,217 parameters for 17 classes"
grep -qE "^fire9/expand3x3 +conv +relu +256 x +7 x +7 +147712 <- fire9/squeeze" "$WORK/flowers17_squeezenet.summary" || { cat "$WORK/flowers17_squeezenet.summary"; fail "flowers17_squeezenet: fire9's 3x3 expand"; }
grep -qE "^fire9 +concat +512 x +7 x +7 .*<- fire9/expand1x1, fire9/expand3x3" "$WORK/flowers17_squeezenet.summary" || fail "flowers17_squeezenet: fire9's output"
grep -qE "^pool1 +maxpool +64 x +31 x +31" "$WORK/flowers17_squeezenet.summary" || fail "flowers17_squeezenet: ceil-mode pooling of 63 should give 31 (floor: 30)"
grep -qE "^pool1 +maxpool .* computed by conv1$" "$WORK/flowers17_squeezenet.summary" || fail "flowers17_squeezenet: conv1 does not compute pool1 (fuse_layers)"
grep -q "frozen.*conv1 fire2/squeeze fire2/expand1x1 fire2/expand3x3 .* fire9/expand3x3" "$WORK/flowers17_squeezenet_finetune.summary" || fail "flowers17_squeezenet_finetune: fire modules not frozen"
pass "the summaries show inputs, frozen layers and block shapes"

# A few training steps of the graph jobs and EMNIST on the stand-ins (the
# ResNet in ResNet on 2 ranks, the others on 1: mpirun's start-up is slow).
for name in nist36_cnn nist36_skip nist36_residual nist36_rir emnist_cnn flowers17_squeezenet flowers17_cnn; do
    ranks=1
    [[ $name == nist36_rir ]] && ranks=2
    case $name in
        nist36_*) args=($(standin_args "$WORK/nist36" train valid test)) ;;
        emnist_*) args=($(standin_args "$WORK/emnist" train test)) ;;
        flowers17_*) args=("${flowers_args[@]}") ;;
    esac
    run_ranks $ranks "$jobs/$name.ini" "${args[@]}" --set train.epochs=1 --set train.batch_size=32 \
        --set train.out="$WORK/$name" >"$WORK/$name.log" 2>&1 || { cat "$WORK/$name.log"; fail "$name: training failed"; }
    grep -qE "^test: loss [0-9.]+ " "$WORK/$name.log" || { cat "$WORK/$name.log"; fail "$name: no finite test loss"; }
done
pass "skip, residual, ResNet-in-ResNet, EMNIST and Flowers 17 jobs train (stand-in data)"

# Wiring mistakes: exit 2 with config:line, on every rank, once.
expect_error() { # FILE PATTERN [RANKS]
    set +e
    run_ranks "${3:-1}" "$1" >"$WORK/err.log" 2>&1
    local status=$?
    set -e
    [[ $status == 2 ]] || { cat "$WORK/err.log"; fail "$1: exit $status, expected 2"; }
    grep -qE -- "$2" "$WORK/err.log" || { cat "$WORK/err.log"; fail "$1: did not say /$2/"; }
    [[ $(grep -c "nntrain:" "$WORK/err.log") == 1 ]] || fail "$1: the error is printed more than once"
}
bad() { # NAME LAYERS...: a config on the 28 x 28 stand-in data with these layer sections
    local f=$WORK/$1.ini; shift
    printf '[data]\ntrain = %s\ntrain_labels = %s\nlimit = 64\n[train]\nout = %s\n' \
        "$WORK/mnist-train-images.idx" "$WORK/mnist-train-labels.idx" "$WORK/bad" >"$f"
    printf '%b' "$@" >>"$f"
    echo "$f"
}
f=$(bad addshape '[a]\ntype = conv\nfilters = 4\npadding = 1\n[b]\ntype = conv\nfilters = 8\npadding = 1\n[s]\ntype = add\ninput = a, b\n[out]\ntype = dense\nunits = 10\nactivation = softmax\n')
expect_error "$f" "addshape.ini:15: \[s\] cannot add \[a\] \(4 x 28 x 28\) and \[b\] \(8 x 28 x 28\)" 2
f=$(bad catshape '[a]\ntype = conv\nfilters = 4\n[c]\ntype = concat\ninput = a, input\n[out]\ntype = dense\nunits = 10\nactivation = softmax\n')
expect_error "$f" "catshape.ini:10: \[c\] cannot concatenate \[a\] \(4 x 26 x 26\) and \[input\] \(1 x 28 x 28\)"
f=$(bad kernel '[a]\ntype = conv\nfilters = 4\nsize = 29\n[out]\ntype = dense\nunits = 10\nactivation = softmax\n')
expect_error "$f" "kernel.ini:7: \[a\] a 29 x 29 kernel does not fit its 1 x 28 x 28 input"
f=$(bad dangling '[a]\ntype = conv\nfilters = 4\n[b]\ntype = conv\nfilters = 4\ninput = input\n[out]\ntype = dense\nunits = 10\nactivation = softmax\n')
expect_error "$f" "dangling.ini:7: \[a\] feeds no layer"
f=$(bad pool '[p]\ntype = maxpool\nsize = 2\npadding = 2\n[out]\ntype = dense\nunits = 10\nactivation = softmax\n')
expect_error "$f" "pool.ini:7: \[p\] padding 2 must be smaller than size 2"
f=$(bad freeze '[p]\ntype = maxpool\n[out]\ntype = dense\nunits = 10\nactivation = softmax\n')
sed -i 's|^out = .*|&\nfreeze = p|' "$f"
expect_error "$f" "freeze.ini:7: \[train\] freeze = p: \[p\] is a maxpool layer, which has no parameters"
pass "wiring and shape mistakes: exit 2 with config:line, once (also on 2 ranks)"
