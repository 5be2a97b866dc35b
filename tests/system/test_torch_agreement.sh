#!/usr/bin/env bash
# nntrain and PyTorch train the same networks from the same initial weights
# on the same batches and end with the same weights, within tolerances
# justified in torch_agreement.py: the quickstart MLP with SGD, momentum (and
# weight decay) and Adam, a sigmoid MLP with Adam and weight decay, and a
# CNN with conv, batch norm, max pooling and dropout (rate 0) in training
# mode. Needs Debian's python3-torch, python3-numpy and python3-h5py
# (scripts/install-deps.sh --bench) for /usr/bin/python3; skipped otherwise.
source "$(dirname "$0")/lib.sh"

# Debian's interpreter: another python3 earlier on PATH may lack these modules.
py=${NN_TEST_PYTHON:-/usr/bin/python3}
[[ -x $py ]] || { echo "SKIPPED: $py not found (apt-get install python3)"; exit 77; }
missing=()
for m in torch:python3-torch numpy:python3-numpy h5py:python3-h5py; do
    "$py" -c "import ${m%%:*}" 2>/dev/null || missing+=("${m#*:}")
done
if ((${#missing[@]})); then
    echo "SKIPPED: ${missing[*]} not installed for $py (scripts/install-deps.sh --bench)"
    exit 77
fi

"$py" "$NN_SOURCE_DIR/tests/system/torch_agreement.py" "$NNTRAIN" "$WORK" ||
    fail "nntrain and PyTorch disagree (see above)"
pass "nntrain and PyTorch agree: MLP with SGD, momentum, Adam; CNN with batch norm (im2col and Winograd convolutions)"
