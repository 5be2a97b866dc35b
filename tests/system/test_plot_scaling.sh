#!/usr/bin/env bash
# bench/plot_scaling.py, which draws bench/scaling.sh's predictions: a PNG
# of the expected size from tables shaped as the bench writes them (two
# links, three models, with and without overlap, measured points); a wrong
# header, a short row, a field that is not a number and a missing file are
# refused naming the file and line, exit 1, and no PNG is left. Needs
# python3-matplotlib for /usr/bin/python3 (scripts/install-deps.sh --bench);
# skipped otherwise.
source "$(dirname "$0")/lib.sh"

py=${NN_TEST_PYTHON:-/usr/bin/python3}
[[ -x $py ]] || skip "$py not found (apt-get install python3)"
"$py" -c "import matplotlib" 2>/dev/null || skip "python3-matplotlib not installed for $py"
plot=$NN_SOURCE_DIR/bench/plot_scaling.py

pred=$WORK/predictions.tsv meas=$WORK/measured.tsv
printf 'model\tlink\tbatch\tcomm\tranks\tefficiency\n' >"$pred"
for link in 10GbE IB-100G; do
    for model in mlp cnn squeezenet; do
        for comm in none ovl; do
            for P in 8 16 32 64 128 256 512; do
                awk -v P="$P" -v c="$comm" 'BEGIN { printf "%.2f", (c == "ovl" ? 1.0 : 0.8) / (1 + P / 100) }' |
                    xargs printf '%s\t%s\t4096\t%s\t%d\t%s\n' "$model" "$link" "$comm" "$P" >>"$pred"
            done
        done
    done
done
printf 'model\tranks\toverlap\tbatch\tefficiency\nmlp\t2\ttrue\t32\t0.40\ncnn\t2\tfalse\t64\t0.43\ncnn\t3\ttrue\t64\t0.30\n' >"$meas"

"$py" "$plot" "$pred" "$meas" "$WORK/scaling.png" || fail "the plot of well-formed tables failed"
[[ $(head -c 8 "$WORK/scaling.png" | od -An -tx1 | tr -d ' \n') == 89504e470d0a1a0a ]] ||
    fail "scaling.png is not a PNG"
# Two panels side by side and the legend at 110 dpi: 1474 x 462 pixels.
size=$(od -An -tu1 -j16 -N8 "$WORK/scaling.png" | awk '{ print $3 * 256 + $4, $7 * 256 + $8 }')
[[ $size == "1474 462" ]] || fail "scaling.png is $size pixels, expected 1474 462"

# Measured table with only its header (no simulated hosts): still a plot.
printf 'model\tranks\toverlap\tbatch\tefficiency\n' >"$WORK/none.tsv"
"$py" "$plot" "$pred" "$WORK/none.tsv" "$WORK/nohosts.png" || fail "a plot without measured points failed"

bad() {
    local name=$1 file=$2 pattern=$3
    rm -f "$WORK/bad.png"
    expect 1 "$pattern" -- "$py" "$plot" "$file" "$meas" "$WORK/bad.png"
    [[ ! -e $WORK/bad.png ]] || fail "$name: a PNG was written from a bad table"
}
sed '1s/efficiency/eff/' "$pred" >"$WORK/header.tsv"
bad header "$WORK/header.tsv" "header.tsv:1: header"
sed '5s/\t[^\t]*$//' "$pred" >"$WORK/short.tsv"
bad "short row" "$WORK/short.tsv" "short.tsv:5: 5 fields, expected 6"
sed '7s/\t[^\t]*$/\tx0.5/' "$pred" >"$WORK/nan.tsv"
bad "not a number" "$WORK/nan.tsv" "nan.tsv:7: efficiency 'x0.5' is not a number"
bad "missing file" "$WORK/absent.tsv" "absent.tsv: No such file"
head -1 "$pred" >"$WORK/empty.tsv"
bad "no rows" "$WORK/empty.tsv" "empty.tsv: no predictions"
pass "scaling plot drawn from well-formed tables; malformed ones refused by file and line"
