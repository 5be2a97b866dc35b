#!/usr/bin/env bash
# A config that differs between ranks cannot take effect: rank 0 reads the
# file and broadcasts its text. Here rank 1 is pointed at a different file
# (another network, a typo); the job trains exactly what rank 0's file says.
source "$(dirname "$0")/lib.sh"
need_fmnist

write_small_config "$WORK/a.ini" "$WORK/a"
sed 's/units = 32/units = 64/; s/^lr = 0.05/lrr = 0.05/' "$WORK/a.ini" >"$WORK/b.ini"
cat >"$WORK/per-rank.sh" <<SH
#!/usr/bin/env bash
if [[ \$OMPI_COMM_WORLD_RANK == 0 ]]; then exec "$NNTRAIN" "$WORK/a.ini"; fi
exec "$NNTRAIN" "$WORK/b.ini"
SH
chmod +x "$WORK/per-rank.sh"
timeout 300 mpirun --oversubscribe --bind-to none -np 2 "$WORK/per-rank.sh" >"$WORK/mixed.log" 2>&1 ||
    { cat "$WORK/mixed.log"; fail "the job with per-rank config paths failed"; }
write_small_config "$WORK/ref.ini" "$WORK/ref"
run_ranks 1 "$WORK/ref.ini" >/dev/null 2>&1 || fail "reference run"
same_model "$WORK/ref/checkpoint.h5" "$WORK/a/checkpoint.h5" 1e-5 || fail "the job did not train rank 0's config"
pass "rank 1's different config file was ignored; the job trained rank 0's config"
