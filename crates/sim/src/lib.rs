//! The replication model behind every simulation in the book.
//!
//! Deterministic and sans-IO: no clock, no OS randomness, no browser. A run is a pure function of its seed and
//! the reader's actions; the widgets feed actions in, advance logical time, and draw the plain data they read
//! back. Anomalies the book teaches — lost writes, outages, stale reads — are reported as data, never panics.

pub mod availability;
pub mod net;
pub mod replay;
pub mod rng;
pub mod service;
pub mod time;
pub mod trace;

pub use replay::{Model, Replay};
pub use time::Time;
pub use trace::{Salience, Trace, TraceEvent};
