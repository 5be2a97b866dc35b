#!/usr/bin/env bash
# Download the data sets nntrain's jobs use, verify every file against the
# SHA-256 sums below (copied from shared/data/MANIFEST.md), and unpack them:
#
#   DEST/nist36/      the homework's nist36_{train,valid,test}.mat, nist26_*.mat
#   DEST/hw5_images/  the homework's four test photos (01_list.jpg ...)
#   DEST/mnist/       the four MNIST .gz files (read as they are, no gunzip)
#   DEST/emnist/      the EMNIST .gz files (balanced, letters, digits, mnist, ...)
#
# usage: data/fetch.sh [DEST] [nist36] [mnist] [emnist]
#   DEST defaults to $NNTRAIN_DATA, else ~/nntrain-data; with no set names,
#   all three are fetched. Files already present with the right sum are kept,
#   so a rerun only fetches what is missing. Any mismatch stops the script
#   with both sums; the bad file is kept as <name>.bad for inspection.
#   Fashion-MNIST comes from Debian instead: apt-get install dataset-fashion-mnist.
#
# Needs: bash 4.3 or newer, curl or wget, unzip, sha256sum (or shasum),
# md5sum (or md5).
set -euo pipefail
if ((BASH_VERSINFO[0] < 4 || (BASH_VERSINFO[0] == 4 && BASH_VERSINFO[1] < 3))); then
  echo "fetch.sh: ERROR: needs bash 4.3 or newer (this is $BASH_VERSION)" >&2
  exit 1
fi

# ---- sources -------------------------------------------------------------------
# NIST36: the CMU 16-720 homework 5 get_data.sh (hw5/scripts/get_data.sh, e.g.
# in github.com/navarrs/16720-computer-vision) downloads data.zip and
# images.zip from the course's page on www.cs.cmu.edu; later years of the
# same script (e.g. github.com/YHHHCF/cv_hw5) use cmu.box.com links. Both are
# tried, in that order; the checksums decide, not the address.
NIST36_URLS=(
  "http://www.cs.cmu.edu/afs/cs/user/lkeselma/www/16720a_data/data.zip"
  "https://cmu.box.com/shared/static/ebklocte1t2wl4dja61dg1ct285l65md.zip"
)
HW5_IMAGES_URLS=(
  "http://www.cs.cmu.edu/afs/cs/user/lkeselma/www/16720a_data/images.zip"
  "https://cmu.box.com/shared/static/147jyd6uewh1fff96yfh6e11s98v11xm.zip"
)
# MNIST: LeCun's page, then the mirror PyTorch's torchvision uses (the
# original often answers 403 to scripts).
MNIST_BASES=(
  "http://yann.lecun.com/exdb/mnist"
  "https://ossci-datasets.s3.amazonaws.com/mnist"
)
# EMNIST: NIST's gzip.zip (about 560 MB). Its MD5 is the one torchvision
# checks; MANIFEST.md has SHA-256 sums for members, checked after unpacking.
EMNIST_URLS=(
  "https://biometrics.nist.gov/cs_links/EMNIST/gzip.zip"
  "http://www.itl.nist.gov/iaui/vip/cs_links/EMNIST/gzip.zip"
)
EMNIST_ZIP_MD5="58c8d27c78d21e728a6bc7b3cc06412e"

