//! Pieces of a chapter that are not simulations.

mod checkpoint;

pub use checkpoint::{check_numeric, CheckpointView};
