#!/usr/bin/env bash
# nn_dist's one copy per host (src/dist/node_share.c) on 3 and 2 ranks of
# this host: the host communicator, its broadcast and vote, and a
# shared-memory window that the first rank fills and every rank reads, one
# memory (a write by the last rank is seen by all). With a buffer per rank
# instead of the window (--private) the same checks fail: they can.
source "$(dirname "$0")/lib.sh"
: "${NODE_SHARE_CHECK:?run through ctest}"
# check N [options]: the check program on N ranks, bounded like run_ranks.
check() {
    local n=$1; shift
    timeout 120 mpirun --oversubscribe --bind-to none -np "$n" "$NODE_SHARE_CHECK" "$@"
}

for n in 3 2; do
    expect 0 "^ok: $n ranks on one host share one window" -- check "$n"
    pass "$n ranks: one window, seen and written by every rank of the host"
done
expect 1 "FAIL rank [12]: the first rank's bytes are not all seen" -- check 3 --private
grep -q "FAIL rank 0: the last rank's write is not seen" "$WORK/out.log" || { cat "$WORK/out.log"; fail "--private: rank 0 did not miss the last rank's write"; }
pass "a buffer per rank instead of the window fails the same checks"
