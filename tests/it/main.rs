//! One integration-test binary for the whole book (faster to link than one per file).

mod code_drills;
mod content;
mod glossary;
mod search;
mod source_map;
mod study;
mod tidy;

use std::path::PathBuf;

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ sits in the repository root").to_path_buf()
}
