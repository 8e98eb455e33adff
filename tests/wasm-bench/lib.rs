//! Nothing to export: the benchmarks live in the test targets (see `wars.rs`).
