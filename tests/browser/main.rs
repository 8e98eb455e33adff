//! Browser tests: components mounted in a real headless Chromium (wasm-bindgen-test), and the paint benchmark.
//! Run with `cargo test --target wasm32-unknown-unknown -p replication-book`.
#![cfg(target_arch = "wasm32")]

mod helpers;
mod later;
mod paint_benchmark;
mod shell;
mod single_node;

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);
