#!/usr/bin/env bash
# Runs every test of the book. Installs what is missing first (see scripts/setup.sh), so it works on a fresh
# machine with only Rust, Node and npm.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
bash scripts/setup.sh

step() { printf '\n== %s ==\n' "$*"; }

step "format";           cargo fmt --all -- --check
step "lint";             cargo clippy --workspace --all-targets -- -D warnings
step "lint (wasm)";      cargo clippy --target wasm32-unknown-unknown -p replication-book --all-targets -- -D warnings
step "unit, property, snapshot and content tests"
cargo test --workspace
step "browser tests (wasm-bindgen-test in headless Chromium), with the paint benchmark"
cargo test --target wasm32-unknown-unknown -p replication-book -- --nocapture 2>&1 | tee target/browser-tests.log
step "release build";    trunk build --release --public-url ./
step "size budget";      bash scripts/size-report.sh
step "end-to-end tests against dist/ in headless Chromium"
node --test --test-reporter=spec tests/e2e/
step "Lighthouse (mobile): home and two chapters"
node tests/e2e/lighthouse.mjs
step "paint budget"
bash scripts/paint-budget.sh target/browser-tests.log
step "WARS benchmark: 100,000 trials in release wasm, headless Chromium (reported against the 30 ms budget)"
cargo test --release --target wasm32-unknown-unknown -p wasm-bench -- --nocapture 2>&1 | tee target/wars-benchmark.log
bash scripts/wars-budget.sh target/wars-benchmark.log
printf '\nAll tests passed.\n'
