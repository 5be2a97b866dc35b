#!/usr/bin/env bash
# Fine-tuning against training from scratch on the course's handwritten
# letters (NIST26 .mat, 1,300 glyphs: 910 to train, 390 to validate): the
# same network and schedule, once started from the MNIST digit CNN
# (jobs/finetune_letters.ini: convolutions copied, the first two conv-BN
# layers frozen) and once from random weights (jobs/letters_scratch.ini).
# Prints the validation accuracy per epoch of both and the epochs each
# needs to reach 80%, 85% and 90%.
#   bench/finetune_compare.sh [BASE_CHECKPOINT]
# BASE_CHECKPOINT defaults to runs/mnist_cnn/checkpoint.h5 (train it with
# scripts/mpirun.sh -np 2 build/nntrain jobs/mnist_cnn.ini). NNTRAIN_DATA
# must point at the data folder (nist36/nist26_valid.mat).
set -euo pipefail
cd "$(dirname "$0")/.."
base=${1:-runs/mnist_cnn/checkpoint.h5}
: "${NNTRAIN_DATA:?export NNTRAIN_DATA=/path/to/data}"
[[ -f $base ]] || { echo "no base checkpoint $base: train jobs/mnist_cnn.ini first"; exit 1; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

build/nntrain jobs/finetune_letters.ini --set train.init_from="$base" >runs-finetune.log 2>&1 ||
    { cat runs-finetune.log; exit 1; }
build/nntrain jobs/letters_scratch.ini >runs-scratch.log 2>&1 || { cat runs-scratch.log; exit 1; }
sed -n '/^init_from/,/^frozen\|^epoch/p' runs-finetune.log | grep -v '^epoch'
rm -f runs-finetune.log runs-scratch.log

column() { h5dump -A 0 -d "/$2" "$1/metrics.h5" | sed -n 's/^ *([0-9]*): *//p' | tr ',' '\n' | awk 'NF'; }
paste <(column runs/finetune_letters valid_acc) <(column runs/letters_scratch valid_acc) |
    awk 'BEGIN { printf "%5s %12s %12s\n", "epoch", "fine-tuned", "scratch" }
         { printf "%5d %12.4f %12.4f\n", NR, $1, $2
           for (i = 1; i <= 2; ++i) for (t = 0; t < 3; ++t)
               if (!hit[i, t] && $i >= 0.80 + 0.05 * t) hit[i, t] = NR }
         END { for (t = 0; t < 3; ++t)
                   printf "epochs to reach %2d%% validation accuracy: fine-tuned %s, scratch %s\n",
                          80 + 5 * t, hit[1, t] ? hit[1, t] : "never", hit[2, t] ? hit[2, t] : "never" }'
