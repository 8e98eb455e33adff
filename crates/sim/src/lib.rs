//! The replication model behind every simulation in the book.
//!
//! Deterministic and sans-IO: no clock, no OS randomness, no browser. A run is a pure function of its seed and
//! the reader's actions; the widgets feed actions in, advance logical time, and draw the plain data they read
//! back. Anomalies the book teaches — lost writes, outages, stale reads — are reported as data, never panics.

pub mod availability;
pub mod checker;
pub mod crdt;
pub mod drills;
pub mod failover;
pub mod ids;
pub mod lag;
pub mod leader_follower;
pub mod leaderless;
pub mod log_formats;
pub mod maths;
pub mod multi_leader;
pub mod net;
pub mod replay;
pub mod ring;
pub mod rng;
pub mod service;
pub mod staleness;
pub mod time;
pub mod trace;
pub mod version_vector;

pub use replay::{Model, Replay, Restored};
pub use time::Time;
pub use trace::{Salience, Trace, TraceEvent};
