#!/usr/bin/env bash
# scripts/import_torchvision.py against torchvision: SqueezeNet 1.1 with
# fixed random weights gives the same logits in nntrain (`nntrain predict`
# on the imported checkpoint) as in PyTorch, for 17 classes at 128 x 128 and
# ImageNet's 1000 at 224 x 224, within the tolerance justified in
# torchvision_import.py; a state_dict with a renamed key or a wrong shape is
# refused naming it; the 1000-class checkpoint starts the 17-class
# fine-tuning job. Needs Debian's python3-torch, python3-torchvision,
# python3-numpy and python3-h5py for /usr/bin/python3; skipped otherwise.
source "$(dirname "$0")/lib.sh"
: "${DATASET_FIXTURE:?run through ctest}"

py=${NN_TEST_PYTHON:-/usr/bin/python3}
[[ -x $py ]] || skip "$py not found (apt-get install python3)"
missing=()
for m in torch:python3-torch torchvision:python3-torchvision numpy:python3-numpy h5py:python3-h5py; do
    "$py" -c "import ${m%%:*}" 2>/dev/null || missing+=("${m#*:}")
done
((${#missing[@]} == 0)) || skip "${missing[*]} not installed for $py"

"$py" "$NN_SOURCE_DIR/tests/system/torchvision_import.py" "$NNTRAIN" "$DATASET_FIXTURE" \
    "$NN_SOURCE_DIR" "$WORK" || fail "see above"
pass "imported SqueezeNet 1.1 agrees with torchvision; broken state_dicts refused; fine-tuning starts"
