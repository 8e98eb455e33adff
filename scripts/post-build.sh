#!/usr/bin/env bash
# Trunk's single post-build hook (Trunk.toml). Trunk starts every hook of one stage at the same time, so two
# hooks that both touch the output race: the service worker could be written before the start-up script is
# moved into its own file and list a stale index.html. Running both steps from one hook fixes their order.
set -euo pipefail
# 1. The Content-Security-Policy: moves Trunk's inline start-up script into a file (crates/content/src/csp.rs).
cargo run --quiet --offline -p content --bin secure-html
# 2. The service worker: lists and digests every file written so far, so it must come last (crates/precache).
cargo run --quiet --offline -p precache --bin precache