# ---- checksums (MANIFEST.md) ----------------------------------------------------
# The tables are read through namerefs (local -n), which shellcheck cannot see.
NIST36_ZIP_SHA="3a0adb5ea27e61d43e6ab8f3d3d96ee867e5721234794b0fa33b3416235e6fa1"
HW5_IMAGES_ZIP_SHA="7684c1693ae69e7892607b6ca12a5cf32d76b7a90afa2e9a6182efa690a9defe"
# shellcheck disable=SC2034
declare -A NIST36_SHA=(
  [nist36_train.mat]="e34d2eb6301f7f83fc2b28bb07c1c1742099f319b1415d282c8f7b5a68a9394b"
  [nist36_valid.mat]="941c15d9682438673da199b7cedf66ffe0eb003ec02a7ff60b1073e87bb0e66b"
  [nist36_test.mat]="92d7fc9ea1d13594f48fbc2205bba2eb077c62acf6011c44709a9e06314256a4"
  [nist26_train.mat]="c8ffda8f8f7d1cff037cb12d55dee478a5a1a306c87aa8753036f612fbb86545"
  [nist26_valid.mat]="d120b9d5031975de64fcbba5e452440c18a33492ddeb3074e5afbadefb990e66"
  [nist26_test.mat]="515d8764560d6fa19628810e93f8f2f7cab5aefb3c6a29d5083610e5d2f809b3"
  [nist26_model_60iters.mat]="2cf9b994df06086d4d578da504f283889a147f9d3206c741d2b0e3e1c415cd6b"
)
# shellcheck disable=SC2034
declare -A HW5_IMAGES_SHA=(
  [01_list.jpg]="30937d02f89b6aab490b231340901b61309b090a88269e2e6617cad6da9230b4"
  [02_letters.jpg]="1187b79093ad73ff6fb2e14a800923b496e84b406433ee545bab716862bec6f6"
)
declare -A MNIST_SHA=(
  [train-images-idx3-ubyte.gz]="440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"
  [train-labels-idx1-ubyte.gz]="3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"
  [t10k-images-idx3-ubyte.gz]="8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"
  [t10k-labels-idx1-ubyte.gz]="f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"
)
# shellcheck disable=SC2034
declare -A EMNIST_SHA=(
  [emnist-balanced-train-images-idx3-ubyte.gz]="74295e75e4e9fa2c102147460ee7eb763653d5132d883a84fb88932bfb8d2db4"
  [emnist-balanced-train-labels-idx1-ubyte.gz]="b46d41e5156a0a8aaaa4d18979fdd1588850fa8571018acffd5d93b325a7d6ed"
  [emnist-balanced-test-images-idx3-ubyte.gz]="117fc12b015e37ea98bfb2cbba3f77c3782c056cdbd219b87abfc8661d7135db"
  [emnist-balanced-test-labels-idx1-ubyte.gz]="a67cac948379b67270b9a4d0a01c8ec661598accf2f2b1964340b7c83cb175cd"
  [emnist-letters-test-images-idx3-ubyte.gz]="50f0e93d75b99b463e9760b8345866f22587fa2c2fba472730a5ba09c693412d"
  [emnist-letters-test-labels-idx1-ubyte.gz]="924955c31fe7fd809b7303b5c0141282955f4b8390c74cdfd5d80435e0f4b4cb"
  [emnist-mnist-test-images-idx3-ubyte.gz]="b25640fa9e356c618132f5df347c95ef5bae6d9c2596be1de40f7e0ae1c3eac6"
  [emnist-mnist-test-labels-idx1-ubyte.gz]="bcc5385d38f083dba046f5f756e99b32f5ea7fad122c6243c71c2239873065ca"
  [emnist-digits-test-images-idx3-ubyte.gz]="20ebe43509264f7639d37c835a3f0b009e90b29e00a099a03101abe1644a3f63"
)

# ---- helpers -------------------------------------------------------------------------
say() { printf 'fetch.sh: %s\n' "$*"; }
die() { printf 'fetch.sh: ERROR: %s\n' "$*" >&2; exit 1; }

sha256_of() {
  if command -v sha256sum >/dev/null; then sha256sum "$1" | cut -d' ' -f1
  else shasum -a 256 "$1" | cut -d' ' -f1; fi
}
md5_of() {
  if command -v md5sum >/dev/null; then md5sum "$1" | cut -d' ' -f1
  else md5 -q "$1"; fi
}

# has_sum KIND FILE EXPECTED: true when FILE exists with that sum.
has_sum() {
  [[ -f $2 ]] || return 1
  local got
  if [[ $1 == md5 ]]; then got=$(md5_of "$2"); else got=$(sha256_of "$2"); fi
  [[ $got == "$3" ]]
}

# verify KIND FILE EXPECTED: stop loudly (keeping FILE as FILE.bad) on a mismatch.
verify() {
  local kind=$1 file=$2 want=$3 got
  [[ -f $file ]] || die "$file is missing after download/unpack"
  if [[ $kind == md5 ]]; then got=$(md5_of "$file"); else got=$(sha256_of "$file"); fi
  if [[ $got != "$want" ]]; then
    mv -f "$file" "$file.bad"
    die "$kind mismatch for $file: expected $want, got $got (kept as $file.bad)"
  fi
  say "ok  $kind  $file"
}

# download OUT URL...: try each address until one works; the caller verifies.
download() {
  local out=$1 url
  shift
  for url in "$@"; do
    say "get $url"
    if command -v curl >/dev/null; then
      if curl -fL --retry 3 --connect-timeout 30 -o "$out.part" "$url"; then
        mv -f "$out.part" "$out"; return 0
      fi
    elif wget --tries=3 --timeout=30 -O "$out.part" "$url"; then
      mv -f "$out.part" "$out"; return 0
    fi
    rm -f "$out.part"
    say "failed: $url"
  done
  die "could not download $(basename "$out") from any of: $*"
}

# all_present DIR ASSOC_NAME: true when every file of that sum table is in DIR
# with its sum (then nothing needs downloading).
all_present() {
  local dir=$1 name
  local -n table=$2
  for name in "${!table[@]}"; do
    has_sum sha256 "$dir/$name" "${table[$name]}" || return 1
  done
}

# The 2016 MATLAB-era nist26_valid.mat (in shared/data/nist36/) has the same
# name as the homework's later file but other content.
NIST26_VALID_2016_SHA="e2ce8ff1178eb6636c2901093ef37b22df7214530bffe07ec4358e6c0b81f3c6"

