#!/usr/bin/env bash
# Prints the release build's sizes (raw, gzip, brotli) and checks the first-load budget: everything a reader's
# browser fetches before the book is readable — the page, the book's wasm and JS, the CSS and a chapter's text —
# must total at most 300 KB brotli. The simulations ship as a second module that a chapter loads after its text
# is on screen; its size is reported beside the budget.
set -euo pipefail
cd "$(dirname "$0")/.."
BUDGET_KB=300
dist=dist
[ -f "$dist/index.html" ] || { echo "no dist/: run scripts/build.sh first" >&2; exit 1; }
printf '%-44s %10s %10s %10s\n' file raw gzip brotli
total=0
row() {
  local f=$1 raw gz br
  raw=$(stat -c%s "$f"); gz=$(gzip -9c "$f" | wc -c); br=$(brotli -c -q 11 "$f" | wc -c)
  printf '%-44s %10d %10d %10d\n' "${f#"$dist"/}" "$raw" "$gz" "$br"
  total=$((total + br))
}
for f in "$dist"/index.html "$dist"/replication-book-*_bg.wasm "$dist"/replication-book-*.js "$dist"/*.css; do row "$f"; done
# The first chapter's body is fetched on the way to chapter 0.
row "$(ls "$dist"/chapters/the-problem-*.json)"
printf '%-44s %32d\n' "first load (brotli bytes)" "$total"
kb=$(( (total + 1023) / 1024 ))
first=$total
total=0
echo "-- loaded when a chapter first shows a simulation --"
for f in "$dist"/sims-loader.js "$dist"/sims.js "$dist"/sims_bg.wasm; do row "$f"; done
printf '%-44s %32d\n' "simulations module (brotli bytes)" "$total"
echo "a chapter with a simulation, opened first: $(( (first + total + 1023) / 1024 )) KB brotli in all"
total=$first
all=$(ls "$dist"/chapters/*.json | grep -v -e '/study-' -e '/search-' | xargs cat | brotli -c -q 11 | wc -c)
echo "all eleven chapter bodies together: $(( all / 1024 )) KB brotli (fetched only as chapters are opened)"
study=$(ls "$dist"/chapters/study-*.json 2>/dev/null | head -1)
[ -n "$study" ] && echo "flashcards and learn path: $(( $(brotli -c -q 11 "$study" | wc -c) / 1024 )) KB brotli (fetched by the review and learn pages)"
search=$(ls "$dist"/chapters/search-*.json 2>/dev/null | head -1)
[ -n "$search" ] && echo "search index: $(( $(brotli -c -q 11 "$search" | wc -c) / 1024 )) KB brotli (fetched the first time the search opens)"
if [ -f "$dist/sw.js" ]; then
  # The service worker is fetched after the page has loaded and then downloads the rest of the book in the
  # background, so neither counts towards the first load.
  files=$(find "$dist" -type f ! -name sw.js | wc -l)
  raw=$(find "$dist" -type f ! -name sw.js -exec cat {} + | wc -c)
  echo "offline copy (sw.js: $(brotli -c -q 11 "$dist/sw.js" | wc -c) bytes brotli, then precached after load): $files files, $(( raw / 1024 )) KB raw"
fi
if [ "$kb" -le "$BUDGET_KB" ]; then
  echo "size budget: PASS — first load ${kb} KB brotli of ${BUDGET_KB} KB"
else
  echo "size budget: FAIL — first load ${kb} KB brotli exceeds ${BUDGET_KB} KB"; exit 1
fi
