#!/usr/bin/env bash
# One summary of a CTest run from its JUnit file (ctest --output-junit):
# each skipped test with its first "SKIPPED" line (what is missing), each
# passed test that skipped some of its cases, each failed test, then
#   N tests, P passed, S skipped, F failed
# CTest's own "100% tests passed" counts skipped tests (exit 77, "Not Run")
# as passed; this line does not.
#   scripts/test-summary.sh build/Testing/junit.xml
set -euo pipefail
junit=${1:?usage: test-summary.sh JUNIT.xml}
[[ -s $junit ]] || { echo "test-summary.sh: $junit is missing or empty" >&2; exit 1; }
LC_ALL=C awk '
function attr(s, key,    i, rest) {
    i = index(s, " " key "=\"")
    if (!i) return ""
    rest = substr(s, i + length(key) + 3)
    return substr(rest, 1, index(rest, "\"") - 1)
}
function unesc(s) {
    gsub(/&lt;/, "<", s); gsub(/&gt;/, ">", s); gsub(/&quot;/, "\"", s)
    gsub(/&apos;/, "\047", s); gsub(/&amp;/, "\\&", s)
    return s
}
function finish() {
    if (name == "") return
    total++
    if (status == "run" && nskip == 0) passed++
    else if (status == "run") { passed++; partial++; lines = lines sprintf("passed   %s, but skipped:\n%s", name, skips) }
    else if (status == "notrun" && skip77) { skipped++; lines = lines sprintf("skipped  %s: %s\n", name, first) }
    else { failed++; lines = lines sprintf("FAILED   %s (%s)\n", name, status) }
    name = ""
}
/<testcase / {
    finish()
    name = attr($0, "name"); status = attr($0, "status")
    nskip = 0; skips = ""; first = "(no SKIPPED line)"; skip77 = 0; out = 0
    if ($0 ~ /\/>[ \t]*$/) finish()
    next
}
/<skipped message="SKIP_RETURN_CODE=/ { skip77 = 1 }
/<system-out>/ { out = 1; sub(/.*<system-out>/, "") }
out && /SKIPPED/ {
    l = $0; sub(/<\/system-out>.*/, "", l); l = unesc(l)
    if (nskip == 0) first = l
    nskip++; skips = skips "           " l "\n"
}
/<\/system-out>/ { out = 0 }
/<\/testcase>/ { finish() }
END {
    finish()
    printf "%s", lines
    printf "%d tests, %d passed, %d skipped, %d failed", total, passed, skipped, failed
    if (partial) printf " (%d of the passed skipped some cases, listed above)", partial
    printf "\n"
}' "$junit"
