#!/usr/bin/env bash
# Installs everything the book needs beyond Rust, Node and npm — idempotently.
# Every step checks first and is skipped when the right version is already there,
# so a second run costs well under a second. Nothing is downloaded from outside the
# package registries (crates.io, Debian, npm): Trunk is told never to fetch tools.
set -euo pipefail
cd "$(dirname "$0")/.."

TRUNK_VERSION=0.21.14
BINARYEN_VERSION=132.0.0
# wasm-bindgen-cli must equal the wasm-bindgen in Cargo.lock exactly, or the
# generated glue does not match the library; read it from the lock file.
WASM_BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/,""); print; exit}' Cargo.lock)

log() { printf '[setup] %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if ! trunk --version 2>/dev/null | grep -q "$TRUNK_VERSION"; then
  # 0.22.x needs a newer rustc than this machine has; 0.21.14 is the newest that builds.
  log "installing trunk $TRUNK_VERSION (several minutes, once)"
  cargo install --locked "trunk@$TRUNK_VERSION"
fi

if ! wasm-bindgen --version 2>/dev/null | grep -q "$WASM_BINDGEN_VERSION"; then
  # Without --locked: the CLI's own lockfile pins a crate version the registry here lacks.
  log "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (a couple of minutes, once)"
  cargo install --force wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi

if ! .tools/node_modules/.bin/wasm-opt --version 2>/dev/null | grep -q "version ${BINARYEN_VERSION%%.*}"; then
  # Debian's binaryen is too old to parse what wasm-bindgen emits; npm's is current.
  log "installing binaryen $BINARYEN_VERSION (wasm-opt) from npm"
  npm ci --silent --no-audit --no-fund --prefix .tools
fi

if ! { command -v chromium >/dev/null && command -v chromedriver >/dev/null && command -v brotli >/dev/null; }; then
  log "installing Debian's chromium, chromium-driver and brotli"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver brotli >/dev/null
fi

if [ ! -d tests/e2e/node_modules/playwright-core ] || [ ! -d tests/e2e/node_modules/lighthouse ]; then
  # lighthouse stays at 12.2.3: 13 needs Node 22, and npm ci refuses a lock written with 12.3 to 13.4.
  log "installing the end-to-end test tools (playwright-core, axe-core, lighthouse) from npm"
  npm ci --silent --no-audit --no-fund --prefix tests/e2e
fi
# Trunk builds offline (it must never fetch), so the crates must already be here.
cargo fetch --locked --quiet
log "toolchain ready"
