#!/usr/bin/env bash
# Install what nntrain needs from Debian 12 packages, skipping what is there.
#   scripts/install-deps.sh            build + test dependencies
#   scripts/install-deps.sh --bench    also PyTorch, torchvision, NumPy, h5py and Matplotlib (bench/,
#                                      the PyTorch agreement and torchvision import tests, the
#                                      scaling plot)
#   scripts/install-deps.sh --ci       also clang (fuzzers, sanitizers), SLURM + munge and
#                                      iproute2 (tests/multinode: simulated hosts), strace
#                                      (test_data_share_files: which ranks read the data)
set -euo pipefail

packages=(build-essential cmake pkg-config openmpi-bin libopenmpi-dev libblis-openmp-dev
          libhdf5-openmpi-dev hdf5-tools check libmatio-dev libleptonica-dev libjpeg-dev libinih-dev
          libpng-dev zlib1g-dev liblapacke-dev libplplot-dev plplot-driver-cairo
          dataset-fashion-mnist)
for opt in "$@"; do
    case "$opt" in
        --bench) packages+=(python3-torch python3-torchvision python3-numpy python3-h5py python3-matplotlib) ;;
        --ci) packages+=(clang libclang-rt-14-dev slurm-wlm munge iproute2 strace) ;;
        *) echo "install-deps.sh: unknown option $opt" >&2; exit 2 ;;
    esac
done

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
    exit 0
fi

echo "installing: ${missing[*]}"
sudo=""
if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || { echo "error: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
    sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
