#!/usr/bin/env bash
# Reads the paint benchmark's report from the browser test log and checks it against the budget:
# painting one frame with 100 messages in flight must take at most 2 ms at the median and the 99th percentile
# (of the best of three rounds of 400 frames; see tests/browser/paint_benchmark.rs).
set -euo pipefail
log=${1:?usage: paint-budget.sh BROWSER_TEST_LOG}
line=$(grep -o 'paint-benchmark: .*' "$log" | tail -1)
[ -n "$line" ] || { echo "paint budget: no benchmark report in $log" >&2; exit 1; }
echo "$line"
median=$(sed -E 's/.*median_ms=([0-9.]+).*/\1/' <<<"$line")
p99=$(sed -E 's/.*p99_ms=([0-9.]+).*/\1/' <<<"$line")
if awk -v m="$median" -v p="$p99" 'BEGIN { exit !(m <= 2.0 && p <= 2.0) }'; then
  echo "paint budget: PASS — median ${median} ms, p99 ${p99} ms (budget 2 ms)"
else
  echo "paint budget: FAIL — median ${median} ms, p99 ${p99} ms exceed 2 ms"; exit 1
fi
