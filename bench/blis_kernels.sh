# Sourced by the bench scripts that compare nntrain with PyTorch.
#   bench_blis_setup CONFIG PYTHON
# sets
#   bench_cpu            the CPU model (lscpu's "Model name") and its vector extensions
#   bench_kernels        the BLIS kernel family nntrain runs CONFIG with
#   bench_arch_id        that family's BLIS_ARCH_TYPE number (exported)
#   bench_torch_kernels  the family PyTorch's BLIS selected with it ("" without PyTorch)
# Debian's PyTorch calls BLIS through libblas.so.3 (another build of the same
# BLIS), which picks its kernels from the CPU model unless BLIS_ARCH_TYPE is
# set: on CPUs BLIS 0.9 does not know (newer AMD EPYC) that is 'generic',
# while nntrain (src/core/blas.c) chooses from the CPU's features. Exporting
# nntrain's choice makes both run the same kernels; BLIS_ARCH_DEBUG=1 makes
# BLIS name what it selected, which checks that PyTorch's copy took it.
bench_blis_setup() {
    local cfg=$1 py=$2 lib f ext=""
    bench_cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
    for f in avx2 fma avx512f; do
        grep -qw "$f" /proc/cpuinfo && ext+=" $f"
    done
    bench_cpu+=" ($(nproc) cores,${ext:- no AVX2})"
    bench_kernels=$(build/nntrain "$cfg" --summary | sed -n "s/.*BLIS kernels '\(.*\)'.*/\1/p")
    [[ -n $bench_kernels ]] || { echo "bench: nntrain did not name its BLIS kernels" >&2; return 1; }
    # BLIS 0.9 reads BLIS_ARCH_TYPE as a number (arch_t); ask nntrain's
    # libblis which number has that name (generic is the last).
    # (awk reads all of ldd's output: stopping early would make ldd die of
    # SIGPIPE, which pipefail turns into a failure of the scripts)
    lib=$(ldd build/nntrain | awk '/libblis/ && !found { print $3; found = 1 }')
    bench_arch_id=$("$py" - "$lib" "$bench_kernels" <<'PY'
import ctypes, sys
blis = ctypes.CDLL(sys.argv[1])
blis.bli_arch_string.restype = ctypes.c_char_p
for i in range(64):
    name = blis.bli_arch_string(i).decode()
    if name == sys.argv[2]:
        print(i)
        break
    if name == "generic":
        sys.exit(f"bench: BLIS has no kernel family '{sys.argv[2]}'")
PY
    ) || return 1
    export BLIS_ARCH_TYPE=$bench_arch_id
    bench_torch_kernels=""
    if "$py" -c 'import torch' 2>/dev/null; then
        bench_torch_kernels=$(BLIS_ARCH_DEBUG=1 "$py" -c \
            'import torch; a = torch.ones(64, 64); a @ a' 2>&1 |
            sed -n "s/^libblis: selecting sub-configuration '\(.*\)'\./\1/p" | head -1)
    fi
}

# The header lines of a table: CPU, kernels, and a warning when PyTorch's
# BLIS did not take nntrain's kernels.
bench_blis_header() {
    echo "CPU: $bench_cpu"
    echo "BLIS kernels: nntrain '$bench_kernels'; PyTorch's BLIS (libblas.so.3) with" \
         "BLIS_ARCH_TYPE=$bench_arch_id: '${bench_torch_kernels:-not run}'"
    if [[ -n $bench_torch_kernels && $bench_torch_kernels != "$bench_kernels" ]]; then
        echo "WARNING: PyTorch's BLIS selected '$bench_torch_kernels', not '$bench_kernels': the ratios compare different kernels"
    fi
}
