#!/usr/bin/env bash
# A network with large activations does not hold buffers for 256
# evaluation samples: SqueezeNet 1.1 on 3 x 144 x 144 images (about 12 MB a
# sample for every layer's output and gradient) built for batch 32 peaks
# well under 1 GB (256 rows would take 3.2 GB), while a batch of 256 still
# gets buffers for 256 samples. Needs /usr/bin/time (Debian: time) to read
# the peak resident memory; skipped otherwise.
source "$(dirname "$0")/lib.sh"
: "${DATASET_FIXTURE:?run through ctest}"
[[ -x /usr/bin/time ]] || skip "/usr/bin/time not found (apt-get install time)"

"$DATASET_FIXTURE" "$WORK/flowers.h5" 34 17 3 144 144 17 1
job=$NN_SOURCE_DIR/jobs/flowers17_squeezenet.ini
sets=(--set data.train="$WORK/flowers.h5" --set data.valid="$WORK/flowers.h5" --set data.test="$WORK/flowers.h5")
peak() { # BATCH: peak resident KiB of --summary
    /usr/bin/time -f 'peak %M' -o "$WORK/time.txt" "$NNTRAIN" "$job" --summary "${sets[@]}" \
        --set train.batch_size="$1" >"$WORK/summary.log" 2>&1 || { cat "$WORK/summary.log"; fail "--summary with batch $1"; }
    sed -n 's/^peak //p' "$WORK/time.txt"
}
small=$(peak 32)
large=$(peak 256)
((small < 1000000)) || fail "batch 32: peak resident memory $small KiB (expected under 1 GB)"
((large > 3 * small)) || fail "batch 256: peak $large KiB, not the 256 rows a training step needs (batch 32: $small KiB)"
pass "batch 32 peaks at $((small / 1024)) MiB, batch 256 at $((large / 1024)) MiB"