# check_no_clash DIR ASSOC_NAME: stop before downloading when DIR holds a file
# of the table's names with other content; it is never overwritten silently.
check_no_clash() {
  local dir=$1 name what
  local -n want=$2
  for name in "${!want[@]}"; do
    if [[ -e $dir/$name ]] && ! has_sum sha256 "$dir/$name" "${want[$name]}"; then
      what="not the expected file (sha256 ${want[$name]})"
      has_sum sha256 "$dir/$name" "$NIST26_VALID_2016_SHA" &&
        what="the 2016 MATLAB-era file, not the homework's later one"
      die "$dir/$name exists and is $what; move it away or choose another DEST"
    fi
  done
}

# fetch_archive OUT KIND SUM URL...: download unless OUT already has the sum
# (left from an interrupted run), then verify.
fetch_archive() {
  local out=$1 kind=$2 sum=$3
  shift 3
  if has_sum "$kind" "$out" "$sum"; then
    say "ok  $kind  $out (already downloaded)"
    return
  fi
  download "$out" "$@"
  verify "$kind" "$out" "$sum"
}

# unpack_verified ZIP DIR ASSOC_NAME: unzip (flattening folders) into DIR and
# check every file of the sum table.
unpack_verified() {
  local zip=$1 dir=$2 name
  local -n sums=$3
  unzip -o -j -q "$zip" -d "$dir"
  for name in "${!sums[@]}"; do
    verify sha256 "$dir/$name" "${sums[$name]}"
  done
}

# ---- the data sets ---------------------------------------------------------------------
fetch_nist36() {
  local dir=$DEST/nist36 img=$DEST/hw5_images
  mkdir -p "$dir" "$img"
  if all_present "$dir" NIST36_SHA; then
    say "nist36: already complete in $dir"
  else
    check_no_clash "$dir" NIST36_SHA
    fetch_archive "$DOWNLOADS/data.zip" sha256 "$NIST36_ZIP_SHA" "${NIST36_URLS[@]}"
    unpack_verified "$DOWNLOADS/data.zip" "$dir" NIST36_SHA
    rm -f "$DOWNLOADS/data.zip"
  fi
  if all_present "$img" HW5_IMAGES_SHA; then
    say "hw5_images: already complete in $img"
  else
    check_no_clash "$img" HW5_IMAGES_SHA
    fetch_archive "$DOWNLOADS/images.zip" sha256 "$HW5_IMAGES_ZIP_SHA" "${HW5_IMAGES_URLS[@]}"
    unpack_verified "$DOWNLOADS/images.zip" "$img" HW5_IMAGES_SHA
    rm -f "$DOWNLOADS/images.zip"
  fi
}

fetch_mnist() {
  local dir=$DEST/mnist name
  local -a urls
  mkdir -p "$dir"
  for name in "${!MNIST_SHA[@]}"; do
    if has_sum sha256 "$dir/$name" "${MNIST_SHA[$name]}"; then
      say "ok  sha256  $dir/$name (already there)"
      continue
    fi
    urls=("${MNIST_BASES[@]/%//$name}")
    download "$dir/$name" "${urls[@]}"
    verify sha256 "$dir/$name" "${MNIST_SHA[$name]}"
  done
}

fetch_emnist() {
  local dir=$DEST/emnist
  mkdir -p "$dir"
  if all_present "$dir" EMNIST_SHA; then
    say "emnist: already complete in $dir"
    return
  fi
  check_no_clash "$dir" EMNIST_SHA
  fetch_archive "$DOWNLOADS/gzip.zip" md5 "$EMNIST_ZIP_MD5" "${EMNIST_URLS[@]}"
  unpack_verified "$DOWNLOADS/gzip.zip" "$dir" EMNIST_SHA
  rm -f "$DOWNLOADS/gzip.zip"
}

# ---- main ----------------------------------------------------------------------------------
DEST=${1:-${NNTRAIN_DATA:-$HOME/nntrain-data}}
[[ $# -gt 0 ]] && shift
SETS=("$@")
[[ ${#SETS[@]} -gt 0 ]] || SETS=(nist36 mnist emnist)

command -v curl >/dev/null || command -v wget >/dev/null || die "needs curl or wget"
command -v unzip >/dev/null || die "needs unzip"
command -v sha256sum >/dev/null || command -v shasum >/dev/null || die "needs sha256sum or shasum"

mkdir -p "$DEST"
DEST=$(cd "$DEST" && pwd)
DOWNLOADS=$DEST/.downloads
mkdir -p "$DOWNLOADS"

for set in "${SETS[@]}"; do
  case $set in
    nist36) fetch_nist36 ;;
    mnist)  fetch_mnist ;;
    emnist) fetch_emnist ;;
    *) die "unknown data set '$set' (choose from: nist36 mnist emnist)" ;;
  esac
done
rmdir "$DOWNLOADS" 2>/dev/null || true

say "done. Point nntrain at the data with:  export NNTRAIN_DATA=$DEST"
