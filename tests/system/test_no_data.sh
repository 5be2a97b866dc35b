#!/usr/bin/env bash
# Tests that need real data skip, and are counted as skipped, when it is not
# there: with NNTRAIN_DATA unset, an empty folder or a partial one, each
# exits 77 (CTest's skip status) with a "SKIPPED" line naming the missing
# file, instead of passing without checking anything or failing. A file
# that is there in another form (EMNIST labels as data/fetch.sh stores
# them, gzipped) is used. And every CTest test has SKIP_RETURN_CODE 77.
source "$(dirname "$0")/lib.sh"
: "${NN_UNIT_DIR:?run through ctest}" "${NN_BINARY_DIR:?run through ctest}"
systests=$NN_SOURCE_DIR/tests/system

# expect_run STATUS PATTERN DATA CMD...: CMD with NNTRAIN_DATA=DATA ("-" for
# unset) and its own scratch folder exits STATUS and prints PATTERN.
n=0
expect_run() {
    local want=$1 pattern=$2 data=$3; shift 3
    local got=0 log=$WORK/run$((++n)).log
    mkdir -p "$WORK/tmp$n"
    if [[ $data == - ]]; then
        env -u NNTRAIN_DATA NN_TEST_TMP="$WORK/tmp$n" timeout 120 "$@" >"$log" 2>&1 || got=$?
    else
        NNTRAIN_DATA=$data NN_TEST_TMP="$WORK/tmp$n" timeout 120 "$@" >"$log" 2>&1 || got=$?
    fi
    [[ $got == "$want" ]] || { cat "$log"; fail "exit $got, expected $want: NNTRAIN_DATA=$data $*"; }
    grep -Eq -- "$pattern" "$log" || { cat "$log"; fail "no /$pattern/ in the output of: NNTRAIN_DATA=$data $*"; }
}
U=$NN_UNIT_DIR # the Check programs; CK_RUN_CASE=<set> runs one data tcase, as CTest does

# ---- no data: unset and an empty folder ------------------------------------
mkdir -p "$WORK/empty"
# The system tests that read $NNTRAIN_DATA: these two and any that calls need_data.
scripts=$( { printf '%s\n' "$systests/test_mat_training.sh" "$systests/test_ocr_photos.sh"
             grep -l '^need_data' "$systests"/test_*.sh || true; } | sort -u)
for s in $scripts; do
    [[ -f $s ]] || fail "$s is missing"
    expect_run 77 "^SKIPPED: needs \\\$NNTRAIN_DATA/.+ \(NNTRAIN_DATA is not set\)" - bash "$s"
    expect_run 77 "^SKIPPED: $WORK/empty/[^ ]+ not found" "$WORK/empty" bash "$s"
done
pass "system tests that need data skip with exit 77, naming the file: $(basename -a $scripts | tr '\n' ' ')"

for pc in test_data_idx:mnist test_data_idx:emnist test_data_mat:nist26; do
    p=${pc%:*} c=${pc#*:}
    expect_run 77 "^SKIPPED test_real_.*NNTRAIN_DATA/[a-z0-9]+/.+ \(NNTRAIN_DATA is not set\)" - env CK_RUN_CASE="$c" "$U/$p"
    expect_run 77 "^SKIPPED test_real_[a-z0-9_]+: $WORK/empty/[a-z0-9]+/[^ ]+ not found" "$WORK/empty" env CK_RUN_CASE="$c" "$U/$p"
    expect_run 77 "^cases: [1-9][0-9]* run, 0 passed, [1-9][0-9]* skipped, 0 failed" "$WORK/empty" env CK_RUN_CASE="$c" "$U/$p"
done
# A program with some cases run and some skipped passes and says how many
# were skipped; as CTest runs it (data tcases excluded), nothing is skipped.
expect_run 0 "^cases: [0-9]+ run, [0-9]+ passed, 3 skipped, 0 failed" "$WORK/empty" "$U/test_data_idx"
expect_run 0 "^cases: [0-9]+ run, [0-9]+ passed, 0 skipped, 0 failed" "$WORK/empty" \
    env CK_EXCLUDE_TAGS=data "$U/test_data_idx"
pass "unit tests' data cases skip with exit 77, naming the file; partial programs count their skips"

# ---- a partial data folder ------------------------------------------------
part=$WORK/partial
mkdir -p "$part/hw5_images" "$part/mnist" "$part/nist36"
: >"$part/hw5_images/01_list.jpg"
: >"$part/mnist/t10k-images-idx3-ubyte.gz"
expect_run 77 "^SKIPPED: $part/hw5_images/02_letters.jpg not found" "$part" bash "$systests/test_ocr_photos.sh"
expect_run 77 "^SKIPPED test_real_mnist: $part/mnist/t10k-labels-idx1-ubyte.gz not found" "$part" env CK_RUN_CASE=mnist "$U/test_data_idx"
expect_run 77 "^SKIPPED test_real_mnist_train: $part/mnist/train-images-idx3-ubyte.gz not found" "$part" env CK_RUN_CASE=mnist "$U/test_data_idx"
pass "a partial data folder: skipped, naming the first missing file"

# EMNIST-Balanced test labels gzipped, as data/fetch.sh stores them (47
# classes, 400 each): read, not skipped.
mkdir -p "$part/emnist"
{ printf '\x00\x00\x08\x01\x00\x00\x49\x70'      # labels, 18800
  LC_ALL=C awk 'BEGIN { for (i = 0; i < 18800; i++) printf "%c", i % 47 }'
} | gzip -n >"$part/emnist/emnist-balanced-test-labels-idx1-ubyte.gz"
expect_run 0 "^cases: 1 run, 1 passed, 0 skipped, 0 failed" "$part" env CK_RUN_CASE=emnist "$U/test_data_idx"
pass "EMNIST labels stored as .gz are found and checked"

# ---- every CTest test can report a skip -------------------------------------
total=$(cd "$NN_BINARY_DIR" && ctest -N | sed -n 's/^Total Tests: //p')
with77=$(cd "$NN_BINARY_DIR" && ctest --show-only=json-v1 | grep -A1 '"name" : "SKIP_RETURN_CODE"' | grep -c '"value" : 77')
[[ $total -gt 0 && $with77 == "$total" ]] || fail "$with77 of $total CTest tests have SKIP_RETURN_CODE 77"
pass "all $total CTest tests have SKIP_RETURN_CODE 77"
