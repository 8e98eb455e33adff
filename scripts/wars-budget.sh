#!/usr/bin/env bash
# Reads the WARS benchmark's report (tests/wasm-bench, 100,000 trials per configuration, release wasm in headless
# Chromium) and compares each median with the budget: a slider move must be answered within 30 ms.
# Speed depends on the machine, so by default this reports and does not fail; WARS_BUDGET_STRICT=1 makes an
# over-budget configuration fail the run.
set -euo pipefail
log=${1:?usage: wars-budget.sh WASM_BENCH_LOG}
budget_ms=30
lines=$(grep -o 'wars-benchmark: .*' "$log" || true)
[ -n "$lines" ] || { echo "wars budget: no benchmark report in $log" >&2; exit 1; }
over=0
while IFS= read -r line; do
  median=$(sed -E 's/.*median_ms=([0-9.]+).*/\1/' <<<"$line")
  name=$(sed -E 's/wars-benchmark: (.*) trials=.*/\1/' <<<"$line")
  if awk -v m="$median" -v b="$budget_ms" 'BEGIN { exit !(m <= b) }'; then
    echo "wars budget: within — ${name}: median ${median} ms (budget ${budget_ms} ms)"
  else
    echo "wars budget: OVER   — ${name}: median ${median} ms (budget ${budget_ms} ms)"; over=1
  fi
done <<<"$lines"
if [ "$over" = 1 ] && [ "${WARS_BUDGET_STRICT:-0}" = 1 ]; then exit 1; fi
