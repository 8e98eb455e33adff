//! Pieces of a chapter that are not simulations.

mod checkpoint;
mod progress_tools;

pub use checkpoint::{check_numeric, CheckpointView};
pub use progress_tools::{ProgressTools, ResetChapter};
