#!/usr/bin/env bash
# Autoencoder against PCA at several code sizes k, on one config's data.
# For each k the autoencoder config is trained with every hidden layer
# (AE_LAYERS, default "enc1 code dec1") set to k units (1024-k-k-k-1024 for
# the reference 1024-32-32-32-1024) and evaluated on the validation set;
# PCA is fitted once for all k. Then: the PSNR-against-k figure and table,
# and the reconstruction figure of the k = 32 autoencoder next to PCA's.
#
#   jobs/ae_vs_pca.sh CONFIG.ini OUT_DIR [--k "8 16 32 64"] [--set section.key=value ...]
#   RANKS=2 jobs/ae_vs_pca.sh jobs/mnist_autoencoder.ini runs/mnist_ae_vs_pca
#
# --set options apply to every autoencoder run and to PCA (same data split).
# RANKS > 1 runs every step under scripts/mpirun.sh. Writes OUT_DIR/ae_k<k>/
# (one training run each), OUT_DIR/pca.h5, OUT_DIR/pca_recon_valid.png,
# OUT_DIR/psnr_k.png, OUT_DIR/ae_k32/recon_valid.png and OUT_DIR/summary.txt.
set -euo pipefail
[[ $# -ge 2 ]] || { sed -n '2,16p' "$0"; exit 2; }
cfg=$1 out=$2
shift 2
ks="8 16 32 64"
sets=()
while [[ $# -gt 0 ]]; do
    case $1 in
        --k) ks=$2; shift 2 ;;
        --set) sets+=(--set "$2"); shift 2 ;;
        *) echo "ae_vs_pca.sh: unknown argument '$1'" >&2; exit 2 ;;
    esac
done
here=$(cd "$(dirname "$0")/.." && pwd)
nntrain=${NNTRAIN:-$here/build/nntrain}
run=()
if [[ ${RANKS:-1} -gt 1 ]]; then
    run=("$here/scripts/mpirun.sh" -np "$RANKS")
fi
mkdir -p "$out"

dirs=()
for k in $ks; do
    units=()
    for layer in ${AE_LAYERS:-enc1 code dec1}; do
        units+=(--set "$layer.units=$k")
    done
    echo "== autoencoder, k = $k"
    "${run[@]}" "$nntrain" "$cfg" "${units[@]}" "${sets[@]}" --set "train.out=$out/ae_k$k" \
        | grep -E '^(epoch ([0-9]+)/\2 |autoencoder:|test:|valid:)' || true
    "${run[@]}" "$nntrain" eval "$out/ae_k$k/checkpoint.h5" --data valid | grep -E '^valid:' || true
    [[ -f $out/ae_k$k/recon_valid.h5 ]] || { echo "no $out/ae_k$k/recon_valid.h5" >&2; exit 1; }
    dirs+=("$out/ae_k$k")
done

echo "== PCA"
"${run[@]}" "$nntrain" pca "$cfg" "${sets[@]}" --k "$(echo $ks | tr ' ' ',')" --out "$out/pca.h5"
if [[ -d $out/ae_k32 ]]; then
    "${run[@]}" "$nntrain" eval "$out/ae_k32/checkpoint.h5" --data valid --pca "$out/pca.h5" \
        | grep -E '^(PCA|figure)' || true
fi
"$nntrain" plot --psnr-k "$out/pca.h5" "${dirs[@]}" --split valid --out "$out/psnr_k.png" \
    | tee "$out/summary.txt"
